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


def em_recall(answer: str, aliases: Sequence[str]) -> float:
    """1 when a normalized gold alias appears in the answer (ALCE/RGB style), else 0."""
    return 1.0 if contains_alias(answer, aliases) else 0.0


def token_f1(prediction: str, gold: str) -> float:
    """SQuAD token F1 between two strings."""
    p, g = normalize(prediction).split(), normalize(gold).split()
    if not p or not g:
        return float(p == g)
    common = sum(min(p.count(t), g.count(t)) for t in set(p) & set(g))
    if common == 0:
        return 0.0
    precision, recall = common / len(p), common / len(g)
    return 2 * precision * recall / (precision + recall)


def best_sentence_f1(sentences: Sequence[str], aliases: Sequence[str]) -> float:
    """SQuAD F1 of the answer's best sentence against the best gold alias."""
    return max((token_f1(s, a) for s in sentences for a in aliases), default=0.0)
