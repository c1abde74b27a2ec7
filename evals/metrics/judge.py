"""Judge-based metrics (faithfulness, answer relevancy): the pure part, no model calls.

A judge score per question is a float in [0, 1], or None when the judge failed on that
question (bad JSON from a small model, a timeout, NaN). Failures are counted, never averaged.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from statistics import mean

JUDGE_METRICS = ("judge.faithfulness", "judge.answer_relevancy")


def clean_score(value: object) -> float | None:
    """A judge's raw output as a score in [0, 1], or None when it is not a usable number."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    number = float(value)
    if math.isnan(number) or math.isinf(number):
        return None
    return min(1.0, max(0.0, number))


def judge_metrics(scores: Sequence[Mapping[str, float | None]]) -> dict[str, float | int | None]:
    """Means over the judged questions, how many were judged and how many failed any score."""
    out: dict[str, float | int | None] = {"judge.n": len(scores)}
    for name in JUDGE_METRICS:
        values = [v for s in scores if (v := s.get(name)) is not None]
        out[name] = round(mean(values), 4) if values else None
    out["judge.failed"] = sum(any(s.get(name) is None for name in JUDGE_METRICS) for s in scores)
    return out
