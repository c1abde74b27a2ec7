"""Uploaded files: parsed once and checked before they replace anything, then indexed.

An upload keeps the name its user gave it (NFC, without path or control characters) as its
display name, and is stored under a key derived from that name without collisions, so
`报告.txt` and `提案.txt`, or `a+b.txt` and `a&b.txt`, stay two documents.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ingest.cleaning import keep_spans
from ingest.docstore import DocumentRecord, process_alive
from ingest.index import Index, check_collection
from ingest.loaders import LoadedDocument, UnsupportedFileError, check_size, loader_for
from ingest.pipeline import Ingestor, document_id_for

MAX_NAME_CHARS = 255
_MAX_KEY_BYTES = 200
_MAX_SUFFIX_CHARS = 16
_KEY_CHAR = re.compile(r"[A-Za-z0-9._ -]")
TEMP_PREFIX = ".upload-"


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


def store_upload(
    *,
    data: bytes,
    filename: str,
    collection: str,
    ingestor: Ingestor,
    uploads_dir: Path,
    tags: list[str] | None = None,
    replace: bool = False,
    document_id: str | None = None,
    parse: Callable[[bytes, str], LoadedDocument] | None = None,
) -> UploadResult:
    """Parse once, then write the file and index it while holding the document's lease.

    The lease makes concurrent uploads of one name take turns, so the stored file, the
    vectors and the keyword rows always come from the same upload. Replacing a document
    needs `replace` or its `document_id`; otherwise DocumentExistsError (409).
    """
    check_collection(collection)
    name = display_name(filename)
    loader_for(name)  # an unsupported type is a 415 before any size check or parsing
    check_size(name, len(data), max_bytes=ingestor.max_file_bytes)
    loaded = (parse or ingestor.parse)(data, name)
    if not keep_spans(loaded.text):
        raise UnsupportedFileError(f"{name}: no text content to index")
    folder = uploads_dir / collection
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / storage_key(name)
    doc_id = document_id_for(target)
    if document_id is not None and document_id != doc_id:
        raise UnsupportedFileError(
            f"document_id {document_id!r} is not the document named {name!r} ({doc_id}); "
            "upload under the same file name to replace a document"
        )
    with ingestor.index.writing(collection, doc_id):
        existing = ingestor.index.docs.get(collection, doc_id)
        same_bytes = existing is not None and (
            existing.content_hash == hashlib.sha256(data).hexdigest()
        )
        if existing and existing.version and not (replace or document_id or same_bytes):
            raise DocumentExistsError(
                f"{name!r} is already in collection {collection!r} as document {doc_id}; "
                "add ?replace=true (or ?document_id=...) to replace it",
                doc_id,
            )
        _write_file(folder, target, data)
        report = ingestor.ingest_one(
            target, collection=collection, data=data, loaded=loaded, source=name, tags=tags
        )
        record = ingestor.index.docs.get(collection, doc_id)
    status = "added" if report.added else "updated" if report.updated else "unchanged"
    return UploadResult(
        document_id=doc_id,
        source=name,
        status=status,
        chunks=record.chunk_count if record else 0,
    )


def _write_file(folder: Path, target: Path, data: bytes) -> None:
    """Write beside the target, then rename: a reader sees the old file or the new one."""
    fd, tmp_name = tempfile.mkstemp(dir=folder, prefix=f"{TEMP_PREFIX}{os.getpid()}-")
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)


def orphaned_files(index: Index, uploads_dir: Path) -> list[Path]:
    """Uploaded files no live document owns, and no live writer is writing.

    A process killed during an upload leaves one of these: its half-written temporary
    file, or a stored file whose document never went live.
    """
    found: list[Path] = []
    if not uploads_dir.is_dir():
        return found
    for folder in sorted(p for p in uploads_dir.iterdir() if p.is_dir()):
        for path in sorted(folder.iterdir()):
            if path.name.startswith(TEMP_PREFIX):
                pid = path.name[len(TEMP_PREFIX) :].split("-", 1)[0]
                if not (pid.isdigit() and process_alive(int(pid))):
                    found.append(path)
                continue
            doc_id = document_id_for(path)
            record = index.docs.get(folder.name, doc_id)
            if (record is None or record.version is None) and not index.docs.is_leased(
                folder.name, doc_id
            ):
                found.append(path)
    return found


def remove_orphaned_files(index: Index, uploads_dir: Path) -> int:
    """Delete what `orphaned_files` finds; returns how many."""
    orphans = orphaned_files(index, uploads_dir)
    for path in orphans:
        path.unlink(missing_ok=True)
    return len(orphans)


def is_upload(record: DocumentRecord, uploads_dir: Path) -> bool:
    return bool(record.path) and uploads_dir.resolve() in Path(str(record.path)).resolve().parents


def delete_document(
    *, index: Index, collection: str, document_id: str, uploads_dir: Path
) -> DocumentRecord | None:
    """Delete a document and its chunks; None when it is not there.

    An uploaded file exists only as a copy in the data dir, so it goes too, under the same
    lease as the index rows; a file ingested from the user's own folders is never touched.
    """
    with index.writing(check_collection(collection), document_id):
        record = index.docs.get(collection, document_id)
        if record is None or record.version is None or not index.delete(collection, document_id):
            return None
        if is_upload(record, uploads_dir):
            Path(str(record.path)).unlink(missing_ok=True)
    return record
