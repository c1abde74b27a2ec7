"""PostgreSQL document store: the same contract as SQLite's, for several processes at once.

Row locks (`SELECT ... FOR UPDATE`) stand in for SQLite's single writer: a lease is taken,
checked and given back on the document's own row, and the version flip with its keyword
swap is one transaction, as on SQLite.
"""

from __future__ import annotations

import json
import time
from dataclasses import replace
from typing import Any

from ingest.storage.filters import SearchFilters
from ingest.storage.leases import lease_is_stale, lost_lease
from ingest.storage.postgres import keywords
from ingest.storage.postgres.filters import compile_filters
from ingest.storage.records import (
    DocumentRecord,
    DocumentText,
    NewVersion,
    StoredChunk,
    document_text,
)

_COLUMNS = (
    "collection, document_id, source, path, title, content_hash, version, chunk_count, "
    "size_bytes, updated_at, tags::text, doc_date"
)


class PostgresDocumentStore:
    """Documents, versions, sentence spans, live chunks and the bm25 keyword index."""

    def __init__(self, pool: Any, *, bm25: keywords.Bm25 = keywords.DEFAULT) -> None:
        self._pool = pool
        self.bm25 = bm25

    def close(self) -> None:
        self._pool.close()

    def _rows(self, sql: str, *args: object) -> list[tuple]:
        with self._pool.connection() as c:
            return c.execute(sql, args).fetchall()

    def records(self, collection: str) -> list[DocumentRecord]:
        rows = self._rows(
            f"SELECT {_COLUMNS} FROM documents WHERE collection=%s AND version IS NOT NULL "
            "ORDER BY source, document_id",
            collection,
        )
        return [DocumentRecord(*r) for r in rows]

    def collections(self) -> list[str]:
        rows = self._rows(
            "SELECT DISTINCT collection FROM documents WHERE version IS NOT NULL ORDER BY 1"
        )
        return [r[0] for r in rows]

    def stamp(self, collection: str) -> str:
        [(count, total)] = self._rows(
            "SELECT count(*), coalesce(sum(updated_at), 0) FROM documents WHERE collection=%s "
            "AND version IS NOT NULL",
            collection,
        )
        return f"{count}:{float(total)!r}"

    def all_collections(self) -> list[str]:
        return [r[0] for r in self._rows("SELECT DISTINCT collection FROM documents ORDER BY 1")]

    def get(self, collection: str, document_id: str) -> DocumentRecord | None:
        rows = self._rows(
            f"SELECT {_COLUMNS} FROM documents WHERE collection=%s AND document_id=%s "
            "AND (version IS NOT NULL OR needs_gc)",  # not a bare lease on a new document
            collection,
            document_id,
        )
        return DocumentRecord(*rows[0]) if rows else None

    def live_versions(self, collection: str, document_ids: list[str]) -> dict[str, str]:
        if not document_ids:
            return {}
        rows = self._rows(
            "SELECT document_id, version FROM documents WHERE collection=%s "
            "AND document_id = ANY(%s) AND version IS NOT NULL",
            collection,
            document_ids,
        )
        return dict(rows)

    def live_version(self, collection: str, document_id: str) -> str | None:
        rows = self._rows(
            "SELECT version FROM documents WHERE collection=%s AND document_id=%s",
            collection,
            document_id,
        )
        return rows[0][0] if rows else None

    def text(self, collection: str, document_id: str) -> DocumentText | None:
        rows = self._rows(
            "SELECT text, sentences, regions, sentence_vectors FROM documents "
            "WHERE collection=%s AND document_id=%s AND version IS NOT NULL",
            collection,
            document_id,
        )
        if not rows:
            return None
        text, sentences, regions, vectors = rows[0]
        return document_text(text, sentences, regions, bytes(vectors) if vectors else None)

    def document_ids(self, collection: str) -> set[str]:
        """Every document with a row: live, half-written or leased."""
        return {
            r[0]
            for r in self._rows("SELECT document_id FROM documents WHERE collection=%s", collection)
        }

    def matching_documents(self, collection: str, filters: SearchFilters) -> list[str]:
        where, args = compile_filters(filters)
        rows = self._rows(
            "SELECT document_id FROM documents WHERE collection=%s AND version IS NOT NULL "
            f"AND {where}",
            collection,
            *args,
        )
        return [r[0] for r in rows]

    def keyword_search(
        self, collection: str, query: str, *, limit: int, document_ids: list[str] | None
    ) -> list[tuple[StoredChunk, float]]:
        with self._pool.connection() as c:
            return keywords.keyword_search(
                c, collection, query, limit=limit, document_ids=document_ids, params=self.bm25
            )

    def neighbours(
        self, collection: str, document_id: str, chunk_index: int, *, width: int
    ) -> list[StoredChunk]:
        rows = self._rows(
            f"SELECT {keywords._CHUNK_COLUMNS} FROM chunks c WHERE c.collection=%s "
            "AND c.document_id=%s AND c.chunk_index BETWEEN %s AND %s ORDER BY c.chunk_index",
            collection,
            document_id,
            chunk_index - width,
            chunk_index + width,
        )
        return [keywords.chunk_of(r) for r in rows]

    def document_chunks(self, collection: str, document_id: str) -> list[StoredChunk]:
        rows = self._rows(
            f"SELECT {keywords._CHUNK_COLUMNS}, c.title FROM chunks c WHERE c.collection=%s "
            "AND c.document_id=%s ORDER BY c.chunk_index",
            collection,
            document_id,
        )
        return [replace(keywords.chunk_of(r), title=r[7]) for r in rows]

    def chunk_ids_by_document(self, collection: str) -> dict[str, set[str]]:
        ids: dict[str, set[str]] = {}
        for doc, cid in self._rows(
            "SELECT document_id, chunk_id FROM chunks WHERE collection=%s", collection
        ):
            ids.setdefault(doc, set()).add(cid)
        return ids

    def acquire_lease(self, collection: str, document_id: str, owner: str, *, ttl: float) -> bool:
        """Take the document's write lease; False while another writer holds it."""
        now = time.time()
        with self._pool.connection() as c:
            row = c.execute(
                "SELECT lease_owner, lease_expires FROM documents "
                "WHERE collection=%s AND document_id=%s FOR UPDATE",
                (collection, document_id),
            ).fetchone()
            if row is None:
                made = c.execute(
                    "INSERT INTO documents (collection, document_id, source, updated_at, "
                    "lease_owner, lease_expires) VALUES (%s, %s, '', %s, %s, %s) "
                    "ON CONFLICT DO NOTHING RETURNING 1",
                    (collection, document_id, now, owner, now + ttl),
                ).fetchone()
                return made is not None  # else another writer made the row first
            held_by, expires = row
            if held_by and held_by != owner and not lease_is_stale(held_by, expires, now):
                return False
            c.execute(
                "UPDATE documents SET lease_owner=%s, lease_expires=%s "
                "WHERE collection=%s AND document_id=%s",
                (owner, now + ttl, collection, document_id),
            )
            return True

    def release_lease(self, collection: str, document_id: str, owner: str) -> None:
        """Give the lease back; a lease taken for a document never written leaves no row."""
        with self._pool.connection() as c:
            c.execute(
                "DELETE FROM documents WHERE collection=%s AND document_id=%s AND lease_owner=%s "
                "AND version IS NULL AND NOT needs_gc",
                (collection, document_id, owner),
            )
            c.execute(
                "UPDATE documents SET lease_owner=NULL, lease_expires=NULL "
                "WHERE collection=%s AND document_id=%s AND lease_owner=%s",
                (collection, document_id, owner),
            )

    def is_leased(self, collection: str, document_id: str) -> bool:
        rows = self._rows(
            "SELECT lease_owner, lease_expires FROM documents WHERE collection=%s "
            "AND document_id=%s AND lease_owner IS NOT NULL",
            collection,
            document_id,
        )
        return bool(rows) and not lease_is_stale(rows[0][0], rows[0][1], time.time())

    @staticmethod
    def _check_lease(c: Any, collection: str, document_id: str, owner: str) -> None:
        row = c.execute(
            "SELECT lease_owner FROM documents WHERE collection=%s AND document_id=%s FOR UPDATE",
            (collection, document_id),
        ).fetchone()
        if row is None or row[0] != owner:
            raise lost_lease(collection, document_id)

    def begin_write(
        self, collection: str, document_id: str, *, owner: str, source: str, path: str | None
    ) -> None:
        """Flag the document before touching the vectors, so a crash leaves cleanup to do."""
        with self._pool.connection() as c:
            self._check_lease(c, collection, document_id, owner)
            c.execute(
                "UPDATE documents SET needs_gc=true, source=CASE WHEN source='' THEN %s ELSE "
                "source END, path=COALESCE(path, %s) WHERE collection=%s AND document_id=%s",
                (source, path, collection, document_id),
            )

    def commit_version(
        self, collection: str, document_id: str, new: NewVersion, *, owner: str
    ) -> None:
        """Make the new version live and swap its chunks into the keyword index, atomically."""
        with self._pool.connection() as c:
            self._check_lease(c, collection, document_id, owner)
            keywords.replace_chunks(c, collection, document_id, new.chunks)
            c.execute(
                "UPDATE documents SET source=%s, path=%s, title=%s, content_hash=%s, version=%s, "
                "text=%s, sentences=%s, chunk_count=%s, size_bytes=%s, updated_at=%s, "
                "tags=%s::jsonb, doc_date=%s, regions=%s, sentence_vectors=%s "
                "WHERE collection=%s AND document_id=%s",
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

    def set_tags(self, collection: str, document_id: str, tags: list[str]) -> None:
        with self._pool.connection() as c:
            c.execute(
                "UPDATE documents SET tags=%s::jsonb WHERE collection=%s AND document_id=%s",
                (json.dumps(sorted(set(tags))), collection, document_id),
            )

    def retire(self, collection: str, document_id: str) -> None:
        """Make a document invisible at once; its vectors are removed by the next cleanup."""
        with self._pool.connection() as c:
            keywords.replace_chunks(c, collection, document_id, [])
            c.execute(
                "UPDATE documents SET version=NULL, needs_gc=true "
                "WHERE collection=%s AND document_id=%s",
                (collection, document_id),
            )

    def pending_cleanup(self, collection: str) -> list[str]:
        """Documents flagged by an unfinished write whose writer is gone or held no lease."""
        now = time.time()
        return [
            r[0]
            for r in self._rows(
                "SELECT document_id, lease_owner, lease_expires FROM documents "
                "WHERE collection=%s AND needs_gc",
                collection,
            )
            if not r[1] or lease_is_stale(r[1], r[2], now)
        ]

    def finish_cleanup(self, collection: str, document_id: str) -> None:
        with self._pool.connection() as c:
            c.execute(
                "DELETE FROM documents WHERE collection=%s AND document_id=%s AND version IS NULL",
                (collection, document_id),
            )
            c.execute(
                "UPDATE documents SET needs_gc=false WHERE collection=%s AND document_id=%s",
                (collection, document_id),
            )
