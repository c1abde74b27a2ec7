"""Word documents (.docx) with python-docx: body paragraphs and tables, in reading order."""

from __future__ import annotations

import io
import logging
import re
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from ingest.loaders.archive import check_zip
from ingest.loaders.base import (
    LoadedDocument,
    ParseLimits,
    UnsupportedFileError,
    check_text_chars,
    first_line_title,
    missing_dependency,
    register,
)
from ingest.loaders.sections import Heading, section_regions

if TYPE_CHECKING:
    from docx.document import Document
    from docx.table import Table
    from docx.text.paragraph import Paragraph

logger = logging.getLogger(__name__)

BLOCK_SEPARATOR = "\n\n"
_HEADING_STYLE = re.compile(r"heading\s*([1-9])", re.I)


def _heading_level(style_name: str) -> int | None:
    """ "Title" sits above "Heading 1", as a document's own name sits above its chapters."""
    if style_name.strip().lower() == "title":
        return 0
    match = _HEADING_STYLE.fullmatch(style_name.strip())
    return int(match.group(1)) if match else None


def _table_lines(table: Table) -> Iterator[str]:
    """One `| a | b |` line per row: the sentence splitter keeps such lines as units."""
    for row in table.rows:
        cells: list[str] = []
        previous = None
        for cell in row.cells:
            if cell._tc is previous:  # a merged cell repeats for every column it spans
                continue
            previous = cell._tc
            cells.append(" ".join(cell.text.split()).replace("|", "/"))
        if any(cells):
            yield "| " + " | ".join(cells) + " |"


def _paragraph_styles(document: Document) -> tuple[dict[str, str | None], str]:
    """Paragraph style names by style id, and the default paragraph style's name.

    python-docx's `Paragraph.style` scans every style for the default on each call, which
    made a 36 KB file of 20,000 one-letter paragraphs take 20 to 50 s (0.7 s with this);
    styles are read once here, with its rules: the first style of an id wins, an id naming
    no paragraph style (None here) or no id means the default, and the default is the
    last one marked so.
    """
    from docx.oxml.ns import qn

    names: dict[str, str | None] = {}
    default = ""
    for style in document.styles.element.iterchildren(qn("w:style")):
        is_paragraph = style.get(qn("w:type")) == "paragraph"
        name_tag = style.find(qn("w:name"))
        name = (name_tag.get(qn("w:val")) if name_tag is not None else None) or ""
        style_id = style.get(qn("w:styleId"))
        if style_id is not None:
            names.setdefault(style_id, name if is_paragraph else None)
        if is_paragraph and style.get(qn("w:default")) in ("1", "true", "on"):
            default = name
    return names, default


def _style_id(paragraph: Paragraph) -> str | None:
    from docx.oxml.ns import qn

    ppr = paragraph._p.find(qn("w:pPr"))
    pstyle = ppr.find(qn("w:pStyle")) if ppr is not None else None
    return pstyle.get(qn("w:val")) if pstyle is not None else None


def _blocks(document: Document) -> Iterator[tuple[str, int | None]]:
    from docx.table import Table

    names, default = _paragraph_styles(document)
    for item in document.iter_inner_content():
        if isinstance(item, Table):
            rows = "\n".join(_table_lines(item))
            if rows:
                yield rows, None
            continue
        text = "\n".join(line.strip() for line in item.text.splitlines()).strip()
        if text:
            style_id = _style_id(item)
            style = names.get(style_id) if style_id else None
            yield text, _heading_level(default if style is None else style)


@register(".docx")
def load_docx(data: bytes, name: str, limits: ParseLimits) -> LoadedDocument:
    try:
        import docx
    except ImportError as exc:
        raise missing_dependency("python-docx", name) from exc
    check_zip(data, name, limits=limits, kind="DOCX")
    try:
        document = docx.Document(io.BytesIO(data))
        blocks = []
        chars = -len(BLOCK_SEPARATOR)
        for block in _blocks(document):
            chars += len(BLOCK_SEPARATOR) + len(block[0])
            check_text_chars(name, chars, limits)
            blocks.append(block)
        core_title = (document.core_properties.title or "").strip()
    except UnsupportedFileError:
        raise
    except Exception as exc:  # zip, XML and package errors all mean the same to the user
        raise UnsupportedFileError(f"{name}: not a readable DOCX file ({exc})") from exc
    parts: list[str] = []
    headings: list[Heading] = []
    pos = 0
    for text, level in blocks:
        if parts:
            pos += len(BLOCK_SEPARATOR)
        if level is not None:
            headings.append(Heading(start=pos, level=level, text=" ".join(text.split())))
        parts.append(text)
        pos += len(text)
    text = BLOCK_SEPARATOR.join(parts)
    named = next((h.text for h in sorted(headings, key=lambda h: h.level)), "")
    return LoadedDocument(
        text=text,
        title=(core_title or named or first_line_title(text, Path(name).stem))[:200],
        metadata={"format": "docx"},
        regions=section_regions(headings, len(text)),
    )
