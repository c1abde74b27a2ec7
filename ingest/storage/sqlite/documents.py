"""The SQLite document store: the shared SQL store with FTS5 as its keyword index."""

from __future__ import annotations

import sqlite3
from typing import Any

from ingest.storage.documents import SqlDocumentStore
from ingest.storage.filters import SearchFilters
from ingest.storage.records import StoredChunk
from ingest.storage.sql import SQLITE
from ingest.storage.sqlite import chunks
from ingest.storage.sqlite.database import Database
from ingest.storage.sqlite.filters import compile_filters


class Fts5Keywords:
    """bm25 from FTS5 over the chunk rows, which triggers keep in step with the table."""

    def search(
        self, conn: Any, collection: str, query: str, *, limit: int, document_ids: list[str] | None
    ) -> list[tuple[StoredChunk, float]]:
        return chunks.keyword_search(
            conn, collection, query, limit=limit, document_ids=document_ids
        )

    def replace(
        self, conn: sqlite3.Connection, collection: str, document_id: str, new: list[StoredChunk]
    ) -> None:
        # All old rows go, then the new ones are inserted: an INSERT OR REPLACE would skip
        # the FTS delete trigger (SQLite fires it only with recursive triggers on).
        chunks.delete(conn, collection, document_id)
        chunks.insert(conn, collection, new)

    def compile_filters(self, filters: SearchFilters) -> tuple[str, list[object]]:
        return compile_filters(filters)


def sqlite_documents(db: Database) -> SqlDocumentStore:
    return SqlDocumentStore(read=db.reading, tx=db.tx, dialect=SQLITE, keywords=Fts5Keywords())
