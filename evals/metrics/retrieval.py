"""Ranking metrics over the retrieved list; `relevant` flags each rank (1-based order)."""

from __future__ import annotations

import math
from collections.abc import Sequence


def recall_at(relevant: Sequence[bool], k: int) -> float:
    """1 when any of the first k results is relevant (one gold per question)."""
    return 1.0 if any(relevant[:k]) else 0.0


def mrr(relevant: Sequence[bool]) -> float:
    return next((1.0 / (i + 1) for i, r in enumerate(relevant) if r), 0.0)


def ndcg_at(relevant: Sequence[bool], k: int) -> float:
    gains = [1.0 / math.log2(i + 2) for i, r in enumerate(relevant[:k]) if r]
    ideal_hits = min(sum(relevant), k)
    ideal = sum(1.0 / math.log2(i + 2) for i in range(ideal_hits))
    return sum(gains) / ideal if ideal else 0.0
