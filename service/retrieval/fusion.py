"""Pure ranking helpers: reciprocal rank fusion and diversity-aware selection."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np


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


def cosines(query: Sequence[float], vectors: Mapping[str, Sequence[float]]) -> dict[str, float]:
    """Cosine similarity of the query with each vector (0 for a zero vector), in one product."""
    if not vectors:
        return {}
    keys = list(vectors)
    unit, has_vector = _unit_rows([vectors[k] for k in keys])
    q = np.asarray(query, dtype=float)
    norm = float(np.linalg.norm(q))
    scores = unit @ (q / norm) if norm else np.zeros(len(keys))
    return {k: float(s) if ok else 0.0 for k, s, ok in zip(keys, scores, has_vector, strict=True)}


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
    Each item's similarity to the chosen ones is kept up to date with one matrix-vector
    product per pick, so top_k 100 over hundreds of candidates stays fast.
    """
    keys = list(dict.fromkeys(order))
    if not keys:
        return []
    rel = np.array([relevance[key] for key in keys], dtype=float)
    spread = (rel.max() - rel.min()) or 1.0
    gain = mmr_lambda * (rel - rel.min()) / spread
    unit, has_vector = _unit_rows([vectors.get(key) for key in keys])
    closest = np.full(len(keys), -np.inf)  # best cosine to a chosen item that has a vector
    similarity = np.zeros(len(keys))
    taken = np.zeros(len(keys), dtype=bool)
    groups = [group_of.get(key) if group_of is not None else None for key in keys]
    per: dict[str | None, int] = {}
    chosen: list[str] = []
    passes = [per_group, 0] if per_group and group_of is not None else [0]
    for cap in passes:
        while len(chosen) < top_k:
            open_ = ~taken & (similarity < duplicate_similarity)
            if cap:
                open_ &= np.array([per.get(g, 0) < cap for g in groups])
            if not open_.any():
                break
            value = np.where(open_, gain - (1 - mmr_lambda) * similarity, -np.inf)
            pick = int(np.argmax(value))  # the first of equal values, i.e. the fused order
            chosen.append(keys[pick])
            taken[pick] = True
            per[groups[pick]] = per.get(groups[pick], 0) + 1
            if has_vector[pick]:
                closest = np.maximum(closest, unit @ unit[pick])
                similarity = np.where(has_vector, closest, 0.0)
    return chosen


def _unit_rows(rows: Sequence[Sequence[float] | None]) -> tuple[np.ndarray, np.ndarray]:
    """Rows scaled to unit length (zero rows stay zero) and which rows had a vector."""
    has_vector = np.array([row is not None and len(row) > 0 for row in rows])
    dim = next((len(row) for row in rows if row is not None and len(row) > 0), 0)
    matrix = np.zeros((len(rows), dim))
    for i, row in enumerate(rows):
        if has_vector[i]:
            matrix[i] = np.asarray(row, dtype=float)
    norms = np.linalg.norm(matrix, axis=1, keepdims=True) if dim else np.ones((len(rows), 1))
    return np.divide(matrix, norms, out=np.zeros_like(matrix), where=norms > 0), has_vector
