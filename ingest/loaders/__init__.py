"""Turn files into extracted text, one loader per file extension.

Importing the package registers every loader; callers only need `load_file`.
"""

from __future__ import annotations

from ingest.loaders import pdf, text, web, word  # noqa: F401  (each registers its loaders)
from ingest.loaders.base import (
    EmptyDocumentError,
    FileTooLargeError,
    LoadedDocument,
    Loader,
    Region,
    UnsupportedFileError,
    UnsupportedTypeError,
    load_bytes,
    load_file,
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
    "Region",
    "UnsupportedFileError",
    "UnsupportedTypeError",
    "decode_text",
    "load_bytes",
    "load_file",
    "metadata_at",
    "read_limited",
    "register",
    "supported_extensions",
]
