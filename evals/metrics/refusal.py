"""Refusal behaviour: refusing the unanswerable, not refusing the answerable."""

from __future__ import annotations

from collections.abc import Sequence


def refusal_accuracy(refused_on_unanswerable: Sequence[bool]) -> float | None:
    n = len(refused_on_unanswerable)
    return sum(refused_on_unanswerable) / n if n else None


def false_refusal_rate(refused_on_answerable: Sequence[bool]) -> float | None:
    n = len(refused_on_answerable)
    return sum(refused_on_answerable) / n if n else None
