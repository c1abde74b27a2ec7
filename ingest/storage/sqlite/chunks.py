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


# Taken from FTS5 before the join, in multiples of the limit: enough for a collection that
# holds most of the file's matching chunks; one holding few goes straight to the join.
_OVER_FETCH = 2


def keyword_search(
    conn: sqlite3.Connection,
    collection: str,
    query: str,
    *,
    limit: int,
    document_ids: list[str] | None = None,
) -> list[tuple[StoredChunk, float]]:
    """Best bm25 matches, best first, with a positive score (higher is better).

    bm25 is FTS5's, over every collection's chunks in the file. FTS5 ranks its own matches
    fastest when nothing else is asked of it, so its best few matches are taken first and
    only then joined to their rows and kept if they are the collection's: with 100,000
    chunks that costs a quarter of ranking inside the join. When that keeps too few (a
    collection holding few of the file's matches), and with a document filter, FTS5 ranks
    inside the join instead, so the results are the same either way.
    """
    expression = match_expression(query)
    if not expression or (document_ids is not None and not document_ids):
        return []
    if document_ids is not None:
        return _search_joined(conn, collection, expression, limit, document_ids)
    fetch = limit * _OVER_FETCH
    rows = conn.execute(
        f"SELECT {CHUNK_COLUMNS}, -f.s, c.collection FROM (SELECT rowid, "
        f"bm25(chunks_fts, {_WEIGHTS}) AS s FROM chunks_fts WHERE chunks_fts MATCH ? "
        "ORDER BY s LIMIT ?) f JOIN chunks c ON c.id = f.rowid ORDER BY f.s",
        (expression, fetch),
    ).fetchall()
    kept = [(chunk_of(r), float(r[7])) for r in rows if r[8] == collection]
    if len(kept) >= limit or len(rows) < fetch:
        return kept[:limit]
    return _search_joined(conn, collection, expression, limit, None)


def _search_joined(
    conn: sqlite3.Connection,
    collection: str,
    expression: str,
    limit: int,
    document_ids: list[str] | None,
) -> list[tuple[StoredChunk, float]]:
    """Every match joined to its row and filtered before ranking: for a collection that
    holds few of the file's matches."""
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
