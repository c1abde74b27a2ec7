"""Sentence spans inside the kept blocks: the unit that citations quote."""

from __future__ import annotations

import re

from ingest.cleaning import Span

_ABBREVIATIONS = frozenset(
    [
        "mr",
        "mrs",
        "ms",
        "dr",
        "prof",
        "sr",
        "jr",
        "st",
        "vs",
        "etc",
        "e.g",
        "i.e",
        "cf",
        "al",
        "inc",
        "ltd",
        "co",
        "corp",
        "gov",
        "gen",
        "col",
        "lt",
        "sgt",
        "rep",
        "sen",
        "no",
        "nos",
        "fig",
        "figs",
        "approx",
        "dept",
        "est",
        "jan",
        "feb",
        "mar",
        "apr",
        "jun",
        "jul",
        "aug",
        "sep",
        "sept",
        "oct",
        "nov",
        "dec",
        "u.s",
        "u.k",
        "u.n",
        "e.u",
        "a.m",
        "p.m",
        "ph.d",
        "mt",
        "ft",
        "vol",
        "pp",
        "ed",
        "eds",
    ]
)
_BOUNDARY = re.compile(r"""[.!?…]+["”’')\]]*(?=\s+["“‘(\[]?[A-Z0-9])""")
_STRUCTURAL_LINE = re.compile(r"[ \t]*(?:#{1,6}\s|[-*+]\s|\d{1,3}[.)]\s|>|\||```|:[ \t]+\S)")
_LEAD_MARKER = re.compile(r"(?:#{1,6}\s+|[-*+]\s+(?:\[[ xX]\]\s+)?|\d{1,3}[.)]\s+|>\s*|:[ \t]+)")
_WORD_BEFORE = re.compile(r"([A-Za-z][A-Za-z.]*)\.$")


def _is_abbreviation(text: str, dot: int) -> bool:
    match = _WORD_BEFORE.search(text[max(0, dot - 12) : dot + 1])
    if not match:
        return False
    word = match.group(1).lower()
    return word in _ABBREVIATIONS or (len(word) == 1 and text[dot - 1].isupper())


_TITLE_BREAK = re.compile(r"(?<=[^.!?…:;,\n])\n(?=[ \t]*[\"“‘(\[]?[A-Z0-9])")


def _boundaries(text: str, start: int, end: int) -> list[re.Match[str]]:
    """Sentence ends, plus line breaks after short title-like lines (captions, credits)."""
    found = list(_BOUNDARY.finditer(text, start, end))
    for m in _TITLE_BREAK.finditer(text, start, end):
        line_start = text.rfind("\n", start, m.start()) + 1 or start
        if m.start() - max(line_start, start) <= 80:
            found.append(m)
    return sorted(found, key=lambda m: m.start())


def _split_prose(text: str, start: int, end: int) -> list[Span]:
    out: list[Span] = []
    cursor = start
    for m in _boundaries(text, start, end):
        if m.end() <= cursor:
            continue
        if (
            text[m.start()] == "."
            and m.end() - m.start() == 1
            and _is_abbreviation(text, m.start())
        ):
            continue
        out.append(Span(cursor, m.end()))
        cursor = m.end()
    out.append(Span(cursor, end))
    return out


def _trim(text: str, span: Span) -> Span | None:
    start, end = span.start, span.end
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if end - start < 2 or not any(c.isalnum() for c in text[start:end]):
        return None
    return Span(start, end)


def _lines(text: str, span: Span) -> list[Span]:
    out, cursor = [], span.start
    for m in re.finditer(r"\n", text[span.start : span.end]):
        out.append(Span(cursor, span.start + m.start()))
        cursor = span.start + m.end()
    out.append(Span(cursor, span.end))
    return out


_FENCE = re.compile(r"^[ \t]*(?:```|~~~)")


def _split_code(text: str, blocks: list[Span]) -> tuple[list[Span], list[Span]]:
    """Blocks minus fenced code, and the code's lines apart.

    A code line is its own unit: `port: 4000` or `bundle info minima` answers a question
    on its own, but is no prose sentence to run on into the next one.
    """
    out: list[Span] = []
    code: list[Span] = []
    in_code = False
    for block in blocks:
        kept: list[Span] = []
        for line in _lines(text, block):
            if _FENCE.match(text[line.start : line.end]):
                in_code = not in_code
            elif in_code:
                code.append(line)
            elif kept and kept[-1].end + 1 == line.start:
                kept[-1] = Span(kept[-1].start, line.end)
            else:
                kept.append(line)
        out.extend(kept)
    return out, code


_FIELD_LINE = re.compile(r"[ \t]*[A-Za-z][\w .()/-]{0,40}?[ \t]*:(?:[ \t]+\S|[ \t]*$)")
_CONTINUATION = re.compile(r"[ \t]+\S|-[ \t]+\S")
_FRONT_MATTER_FENCE = re.compile(r"[ \t]*(?:---|\+\+\+)[ \t]*$")


def field_units(text: str, block: Span) -> list[Span] | None:
    """The fields of a `Key: value` block (an RFC 822 header, front matter), else None.

    A field runs on over its indented continuation lines and YAML list items, so an author
    list written over several lines stays one citable unit.
    """
    units: list[Span] = []
    for ln in _lines(text, block):
        line = text[ln.start : ln.end]
        if not line.strip() or _FRONT_MATTER_FENCE.match(line):
            continue
        if units and _CONTINUATION.match(line):
            units[-1] = Span(units[-1].start, ln.end)
        elif (_FIELD_LINE.match(line) and not line.rstrip().endswith((".", "?", "!"))) or (
            _FIELD_LINE.match(line) and len(line) <= 80
        ):
            units.append(ln)
        else:
            return None
    return units if len(units) >= 2 else None


def sentence_spans(text: str, blocks: list[Span]) -> list[Span]:
    """Sentences of `text` within `blocks`; headings, list items and fields are units too."""
    prose, code = _split_code(text, blocks)
    out: list[Span] = [t for t in (_trim(text, line) for line in code) if t]
    for block in prose:
        fields = field_units(text, block)
        if fields:
            out.extend(t for t in (_trim(text, f) for f in fields) if t)
            continue
        lines = _lines(text, block)
        structural = any(_STRUCTURAL_LINE.match(text, ln.start, ln.end) for ln in lines)
        units = lines if structural else [block]
        for unit in units:
            marker = _LEAD_MARKER.match(text, unit.start, unit.end) if structural else None
            start = marker.end() if marker else unit.start
            for piece in _split_prose(text, start, unit.end):
                trimmed = _trim(text, piece)
                if trimmed:
                    out.append(trimmed)
    return sorted(out, key=lambda span: span.start)
