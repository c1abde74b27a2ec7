"""Heading paths ("Top > Sub > Subsub") as regions, for Markdown and anything turned into it."""

from __future__ import annotations

import re
from dataclasses import dataclass

from ingest.loaders.base import Region

_ATX = re.compile(r" {0,3}(#{1,6})(?=[ \t]|$)(.*)")
_CLOSING_HASHES = re.compile(r"(?:^|[ \t]+)#+$")
_FENCE_OPEN = re.compile(r" {0,3}(`{3,}|~{3,})")
_FENCE_CLOSE = re.compile(r" {0,3}(`{3,}|~{3,})[ \t]*")


@dataclass(frozen=True)
class Heading:
    start: int
    level: int
    text: str


def section_regions(headings: list[Heading], end: int) -> list[Region]:
    """One region per heading, running to the next heading of any level.

    Regions tile the text after the first heading, so each offset has exactly one section,
    and the path carries the enclosing headings a reader needs to place it.
    """
    regions: list[Region] = []
    path: list[Heading] = []
    for i, heading in enumerate(headings):
        while path and path[-1].level >= heading.level:
            path.pop()
        path.append(heading)
        stop = headings[i + 1].start if i + 1 < len(headings) else end
        label = " > ".join(h.text for h in path if h.text)
        regions.append(Region(start=heading.start, end=stop, metadata={"section": label}))
    return regions


def markdown_headings(text: str) -> list[Heading]:
    """ATX headings (`#` to `######`) outside fenced code, where `#` starts shell comments."""
    headings: list[Heading] = []
    fence = ""
    pos = 0
    for line in text.split("\n"):
        start, pos = pos, pos + len(line) + 1
        if fence:
            close = _FENCE_CLOSE.fullmatch(line)
            if close and close.group(1)[0] == fence[0] and len(close.group(1)) >= len(fence):
                fence = ""
            continue
        if opening := _FENCE_OPEN.match(line):
            fence = opening.group(1)
            continue
        if match := _ATX.match(line):
            title = _CLOSING_HASHES.sub("", match.group(2).strip()).strip()
            headings.append(Heading(start=start, level=len(match.group(1)), text=title))
    return headings
