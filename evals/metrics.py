"""Pure scoring of one answer against gold; no model calls."""

from __future__ import annotations

import re
import string
import unicodedata
from collections.abc import Sequence

_ARTICLES = re.compile(r"\b(?:a|an|the)\b")


def normalize(text: str) -> str:
    """SQuAD-style: lower case, no punctuation or articles, single spaces."""
    text = unicodedata.normalize("NFKC", text).lower().replace("’", "'")
    text = "".join(" " if ch in string.punctuation or ch in "“”‘" else ch for ch in text)
    return " ".join(_ARTICLES.sub(" ", text).split())


def contains_alias(answer: str, aliases: Sequence[str]) -> bool:
    haystack = f" {normalize(answer)} "
    return any(f" {normalize(a)} " in haystack for a in aliases if normalize(a))


def answers_all(answer: str, groups: Sequence[Sequence[str]]) -> bool:
    """Every group (one gold item, given as aliases) appears in the answer."""
    return all(contains_alias(answer, g) for g in groups)


def supported_by(quotes: Sequence[str], support: str) -> bool:
    return any(normalize(support) in normalize(q) for q in quotes)
