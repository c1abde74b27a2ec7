"""`Key: value` fields at the top of a text: Markdown front matter or an RFC 822 style header."""

from __future__ import annotations

import re

_FRONT_MATTER = re.compile(
    r"\A\ufeff?(?:---|\+\+\+)[ \t]*\n(.*?)\n(?:---|\+\+\+)[ \t]*(?:\n|\Z)", re.S
)
_FIELD = re.compile(r"([A-Za-z][\w .-]{0,40}?)[ \t]*[:=][ \t]+(\S.*)")


def leading_fields(text: str) -> dict[str, str]:
    """Front matter's or the first block's top-level fields, keys lower-cased; {} if none.

    A first block counts as a header only when every unindented line is a field.
    """
    m = _FRONT_MATTER.match(text)
    block = m.group(1) if m else text.lstrip("\ufeff").split("\n\n", 1)[0]
    fields: dict[str, str] = {}
    for line in block.splitlines():
        if not line.strip() or line[0] in " \t-":
            continue
        f = _FIELD.fullmatch(line.rstrip())
        if f is None:
            if m:
                continue
            return {}
        fields.setdefault(f.group(1).strip().lower(), f.group(2).strip().strip("\"'"))
    return fields if m or len(fields) >= 2 else {}
