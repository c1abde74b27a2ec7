"""HTML pages: the main content only, so menus, ads and teasers never reach the index."""

from __future__ import annotations

import logging
import re
from html import unescape
from pathlib import Path

from ingest.loaders.base import (
    LoadedDocument,
    ParseLimits,
    first_line_title,
    missing_dependency,
    normalize_newlines,
    over_limit,
    register,
)
from ingest.loaders.encoding import decode_text
from ingest.loaders.sections import markdown_headings, section_regions

logger = logging.getLogger(__name__)

_DECLARED = re.compile(
    rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)"""
    rb"""|<\?xml[^>]+encoding\s*=\s*["']([A-Za-z0-9_.:-]+)""",
    re.I,
)
_TITLE = re.compile(r"<title[^>]*>(.*?)</title\s*>", re.I | re.S)
_START_TAG = re.compile(r"<[A-Za-z]")
# trafilatura writes Markdown; emphasis and code marks would end up inside quotes.
_EMPHASIS = re.compile(r"(?<![\\*])(\*\*|\*)(?=\S)(.+?)(?<=\S)(?<!\\)\1(?!\*)")
_CODE = re.compile(r"(?<!`)`([^`\n]+)`(?!`)")
_ESCAPE = re.compile(r"\\([\\`*_{}\[\]()#+\-.!|<>])")
_SPACES = re.compile(r"[ \t]+")
_BLANK_RUNS = re.compile(r"\n{3,}")


def _plain_inline(markdown: str) -> str:
    """Keep headings, lists and tables (they shape sentences and sections), drop inline marks."""
    text = _CODE.sub(r"\1", _EMPHASIS.sub(r"\2", markdown))
    return _ESCAPE.sub(r"\1", text)


def _extract(html: str) -> str:
    import trafilatura

    try:
        text = trafilatura.extract(
            html,
            output_format="markdown",
            include_formatting=True,
            include_tables=True,
            include_comments=False,
            include_links=False,
            include_images=False,
            favor_precision=True,
        )
    except Exception as exc:  # a page the extractor chokes on still has visible text
        logger.debug("main-content extraction failed: %s", exc)
        return ""
    return _plain_inline(text) if text else ""


def _fallback(html: str) -> str:
    """Short or unusual pages defeat the main-content heuristics; take their visible text."""
    from trafilatura import baseline, html2txt

    _, text, _ = baseline(html)
    return text or html2txt(html)


def _title_and_date(html: str) -> tuple[str, str]:
    """The page's title and publication date (ISO, or empty), for display and date filters."""
    from trafilatura import extract_metadata

    title = date = ""
    try:
        meta = extract_metadata(html)
        title, date = meta.title or "", meta.date or ""
    except Exception as exc:  # metadata is a nicety; the text still counts
        logger.debug("no metadata from HTML: %s", exc)
    if not title and (match := _TITLE.search(html)):
        title = unescape(match.group(1))
    return " ".join(title.split())[:200], date


def _tidy(text: str, *, collapse_spaces: bool = False) -> str:
    lines = normalize_newlines(text).split("\n")
    if collapse_spaces:
        lines = [_SPACES.sub(" ", line).strip() for line in lines]
    return _BLANK_RUNS.sub("\n\n", "\n".join(line.rstrip() for line in lines)).strip()


def _check_nodes(html: str, name: str, limits: ParseLimits) -> None:
    """Count start tags before parsing: trafilatura needs about 2 KB and 0.1 ms an element
    (300,000 paragraphs: 38 s, 640 MB), so a page of millions would never finish."""
    if html.count("<") <= limits.max_html_nodes:  # every element starts with one
        return
    _, tags = _START_TAG.subn("", html)
    if tags > limits.max_html_nodes:
        raise over_limit(name, f"{tags} HTML elements", "max_html_nodes", limits.max_html_nodes)


@register(".html", ".htm")
def load_html(data: bytes, name: str, limits: ParseLimits) -> LoadedDocument:
    found = _DECLARED.search(data[:4096])
    declared = (found.group(1) or found.group(2)).decode() if found else None
    html = decode_text(data, name, declared=declared)
    _check_nodes(html, name, limits)
    # trafilatura logs every page it finds little in at WARNING; the loader reports that itself.
    logging.getLogger("trafilatura").setLevel(logging.ERROR)
    try:
        text = _tidy(_extract(html))
        if not text:
            logger.debug("%s: no main content found, using the page's visible text", name)
            text = _tidy(_fallback(html), collapse_spaces=True)
    except ImportError as exc:
        raise missing_dependency("trafilatura", name) from exc
    title, date = _title_and_date(html)
    metadata = {"format": "html"} | ({"date": date} if date else {})
    return LoadedDocument(
        text=text,
        title=title or first_line_title(text, Path(name).stem),
        metadata=metadata,
        regions=section_regions(markdown_headings(text), len(text)),
    )
