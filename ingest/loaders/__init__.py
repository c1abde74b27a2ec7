"""Turn files into extracted text, one loader per file extension.

Importing the package registers every loader; callers need `load_file`, or `load_bytes`
for bytes already in memory, and `bounded.BoundedParser` for files from strangers (not
imported here: its helper process runs `ingest.loaders.worker` as a script).
"""

from __future__ import annotations

from ingest.loaders import pdf, text, web, word  # noqa: F401  (each registers its loaders)
from ingest.loaders.base import (
    EmptyDocumentError,
    FileTooLargeError,
    LoadedDocument,
    Loader,
    ParseLimitError,
    ParseLimits,
    Region,
    UnsupportedFileError,
    UnsupportedTypeError,
    check_size,
    load_bytes,
    load_file,
    loader_for,
    metadata_at,
    read_limited,
    register,
    supported_extensions,
)
from ingest.loaders.encoding import decode_text

__all__ = [
    "EmptyDocumentError",
    "FileTooLargeError",
    "LoadedDocument",
    "Loader",
    "ParseLimitError",
    "ParseLimits",
    "Region",
    "UnsupportedFileError",
    "UnsupportedTypeError",
    "check_size",
    "decode_text",
    "load_bytes",
    "load_file",
    "loader_for",
    "metadata_at",
    "read_limited",
    "register",
    "supported_extensions",
]
