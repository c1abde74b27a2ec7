"""The index: the write side's facade over the document store, the vectors and the blobs.

Every write of a document goes through here, under its lease, in the crash-safe order
`write_versions` documents; routes, the CLI and the doctor ask it rather than a backend.
"""

from __future__ import annotations

import logging
import re
import threading
import time
import zlib
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from typing import Any

from ingest.storage import (
    DocumentRecord,
    DocumentText,
    LeaseBusyError,
    NewVersion,
    Storage,
)
from ingest.storage.leases import new_lease_owner

__all__ = ["Index", "InvalidCollectionError", "LeaseBusyError", "check_collection"]

logger = logging.getLogger(__name__)

# A lease lasts this long unless renewed; a writer renews the leases it holds every
# RENEW_SECONDS, so only a writer that stopped (or whose process died) lets one expire.
LEASE_SECONDS = 600.0
RENEW_SECONDS = LEASE_SECONDS / 6
_STRIPES = 64
_COLLECTION_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$")


class InvalidCollectionError(ValueError):
    pass


@dataclass(frozen=True)
class VersionWrite:
    """One document's new version with the vectors and metadata of its chunks."""

    document_id: str
    new: NewVersion
    embeddings: Sequence[Sequence[float]]
    metadatas: list[dict[str, Any]]


def _stripe(collection: str, document_id: str) -> int:
    """The same in every process (unlike `hash`), so leases are always taken in one order."""
    return zlib.crc32(f"{collection}\0{document_id}".encode()) % _STRIPES


def check_collection(name: str) -> str:
    if not _COLLECTION_NAME.match(name) or ".." in name:
        raise InvalidCollectionError(
            f"invalid collection name {name!r}: use 1-63 letters, digits, '.', '_' or '-', "
            "starting with a letter or digit"
        )
    return name


class Index:
    def __init__(self, storage: Storage) -> None:
        self.storage = storage
        self.store = storage.documents
        self.vectors = storage.vectors
        self.blobs = storage.blobs
        self._stripes = [threading.RLock() for _ in range(_STRIPES)]
        self._held = threading.local()
        self._leases: dict[tuple[str, str], str] = {}
        self._leases_lock = threading.Lock()
        self._keeper: threading.Thread | None = None
        self._closed = threading.Event()

    def _keep_leases(self) -> None:
        """Renew every lease this process holds, so a long write never loses its lease."""
        while not self._closed.wait(RENEW_SECONDS):
            with self._leases_lock:
                held = list(self._leases.items())
            for (collection, document_id), owner in held:
                try:
                    self.store.renew_lease(collection, document_id, owner, ttl=LEASE_SECONDS)
                except Exception:
                    logger.warning("renewing the lease of %s failed", document_id, exc_info=True)

    def _track(self, key: tuple[str, str], owner: str | None) -> None:
        with self._leases_lock:
            if owner is None:
                self._leases.pop(key, None)
                return
            self._leases[key] = owner
            if self._keeper is None:
                self._keeper = threading.Thread(
                    target=self._keep_leases, name="leases", daemon=True
                )
                self._keeper.start()

    @contextmanager
    def writing(self, collection: str, document_id: str, *, wait: float = 300.0) -> Iterator[str]:
        """Hold the document's write lease: one writer per document, in this process and others.

        Threads of this process queue on a lock; other processes see the lease in the
        document store and wait for it; a thread renews it while it is held. Re-entered by
        the same thread, it is the same lease. Yields the lease owner that every write of
        the document store must present.
        """
        key = (collection, document_id)
        held: dict[tuple[str, str], str] = self._held.__dict__.setdefault("leases", {})
        if key in held:
            yield held[key]
            return
        lock = self._stripes[_stripe(collection, document_id)]
        if not lock.acquire(timeout=wait):
            raise LeaseBusyError(f"document {document_id} in {collection!r} is being written")
        try:
            owner = new_lease_owner()
            deadline = time.monotonic() + wait
            pause = 0.02
            while not self.store.acquire_lease(collection, document_id, owner, ttl=LEASE_SECONDS):
                if time.monotonic() > deadline:
                    raise LeaseBusyError(
                        f"document {document_id} in {collection!r} is being written by "
                        "another process"
                    )
                time.sleep(pause)
                pause = min(pause * 2, 0.5)
            held[key] = owner
            self._track(key, owner)
            try:
                yield owner
            finally:
                del held[key]
                self._track(key, None)
                self.store.release_lease(collection, document_id, owner)
        finally:
            lock.release()

    @contextmanager
    def writing_many(
        self, collection: str, document_ids: Sequence[str], *, wait: float = 300.0
    ) -> Iterator[dict[str, str]]:
        """Hold the leases of several documents; yields each one's owner.

        Every writer takes leases in one order (stripe, then id), the same in every process,
        so two writers whose documents overlap wait for each other instead of deadlocking.
        """
        owners: dict[str, str] = {}
        with ExitStack() as stack:
            for document_id in sorted(set(document_ids), key=lambda d: (_stripe(collection, d), d)):
                owners[document_id] = stack.enter_context(
                    self.writing(collection, document_id, wait=wait)
                )
            yield owners

    def close(self) -> None:
        self._closed.set()
        self.storage.close()

    def heartbeat(self) -> bool:
        """Both stores answer: the database (one cheap read) and the vector store."""
        self.store.collections()
        return self.vectors.heartbeat()

    def collections(self) -> list[str]:
        return self.store.collections()

    def all_collections(self) -> list[str]:
        """Every collection with a row, live or not (cleanup and the doctor look at all)."""
        return self.store.all_collections()

    def documents(self, collection: str) -> list[DocumentRecord]:
        return self.store.records(check_collection(collection))

    def get(self, collection: str, document_id: str) -> DocumentRecord | None:
        return self.store.get(collection, document_id)

    def document_text(self, collection: str, document_id: str) -> DocumentText | None:
        return self.store.text(collection, document_id)

    def is_leased(self, collection: str, document_id: str) -> bool:
        return self.store.is_leased(collection, document_id)

    def set_tags(self, collection: str, document_id: str, tags: list[str]) -> None:
        self.store.set_tags(collection, document_id, tags)

    def is_upload(self, record: DocumentRecord) -> bool:
        """True when the document's original is a stored upload, not a file of the user's."""
        return self.blobs.owns(record.path)

    def write_versions(
        self, collection: str, writes: Sequence[VersionWrite], *, owners: dict[str, str]
    ) -> None:
        """Write documents' new versions in the order that survives a crash at any step.

        1. Flag each document (`begin_write`), so a crash leaves cleanup to do, not debris.
        2. Add the new vectors beside the old: readers still see the old versions only.
        3. Per document, flip the version and swap the keyword rows in one transaction.
        4. Drop the old vectors, then clear the flag.

        The vectors of all the documents go in one call: Chroma pays about 7 ms a call
        whatever its size, which was a fifth of ingesting short files one by one.
        `owners` holds each document's lease owner (`writing_many`).
        """
        for w in writes:
            self.store.begin_write(
                collection,
                w.document_id,
                owner=owners[w.document_id],
                source=w.new.source,
                path=w.new.path,
            )
        self.vectors.upsert(
            collection,
            ids=[c.chunk_id for w in writes for c in w.new.chunks],
            embeddings=[e for w in writes for e in w.embeddings],
            texts=[c.text for w in writes for c in w.new.chunks],
            metadatas=[m for w in writes for m in w.metadatas],
        )
        for w in writes:
            self.store.commit_version(collection, w.document_id, w.new, owner=owners[w.document_id])
            self.finish(collection, w.document_id, keep_version=w.new.version)

    def finish(self, collection: str, document_id: str, *, keep_version: str | None) -> None:
        """The last step of every write: drop the vectors of other versions, clear the flag."""
        self.vectors.delete_stale(collection, document_id=document_id, keep_version=keep_version)
        self.store.finish_cleanup(collection, document_id)

    def cleanup(self, collection: str) -> int:
        """Remove chunks a crashed or superseded write left behind; returns documents touched."""
        touched = 0
        for document_id in self.store.pending_cleanup(collection):
            try:
                with self.writing(collection, document_id, wait=0.0):
                    # Read under the lease: the version a writer finished just before is kept.
                    version = self.store.live_version(collection, document_id)
                    self.finish(collection, document_id, keep_version=version)
                    touched += 1
            except LeaseBusyError:
                continue  # a live writer took it over; its own write finishes the job
        return touched

    def delete(self, collection: str, document_id: str) -> bool:
        with self.writing(collection, document_id) as owner:
            if self.store.get(collection, document_id) is None:
                return False
            self.store.retire(collection, document_id, owner=owner)
            self.finish(collection, document_id, keep_version=None)
            return True
