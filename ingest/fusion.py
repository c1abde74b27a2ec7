"""Pure ranking helpers: reciprocal rank fusion and diversity-aware selection."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence


def rrf(
    rankings: Sequence[Sequence[str]], *, weights: Sequence[float], k: float
) -> dict[str, float]:
    """Reciprocal rank fusion (Cormack et al. 2009): sum of weight / (k + rank), rank from 1."""
    if len(rankings) != len(weights):
        raise ValueError("one weight per ranking")
    fused: dict[str, float] = {}
    for ranking, weight in zip(rankings, weights, strict=True):
        for rank, key in enumerate(ranking, start=1):
            fused[key] = fused.get(key, 0.0) + weight / (k + rank)
    return fused


def convex(scores: Sequence[Mapping[str, float]], *, weights: Sequence[float]) -> dict[str, float]:
    """Weighted sum of each side's scores divided by that side's best score (0 when absent).

    Scaling by the maximum keeps each side's spread (a weak best match stays weak), which
    on our tuning questions beat both min-max scaling and rank fusion.
    """
    if len(scores) != len(weights):
        raise ValueError("one weight per score list")
    fused: dict[str, float] = {}
    for side, weight in zip(scores, weights, strict=True):
        top = max(side.values(), default=0.0)
        for key, value in side.items():
            share = value / top if top > 0 else 0.0
            fused[key] = fused.get(key, 0.0) + weight * share
    return fused


def boost_by_group(
    scores: Mapping[str, float], group_of: Mapping[str, str], *, weight: float, depth: int = 2
) -> dict[str, float]:
    """Each score plus `weight` times the `depth` best scores of the other items in its group.

    A document with several matching passages is more likely about the question than one
    with a single lucky match. The order inside a group never changes: every member gains
    from the same best scores, and the best member gains least relative to its own score.
    """
    if weight <= 0:
        return dict(scores)
    members: dict[str, list[float]] = {}
    for key, value in scores.items():
        members.setdefault(group_of.get(key, key), []).append(value)
    for values in members.values():
        values.sort(reverse=True)
    boosted: dict[str, float] = {}
    for key, value in scores.items():
        best = members[group_of.get(key, key)][: depth + 1]
        others = sum(best) - (value if value in best else best[-1])
        boosted[key] = value + weight * others
    return boosted


def cosine(a: Sequence[float], b: Sequence[float]) -> float:
    dot = sum(x * y for x, y in zip(a, b, strict=True))
    na = math.sqrt(sum(x * x for x in a))
    nb = math.sqrt(sum(y * y for y in b))
    return dot / (na * nb) if na and nb else 0.0


def select_diverse(
    order: Sequence[str],
    relevance: dict[str, float],
    vectors: Mapping[str, Sequence[float]],
    *,
    top_k: int,
    mmr_lambda: float,
    duplicate_similarity: float,
    group_of: Mapping[str, str] | None = None,
    per_group: int = 0,
) -> list[str]:
    """Maximal marginal relevance over `order`, dropping near-duplicates of chosen items.

    `relevance` is rescaled to [0, 1] so it is comparable to cosine similarity;
    `mmr_lambda` 1.0 keeps the fused order and only removes near-duplicates.
    With `per_group`, at most that many items of one group (document) are chosen while
    other groups still have candidates; leftover slots are then filled in order.
    """
    if not order:
        return []
    top = max(relevance[key] for key in order)
    low = min(relevance[key] for key in order)
    spread = (top - low) or 1.0
    chosen: list[str] = []
    passes = [per_group, 0] if per_group and group_of is not None else [0]
    for cap in passes:
        pool = [key for key in order if key not in chosen]
        while pool and len(chosen) < top_k:
            best_key, best_value = None, -math.inf
            for key in pool:
                if cap and group_of is not None:
                    group = group_of.get(key)
                    if sum(group_of.get(c) == group for c in chosen) >= cap:
                        continue
                similarity = _max_similarity(key, chosen, vectors)
                if similarity >= duplicate_similarity:
                    continue
                value = mmr_lambda * (relevance[key] - low) / spread - (1 - mmr_lambda) * similarity
                if value > best_value:
                    best_key, best_value = key, value
            if best_key is None:
                break
            chosen.append(best_key)
            pool.remove(best_key)
    return chosen


def _max_similarity(key: str, chosen: list[str], vectors: Mapping[str, Sequence[float]]) -> float:
    mine = vectors.get(key)
    if not mine:
        return 0.0
    return max((cosine(mine, vectors[c]) for c in chosen if c in vectors), default=0.0)
