"""Turn files into extracted text, one loader per file extension."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path


class UnsupportedFileError(ValueError):
    """The file's content cannot be read as a document."""


class UnsupportedTypeError(UnsupportedFileError):
    """No loader for the file's extension."""


class FileTooLargeError(UnsupportedFileError):
    """The file exceeds the configured size limit."""


@dataclass(frozen=True)
class LoadedDocument:
    text: str
    title: str
    metadata: dict[str, str] = field(default_factory=dict)


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


def decode_text(data: bytes, name: str) -> str:
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise UnsupportedFileError(f"{name}: invalid UTF-16 text") from exc
    if b"\x00" in data[:8192]:
        raise UnsupportedFileError(f"{name}: looks like a binary file, not text")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    # Legacy single-byte text; cp1252 maps almost every byte, so reject only clear garbage.
    text = data.decode("cp1252", errors="replace")
    if text.count("\ufffd") > max(8, len(text) // 100):
        raise UnsupportedFileError(f"{name}: not valid text in UTF-8 or Windows-1252")
    return text


def _normalize(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _first_line_title(text: str, fallback: str) -> str:
    for line in text.splitlines():
        line = line.strip().lstrip("#").strip()
        if line:
            return line[:200]
    return fallback


@register(".txt", ".text")
def load_text(data: bytes, name: str) -> LoadedDocument:
    text = _normalize(decode_text(data, name))
    return LoadedDocument(text=text, title=_first_line_title(text, Path(name).stem))


_MD_HEADING = re.compile(r"^#\s+(.+?)\s*#*\s*$", re.MULTILINE)


@register(".md", ".markdown")
def load_markdown(data: bytes, name: str) -> LoadedDocument:
    text = _normalize(decode_text(data, name))
    match = _MD_HEADING.search(text)
    title = match.group(1) if match else _first_line_title(text, Path(name).stem)
    return LoadedDocument(text=text, title=title, metadata={"format": "markdown"})


def load_file(path: Path, *, max_bytes: int) -> LoadedDocument:
    loader = _LOADERS.get(path.suffix.lower())
    if loader is None:
        raise UnsupportedTypeError(
            f"{path.name}: unsupported file type {path.suffix or '(none)'}; "
            f"supported: {', '.join(supported_extensions())}"
        )
    size = path.stat().st_size
    if size > max_bytes:
        raise FileTooLargeError(f"{path.name}: {size} bytes exceeds the limit of {max_bytes}")
    return loader(path.read_bytes(), path.name)
