"""The index: Chroma vectors plus the SQLite docstore that says which chunks are live."""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ingest import search as hybrid
from ingest.docstore import (
    DocStore,
    DocumentRecord,
    DocumentText,
    LeaseBusyError,
    new_lease_owner,
)
from ingest.filters import SearchFilters
from ingest.search import ChunkHit, SearchOptions
from ingest.vectorstore import VectorStore

__all__ = [
    "ChunkHit",
    "Index",
    "InvalidCollectionError",
    "LeaseBusyError",
    "SearchOptions",
    "check_collection",
]

logger = logging.getLogger(__name__)

# A write holds its document's lease this long at most before a writer on another host may
# take it over; on this host a lease lasts exactly as long as its process.
LEASE_SECONDS = 600.0
_STRIPES = 64
_COLLECTION_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$")


class InvalidCollectionError(ValueError):
    pass


def check_collection(name: str) -> str:
    if not _COLLECTION_NAME.match(name) or ".." in name:
        raise InvalidCollectionError(
            f"invalid collection name {name!r}: use 1-63 letters, digits, '.', '_' or '-', "
            "starting with a letter or digit"
        )
    return name


class Index:
    def __init__(
        self, *, data_dir: Path, chroma_url: str = "", vectors: VectorStore | None = None
    ) -> None:
        """`vectors` overrides the store `chroma_url` would make (e.g. with a tenant)."""
        data_dir.mkdir(parents=True, exist_ok=True)
        self.docs = DocStore(data_dir / "ragchat.sqlite3")
        self.vectors = vectors or VectorStore(data_dir=data_dir, chroma_url=chroma_url)
        self._stripes = [threading.RLock() for _ in range(_STRIPES)]
        self._held = threading.local()

    @contextmanager
    def writing(self, collection: str, document_id: str, *, wait: float = 300.0) -> Iterator[str]:
        """Hold the document's write lease: one writer per document, in this process and others.

        Threads of this process queue on a lock; other processes see the lease in the
        docstore and wait for it. Re-entered by the same thread, it is the same lease.
        Yields the lease owner that every docstore write must present.
        """
        key = (collection, document_id)
        held: dict[tuple[str, str], str] = self._held.__dict__.setdefault("leases", {})
        if key in held:
            yield held[key]
            return
        lock = self._stripes[hash(key) % _STRIPES]
        if not lock.acquire(timeout=wait):
            raise LeaseBusyError(f"document {document_id} in {collection!r} is being written")
        try:
            owner = new_lease_owner()
            deadline = time.monotonic() + wait
            pause = 0.02
            while not self.docs.acquire_lease(collection, document_id, owner, ttl=LEASE_SECONDS):
                if time.monotonic() > deadline:
                    raise LeaseBusyError(
                        f"document {document_id} in {collection!r} is being written by "
                        "another process"
                    )
                time.sleep(pause)
                pause = min(pause * 2, 0.5)
            held[key] = owner
            try:
                yield owner
            finally:
                del held[key]
                self.docs.release_lease(collection, document_id, owner)
        finally:
            lock.release()

    def close(self) -> None:
        self.docs.close()

    def collections(self) -> list[str]:
        return self.docs.collections()

    def documents(self, collection: str) -> list[DocumentRecord]:
        return self.docs.records(check_collection(collection))

    def document_text(self, collection: str, document_id: str) -> DocumentText | None:
        return self.docs.text(collection, document_id)

    def cleanup(self, collection: str) -> int:
        """Remove chunks a crashed or superseded write left behind; returns documents touched."""
        touched = 0
        for document_id in self.docs.pending_cleanup(collection):
            try:
                with self.writing(collection, document_id, wait=0.0):
                    # Read under the lease: the version a writer finished just before is kept.
                    version = self.docs.live_version(collection, document_id)
                    self.vectors.delete_stale(
                        collection, document_id=document_id, keep_version=version
                    )
                    self.docs.finish_cleanup(collection, document_id)
                    touched += 1
            except LeaseBusyError:
                continue  # a live writer took it over; its own write finishes the job
        return touched

    def delete(self, collection: str, document_id: str) -> bool:
        with self.writing(collection, document_id):
            if self.docs.get(collection, document_id) is None:
                return False
            self.docs.retire(collection, document_id)
            self.vectors.delete_stale(collection, document_id=document_id, keep_version=None)
            self.docs.finish_cleanup(collection, document_id)
            return True

    def search(
        self,
        collection: str,
        *,
        query: str = "",
        embedding: list[float],
        top_k: int,
        filters: SearchFilters | None = None,
        options: SearchOptions | None = None,
    ) -> list[ChunkHit]:
        return hybrid.search(
            self.docs,
            self.vectors,
            check_collection(collection),
            query=query,
            embedding=embedding,
            top_k=top_k,
            filters=filters,
            options=options,
        )
