"""What every loader returns and raises, and the registry that picks a loader by extension."""

from __future__ import annotations

import bisect
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path


class UnsupportedFileError(ValueError):
    """The file's content cannot be read as a document."""


class UnsupportedTypeError(UnsupportedFileError):
    """No loader for the file's extension."""


class FileTooLargeError(UnsupportedFileError):
    """The file exceeds the configured size limit."""


class EmptyDocumentError(UnsupportedFileError):
    """The file was read but holds no text: reported as failed so nobody thinks it is indexed."""


EMPTY_MESSAGE = "empty document, no text content to index"


@dataclass(frozen=True)
class Region:
    """A span of the extracted text that shares metadata (a PDF page, a heading's section).

    Offsets are characters into `LoadedDocument.text`, so chunk and citation offsets can be
    mapped back to pages and sections without re-reading the file.
    """

    start: int
    end: int
    metadata: dict[str, str | int]


@dataclass(frozen=True)
class LoadedDocument:
    text: str
    title: str
    metadata: dict[str, str] = field(default_factory=dict)
    regions: list[Region] = field(default_factory=list)


def metadata_at(regions: list[Region], pos: int) -> dict[str, str | int]:
    """Metadata for offset `pos`; regions must be sorted by start, as loaders emit them.

    Text between regions (the blank lines joining two pages) belongs to the region before
    it, so every chunk after the first region gets a page or section.
    """
    idx = bisect.bisect_right(regions, pos, key=lambda r: r.start) - 1
    if idx < 0:
        return {}
    for region in reversed(regions[: idx + 1]):
        if pos < region.end:
            return dict(region.metadata)
    return dict(regions[idx].metadata)


Loader = Callable[[bytes, str], LoadedDocument]
_LOADERS: dict[str, Loader] = {}


def register(*extensions: str) -> Callable[[Loader], Loader]:
    def wrap(fn: Loader) -> Loader:
        for ext in extensions:
            _LOADERS[ext.lower()] = fn
        return fn

    return wrap


def supported_extensions() -> list[str]:
    return sorted(_LOADERS)


def missing_dependency(package: str, name: str) -> UnsupportedFileError:
    """Runtime dependencies can still be absent from a hand-made environment; say the fix."""
    suffix = Path(name).suffix or "this file type"
    return UnsupportedFileError(f"{name}: reading {suffix} needs {package}: pip install {package}")


def normalize_newlines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


def first_line_title(text: str, fallback: str) -> str:
    for line in text.splitlines():
        line = line.strip().lstrip("#").strip()
        if line and line not in ("---", "+++"):
            return line[:200]
    return fallback


def check_size(name: str, size: int, *, max_bytes: int) -> None:
    if size > max_bytes:
        raise FileTooLargeError(f"{name}: {size} bytes exceeds the limit of {max_bytes}")


def read_limited(path: Path, *, max_bytes: int) -> bytes:
    """The file's bytes, refused before reading when it exceeds the size limit."""
    check_size(path.name, path.stat().st_size, max_bytes=max_bytes)
    return path.read_bytes()


def loader_for(name: str) -> Loader:
    """The loader for a file name's extension, or a clear error listing the supported ones."""
    suffix = Path(name).suffix
    loader = _LOADERS.get(suffix.lower())
    if loader is None:
        raise UnsupportedTypeError(
            f"{name}: unsupported file type {suffix or '(none)'}; "
            f"supported: {', '.join(supported_extensions())}"
        )
    return loader


def load_bytes(data: bytes, name: str) -> LoadedDocument:
    """Text and metadata of a file's bytes, by the extension of `name`."""
    loader = loader_for(name)
    if not data.strip():
        raise EmptyDocumentError(f"{name}: {EMPTY_MESSAGE}")
    doc = loader(data, name)
    if not doc.text.strip():
        raise EmptyDocumentError(f"{name}: {EMPTY_MESSAGE}")
    return doc


def load_file(path: Path, *, max_bytes: int) -> LoadedDocument:
    loader_for(path.name)  # an unsupported type is refused before reading
    return load_bytes(read_limited(path, max_bytes=max_bytes), path.name)
