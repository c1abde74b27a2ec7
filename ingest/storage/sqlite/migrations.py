"""The SQLite schema as an ordered list of migrations, counted in `PRAGMA user_version`.

A data dir from before the list existed has version 0 and its tables already: the first
migration creates what is missing and adds the columns added since, so it fits both.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

_DOCUMENTS = """
CREATE TABLE IF NOT EXISTS documents (
    collection   TEXT NOT NULL,
    document_id  TEXT NOT NULL,
    source       TEXT NOT NULL,
    path         TEXT,
    title        TEXT NOT NULL DEFAULT '',
    content_hash TEXT,
    version      TEXT,
    text         TEXT NOT NULL DEFAULT '',
    sentences    TEXT NOT NULL DEFAULT '[]',
    chunk_count  INTEGER NOT NULL DEFAULT 0,
    size_bytes   INTEGER NOT NULL DEFAULT 0,
    needs_gc     INTEGER NOT NULL DEFAULT 0,
    updated_at   REAL NOT NULL,
    PRIMARY KEY (collection, document_id)
);
"""
# Columns added before migrations were counted; older data dirs get them in place.
_ADDED_COLUMNS = {
    "tags": "TEXT NOT NULL DEFAULT '[]'",
    "doc_date": "REAL",
    "regions": "TEXT NOT NULL DEFAULT '[]'",
    "sentence_vectors": "BLOB",
    "lease_owner": "TEXT",
    "lease_expires": "REAL",
}
_CHUNKS = """
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


def _script(conn: sqlite3.Connection, sql: str) -> None:
    """Run statements one by one: `executescript` would commit the open transaction."""
    statement = ""
    for line in sql.splitlines(keepends=True):
        statement += line
        if sqlite3.complete_statement(statement):
            conn.execute(statement)
            statement = ""


def _baseline(conn: sqlite3.Connection) -> None:
    _script(conn, _DOCUMENTS)
    have = {r[1] for r in conn.execute("PRAGMA table_info(documents)")}
    for name, decl in _ADDED_COLUMNS.items():
        if name not in have:
            conn.execute(f"ALTER TABLE documents ADD COLUMN {name} {decl}")
    chunk_columns = {r[1] for r in conn.execute("PRAGMA table_info(chunks)")}
    if chunk_columns and "title" not in chunk_columns:
        # Chunk rows from before the title column: dropped, the next ingest refills them.
        _script(
            conn,
            "DROP TRIGGER IF EXISTS chunks_ai;\nDROP TRIGGER IF EXISTS chunks_ad;\n"
            "DROP TABLE IF EXISTS chunks_fts;\nDROP TABLE IF EXISTS chunks;\n",
        )
    _script(conn, _CHUNKS)


def _conversations(conn: sqlite3.Connection) -> None:
    _script(
        conn,
        """
        CREATE TABLE IF NOT EXISTS turns (
            conversation_id TEXT NOT NULL,
            seq             INTEGER NOT NULL,
            role            TEXT NOT NULL,
            content         TEXT NOT NULL,
            created_at      REAL NOT NULL,
            PRIMARY KEY (conversation_id, seq)
        );
        CREATE INDEX IF NOT EXISTS turns_created ON turns (created_at);
        """,
    )
    # Turns used to live in a file of their own beside this one: carried over once.
    main = next((r[2] for r in conn.execute("PRAGMA database_list") if r[1] == "main"), "")
    old = Path(main).with_name("conversations.sqlite3") if main else None
    if old is not None and old.is_file():
        source = sqlite3.connect(f"file:{old}?mode=ro", uri=True)
        try:
            rows = source.execute(
                "SELECT conversation_id, seq, role, content, created_at FROM turns"
            ).fetchall()
        except sqlite3.Error:
            rows = []
        finally:
            source.close()
        conn.executemany("INSERT OR IGNORE INTO turns VALUES (?, ?, ?, ?, ?)", rows)


def _jobs(conn: sqlite3.Connection) -> None:
    _script(
        conn,
        """
        CREATE TABLE IF NOT EXISTS jobs (
            id           TEXT PRIMARY KEY,
            kind         TEXT NOT NULL,
            collection   TEXT NOT NULL,
            state        TEXT NOT NULL,
            total        INTEGER NOT NULL,
            results      TEXT NOT NULL DEFAULT '[]',
            error        TEXT,
            attempts     INTEGER NOT NULL DEFAULT 0,
            max_attempts INTEGER NOT NULL DEFAULT 3,
            owner        TEXT,
            visible_at   REAL NOT NULL,
            created_at   REAL NOT NULL,
            updated_at   REAL NOT NULL
        );
        CREATE INDEX IF NOT EXISTS jobs_ready ON jobs (state, visible_at);
        CREATE INDEX IF NOT EXISTS jobs_recent ON jobs (created_at);
        CREATE TABLE IF NOT EXISTS job_files (
            job_id   TEXT NOT NULL,
            seq      INTEGER NOT NULL,
            filename TEXT NOT NULL,
            options  TEXT NOT NULL DEFAULT '{}',
            data     BLOB NOT NULL,
            PRIMARY KEY (job_id, seq)
        );
        """,
    )


_CHUNKS_PER_COLLECTION = """
CREATE TABLE chunks_new (
    id           INTEGER PRIMARY KEY,
    collection   TEXT NOT NULL,
    document_id  TEXT NOT NULL,
    chunk_id     TEXT NOT NULL,
    chunk_index  INTEGER NOT NULL,
    start        INTEGER NOT NULL,
    end          INTEGER NOT NULL,
    text         TEXT NOT NULL,
    metadata     TEXT NOT NULL DEFAULT '{}',
    title        TEXT NOT NULL DEFAULT '',
    UNIQUE (collection, chunk_id)
);
INSERT INTO chunks_new SELECT id, collection, document_id, chunk_id, chunk_index, start, end,
    text, metadata, title FROM chunks;
DROP TRIGGER IF EXISTS chunks_ai;
DROP TRIGGER IF EXISTS chunks_ad;
DROP TABLE IF EXISTS chunks_fts;
DROP TABLE chunks;
ALTER TABLE chunks_new RENAME TO chunks;
"""


def _chunk_ids_per_collection(conn: sqlite3.Connection) -> None:
    """Chunk ids were unique across collections, so one file ingested into two collections
    took the other's keyword rows; they are unique within a collection now."""
    _script(conn, _CHUNKS_PER_COLLECTION)
    _script(conn, _CHUNKS)
    conn.execute("INSERT INTO chunks_fts(chunks_fts) VALUES ('rebuild')")


def _collection_stamps(conn: sqlite3.Connection) -> None:
    """A generation per collection, bumped with each version flip, so a search learns that
    the collection's documents changed from one row instead of a scan of them all."""
    _script(conn, _STAMPS)


_STAMPS = """
CREATE TABLE IF NOT EXISTS collection_stamps (
    collection TEXT PRIMARY KEY,
    generation INTEGER NOT NULL
);
INSERT OR IGNORE INTO collection_stamps (collection, generation)
    SELECT DISTINCT collection, 1 FROM documents;
"""


def _conversation_rows(conn: sqlite3.Connection) -> None:
    """Conversations get a row (owner, collection, title) and answers their whole response."""
    _script(conn, _CONVERSATION_ROWS)


_CONVERSATION_ROWS = """
CREATE TABLE conversations (
    conversation_id TEXT PRIMARY KEY,
    owner           TEXT NOT NULL DEFAULT '',
    collection      TEXT NOT NULL DEFAULT '',
    title           TEXT NOT NULL DEFAULT '',
    created_at      REAL NOT NULL,
    updated_at      REAL NOT NULL
);
CREATE INDEX conversations_recent ON conversations (owner, updated_at);
CREATE INDEX conversations_idle ON conversations (updated_at);
ALTER TABLE turns ADD COLUMN response TEXT;
ALTER TABLE turns ADD COLUMN collection TEXT NOT NULL DEFAULT '';
INSERT INTO conversations (conversation_id, title, created_at, updated_at)
    SELECT t.conversation_id, coalesce((SELECT substr(f.content, 1, 80) FROM turns f
        WHERE f.conversation_id = t.conversation_id AND f.role = 'user' ORDER BY f.seq LIMIT 1),
        ''), min(t.created_at), max(t.created_at)
    FROM turns t GROUP BY t.conversation_id;
"""


def _feedback(conn: sqlite3.Connection) -> None:
    """Ratings of answers, each with a copy of the question, answer and citations rated."""
    _script(conn, _FEEDBACK)


_FEEDBACK = """
CREATE TABLE feedback (
    conversation_id TEXT NOT NULL,
    turn            integer NOT NULL,
    owner           TEXT NOT NULL DEFAULT '',
    collection      TEXT NOT NULL DEFAULT '',
    rating          TEXT NOT NULL,
    comment         TEXT NOT NULL DEFAULT '',
    expected_answer TEXT,
    unanswerable    INTEGER NOT NULL DEFAULT 0,
    wrong_citations TEXT NOT NULL DEFAULT '[]',
    question        TEXT NOT NULL,
    answer          TEXT NOT NULL,
    citations       TEXT NOT NULL DEFAULT '[]',
    settings        TEXT NOT NULL DEFAULT '{}',
    model           TEXT NOT NULL DEFAULT '',
    created_at      REAL NOT NULL,
    conversation_started REAL NOT NULL DEFAULT 0,
    PRIMARY KEY (conversation_id, conversation_started, turn)
);
CREATE INDEX feedback_created ON feedback (created_at);
"""


# Append only: a migration that shipped is never edited, a change is a new entry.
MIGRATIONS: list[tuple[str, Callable[[sqlite3.Connection], None]]] = [
    ("documents and chunks with the FTS5 keyword index", _baseline),
    ("conversation turns", _conversations),
    ("ingestion jobs and the files they carry", _jobs),
    ("chunk ids unique within a collection, not across them", _chunk_ids_per_collection),
    ("a stamp per collection that each version flip moves on", _collection_stamps),
    ("conversations with an owner and a title; answers keep their response", _conversation_rows),
    ("ratings of answers", _feedback),
]


def current(conn: sqlite3.Connection) -> int:
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


def migrate(conn: sqlite3.Connection) -> list[str]:
    """Apply the pending migrations, each in its own transaction; returns their names."""
    applied: list[str] = []
    for number, (name, step) in enumerate(MIGRATIONS, start=1):
        if current(conn) >= number:
            continue
        conn.execute("BEGIN IMMEDIATE")
        try:
            if current(conn) < number:  # another process may have applied it meanwhile
                step(conn)
                conn.execute(f"PRAGMA user_version={number}")
                applied.append(name)
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
    return applied
