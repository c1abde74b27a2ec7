"""SQLite document store: every document's text, sentence spans and current version.

The document store is the source of truth for which chunks are live: a chunk in Chroma
counts only if its `version` matches the document's row here. Switching versions and
swapping the keyword rows is one SQLite transaction, so a document is never seen
half-written.
"""

from __future__ import annotations

import json
import sqlite3
import time

from ingest.storage.filters import SearchFilters
from ingest.storage.leases import lease_is_stale, lost_lease
from ingest.storage.records import (
    DocumentRecord,
    DocumentText,
    NewVersion,
    StoredChunk,
    document_text,
)
from ingest.storage.sqlite import chunks as chunkstore
from ingest.storage.sqlite.database import Database
from ingest.storage.sqlite.filters import compile_filters

_COLUMNS = (
    "collection, document_id, source, path, title, content_hash, version, chunk_count, "
    "size_bytes, updated_at, tags, doc_date"
)


class SqliteDocumentStore:
    """Documents, versions, sentence spans, live chunks and the FTS5 keyword index."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self._conn = db.conn
        self._lock = db.lock
        self._tx = db.tx

    def close(self) -> None:
        self._db.close()

    def _rows(self, sql: str, *args: object) -> list[tuple]:
        return self._db.rows(sql, *args)

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
        return document_text(*rows[0]) if rows else None

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
            if held_by and held_by != owner and not lease_is_stale(held_by, expires, now):
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
            raise lost_lease(collection, document_id)

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
        self, collection: str, document_id: str, new: NewVersion, *, owner: str
    ) -> None:
        """Make the new version live and swap its chunks into the keyword index, atomically."""
        with self._tx() as c:
            self._check_lease(c, collection, document_id, owner)
            # All old rows go, then the new ones are inserted: an INSERT OR REPLACE would skip
            # the FTS delete trigger (SQLite fires it only with recursive triggers on).
            chunkstore.delete(c, collection, document_id)
            chunkstore.insert(c, collection, new.chunks)
            c.execute(
                "UPDATE documents SET source=?, path=?, title=?, content_hash=?, version=?, "
                "text=?, sentences=?, chunk_count=?, size_bytes=?, updated_at=?, tags=?, "
                "doc_date=?, regions=?, sentence_vectors=? WHERE collection=? AND document_id=?",
                (
                    new.source,
                    new.path,
                    new.title,
                    new.content_hash,
                    new.version,
                    new.text,
                    new.sentences_json(),
                    len(new.chunks),
                    new.size_bytes,
                    time.time(),
                    new.tags_json(),
                    new.doc_date,
                    new.regions_json(),
                    new.sentence_vectors,
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
            if not r[1] or lease_is_stale(r[1], r[2], now)
        ]

    def is_leased(self, collection: str, document_id: str) -> bool:
        """True while a live writer holds the document's lease."""
        rows = self._rows(
            "SELECT lease_owner, lease_expires FROM documents WHERE collection=? "
            "AND document_id=? AND lease_owner IS NOT NULL",
            collection,
            document_id,
        )
        return bool(rows) and not lease_is_stale(rows[0][0], rows[0][1], time.time())

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
        where, args = compile_filters(filters)
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

    def stamp(self, collection: str) -> str:
        [(count, total)] = self._rows(
            "SELECT COUNT(*), TOTAL(updated_at) FROM documents WHERE collection=? "
            "AND version IS NOT NULL",
            collection,
        )
        return f"{count}:{total!r}"

    def all_collections(self) -> list[str]:
        return [r[0] for r in self._rows("SELECT DISTINCT collection FROM documents ORDER BY 1")]
