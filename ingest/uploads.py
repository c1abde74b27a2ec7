"""Uploaded files: checked before they replace anything, then ingested like any file."""

from __future__ import annotations

import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

from ingest.cleaning import keep_spans
from ingest.docstore import DocumentRecord
from ingest.index import Index, check_collection
from ingest.loaders import UnsupportedFileError, check_size, load_bytes, loader_for
from ingest.pipeline import Ingestor, document_id_for

_UNSAFE = re.compile(r"[^A-Za-z0-9._ -]+")


@dataclass(frozen=True)
class UploadResult:
    document_id: str
    source: str
    status: str
    chunks: int


def safe_name(filename: str) -> str:
    name = _UNSAFE.sub("_", Path(filename.replace("\\", "/")).name).strip(" .")
    if not name or name.startswith("."):
        raise UnsupportedFileError(f"unusable file name {filename!r}")
    return name[:200]


def store_upload(
    *,
    data: bytes,
    filename: str,
    collection: str,
    ingestor: Ingestor,
    uploads_dir: Path,
    tags: list[str] | None = None,
) -> UploadResult:
    """Validate the bytes first; only a readable document replaces the stored one."""
    check_collection(collection)
    name = safe_name(filename)
    loader_for(name)  # an unsupported type is a 415 before any size check or parsing
    check_size(name, len(data), max_bytes=ingestor.max_file_bytes)
    if not keep_spans(load_bytes(data, name).text):
        raise UnsupportedFileError(f"{name}: no text content to index")
    folder = uploads_dir / collection
    folder.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=folder, prefix=".upload-", suffix=Path(name).suffix)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        target = folder / name
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    report = ingestor.ingest([target], collection=collection, tags=tags)
    if report.failed:
        raise UnsupportedFileError(report.failed[0][1])
    status = "added" if report.added else "updated" if report.updated else "unchanged"
    record = ingestor.index.docs.get(collection, document_id_for(target))
    return UploadResult(
        document_id=document_id_for(target),
        source=name,
        status=status,
        chunks=record.chunk_count if record else 0,
    )


def delete_document(
    *, index: Index, collection: str, document_id: str, uploads_dir: Path
) -> DocumentRecord | None:
    """Delete a document and its chunks; None when it is not there.

    An uploaded file exists only as a copy in the data dir, so it goes too; a file that was
    ingested from the user's own folders is never touched.
    """
    record = index.docs.get(check_collection(collection), document_id)
    if record is None or not index.delete(collection, document_id):
        return None
    uploads = uploads_dir.resolve()
    if record.path and uploads in Path(record.path).resolve().parents:
        Path(record.path).unlink(missing_ok=True)
    return record
