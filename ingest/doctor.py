"""`ragchat doctor`: find documents whose rows, vectors and stored file disagree; repair them.

A document is sound when its live version's chunks are all in Chroma and in the keyword
index, no other version of it is left in Chroma, its write finished, and (for an upload)
the stored file is the one that was indexed. Documents a live writer holds are skipped:
their disagreement is a write in progress, not damage.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

from ingest.index import Index, LeaseBusyError
from ingest.pipeline import Ingestor, titled
from ingest.storage import DocumentRecord
from ingest.uploads import orphaned_blobs

logger = logging.getLogger(__name__)

# What each kind of problem means, and what `--fix` does about it.
KINDS = {
    "missing_vectors": "live chunks missing from the vector store (re-indexed)",
    "stale_vectors": "vectors of a version that is not live (deleted)",
    "keyword_rows": "keyword index rows differ from the live chunks (re-indexed)",
    "unfinished_write": "a write whose writer is gone never finished (cleaned up)",
    "file_missing": "the uploaded file is gone (reported only: upload it again)",
    "file_differs": "the uploaded file is not the indexed one (re-indexed from the file)",
    "orphan_vectors": "vectors of a document that does not exist (deleted)",
    "orphan_file": "an uploaded file no document owns (deleted)",
}


@dataclass(frozen=True)
class Problem:
    collection: str
    kind: str
    detail: str
    document_id: str = ""
    source: str = ""

    def as_dict(self) -> dict[str, str]:
        return asdict(self)


def diagnose(index: Index, collections: list[str] | None = None) -> list[Problem]:
    problems: list[Problem] = []
    names = collections if collections is not None else index.all_collections()
    for name in names:
        problems += _diagnose_collection(index, name)
    for collection, locator in orphaned_blobs(index):
        if collections is None or collection in collections:
            name = locator.rsplit("/", 1)[-1]
            problems.append(Problem(collection, "orphan_file", locator, source=name))
    return problems


def _diagnose_collection(index: Index, collection: str) -> list[Problem]:
    started = time.time()
    # Vectors first: a write that finishes after this read shows up below as leased or as
    # updated after `started`, and is skipped rather than reported.
    vectors = index.vectors.versions(collection)
    keyword = index.store.chunk_ids_by_document(collection)
    records = index.store.records(collection)
    known = index.store.document_ids(collection)
    unfinished = set(index.store.pending_cleanup(collection))
    by_doc: dict[str, dict[str, str]] = {}
    for cid, (doc, version) in vectors.items():
        by_doc.setdefault(doc, {})[cid] = version

    def busy(doc: str, record: DocumentRecord | None = None) -> bool:
        recent = record is not None and record.updated_at >= started
        return recent or index.is_leased(collection, doc)

    problems: list[Problem] = []
    for rec in records:
        doc = rec.document_id
        if busy(doc, rec):
            continue

        def problem(kind: str, detail: str, rec: DocumentRecord = rec) -> None:
            problems.append(Problem(collection, kind, detail, rec.document_id, rec.source))

        expected = {f"{doc}:{rec.version}:{i}" for i in range(rec.chunk_count)}
        stored = by_doc.pop(doc, {})
        live = {cid for cid, v in stored.items() if v == rec.version}
        stale = set(stored) - live
        if expected - live:
            problem("missing_vectors", f"{len(expected - live)} of {len(expected)} chunks")
        if stale:
            problem("stale_vectors", f"{len(stale)} vectors of other versions")
        if keyword.get(doc, set()) != expected:
            problem("keyword_rows", f"{len(keyword.get(doc, set()))} rows, {len(expected)} chunks")
        if doc in unfinished:
            problem("unfinished_write", "flagged for cleanup by a writer that is gone")
        if index.is_upload(rec):
            data = index.blobs.read(str(rec.path))
            if data is None:
                problem("file_missing", str(rec.path))
            elif hashlib.sha256(data).hexdigest() != rec.content_hash:
                problem("file_differs", str(rec.path))
    for doc in sorted(unfinished - {r.document_id for r in records}):
        if not busy(doc):
            problems.append(
                Problem(collection, "unfinished_write", "a write that never went live", doc)
            )
    for doc, stored in sorted(by_doc.items()):
        if doc not in known and not busy(doc):
            problems.append(Problem(collection, "orphan_vectors", f"{len(stored)} vectors", doc))
    return problems


def repair(
    ingestor: Ingestor,
    problems: list[Problem],
    on_document: Callable[[], None] | None = None,
) -> list[Problem]:
    """Fix what can be fixed, one document at a time under its lease; returns the rest."""
    index = ingestor.index
    left: list[Problem] = []
    by_doc: dict[tuple[str, str], list[Problem]] = {}
    for p in problems:
        if p.kind == "orphan_file":
            index.blobs.delete(p.detail)
        elif p.kind == "file_missing":
            left.append(p)
        else:
            by_doc.setdefault((p.collection, p.document_id), []).append(p)
    for (collection, doc), found in by_doc.items():
        try:
            with index.writing(collection, doc, wait=30.0):
                if not _repair_document(ingestor, collection, doc, found):
                    left += found
        except LeaseBusyError:
            left += found
        if on_document:
            on_document()
    return left


def _repair_document(ingestor: Ingestor, collection: str, doc: str, found: list[Problem]) -> bool:
    index = ingestor.index
    kinds = {p.kind for p in found}
    record = index.get(collection, doc)
    live = record.version if record else None
    if kinds & {"missing_vectors", "keyword_rows", "file_differs"} and record and live:
        if not _reindex(ingestor, record):
            return False
        live = index.store.live_version(collection, doc)
    index.finish(collection, doc, keep_version=live)
    return True


def _original(index: Index, record: DocumentRecord) -> bytes | None:
    if not record.path:
        return None
    if index.is_upload(record):
        return index.blobs.read(record.path)
    path = Path(record.path)
    return path.read_bytes() if path.is_file() else None


def _reindex(ingestor: Ingestor, record: DocumentRecord) -> bool:
    """Index the document again: from its original when there is one, else from its chunks."""
    data = _original(ingestor.index, record)
    if data is not None and record.path:
        name = record.source if ingestor.index.is_upload(record) else Path(record.path).name
        ingestor.ingest_one(
            record.path,
            collection=record.collection,
            data=data,
            loaded=ingestor.parse(data, name),
            source=record.source,
            tags=record.tags,
            force=True,
        )
        return True
    chunks = ingestor.index.store.document_chunks(record.collection, record.document_id)
    if len(chunks) != record.chunk_count:
        logger.warning("%s: no file and no complete chunk rows to rebuild from", record.source)
        return False
    texts = [titled(c.title, c.text) for c in chunks]
    ingestor.index.vectors.upsert(
        record.collection,
        ids=[c.chunk_id for c in chunks],
        embeddings=ingestor.embedder.embed(texts, batch_size=ingestor.batch_size),
        texts=[c.text for c in chunks],
        metadatas=[c.metadata for c in chunks],
    )
    return True


class ConsistencyCheck:
    """The number of documents with problems, recounted at most every `ttl` seconds."""

    def __init__(self, index: Index, *, ttl: float) -> None:
        self.index = index
        self.ttl = ttl
        self._lock = threading.Lock()
        self._at = -float("inf")
        self._count = 0

    def count(self) -> int:
        with self._lock:
            if time.monotonic() - self._at >= self.ttl:
                problems = diagnose(self.index)
                self._count = len({(p.collection, p.document_id or p.detail) for p in problems})
                self._at = time.monotonic()
            return self._count
