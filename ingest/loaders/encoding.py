"""Bytes to text for the text-like formats, without trusting the file to say its encoding."""

from __future__ import annotations

import codecs
import logging
import re

from charset_normalizer import from_bytes

from ingest.loaders.base import UnsupportedFileError

logger = logging.getLogger(__name__)

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32", "UTF-32"),
    (codecs.BOM_UTF32_BE, "utf-32", "UTF-32"),
    (codecs.BOM_UTF8, "utf-8-sig", "UTF-8"),
    (codecs.BOM_UTF16_LE, "utf-16", "UTF-16"),
    (codecs.BOM_UTF16_BE, "utf-16", "UTF-16"),
)
# Control characters no text file has in numbers; tab, newlines and form feed are fine.
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f]")
# Browsers read these labels as Windows-1252 (WHATWG), and so do the pages that use them.
_WINDOWS_1252_ALIASES = {"ascii", "latin_1", "iso8859_1", "cp1252"}


def _binary(name: str) -> UnsupportedFileError:
    return UnsupportedFileError(f"{name}: looks like a binary file, not text")


def _looks_binary(text: str) -> bool:
    bad = len(_CONTROL.findall(text[:100_000]))
    return bad > len(text[:100_000]) // 200


def _codec(label: str | None) -> str | None:
    if not label:
        return None
    try:
        name = codecs.lookup(label).name.replace("-", "_")
    except LookupError:
        return None
    return "cp1252" if name in _WINDOWS_1252_ALIASES else name


def _detect(data: bytes) -> str | None:
    """charset-normalizer's pick, except that Windows-1252 wins ties.

    Short Western European text decodes equally cleanly as cp1250, cp1257 or Mac Roman, and
    the detector then picks one of those first; cp1252 is by far the likeliest source.
    """
    matches = list(from_bytes(data))
    if not matches:
        return None
    best = matches[0]
    for match in matches:
        if match.chaos > best.chaos + 0.01:
            break
        if "cp1252" in match.could_be_from_charset:
            return "cp1252"
    return str(best.encoding)


def decode_text(data: bytes, name: str, *, declared: str | None = None) -> str:
    """Decode by BOM, then UTF-8, then the encoding the file declares, then detection.

    `declared` is an encoding named inside the file (an HTML meta charset); a wrong
    declaration is common, so it is only tried when the bytes are not UTF-8.
    """
    for bom, encoding, label in _BOMS:
        if data.startswith(bom):
            try:
                text = data.decode(encoding)
            except UnicodeDecodeError as exc:
                raise UnsupportedFileError(f"{name}: invalid {label} text") from exc
            if _looks_binary(text):
                raise _binary(name)
            return text
    candidates: list[str] = []
    if b"\x00" not in data:
        candidates.append("utf-8")
        if codec := _codec(declared):
            candidates.append(codec)
    for encoding in candidates:
        try:
            text = data.decode(encoding)
        except (UnicodeDecodeError, LookupError):  # LookupError: a declared non-text codec
            continue
        if _looks_binary(text):
            raise _binary(name)
        return text
    detected = _detect(data)
    if detected is None or (b"\x00" in data and not detected.startswith(("utf_16", "utf_32"))):
        raise _binary(name)
    try:
        text = data.decode(detected)
    except (UnicodeDecodeError, LookupError) as exc:
        raise _binary(name) from exc
    if _looks_binary(text):
        raise _binary(name)
    logger.debug("%s: decoded as %s", name, detected)
    return text
