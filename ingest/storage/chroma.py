"""Chroma adapter: the only module that imports chromadb."""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import ParseResult, urlparse

from ingest.storage.records import VectorHit

logger = logging.getLogger(__name__)

_MAX_BATCH = 1000


def _check_url(chroma_url: str) -> ParseResult:
    url = urlparse(chroma_url)
    if url.scheme not in ("http", "https") or not url.hostname:
        raise ValueError(f"RAGCHAT_CHROMA_URL must be http(s)://host:port, got {chroma_url!r}")
    return url


def _client(
    *,
    data_dir: Path,
    chroma_url: str,
    tenant: str = "",
    database: str = "",
    headers: dict[str, str] | None = None,
) -> Any:
    """Tenant and database pick a namespace on a server; an embedded index needs neither."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False, allow_reset=False)
    if chroma_url:
        from chromadb.errors import NotFoundError

        url = _check_url(chroma_url)
        try:
            return chromadb.HttpClient(
                host=str(url.hostname),
                port=url.port or (443 if url.scheme == "https" else 8000),
                ssl=url.scheme == "https",
                headers=headers or None,
                settings=chroma_settings,
                tenant=tenant or chromadb.DEFAULT_TENANT,
                database=database or chromadb.DEFAULT_DATABASE,
            )
        except NotFoundError as exc:
            raise ValueError(
                f"Chroma server {chroma_url}: {exc} (create it there first, or fix "
                "RAGCHAT_CHROMA_TENANT / RAGCHAT_CHROMA_DATABASE)"
            ) from None
    path = data_dir / "chroma"
    path.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(path=str(path), settings=chroma_settings)


class ChromaVectorStore:
    """Connects on first use, so building one (or an Index around it) costs no round trip."""

    def __init__(
        self,
        *,
        data_dir: Path,
        chroma_url: str = "",
        tenant: str = "",
        database: str = "",
        headers: dict[str, str] | None = None,
    ) -> None:
        if chroma_url:
            _check_url(chroma_url)
        self._connect = partial(
            _client,
            data_dir=data_dir,
            chroma_url=chroma_url,
            tenant=tenant,
            database=database,
            headers=headers,
        )
        self._client: Any = None
        self._lock = threading.Lock()
        self._collections: dict[str, Any] = {}

    @property
    def client(self) -> Any:
        with self._lock:
            if self._client is None:
                self._client = self._connect()
            return self._client

    def _collection(self, name: str) -> Any:
        if name not in self._collections:
            self._collections[name] = self.client.get_or_create_collection(
                name=f"ragchat_{name}",
                embedding_function=None,
                configuration={"hnsw": {"space": "cosine"}},
            )
        return self._collections[name]

    def heartbeat(self) -> bool:
        self.client.heartbeat()
        return True

    def upsert(
        self,
        collection: str,
        *,
        ids: list[str],
        embeddings: Sequence[Sequence[float]],
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
        self,
        collection: str,
        *,
        embedding: Sequence[float],
        top_k: int,
        document_ids: list[str] | None = None,
    ) -> list[VectorHit]:
        """Ids, cosine and vectors only: texts and metadata come from the document store.

        Asking Chroma for documents and metadatas too tripled the query's time
        (`benchmarks/profile_search.py`), and the document store reads them anyway to
        tell live chunks from an unfinished or replaced version's.
        """
        if document_ids is not None and not document_ids:
            return []
        where = {"document_id": {"$in": document_ids}} if document_ids is not None else None
        res = self._collection(collection).query(
            query_embeddings=[list(embedding)],
            n_results=top_k,
            where=where,
            include=["distances", "embeddings"],
        )
        if not res["ids"]:
            return []
        return [
            VectorHit(chunk_id=cid, score=1.0 - float(dist), embedding=vec)
            for cid, dist, vec in zip(
                res["ids"][0], res["distances"][0], res["embeddings"][0], strict=True
            )
        ]

    def embeddings(self, collection: str, chunk_ids: list[str]) -> dict[str, Sequence[float]]:
        if not chunk_ids:
            return {}
        res = self._collection(collection).get(ids=chunk_ids, include=["embeddings"])
        return dict(zip(res["ids"], res["embeddings"], strict=True))

    def versions(self, collection: str) -> dict[str, tuple[str, str]]:
        """Every stored chunk id with its (document_id, version), read in pages."""
        coll = self._collection(collection)
        found: dict[str, tuple[str, str]] = {}
        offset = 0
        while True:
            res = coll.get(include=["metadatas"], limit=_MAX_BATCH, offset=offset)
            for cid, meta in zip(res["ids"], res["metadatas"], strict=True):
                meta = meta or {}
                found[cid] = (str(meta.get("document_id", "")), str(meta.get("version", "")))
            if len(res["ids"]) < _MAX_BATCH:
                return found
            offset += _MAX_BATCH
