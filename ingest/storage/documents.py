"""The document store, written once for SQLite and PostgreSQL.

The document store is the source of truth for which chunks are live: a chunk in the vector
store counts only if its `version` matches the document's row here. Switching versions and
swapping the keyword rows is one transaction, so a document is never seen half-written.
Leases are rows read with the dialect's row lock (SQLite's whole-file write lock holds them
the same way), so one writer at a time changes a document, across processes and machines.

What differs per backend is the keyword index (FTS5 or PostgreSQL bm25) and the filters'
SQL: a `KeywordIndex` supplies both.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any, Protocol

from ingest.storage.filters import SearchFilters
from ingest.storage.leases import lease_is_stale, lost_lease
from ingest.storage.records import (
    DocumentRecord,
    DocumentText,
    NewVersion,
    StoredChunk,
    document_text,
)
from ingest.storage.sql import Dialect

Connect = Callable[[], AbstractContextManager[Any]]

_COLUMNS = (
    "collection, document_id, source, path, title, content_hash, version, chunk_count, "
    "size_bytes, updated_at, {tags}, doc_date"
)
CHUNK_COLUMNS = 'c.chunk_id, c.document_id, c.chunk_index, c.start, c."end", c.text, c.metadata'


INSERT_CHUNK = (
    'INSERT INTO chunks (collection, document_id, chunk_id, chunk_index, start, "end", text, '
    "metadata, title) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)"
)


def chunk_rows(collection: str, chunks: list[StoredChunk]) -> list[tuple]:
    """The values INSERT_CHUNK takes, one tuple a chunk."""
    return [
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
    ]


def compile_filters(
    filters: SearchFilters, dialect: Dialect, any_tag: Callable[[int], str]
) -> tuple[str, list[object]]:
    """A WHERE clause over the documents table; `any_tag(n)` is the SQL that is true when
    the document has one of n tags given as n placeholders (or one array placeholder)."""
    clauses: list[str] = []
    args: list[object] = []
    for column, values in (("source", filters.sources), ("document_id", filters.document_ids)):
        if values:
            clause, values_args = dialect.any_of(column, values)
            clauses.append(clause)
            args += values_args
    if filters.tags:
        clauses.append(any_tag(len(filters.tags)))
        args += [list(filters.tags)] if dialect.placeholder == "%s" else list(filters.tags)
    if filters.date_from is not None:
        clauses.append("doc_date >= %s")
        args.append(filters.date_from)
    if filters.date_to is not None:
        clauses.append("doc_date <= %s")
        args.append(filters.date_to)
    return (" AND ".join(clauses) or "1 = 1"), args


def chunk_of(row: tuple) -> StoredChunk:
    cid, doc, index, start, end, text, meta = row[:7]
    return StoredChunk(cid, doc, index, start, end, text, json.loads(meta))


class KeywordIndex(Protocol):
    def search(
        self, conn: Any, collection: str, query: str, *, limit: int, document_ids: list[str] | None
    ) -> list[tuple[StoredChunk, float]]: ...
    def replace(
        self, conn: Any, collection: str, document_id: str, chunks: list[StoredChunk]
    ) -> None:
        """Swap the document's chunks for `chunks`, inside the caller's transaction."""
        ...

    def compile_filters(self, filters: SearchFilters) -> tuple[str, list[object]]: ...


class SqlDocumentStore:
    """Documents, versions, sentence spans, live chunks and the keyword index."""

    def __init__(
        self,
        *,
        read: Connect,
        tx: Connect,
        dialect: Dialect,
        keywords: KeywordIndex,
    ) -> None:
        """`read` yields a connection to read with; `tx` one inside a write transaction."""
        self._read = read
        self._tx = tx
        self.dialect = dialect
        self.keywords = keywords
        self._columns = _COLUMNS.format(tags=dialect.tags)

    def _sql(self, text: str) -> str:
        return self.dialect.sql(text)

    def _rows(self, sql: str, *args: object) -> list[tuple]:
        with self._read() as c:
            return list(c.execute(self._sql(sql), args).fetchall())

    # Reads

    def records(self, collection: str) -> list[DocumentRecord]:
        rows = self._rows(
            f"SELECT {self._columns} FROM documents WHERE collection=%s AND version IS NOT NULL "
            "ORDER BY source, document_id",
            collection,
        )
        return [DocumentRecord(*r) for r in rows]

    def collections(self) -> list[str]:
        rows = self._rows(
            "SELECT DISTINCT collection FROM documents WHERE version IS NOT NULL ORDER BY 1"
        )
        return [r[0] for r in rows]

    def all_collections(self) -> list[str]:
        return [r[0] for r in self._rows("SELECT DISTINCT collection FROM documents ORDER BY 1")]

    def get(self, collection: str, document_id: str) -> DocumentRecord | None:
        rows = self._rows(
            f"SELECT {self._columns} FROM documents WHERE collection=%s AND document_id=%s "
            "AND (version IS NOT NULL OR needs_gc)",  # not a bare lease on a new document
            collection,
            document_id,
        )
        return DocumentRecord(*rows[0]) if rows else None

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

    def live_version(self, collection: str, document_id: str) -> str | None:
        rows = self._rows(
            "SELECT version FROM documents WHERE collection=%s AND document_id=%s",
            collection,
            document_id,
        )
        return rows[0][0] if rows else None

    def live_chunks(self, collection: str, chunk_ids: list[str]) -> dict[str, StoredChunk]:
        """The chunks table holds live versions only: it is swapped with the version flip."""
        if not chunk_ids:
            return {}
        among, args = self.dialect.any_of("c.chunk_id", chunk_ids)
        rows = self._rows(
            f"SELECT {CHUNK_COLUMNS} FROM chunks c WHERE c.collection=%s AND {among}",
            collection,
            *args,
        )
        return {r[0]: chunk_of(r) for r in rows}

    def document_ids(self, collection: str) -> set[str]:
        """Every document with a row: live, half-written or leased."""
        return {
            r[0]
            for r in self._rows("SELECT document_id FROM documents WHERE collection=%s", collection)
        }

    def stamp(self, collection: str) -> str:
        """The collection's generation: one row, bumped by every version flip and retire."""
        rows = self._rows(
            "SELECT generation FROM collection_stamps WHERE collection=%s", collection
        )
        return str(rows[0][0]) if rows else "0"

    def matching_documents(self, collection: str, filters: SearchFilters) -> list[str]:
        where, args = self.keywords.compile_filters(filters)
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
        with self._read() as c:
            return self.keywords.search(
                c, collection, query, limit=limit, document_ids=document_ids
            )

    def neighbours(
        self, collection: str, document_id: str, chunk_index: int, *, width: int
    ) -> list[StoredChunk]:
        rows = self._rows(
            f"SELECT {CHUNK_COLUMNS} FROM chunks c WHERE c.collection=%s AND c.document_id=%s "
            "AND c.chunk_index BETWEEN %s AND %s ORDER BY c.chunk_index",
            collection,
            document_id,
            chunk_index - width,
            chunk_index + width,
        )
        return [chunk_of(r) for r in rows]

    def document_chunks(self, collection: str, document_id: str) -> list[StoredChunk]:
        rows = self._rows(
            f"SELECT {CHUNK_COLUMNS}, c.title FROM chunks c WHERE c.collection=%s "
            "AND c.document_id=%s ORDER BY c.chunk_index",
            collection,
            document_id,
        )
        chunks = []
        for r in rows:
            cid, doc, index, start, end, text, meta, title = r
            chunks.append(StoredChunk(cid, doc, index, start, end, text, json.loads(meta), title))
        return chunks

    def chunk_ids_by_document(self, collection: str) -> dict[str, set[str]]:
        """Every keyword-indexed chunk id of a collection, by document."""
        ids: dict[str, set[str]] = {}
        for doc, cid in self._rows(
            "SELECT document_id, chunk_id FROM chunks WHERE collection=%s", collection
        ):
            ids.setdefault(doc, set()).add(cid)
        return ids

    # Leases and writes

    def acquire_lease(self, collection: str, document_id: str, owner: str, *, ttl: float) -> bool:
        """Take the document's write lease; False while another writer holds it.

        A holder on this host keeps its lease for as long as its process lives; one on
        another host keeps it until the lease expires. Only then may a writer take it over,
        and so only then may cleanup treat the holder's unfinished write as debris.
        """
        now = time.time()
        with self._tx() as c:
            row = c.execute(
                self._sql(
                    "SELECT lease_owner, lease_expires FROM documents "
                    f"WHERE collection=%s AND document_id=%s{self.dialect.lock_row}"
                ),
                (collection, document_id),
            ).fetchone()
            if row is None:
                made = c.execute(
                    self._sql(
                        "INSERT INTO documents (collection, document_id, source, updated_at, "
                        "lease_owner, lease_expires) VALUES (%s, %s, '', %s, %s, %s) "
                        "ON CONFLICT DO NOTHING RETURNING 1"
                    ),
                    (collection, document_id, now, owner, now + ttl),
                ).fetchone()
                return made is not None  # else another writer made the row first
            held_by, expires = row
            if held_by and held_by != owner and not lease_is_stale(held_by, expires, now):
                return False
            c.execute(
                self._sql(
                    "UPDATE documents SET lease_owner=%s, lease_expires=%s "
                    "WHERE collection=%s AND document_id=%s"
                ),
                (owner, now + ttl, collection, document_id),
            )
            return True

    def release_lease(self, collection: str, document_id: str, owner: str) -> None:
        """Give the lease back; a lease taken for a document never written leaves no row."""
        with self._tx() as c:
            c.execute(
                self._sql(
                    "DELETE FROM documents WHERE collection=%s AND document_id=%s "
                    "AND lease_owner=%s AND version IS NULL AND NOT needs_gc"
                ),
                (collection, document_id, owner),
            )
            c.execute(
                self._sql(
                    "UPDATE documents SET lease_owner=NULL, lease_expires=NULL "
                    "WHERE collection=%s AND document_id=%s AND lease_owner=%s"
                ),
                (collection, document_id, owner),
            )

    def renew_lease(self, collection: str, document_id: str, owner: str, *, ttl: float) -> bool:
        """Push a held lease's expiry back; False when the lease is no longer `owner`'s."""
        with self._tx() as c:
            cur = c.execute(
                self._sql(
                    "UPDATE documents SET lease_expires=%s WHERE collection=%s "
                    "AND document_id=%s AND lease_owner=%s"
                ),
                (time.time() + ttl, collection, document_id, owner),
            )
            return bool(cur.rowcount)

    def is_leased(self, collection: str, document_id: str) -> bool:
        """True while a live writer holds the document's lease."""
        rows = self._rows(
            "SELECT lease_owner, lease_expires FROM documents WHERE collection=%s "
            "AND document_id=%s AND lease_owner IS NOT NULL",
            collection,
            document_id,
        )
        return bool(rows) and not lease_is_stale(rows[0][0], rows[0][1], time.time())

    def _check_lease(self, c: Any, collection: str, document_id: str, owner: str) -> None:
        row = c.execute(
            self._sql(
                "SELECT lease_owner FROM documents WHERE collection=%s AND document_id=%s"
                + self.dialect.lock_row
            ),
            (collection, document_id),
        ).fetchone()
        if row is None or row[0] != owner:
            raise lost_lease(collection, document_id)

    def begin_write(
        self, collection: str, document_id: str, *, owner: str, source: str, path: str | None
    ) -> None:
        """Flag the document before touching the vectors, so a crash leaves cleanup to do."""
        with self._tx() as c:
            self._check_lease(c, collection, document_id, owner)
            c.execute(
                self._sql(
                    "UPDATE documents SET needs_gc=true, source=CASE WHEN source='' THEN %s "
                    "ELSE source END, path=COALESCE(path, %s) "
                    "WHERE collection=%s AND document_id=%s"
                ),
                (source, path, collection, document_id),
            )

    def commit_version(
        self, collection: str, document_id: str, new: NewVersion, *, owner: str
    ) -> None:
        """Make the new version live and swap its chunks into the keyword index, atomically."""
        with self._tx() as c:
            self._check_lease(c, collection, document_id, owner)
            self.keywords.replace(c, collection, document_id, new.chunks)
            c.execute(
                self._sql(
                    "UPDATE documents SET source=%s, path=%s, title=%s, content_hash=%s, "
                    "version=%s, text=%s, sentences=%s, chunk_count=%s, size_bytes=%s, "
                    f"updated_at=%s, tags={self.dialect.tags_value}, doc_date=%s, regions=%s, "
                    "sentence_vectors=%s WHERE collection=%s AND document_id=%s"
                ),
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
            self._bump(c, collection)

    def set_tags(self, collection: str, document_id: str, tags: list[str]) -> None:
        with self._tx() as c:
            c.execute(
                self._sql(
                    f"UPDATE documents SET tags={self.dialect.tags_value} "
                    "WHERE collection=%s AND document_id=%s"
                ),
                (json.dumps(sorted(set(tags))), collection, document_id),
            )

    def retire(self, collection: str, document_id: str, *, owner: str) -> None:
        """Make a document invisible at once; its vectors are removed by the next cleanup."""
        with self._tx() as c:
            self._check_lease(c, collection, document_id, owner)
            self.keywords.replace(c, collection, document_id, [])
            c.execute(
                self._sql(
                    "UPDATE documents SET version=NULL, needs_gc=true "
                    "WHERE collection=%s AND document_id=%s"
                ),
                (collection, document_id),
            )
            self._bump(c, collection)

    def _bump(self, c: Any, collection: str) -> None:
        """Move the collection's stamp on, last in the transaction that changed what is live.

        Last, so the one row every writer of the collection updates is held only until the
        commit, and always after the rows of the document itself: writers never deadlock on it.
        """
        c.execute(
            self._sql(
                "INSERT INTO collection_stamps (collection, generation) VALUES (%s, 1) "
                "ON CONFLICT (collection) DO UPDATE "
                "SET generation = collection_stamps.generation + 1"
            ),
            (collection,),
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
        with self._tx() as c:
            c.execute(
                self._sql(
                    "DELETE FROM documents WHERE collection=%s AND document_id=%s "
                    "AND version IS NULL"
                ),
                (collection, document_id),
            )
            c.execute(
                self._sql(
                    "UPDATE documents SET needs_gc=false WHERE collection=%s AND document_id=%s"
                ),
                (collection, document_id),
            )
