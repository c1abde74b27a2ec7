"""The diversity pass of search: vectorized select_diverse against the item-by-item definition.

Same inputs in the same process: 80 candidates (40 per side) of 384-dim embeddings from
30 documents, per-document cap 1, near-duplicate threshold 0.95, at top_k 5, 20 and 100
(the `/v1/search` maximum). Prints each time and the speed-up ratio.
Usage: python benchmarks/bench_select_diverse.py
"""

from __future__ import annotations

import random
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from service.retrieval.fusion import select_diverse  # noqa: E402
from tests.unit.test_fusion import naive_select_diverse  # noqa: E402


def best_of(fn: Callable[[], object], repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def main() -> None:
    rnd = random.Random(0)
    keys = [f"c{i}" for i in range(80)]
    relevance = {k: rnd.random() for k in keys}
    vectors = {k: [rnd.gauss(0, 1) for _ in range(384)] for k in keys}
    groups = {k: f"d{i % 30}" for i, k in enumerate(keys)}
    order = sorted(keys, key=lambda k: -relevance[k])
    common = {"mmr_lambda": 1.0, "duplicate_similarity": 0.95, "group_of": groups, "per_group": 1}
    for top_k in (5, 20, 100):
        fast = best_of(lambda k=top_k: select_diverse(order, relevance, vectors, top_k=k, **common))
        slow = best_of(
            lambda k=top_k: naive_select_diverse(order, relevance, vectors, top_k=k, **common)
        )
        print(
            f"top_k {top_k:3d}: vectorized {fast * 1000:8.2f} ms, item by item "
            f"{slow * 1000:8.2f} ms, ratio {slow / fast:6.1f}x"
        )


if __name__ == "__main__":
    main()
