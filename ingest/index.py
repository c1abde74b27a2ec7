"""The index: Chroma vectors plus the SQLite docstore that says which chunks are live."""

from __future__ import annotations

import logging
import re
from pathlib import Path

from ingest import search as hybrid
from ingest.docstore import DocStore, DocumentRecord, DocumentText
from ingest.filters import SearchFilters
from ingest.search import ChunkHit, SearchOptions
from ingest.vectorstore import VectorStore

__all__ = ["ChunkHit", "Index", "InvalidCollectionError", "SearchOptions", "check_collection"]

logger = logging.getLogger(__name__)

_COLLECTION_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$")


class InvalidCollectionError(ValueError):
    pass


def check_collection(name: str) -> str:
    if not _COLLECTION_NAME.match(name) or ".." in name:
        raise InvalidCollectionError(
            f"invalid collection name {name!r}: use 1-63 letters, digits, '.', '_' or '-', "
            "starting with a letter or digit"
        )
    return name


class Index:
    def __init__(
        self, *, data_dir: Path, chroma_url: str = "", vectors: VectorStore | None = None
    ) -> None:
        """`vectors` overrides the store `chroma_url` would make (e.g. with a tenant)."""
        data_dir.mkdir(parents=True, exist_ok=True)
        self.docs = DocStore(data_dir / "ragchat.sqlite3")
        self.vectors = vectors or VectorStore(data_dir=data_dir, chroma_url=chroma_url)

    def close(self) -> None:
        self.docs.close()

    def collections(self) -> list[str]:
        return self.docs.collections()

    def documents(self, collection: str) -> list[DocumentRecord]:
        return self.docs.records(check_collection(collection))

    def document_text(self, collection: str, document_id: str) -> DocumentText | None:
        return self.docs.text(collection, document_id)

    def cleanup(self, collection: str) -> int:
        """Remove chunks a crashed or superseded write left behind; returns documents touched."""
        pending = self.docs.pending_cleanup(collection)
        for document_id, version in pending:
            self.vectors.delete_stale(collection, document_id=document_id, keep_version=version)
            self.docs.finish_cleanup(collection, document_id)
        return len(pending)

    def delete(self, collection: str, document_id: str) -> bool:
        if self.docs.get(collection, document_id) is None:
            return False
        self.docs.retire(collection, document_id)
        self.vectors.delete_stale(collection, document_id=document_id, keep_version=None)
        self.docs.finish_cleanup(collection, document_id)
        return True

    def search(
        self,
        collection: str,
        *,
        query: str = "",
        embedding: list[float],
        top_k: int,
        filters: SearchFilters | None = None,
        options: SearchOptions | None = None,
    ) -> list[ChunkHit]:
        return hybrid.search(
            self.docs,
            self.vectors,
            check_collection(collection),
            query=query,
            embedding=embedding,
            top_k=top_k,
            filters=filters,
            options=options,
        )
