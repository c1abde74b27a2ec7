"""Word documents (.docx) with python-docx: body paragraphs and tables, in reading order."""

from __future__ import annotations

import io
import logging
import re
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from ingest.loaders.base import (
    LoadedDocument,
    UnsupportedFileError,
    first_line_title,
    missing_dependency,
    register,
)
from ingest.loaders.sections import Heading, section_regions

if TYPE_CHECKING:
    from docx.document import Document
    from docx.table import Table

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


def _blocks(document: Document) -> Iterator[tuple[str, int | None]]:
    from docx.table import Table

    for item in document.iter_inner_content():
        if isinstance(item, Table):
            rows = "\n".join(_table_lines(item))
            if rows:
                yield rows, None
            continue
        text = "\n".join(line.strip() for line in item.text.splitlines()).strip()
        if text:
            style = item.style.name if item.style is not None else ""
            yield text, _heading_level(style or "")


@register(".docx")
def load_docx(data: bytes, name: str) -> LoadedDocument:
    try:
        import docx
    except ImportError as exc:
        raise missing_dependency("python-docx", name) from exc
    try:
        document = docx.Document(io.BytesIO(data))
        blocks = list(_blocks(document))
        core_title = (document.core_properties.title or "").strip()
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
