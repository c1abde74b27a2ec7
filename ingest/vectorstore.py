"""Chroma adapter: the only module that imports chromadb."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

logger = logging.getLogger(__name__)

_MAX_BATCH = 1000


@dataclass(frozen=True)
class VectorHit:
    chunk_id: str
    text: str
    metadata: dict[str, Any]
    score: float


def _client(*, data_dir: Path, chroma_url: str) -> Any:
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False, allow_reset=False)
    if chroma_url:
        url = urlparse(chroma_url)
        if url.scheme not in ("http", "https") or not url.hostname:
            raise ValueError(f"RAGCHAT_CHROMA_URL must be http(s)://host:port, got {chroma_url!r}")
        return chromadb.HttpClient(
            host=url.hostname,
            port=url.port or (443 if url.scheme == "https" else 8000),
            ssl=url.scheme == "https",
            settings=chroma_settings,
        )
    path = data_dir / "chroma"
    path.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(path=str(path), settings=chroma_settings)


class VectorStore:
    def __init__(self, *, data_dir: Path, chroma_url: str = "") -> None:
        self._client = _client(data_dir=data_dir, chroma_url=chroma_url)
        self._collections: dict[str, Any] = {}

    def _collection(self, name: str) -> Any:
        if name not in self._collections:
            self._collections[name] = self._client.get_or_create_collection(
                name=f"ragchat_{name}",
                embedding_function=None,
                configuration={"hnsw": {"space": "cosine"}},
            )
        return self._collections[name]

    def heartbeat(self) -> bool:
        self._client.heartbeat()
        return True

    def upsert(
        self,
        collection: str,
        *,
        ids: list[str],
        embeddings: list[list[float]],
        texts: list[str],
        metadatas: list[dict[str, Any]],
    ) -> None:
        coll = self._collection(collection)
        for i in range(0, len(ids), _MAX_BATCH):
            sl = slice(i, i + _MAX_BATCH)
            coll.upsert(
                ids=ids[sl], embeddings=embeddings[sl], documents=texts[sl], metadatas=metadatas[sl]
            )

    def delete_stale(self, collection: str, *, document_id: str, keep_version: str | None) -> None:
        where: dict[str, Any] = {"document_id": document_id}
        if keep_version is not None:
            where = {"$and": [where, {"version": {"$ne": keep_version}}]}
        self._collection(collection).delete(where=where)

    def count(self, collection: str) -> int:
        return int(self._collection(collection).count())

    def query(
        self, collection: str, *, embedding: list[float], top_k: int, where: dict | None = None
    ) -> list[VectorHit]:
        coll = self._collection(collection)
        if coll.count() == 0:
            return []
        res = coll.query(
            query_embeddings=[embedding],
            n_results=top_k,
            where=where,
            include=["documents", "metadatas", "distances"],
        )
        return [
            VectorHit(chunk_id=cid, text=doc or "", metadata=dict(meta or {}), score=1.0 - dist)
            for cid, doc, meta, dist in zip(
                res["ids"][0],
                res["documents"][0],
                res["metadatas"][0],
                res["distances"][0],
                strict=True,
            )
        ]
