"""Drop page boilerplate (ads, newsletter prompts, teaser headlines) without touching content.

Cleaning never rewrites text: it returns the spans of the extracted text worth keeping, so
every chunk and citation can point back at exact offsets in the original.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_BLOCK = re.compile(r"\S(?:.*?\S)?(?=\n[ \t]*\n|\s*\Z)", re.DOTALL)

_BOILERPLATE = re.compile(
    r"""^(?:
        [-–—*\s]*advertisement[-–—*\s]*
      | (?:subscribe|sign\ up)\ (?:to|for)\ (?:our|the)\ newsletter.*
      | (?:latest|latest\ news|don'?t\ miss|related(?:\ (?:posts|articles|stories))?|read\ more
         |more\ (?:from|stories|news).*|trending(?:\ now)?|popular(?:\ posts)?|most\ read
         |recommended(?:\ for\ you)?|you\ may\ also\ like|share(?:\ this)?(?:\ article)?
         |follow\ us.*|tags?:.*|previous\ article|next\ article|leave\ a\ (?:reply|comment)
         |skip\ to\ (?:main\ )?content|all\ rights\ reserved.*|©.*|copyright\ ©?.*)
    )$""",
    re.IGNORECASE | re.VERBOSE,
)
_SECTION_MARKER = re.compile(
    r"^(?:latest|latest\ news|don'?t\ miss|related(?:\ (?:posts|articles|stories))?"
    r"|more\ (?:from|stories|news).*|trending(?:\ now)?|popular(?:\ posts)?|most\ read"
    r"|recommended(?:\ for\ you)?|you\ may\ also\ like)$",
    re.IGNORECASE | re.VERBOSE,
)
_TRUNCATED = re.compile(r"(?:\.\.\.|…)\s*$")
_TERMINAL = re.compile(r"""[.:;,"”’)\]]\s*$""")


@dataclass(frozen=True)
class Span:
    start: int
    end: int


def _is_headline(block: str) -> bool:
    return "\n" not in block and len(block.split()) <= 16 and not _TERMINAL.search(block)


def _key(block: str) -> str:
    return " ".join(block.split()).casefold()


def blocks(text: str) -> list[Span]:
    """Paragraph blocks: runs of text separated by blank lines, whitespace trimmed."""
    return [Span(m.start(), m.end()) for m in _BLOCK.finditer(text)]


def keep_spans(text: str) -> list[Span]:
    """Spans of `text` that carry content, in order."""
    spans = blocks(text)
    parts = [text[s.start : s.end] for s in spans]
    drop = [False] * len(spans)
    seen: set[str] = set()
    in_teasers = False
    for i, part in enumerate(parts):
        key = _key(part)
        if not any(ch.isalnum() for ch in key):
            continue  # punctuation-only blocks (a closing code fence) are structure, not content
        if _BOILERPLATE.match(key):
            drop[i] = True
            if _SECTION_MARKER.match(key):
                in_teasers = True
        elif key in seen:
            drop[i] = True
        elif _TRUNCATED.search(part):
            drop[i] = True
            if i > 0 and _is_headline(parts[i - 1]):
                drop[i - 1] = True
        elif in_teasers and _is_headline(part):
            drop[i] = True
        else:
            in_teasers = False
        seen.add(key)
    return [s for s, d in zip(spans, drop, strict=True) if not d]
