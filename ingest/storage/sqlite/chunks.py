"""Live chunks in SQLite with an FTS5 keyword index over them.

The rows are written and removed inside the document store's version-flip transactions, so the
keyword index always holds exactly the live chunks: it is updated per document, never
rebuilt, and it lives in the service's data dir whether Chroma is embedded or a server.
"""

from __future__ import annotations

import sqlite3

from ingest.storage.documents import CHUNK_COLUMNS, INSERT_CHUNK, chunk_of, chunk_rows
from ingest.storage.keywords import query_terms
from ingest.storage.records import StoredChunk
from ingest.storage.sql import SQLITE

# bm25 column weights: chunk text, then the document title every chunk of it carries.
_WEIGHTS = "1.0, 0.5"


def match_expression(query: str) -> str:
    """An FTS5 OR-query of the question's content words, each quoted so no syntax leaks in."""
    return " OR ".join(f'"{t}"' for t in query_terms(query))


def insert(conn: sqlite3.Connection, collection: str, chunks: list[StoredChunk]) -> None:
    conn.executemany(SQLITE.sql(INSERT_CHUNK), chunk_rows(collection, chunks))


def delete(conn: sqlite3.Connection, collection: str, document_id: str) -> None:
    """Remove a document's chunks; the delete trigger takes them out of the FTS index."""
    conn.execute(
        "DELETE FROM chunks WHERE collection=? AND document_id=?", (collection, document_id)
    )


def keyword_search(
    conn: sqlite3.Connection,
    collection: str,
    query: str,
    *,
    limit: int,
    document_ids: list[str] | None = None,
) -> list[tuple[StoredChunk, float]]:
    """Best bm25 matches, best first, with a positive score (higher is better)."""
    expression = match_expression(query)
    if not expression or (document_ids is not None and not document_ids):
        return []
    sql = (
        f"SELECT {CHUNK_COLUMNS}, -bm25(chunks_fts, {_WEIGHTS}) AS s FROM chunks_fts "
        "JOIN chunks c ON c.id = chunks_fts.rowid WHERE chunks_fts MATCH ? AND c.collection = ?"
    )
    args: list[object] = [expression, collection]
    if document_ids is not None:
        sql += f" AND c.document_id IN ({','.join('?' * len(document_ids))})"
        args += document_ids
    sql += f" ORDER BY bm25(chunks_fts, {_WEIGHTS}) LIMIT ?"
    args.append(limit)
    return [(chunk_of(r), float(r[7])) for r in conn.execute(sql, args).fetchall()]
