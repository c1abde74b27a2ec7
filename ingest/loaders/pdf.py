"""PDF text by page with pypdf, so citations can say which page a quote is on."""

from __future__ import annotations

import io
import logging
import re
import time
from pathlib import Path
from typing import TYPE_CHECKING

from ingest.loaders.base import (
    EMPTY_MESSAGE,
    EmptyDocumentError,
    LoadedDocument,
    ParseLimitError,
    ParseLimits,
    Region,
    UnsupportedFileError,
    check_text_chars,
    first_line_title,
    missing_dependency,
    normalize_newlines,
    over_limit,
    register,
)

if TYPE_CHECKING:
    from pypdf import PdfReader

logger = logging.getLogger(__name__)

PAGE_SEPARATOR = "\n\n"
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
# Typeset ligatures would make "ﬁnance" unsearchable as "finance".
_LIGATURES = str.maketrans(
    {"ﬀ": "ff", "ﬁ": "fi", "ﬂ": "fl", "ﬃ": "ffi", "ﬄ": "ffl", "ﬅ": "st", "ﬆ": "st"}
)
_JUNK_TITLE = re.compile(r"untitled|microsoft word - .*|.*\.(?:docx?|pdf|tex|dvi|ps|rtf|odt)", re.I)


def _clean_page(raw: str) -> str:
    text = _CONTROL.sub("", normalize_newlines(raw)).translate(_LIGATURES)
    return "\n".join(line.rstrip() for line in text.split("\n")).strip()


def _meta_title(reader: PdfReader) -> str:
    try:
        title = (reader.metadata.title if reader.metadata else None) or ""
    except Exception:  # a broken info dictionary should not cost the document
        return ""
    title = " ".join(str(title).split())
    return "" if _JUNK_TITLE.fullmatch(title) else title[:200]


def _open(data: bytes, name: str) -> PdfReader:
    try:
        from pypdf import PdfReader
    except ImportError as exc:
        raise missing_dependency("pypdf", name) from exc
    # pypdf warns through logging about every repaired cross-reference; those are ours to judge.
    logging.getLogger("pypdf").setLevel(logging.ERROR)
    reader = PdfReader(io.BytesIO(data))
    if reader.is_encrypted:
        try:
            opened = reader.decrypt("")
        except Exception as exc:
            raise UnsupportedFileError(f"{name}: encrypted PDF cannot be opened ({exc})") from exc
        if not opened:
            raise UnsupportedFileError(
                f"{name}: encrypted PDF needs a password; save an unprotected copy "
                "(for example with `qpdf --decrypt`) and ingest that"
            )
    return reader


def _check_pages(reader: PdfReader, name: str, limits: ParseLimits) -> None:
    """The page tree's own count first, as listing the pages parses every page object."""
    limit = limits.max_pdf_pages
    try:
        pages = int(reader.trailer["/Root"]["/Pages"]["/Count"])  # type: ignore[index]
    except Exception:  # a broken page tree is pypdf's to repair or refuse
        pages = 0
    if pages <= limit:  # a count can lie: list the pages (about 0.15 ms each)
        pages = len(reader.pages)
    if pages > limit:
        raise over_limit(name, f"{pages} pages", "max_pdf_pages", limit)


def _page_texts(reader: PdfReader, name: str, limits: ParseLimits) -> list[str]:
    _check_pages(reader, name, limits)
    texts = []
    chars = -len(PAGE_SEPARATOR)
    for number, page in enumerate(reader.pages, start=1):
        try:
            texts.append(_clean_page(page.extract_text() or ""))
        except Exception as exc:  # one broken page should not cost the others
            logger.warning("%s: page %d has no readable text: %s", name, number, exc)
            texts.append("")
        if texts[-1]:
            chars += len(PAGE_SEPARATOR) + len(texts[-1])
            check_text_chars(name, chars, limits)
    return texts


def _ocr_pages(
    reader: PdfReader, texts: list[str], name: str, limits: ParseLimits, started: float
) -> set[int]:
    """OCR the pages without text, in place; returns their numbers. Without OCR installed,
    a PDF with no text at all is refused with the fix, and one with some keeps those; out of
    time, a PDF with some text keeps what it has, and one without fails with 413."""
    from ingest.loaders import ocr

    blank = [n for n, t in enumerate(texts, start=1) if not t]
    if not blank or not limits.ocr:
        return set()
    reason = ocr.unavailable(limits.ocr_language)
    if reason is not None:
        if not any(texts):
            raise EmptyDocumentError(
                f"{name}: no text layer (a scanned PDF?) and OCR cannot run: {reason}; "
                f"install it: {ocr.INSTALL}"
            )
        logger.warning("%s: pages %s have no text and OCR cannot run: %s", name, blank, reason)
        return set()
    deadline = started + limits.timeout_s * ocr.BUDGET_SHARE
    read: set[int] = set()
    kept = [t for t in texts if t]
    chars = sum(map(len, kept)) + len(PAGE_SEPARATOR) * (len(kept) - 1)
    for number in blank:
        try:
            raw = ocr.page_text(
                reader.pages[number - 1],
                name=name,
                number=number,
                language=limits.ocr_language,
                deadline=deadline,
            )
        except ParseLimitError:
            if not any(texts):
                raise
            # A document with text keeps it: its image-only pages (figures, photos) are extra.
            logger.warning("%s: OCR stopped at page %d, out of time; kept the rest", name, number)
            break
        except Exception as exc:  # an image pypdf cannot decode should not cost the others
            logger.warning("%s: page %d could not be read by OCR: %s", name, number, exc)
            continue
        text = _clean_page(raw)
        if text:
            texts[number - 1] = text
            read.add(number)
            chars += len(PAGE_SEPARATOR) + len(text)
            check_text_chars(name, chars, limits)
    return read


@register(".pdf")
def load_pdf(data: bytes, name: str, limits: ParseLimits) -> LoadedDocument:
    started = time.monotonic()
    try:
        reader = _open(data, name)
        pages = _page_texts(reader, name, limits)
        title = _meta_title(reader)
    except UnsupportedFileError:
        raise
    except Exception as exc:  # pypdf raises many kinds on damaged files; all mean unreadable
        raise UnsupportedFileError(f"{name}: not a readable PDF ({exc})") from exc
    if not pages:
        raise EmptyDocumentError(f"{name}: {EMPTY_MESSAGE}")
    scanned = _ocr_pages(reader, pages, name, limits, started)
    if not any(pages):
        if not limits.ocr:
            raise EmptyDocumentError(
                f"{name}: no text layer (a scanned PDF?) and OCR is off (RAGCHAT_PARSE__OCR=false)"
            )
        raise EmptyDocumentError(f"{name}: no extractable text, even by OCR")
    parts: list[str] = []
    regions: list[Region] = []
    pos = 0
    for number, page_text in enumerate(pages, start=1):
        if not page_text:
            continue
        if parts:
            pos += len(PAGE_SEPARATOR)
        where: dict[str, str | int] = {"page": number}
        if number in scanned:
            where["ocr"] = True
        regions.append(Region(start=pos, end=pos + len(page_text), metadata=where))
        parts.append(page_text)
        pos += len(page_text)
    text = PAGE_SEPARATOR.join(parts)
    return LoadedDocument(
        text=text,
        title=title or first_line_title(text, Path(name).stem),
        metadata={"format": "pdf", "pages": str(len(pages)), "ocr_pages": str(len(scanned))},
        regions=regions,
    )
