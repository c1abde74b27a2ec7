"""Live chunks in SQLite with an FTS5 keyword index over them.

The rows are written and removed inside the docstore's version-flip transactions, so the
keyword index always holds exactly the live chunks: it is updated per document, never
rebuilt, and it lives in the service's data dir whether Chroma is embedded or a server.
"""

from __future__ import annotations

import json
import re
import sqlite3
from dataclasses import dataclass, field
from typing import Any

SCHEMA = """
CREATE TABLE IF NOT EXISTS chunks (
    id           INTEGER PRIMARY KEY,
    collection   TEXT NOT NULL,
    document_id  TEXT NOT NULL,
    chunk_id     TEXT NOT NULL UNIQUE,
    chunk_index  INTEGER NOT NULL,
    start        INTEGER NOT NULL,
    end          INTEGER NOT NULL,
    text         TEXT NOT NULL,
    metadata     TEXT NOT NULL DEFAULT '{}',
    title        TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS chunks_by_document ON chunks (collection, document_id, chunk_index);
CREATE VIRTUAL TABLE IF NOT EXISTS chunks_fts USING fts5(
    text, title, content='chunks', content_rowid='id',
    tokenize='porter unicode61 remove_diacritics 2'
);
CREATE TRIGGER IF NOT EXISTS chunks_ai AFTER INSERT ON chunks BEGIN
    INSERT INTO chunks_fts(rowid, text, title) VALUES (new.id, new.text, new.title);
END;
CREATE TRIGGER IF NOT EXISTS chunks_ad AFTER DELETE ON chunks BEGIN
    INSERT INTO chunks_fts(chunks_fts, rowid, text, title)
    VALUES ('delete', old.id, old.text, old.title);
END;
"""

# Words that match nearly every chunk only add noise to bm25 and slow the OR query down.
_STOPWORDS_TEXT = """
a about above after again against all am an and any are as at be because been before
being below between both but by can could did do does doing down during each few for from
further had has have having he her here hers herself him himself his how i if in into is it
its itself just me more most my myself no nor not now of off on once only or other our ours
ourselves out over own same she should so some such than that the their theirs them
themselves then there these they this those through to too under until up very was we were
what when where which while who whom why will with would you your yours yourself
"""
STOPWORDS = frozenset(_STOPWORDS_TEXT.split())
_WORD = re.compile(r"\w+", re.UNICODE)
MAX_QUERY_TERMS = 32
# bm25 column weights: chunk text, then the document title every chunk of it carries.
_WEIGHTS = "1.0, 0.5"


@dataclass(frozen=True)
class StoredChunk:
    chunk_id: str
    document_id: str
    chunk_index: int
    start: int
    end: int
    text: str
    metadata: dict[str, Any] = field(default_factory=dict)
    title: str = field(default="", compare=False)


def match_expression(query: str) -> str:
    """An FTS5 OR-query of the question's content words, each quoted so no syntax leaks in."""
    words = [w.lower() for w in _WORD.findall(query)]
    terms = [w for w in words if w not in STOPWORDS] or words
    unique = list(dict.fromkeys(terms))[:MAX_QUERY_TERMS]
    return " OR ".join(f'"{t}"' for t in unique)


def migrate(conn: sqlite3.Connection) -> None:
    """Chunk tables from before the title column are dropped; the next ingest refills them."""
    have = {r[1] for r in conn.execute("PRAGMA table_info(chunks)")}
    if have and "title" not in have:
        conn.executescript(
            "DROP TRIGGER IF EXISTS chunks_ai; DROP TRIGGER IF EXISTS chunks_ad; "
            "DROP TABLE IF EXISTS chunks_fts; DROP TABLE IF EXISTS chunks;"
        )
    conn.executescript(SCHEMA)


def insert(conn: sqlite3.Connection, collection: str, chunks: list[StoredChunk]) -> None:
    conn.executemany(
        "INSERT OR REPLACE INTO chunks (collection, document_id, chunk_id, chunk_index, start, "
        "end, text, metadata, title) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (
                collection,
                c.document_id,
                c.chunk_id,
                c.chunk_index,
                c.start,
                c.end,
                c.text,
                json.dumps(c.metadata),
                c.title,
            )
            for c in chunks
        ],
    )


def delete(
    conn: sqlite3.Connection, collection: str, document_id: str, *, keep: set[str] | None = None
) -> None:
    """Remove a document's chunks, except the ids in `keep` (the version going live)."""
    rows = conn.execute(
        "SELECT id, chunk_id FROM chunks WHERE collection=? AND document_id=?",
        (collection, document_id),
    ).fetchall()
    doomed = [(r[0],) for r in rows if not keep or r[1] not in keep]
    conn.executemany("DELETE FROM chunks WHERE id=?", doomed)


_COLUMNS = "c.chunk_id, c.document_id, c.chunk_index, c.start, c.end, c.text, c.metadata"


def _chunk(row: tuple) -> StoredChunk:
    cid, doc, index, start, end, text, meta = row[:7]
    return StoredChunk(cid, doc, index, start, end, text, json.loads(meta))


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
        f"SELECT {_COLUMNS}, -bm25(chunks_fts, {_WEIGHTS}) AS s FROM chunks_fts "
        "JOIN chunks c ON c.id = chunks_fts.rowid WHERE chunks_fts MATCH ? AND c.collection = ?"
    )
    args: list[object] = [expression, collection]
    if document_ids is not None:
        sql += f" AND c.document_id IN ({','.join('?' * len(document_ids))})"
        args += document_ids
    sql += f" ORDER BY bm25(chunks_fts, {_WEIGHTS}) LIMIT ?"
    args.append(limit)
    return [(_chunk(r), float(r[7])) for r in conn.execute(sql, args).fetchall()]


def by_ids(conn: sqlite3.Connection, chunk_ids: list[str]) -> dict[str, StoredChunk]:
    if not chunk_ids:
        return {}
    marks = ",".join("?" * len(chunk_ids))
    rows = conn.execute(
        f"SELECT {_COLUMNS} FROM chunks c WHERE c.chunk_id IN ({marks})", chunk_ids
    ).fetchall()
    return {r[0]: _chunk(r) for r in rows}


def neighbours(
    conn: sqlite3.Connection, collection: str, document_id: str, chunk_index: int, *, width: int
) -> list[StoredChunk]:
    rows = conn.execute(
        f"SELECT {_COLUMNS} FROM chunks c WHERE c.collection=? AND c.document_id=? "
        "AND c.chunk_index BETWEEN ? AND ? ORDER BY c.chunk_index",
        (collection, document_id, chunk_index - width, chunk_index + width),
    ).fetchall()
    return [_chunk(r) for r in rows]


def count(conn: sqlite3.Connection, collection: str) -> int:
    return int(
        conn.execute("SELECT COUNT(*) FROM chunks WHERE collection=?", (collection,)).fetchone()[0]
    )


def chunk_ids_by_document(conn: sqlite3.Connection, collection: str) -> dict[str, set[str]]:
    ids: dict[str, set[str]] = {}
    for doc, cid in conn.execute(
        "SELECT document_id, chunk_id FROM chunks WHERE collection=?", (collection,)
    ):
        ids.setdefault(doc, set()).add(cid)
    return ids


def document_chunks(
    conn: sqlite3.Connection, collection: str, document_id: str
) -> list[StoredChunk]:
    rows = conn.execute(
        f"SELECT {_COLUMNS}, c.title FROM chunks c WHERE c.collection=? AND c.document_id=? "
        "ORDER BY c.chunk_index",
        (collection, document_id),
    ).fetchall()
    return [
        StoredChunk(cid, doc, index, start, end, text, json.loads(meta), title)
        for cid, doc, index, start, end, text, meta, title in rows
    ]
