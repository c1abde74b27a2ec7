"""Uploaded files: parsed once and checked before they replace anything, then indexed.

An upload keeps the name its user gave it (NFC, without path or control characters) as its
display name, and is stored under a key derived from that name without collisions, so
`报告.txt` and `提案.txt`, or `a+b.txt` and `a&b.txt`, stay two documents.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ingest.cleaning import keep_spans
from ingest.index import Index, check_collection
from ingest.loaders import LoadedDocument, UnsupportedFileError, check_size, loader_for
from ingest.pipeline import Ingestor, document_id_of
from ingest.storage import DocumentRecord

MAX_NAME_CHARS = 255
_MAX_KEY_BYTES = 200
_MAX_SUFFIX_CHARS = 16
_KEY_CHAR = re.compile(r"[A-Za-z0-9._ -]")


class DocumentExistsError(ValueError):
    """An upload would replace a document its caller did not say to replace."""

    def __init__(self, message: str, document_id: str) -> None:
        super().__init__(message)
        self.document_id = document_id


@dataclass(frozen=True)
class UploadResult:
    document_id: str
    source: str
    status: str
    chunks: int


def display_name(filename: str) -> str:
    """The user's own file name: NFC, last path part, no control characters, extension kept."""
    name = unicodedata.normalize("NFC", filename).replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C").strip(" .")
    if not name:
        raise UnsupportedFileError(f"unusable file name {filename!r}")
    if len(name) > MAX_NAME_CHARS:
        # Cut in the middle and mark the cut with a digest, so two long names that differ
        # only past the cut stay two names, and the extension stays.
        suffix = Path(name).suffix
        if len(suffix) > _MAX_SUFFIX_CHARS:
            suffix = ""
        digest = hashlib.sha256(name.encode()).hexdigest()[:8]
        stem = name[: MAX_NAME_CHARS - len(suffix) - len(digest) - 1].rstrip(" .")
        name = f"{stem}~{digest}{suffix}"
    return name


def storage_key(name: str) -> str:
    """A file name for a display name: one-to-one, portable, and short enough for any disk.

    Letters, digits, '.', '_', '-' and spaces stay; every other character becomes its
    UTF-8 bytes as %XX ('%' included), so distinct names never share a key. A key too long
    for a file system ends in a digest of the whole name, and keeps the extension.
    """
    key = "".join(
        ch if _KEY_CHAR.fullmatch(ch) else "".join(f"%{b:02X}" for b in ch.encode()) for ch in name
    )
    if len(key) <= _MAX_KEY_BYTES:
        return key
    suffix = Path(key).suffix if len(Path(key).suffix) <= _MAX_SUFFIX_CHARS else ""
    digest = hashlib.sha256(name.encode()).hexdigest()[:16]
    return f"{key[: _MAX_KEY_BYTES - len(suffix) - 17]}~{digest}{suffix}"


def safe_name(filename: str) -> str:
    """The storage key of an uploaded file name (kept for callers that name files)."""
    return storage_key(display_name(filename))


def check_upload(filename: str, size: int, *, max_bytes: int) -> str:
    """The upload's display name, once its type and size are known to be acceptable."""
    name = display_name(filename)
    loader_for(name)  # an unsupported type is a 415 before any size check or parsing
    check_size(name, size, max_bytes=max_bytes)
    return name


def store_upload(
    *,
    data: bytes,
    filename: str,
    collection: str,
    ingestor: Ingestor,
    tags: list[str] | None = None,
    replace: bool = False,
    document_id: str | None = None,
    parse: Callable[[bytes, str], LoadedDocument] | None = None,
) -> UploadResult:
    """Parse once, then store the original and index it while holding the document's lease.

    The lease makes concurrent uploads of one name take turns, so the stored original, the
    vectors and the keyword rows always come from the same upload. Replacing a document
    needs `replace` or its `document_id`; otherwise DocumentExistsError (409).
    """
    check_collection(collection)
    name = check_upload(filename, len(data), max_bytes=ingestor.max_file_bytes)
    loaded = (parse or ingestor.parse)(data, name)
    if not keep_spans(loaded.text):
        raise UnsupportedFileError(f"{name}: no text content to index")
    index = ingestor.index
    key = storage_key(name)
    locator = index.blobs.locator(collection, key)
    doc_id = document_id_of(locator)
    if document_id is not None and document_id != doc_id:
        raise UnsupportedFileError(
            f"document_id {document_id!r} is not the document named {name!r} ({doc_id}); "
            "upload under the same file name to replace a document"
        )
    with index.writing(collection, doc_id):
        existing = index.get(collection, doc_id)
        same_bytes = existing is not None and (
            existing.content_hash == hashlib.sha256(data).hexdigest()
        )
        if existing and existing.version and not (replace or document_id or same_bytes):
            raise DocumentExistsError(
                f"{name!r} is already in collection {collection!r} as document {doc_id}; "
                "add ?replace=true (or ?document_id=...) to replace it",
                doc_id,
            )
        index.blobs.put(collection, key, data)
        report = ingestor.ingest_one(
            locator, collection=collection, data=data, loaded=loaded, source=name, tags=tags
        )
        record = index.get(collection, doc_id)
    status = "added" if report.added else "updated" if report.updated else "unchanged"
    return UploadResult(
        document_id=doc_id,
        source=name,
        status=status,
        chunks=record.chunk_count if record else 0,
    )


def orphaned_blobs(index: Index) -> list[tuple[str, str]]:
    """(collection, locator) of stored originals no live document owns or is writing.

    A process killed during an upload leaves one of these: an original whose document
    never went live.
    """
    found: list[tuple[str, str]] = []
    for collection, locator in index.blobs.entries():
        doc_id = document_id_of(locator)
        record = index.get(collection, doc_id)
        if (record is None or record.version is None) and not index.is_leased(collection, doc_id):
            found.append((collection, locator))
    return found


def remove_orphaned_blobs(index: Index) -> int:
    """Delete half-written originals and what `orphaned_blobs` finds; returns how many."""
    removed = index.blobs.recover()
    orphans = orphaned_blobs(index)
    for _, locator in orphans:
        index.blobs.delete(locator)
    return removed + len(orphans)


def delete_document(*, index: Index, collection: str, document_id: str) -> DocumentRecord | None:
    """Delete a document and its chunks; None when it is not there.

    An uploaded original exists only in the blob store, so it goes too, under the same
    lease as the index rows; a file ingested from the user's own folders is never touched.
    """
    with index.writing(check_collection(collection), document_id):
        record = index.get(collection, document_id)
        if record is None or record.version is None or not index.delete(collection, document_id):
            return None
        if index.is_upload(record):
            index.blobs.delete(str(record.path))
    return record
