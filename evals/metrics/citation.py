"""ALCE-style citation recall and precision, given a support judge's verdicts.

recall: share of answer statements whose cited passages, together, support them.
precision: share of citations that support their statement on their own, or without which
the rest would no longer support it (ALCE's "relevant" citation).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

Supports = Callable[[str, Sequence[str]], bool]


def citation_scores(
    statements: Sequence[tuple[str, Sequence[str]]], supports: Supports
) -> tuple[float, float, int]:
    """(recall, precision, citations) over (statement, cited quotes) pairs."""
    if not statements:
        return 0.0, 0.0, 0
    recalled = 0
    relevant = total = 0
    for text, quotes in statements:
        together = bool(quotes) and supports(text, quotes)
        recalled += together
        for i, q in enumerate(quotes):
            total += 1
            alone = supports(text, [q])
            others = [x for j, x in enumerate(quotes) if j != i]
            needed = together and not (others and supports(text, others))
            relevant += alone or needed
    return recalled / len(statements), (relevant / total if total else 0.0), total
