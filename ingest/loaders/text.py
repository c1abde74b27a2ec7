"""Plain text and Markdown: indexed as written, so offsets point into the file's own text."""

from __future__ import annotations

from pathlib import Path

from ingest.loaders.base import (
    LoadedDocument,
    ParseLimits,
    first_line_title,
    normalize_newlines,
    register,
)
from ingest.loaders.encoding import decode_text
from ingest.loaders.fields import leading_fields
from ingest.loaders.sections import markdown_headings, section_regions


@register(".txt", ".text")
def load_text(data: bytes, name: str, limits: ParseLimits) -> LoadedDocument:
    """No expansion: the text is at most as long as the file, which the size limit bounds."""
    text = normalize_newlines(decode_text(data, name))
    title = leading_fields(text).get("title") or first_line_title(text, Path(name).stem)
    return LoadedDocument(text=text, title=title[:200])


@register(".md", ".markdown")
def load_markdown(data: bytes, name: str, limits: ParseLimits) -> LoadedDocument:
    text = normalize_newlines(decode_text(data, name))
    headings = markdown_headings(text)
    top = next((h.text for h in headings if h.level == 1 and h.text), None)
    front = leading_fields(text).get("title")
    return LoadedDocument(
        text=text,
        title=(front or top or first_line_title(text, Path(name).stem))[:200],
        metadata={"format": "markdown"},
        regions=section_regions(headings, len(text)),
    )
