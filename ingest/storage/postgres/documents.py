"""The PostgreSQL document store: the shared SQL store with bm25 over full-text search.

Row locks (`SELECT ... FOR UPDATE`) stand in for SQLite's single writer: a lease is taken,
checked and given back on the document's own row, and the version flip with its keyword
swap is one transaction, as on SQLite.
"""

from __future__ import annotations

from typing import Any

from ingest.storage.documents import SqlDocumentStore
from ingest.storage.filters import SearchFilters
from ingest.storage.postgres import keywords
from ingest.storage.postgres.filters import compile_filters
from ingest.storage.records import StoredChunk
from ingest.storage.sql import POSTGRES


class Bm25Keywords:
    def __init__(self, bm25: keywords.Bm25 = keywords.DEFAULT) -> None:
        self.bm25 = bm25

    def search(
        self, conn: Any, collection: str, query: str, *, limit: int, document_ids: list[str] | None
    ) -> list[tuple[StoredChunk, float]]:
        return keywords.keyword_search(
            conn, collection, query, limit=limit, document_ids=document_ids, params=self.bm25
        )

    def replace(self, conn: Any, collection: str, document_id: str, new: list[StoredChunk]) -> None:
        keywords.replace_chunks(conn, collection, document_id, new)

    def compile_filters(self, filters: SearchFilters) -> tuple[str, list[object]]:
        return compile_filters(filters)


def postgres_documents(pool: Any, *, bm25: keywords.Bm25 = keywords.DEFAULT) -> SqlDocumentStore:
    return SqlDocumentStore(
        read=pool.connection,
        tx=pool.connection,
        dialect=POSTGRES,
        keywords=Bm25Keywords(bm25),
    )
