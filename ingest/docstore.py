"""SQLite record of every document: its extracted text, sentence spans and current version.

The docstore is the source of truth for which chunks are live: a chunk in Chroma counts only
if its `version` matches the document's row here. Switching versions is one SQLite
transaction, so a document is never seen half-written.
"""

from __future__ import annotations

import json
import os
import socket
import sqlite3
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ingest import chunkstore
from ingest.chunkstore import StoredChunk
from ingest.cleaning import Span
from ingest.filters import SearchFilters
from ingest.loaders import Region

_SCHEMA = """
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
    tags         TEXT NOT NULL DEFAULT '[]',
    doc_date     REAL,
    regions      TEXT NOT NULL DEFAULT '[]',
    sentence_vectors BLOB,
    lease_owner  TEXT,
    lease_expires REAL,
    PRIMARY KEY (collection, document_id)
);
"""
# Columns added after the first release, added in place to older data dirs.
_ADDED_COLUMNS = {
    "tags": "TEXT NOT NULL DEFAULT '[]'",
    "doc_date": "REAL",
    "regions": "TEXT NOT NULL DEFAULT '[]'",
    "sentence_vectors": "BLOB",
    "lease_owner": "TEXT",
    "lease_expires": "REAL",
}


@dataclass(frozen=True)
class DocumentRecord:
    collection: str
    document_id: str
    source: str
    path: str | None
    title: str
    content_hash: str | None
    version: str | None
    chunk_count: int
    size_bytes: int
    updated_at: float
    tags_json: str = "[]"
    doc_date: float | None = None

    @property
    def tags(self) -> list[str]:
        return list(json.loads(self.tags_json))


@dataclass(frozen=True)
class DocumentText:
    text: str
    sentences: list[Span]
    regions: list[Region] = field(default_factory=list)
    # One unit vector per sentence, embedded at ingest (None for documents ingested before).
    vectors: np.ndarray | None = None


def pack_vectors(vectors: list[list[float]]) -> bytes:
    return np.asarray(vectors, dtype=np.float16).tobytes()


def unpack_vectors(blob: bytes | None, count: int) -> np.ndarray | None:
    if not blob or not count:
        return None
    flat = np.frombuffer(blob, dtype=np.float16).astype(np.float32)
    if flat.size % count:
        return None
    return flat.reshape(count, flat.size // count)


class LeaseBusyError(RuntimeError):
    """Another live writer holds the document for longer than we were willing to wait."""


HOST = socket.gethostname()


def new_lease_owner() -> str:
    """`host:pid:random`: unique per write, and says which process to ask whether it lives."""
    return f"{HOST}:{os.getpid()}:{uuid.uuid4().hex[:12]}"


def owner_is_gone(owner: str) -> bool:
    """True when the owner ran on this host in a process that has since died.

    A lease from another host is only ever ended by its expiry.
    """
    parts = owner.split(":")
    if len(parts) < 3 or not parts[-2].isdigit():
        return False
    host, pid = ":".join(parts[:-2]), int(parts[-2])
    if host != HOST:
        return False
    return pid != os.getpid() and not process_alive(pid)


def process_alive(pid: int) -> bool:
    """True while a process of this pid exists (one we may not signal counts as alive)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _lease_is_stale(owner: str, expires: float | None, now: float) -> bool:
    if owner.startswith(f"{HOST}:"):
        return owner_is_gone(owner)
    return (expires or 0.0) < now


_COLUMNS = (
    "collection, document_id, source, path, title, content_hash, version, chunk_count, "
    "size_bytes, updated_at, tags, doc_date"
)


class DocStore:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA busy_timeout=10000")
        self._conn.executescript(_SCHEMA)
        have = {r[1] for r in self._conn.execute("PRAGMA table_info(documents)")}
        for name, decl in _ADDED_COLUMNS.items():
            if name not in have:
                self._conn.execute(f"ALTER TABLE documents ADD COLUMN {name} {decl}")
        chunkstore.migrate(self._conn)
        self._lock = threading.RLock()

    def close(self) -> None:
        self._conn.close()

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    def _rows(self, sql: str, *args: object) -> list[tuple]:
        with self._lock:
            return self._conn.execute(sql, args).fetchall()

    def records(self, collection: str) -> list[DocumentRecord]:
        rows = self._rows(
            f"SELECT {_COLUMNS} FROM documents WHERE collection=? AND version IS NOT NULL "
            "ORDER BY source, document_id",
            collection,
        )
        return [DocumentRecord(*r) for r in rows]

    def collections(self) -> list[str]:
        rows = self._rows(
            "SELECT DISTINCT collection FROM documents WHERE version IS NOT NULL ORDER BY 1"
        )
        return [r[0] for r in rows]

    def get(self, collection: str, document_id: str) -> DocumentRecord | None:
        rows = self._rows(
            f"SELECT {_COLUMNS} FROM documents WHERE collection=? AND document_id=? "
            "AND (version IS NOT NULL OR needs_gc=1)",  # not a bare lease on a new document
            collection,
            document_id,
        )
        return DocumentRecord(*rows[0]) if rows else None

    def live_versions(self, collection: str, document_ids: list[str]) -> dict[str, str]:
        if not document_ids:
            return {}
        marks = ",".join("?" * len(document_ids))
        rows = self._rows(
            f"SELECT document_id, version FROM documents WHERE collection=? "
            f"AND document_id IN ({marks}) AND version IS NOT NULL",
            collection,
            *document_ids,
        )
        return dict(rows)

    def text(self, collection: str, document_id: str) -> DocumentText | None:
        rows = self._rows(
            "SELECT text, sentences, regions, sentence_vectors FROM documents "
            "WHERE collection=? AND document_id=? AND version IS NOT NULL",
            collection,
            document_id,
        )
        if not rows:
            return None
        text, sentences, regions, vectors = rows[0]
        spans = [Span(s, e) for s, e in json.loads(sentences)]
        return DocumentText(
            text=text,
            sentences=spans,
            regions=[Region(s, e, meta) for s, e, meta in json.loads(regions)],
            vectors=unpack_vectors(vectors, len(spans)),
        )

    def acquire_lease(self, collection: str, document_id: str, owner: str, *, ttl: float) -> bool:
        """Take the document's write lease; False while another writer holds it.

        A holder on this host keeps its lease for as long as its process lives; one on
        another host keeps it until the lease expires. Only then may a writer take it over,
        and so only then may cleanup treat the holder's unfinished write as debris.
        """
        now = time.time()
        with self._tx() as c:
            row = c.execute(
                "SELECT lease_owner, lease_expires FROM documents "
                "WHERE collection=? AND document_id=?",
                (collection, document_id),
            ).fetchone()
            if row is None:
                c.execute(
                    "INSERT INTO documents (collection, document_id, source, updated_at, "
                    "lease_owner, lease_expires) VALUES (?, ?, '', ?, ?, ?)",
                    (collection, document_id, now, owner, now + ttl),
                )
                return True
            held_by, expires = row
            if held_by and held_by != owner and not _lease_is_stale(held_by, expires, now):
                return False
            c.execute(
                "UPDATE documents SET lease_owner=?, lease_expires=? "
                "WHERE collection=? AND document_id=?",
                (owner, now + ttl, collection, document_id),
            )
            return True

    def release_lease(self, collection: str, document_id: str, owner: str) -> None:
        """Give the lease back; a lease taken for a document never written leaves no row."""
        with self._tx() as c:
            c.execute(
                "DELETE FROM documents WHERE collection=? AND document_id=? AND lease_owner=? "
                "AND version IS NULL AND needs_gc=0",
                (collection, document_id, owner),
            )
            c.execute(
                "UPDATE documents SET lease_owner=NULL, lease_expires=NULL "
                "WHERE collection=? AND document_id=? AND lease_owner=?",
                (collection, document_id, owner),
            )

    def _check_lease(
        self, c: sqlite3.Connection, collection: str, document_id: str, owner: str
    ) -> None:
        row = c.execute(
            "SELECT lease_owner FROM documents WHERE collection=? AND document_id=?",
            (collection, document_id),
        ).fetchone()
        if row is None or row[0] != owner:
            raise LeaseBusyError(
                f"document {document_id} in {collection!r}: the write lease was lost "
                "(it expired and another writer took it over)"
            )

    def begin_write(
        self, collection: str, document_id: str, *, owner: str, source: str, path: str | None
    ) -> None:
        """Flag the document before touching Chroma, so a crash leaves cleanup to do, not debris."""
        with self._tx() as c:
            self._check_lease(c, collection, document_id, owner)
            c.execute(
                "UPDATE documents SET needs_gc=1, source=CASE WHEN source='' THEN ? ELSE source "
                "END, path=COALESCE(path, ?) WHERE collection=? AND document_id=?",
                (source, path, collection, document_id),
            )

    def commit_version(
        self,
        collection: str,
        document_id: str,
        *,
        source: str,
        path: str | None,
        title: str,
        content_hash: str,
        version: str,
        text: str,
        sentences: list[Span],
        chunks: list[StoredChunk],
        size_bytes: int,
        tags: list[str],
        doc_date: float | None,
        regions: list[Region],
        owner: str,
        sentence_vectors: bytes | None = None,
    ) -> None:
        """Make the new version live and swap its chunks into the keyword index, atomically."""
        with self._tx() as c:
            self._check_lease(c, collection, document_id, owner)
            chunkstore.delete(c, collection, document_id, keep={ch.chunk_id for ch in chunks})
            chunkstore.insert(c, collection, chunks)
            c.execute(
                "UPDATE documents SET source=?, path=?, title=?, content_hash=?, version=?, "
                "text=?, sentences=?, chunk_count=?, size_bytes=?, updated_at=?, tags=?, "
                "doc_date=?, regions=?, sentence_vectors=? WHERE collection=? AND document_id=?",
                (
                    source,
                    path,
                    title,
                    content_hash,
                    version,
                    text,
                    json.dumps([[s.start, s.end] for s in sentences]),
                    len(chunks),
                    size_bytes,
                    time.time(),
                    json.dumps(sorted(set(tags))),
                    doc_date,
                    json.dumps([[r.start, r.end, r.metadata] for r in regions]),
                    sentence_vectors,
                    collection,
                    document_id,
                ),
            )

    def retire(self, collection: str, document_id: str) -> None:
        """Make a document invisible at once; its chunks are removed by the next cleanup."""
        with self._tx() as c:
            chunkstore.delete(c, collection, document_id)
            c.execute(
                "UPDATE documents SET version=NULL, needs_gc=1 "
                "WHERE collection=? AND document_id=?",
                (collection, document_id),
            )

    def pending_cleanup(self, collection: str) -> list[str]:
        """Documents flagged by an unfinished write whose writer is gone or held no lease."""
        now = time.time()
        return [
            r[0]
            for r in self._rows(
                "SELECT document_id, lease_owner, lease_expires FROM documents "
                "WHERE collection=? AND needs_gc=1",
                collection,
            )
            if not r[1] or _lease_is_stale(r[1], r[2], now)
        ]

    def is_leased(self, collection: str, document_id: str) -> bool:
        """True while a live writer holds the document's lease."""
        rows = self._rows(
            "SELECT lease_owner, lease_expires FROM documents WHERE collection=? "
            "AND document_id=? AND lease_owner IS NOT NULL",
            collection,
            document_id,
        )
        return bool(rows) and not _lease_is_stale(rows[0][0], rows[0][1], time.time())

    def live_version(self, collection: str, document_id: str) -> str | None:
        rows = self._rows(
            "SELECT version FROM documents WHERE collection=? AND document_id=?",
            collection,
            document_id,
        )
        return rows[0][0] if rows else None

    def finish_cleanup(self, collection: str, document_id: str) -> None:
        with self._tx() as c:
            c.execute(
                "DELETE FROM documents WHERE collection=? AND document_id=? AND version IS NULL",
                (collection, document_id),
            )
            c.execute(
                "UPDATE documents SET needs_gc=0 WHERE collection=? AND document_id=?",
                (collection, document_id),
            )

    def set_tags(self, collection: str, document_id: str, tags: list[str]) -> None:
        with self._tx() as c:
            c.execute(
                "UPDATE documents SET tags=? WHERE collection=? AND document_id=?",
                (json.dumps(sorted(set(tags))), collection, document_id),
            )

    def matching_documents(self, collection: str, filters: SearchFilters) -> list[str]:
        where, args = filters.sql()
        rows = self._rows(
            "SELECT document_id FROM documents WHERE collection=? AND version IS NOT NULL "
            f"AND {where}",
            collection,
            *args,
        )
        return [r[0] for r in rows]

    def keyword_search(
        self, collection: str, query: str, *, limit: int, document_ids: list[str] | None
    ) -> list[tuple[StoredChunk, float]]:
        with self._lock:
            return chunkstore.keyword_search(
                self._conn, collection, query, limit=limit, document_ids=document_ids
            )

    def chunks(self, chunk_ids: list[str]) -> dict[str, StoredChunk]:
        with self._lock:
            return chunkstore.by_ids(self._conn, chunk_ids)

    def neighbours(
        self, collection: str, document_id: str, chunk_index: int, *, width: int
    ) -> list[StoredChunk]:
        with self._lock:
            return chunkstore.neighbours(
                self._conn, collection, document_id, chunk_index, width=width
            )

    def chunk_ids_by_document(self, collection: str) -> dict[str, set[str]]:
        """Every keyword-indexed chunk id of a collection, by document."""
        with self._lock:
            return chunkstore.chunk_ids_by_document(self._conn, collection)

    def document_chunks(self, collection: str, document_id: str) -> list[StoredChunk]:
        with self._lock:
            return chunkstore.document_chunks(self._conn, collection, document_id)

    def document_ids(self, collection: str) -> set[str]:
        """Every document with a row: live, half-written or leased."""
        return {
            r[0]
            for r in self._rows("SELECT document_id FROM documents WHERE collection=?", collection)
        }

    def all_collections(self) -> list[str]:
        return [r[0] for r in self._rows("SELECT DISTINCT collection FROM documents ORDER BY 1")]

    def chunk_texts(self, collection: str) -> list[str]:
        return [r[0] for r in self._rows("SELECT text FROM chunks WHERE collection=?", collection)]

    def chunk_count(self, collection: str) -> int:
        with self._lock:
            return chunkstore.count(self._conn, collection)
