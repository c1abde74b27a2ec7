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


class ParseLimitError(FileTooLargeError):
    """Parsing the file would cost more than a `ParseLimits` bound allows (a 413, like size)."""


EMPTY_MESSAGE = "empty document, no text content to index"


@dataclass(frozen=True)
class ParseLimits:
    """What parsing one file may cost; each field is the setting RAGCHAT_PARSE__<FIELD>.

    A few megabytes can expand to gigabytes (a zip bomb) or to millions of elements, so
    the loaders check the sizes before and while they expand, and `BoundedParser` holds
    every parse to the time and memory budget. Measured on 2 cores: trafilatura needs
    about 2 KB and 0.1 ms per HTML element, so a page at the element limit parses within
    the budget; python-docx needs about 10 bytes per byte of document XML, so the unzip
    limit stops bombs while a Word file of over ~90 MB of text XML meets the memory
    budget first. No text may exceed what a 20 MB plain-text file already holds.
    """

    max_text_chars: int = 20_000_000
    max_unzipped_bytes: int = 200_000_000
    max_zip_entries: int = 10_000
    max_pdf_pages: int = 5_000
    max_html_nodes: int = 200_000
    timeout_s: float = 60.0
    memory_mb: int = 1024
    workers: int = 2
    ocr: bool = True
    """Read PDF pages without a text layer with Tesseract, when it is installed."""
    ocr_language: str = "eng"


def over_limit(name: str, what: str, setting: str, limit: float) -> ParseLimitError:
    """The error names the file, what it holds, the limit and the setting that raises it."""
    return ParseLimitError(
        f"{name}: {what} exceeds the limit of {limit} (RAGCHAT_PARSE__{setting.upper()})"
    )


def check_text_chars(name: str, chars: int, limits: ParseLimits) -> None:
    limit = limits.max_text_chars
    if chars > limit:
        raise over_limit(name, f"{chars} characters of text", "max_text_chars", limit)


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


Loader = Callable[[bytes, str, ParseLimits], LoadedDocument]
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


def load_bytes(data: bytes, name: str, *, limits: ParseLimits | None = None) -> LoadedDocument:
    """Text and metadata of a file's bytes, by the extension of `name`.

    This runs in the calling process with no time or memory budget; `BoundedParser` runs
    it in a capped worker, which is what files from strangers need.
    """
    limits = limits or ParseLimits()
    loader = loader_for(name)
    if not data.strip():
        raise EmptyDocumentError(f"{name}: {EMPTY_MESSAGE}")
    doc = loader(data, name, limits)
    check_text_chars(name, len(doc.text), limits)
    if not doc.text.strip():
        raise EmptyDocumentError(f"{name}: {EMPTY_MESSAGE}")
    return doc


def load_file(path: Path, *, max_bytes: int, limits: ParseLimits | None = None) -> LoadedDocument:
    loader_for(path.name)  # an unsupported type is refused before reading
    return load_bytes(read_limited(path, max_bytes=max_bytes), path.name, limits=limits)
