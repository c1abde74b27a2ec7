"""Where a search's time goes: each stage of `Retriever.search`, per query, in process.

The 240 XQuAD paragraph files are indexed; each of the held-out questions is searched as
`POST /v1/search` does (hybrid, top 5). Every call the search makes into the embedder,
the document store and the vector store is timed; what is left is Python in between
(fusion, the document boost, the diversity pass, building hits). The baseline, in the same
run, is the bare dense search a tutorial pipeline does: embed the question and ask Chroma
for 5 nearest chunks.

Usage: python benchmarks/profile_search.py [--limit N] [--rounds 2]
"""

from __future__ import annotations

import argparse
import functools
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench_search_xquad import write_corpus  # noqa: E402

from service.components import Components  # noqa: E402
from service.settings import Settings  # noqa: E402

SPENT: dict[str, float] = defaultdict(float)


def timed(owner: Any, method: str, stage: str) -> None:
    """Replace `owner.method` with a wrapper adding its time to `stage`."""
    inner: Callable[..., Any] = getattr(owner, method)

    @functools.wraps(inner)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return inner(*args, **kwargs)
        finally:
            SPENT[stage] += time.perf_counter() - started

    setattr(owner, method, wrapper)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=0)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        corpus = Path(tmp) / "corpus"
        corpus.mkdir()
        held_out = [question for question, _ in write_corpus(corpus)["last"]]
        questions = held_out[: args.limit or None]
        comps = Components(Settings(_env_file=None, data_dir=Path(tmp) / "data"))  # type: ignore[call-arg]
        comps.ingestor.ingest([corpus], collection="xq")
        retriever = comps.retriever
        docs, vectors, embedder = retriever.documents, retriever.hybrid.vectors, comps.embedder
        for method in ("embed_one",):
            timed(embedder, method, "query embedding")
        timed(vectors, "query", "vector store: nearest chunks")
        timed(vectors, "embeddings", "vector store: vectors of keyword hits")
        timed(docs, "keyword_search", "document store: keyword search")
        timed(docs, "live_chunks", "document store: live chunks")
        timed(docs, "neighbours", "document store: neighbour chunks")
        timed(docs, "stamp", "document store: collection stamp")
        timed(docs, "records", "document store: names (on change)")
        timed(docs, "matching_documents", "document store: filters")
        search = retriever.search
        mode = comps.settings.retrieval.mode

        def bare_dense(q: str) -> None:
            vectors.query("xq", embedding=embedder.embed_one(q), top_k=5)

        for q in questions[:5]:
            search(q, collection="xq", top_k=5, mode=mode)
            bare_dense(q)
        for r in range(args.rounds):
            SPENT.clear()
            totals: list[float] = []
            for q in questions:
                started = time.perf_counter()
                search(q, collection="xq", top_k=5, mode=mode)
                totals.append(time.perf_counter() - started)
            spent = dict(SPENT)
            SPENT.clear()
            dense: list[float] = []
            for q in questions:
                started = time.perf_counter()
                bare_dense(q)
                dense.append(time.perf_counter() - started)
            n = len(questions)
            total = sum(totals)
            print(f"\nround {r + 1}: {n} questions, {mode}, top 5")
            for stage, seconds in sorted(spent.items(), key=lambda kv: -kv[1]):
                print(f"  {stage:40s} {1000 * seconds / n:7.2f} ms  {seconds / total:6.1%}")
            rest = total - sum(spent.values())
            print(
                f"  {'python: fusion, diversity, hits':40s} {1000 * rest / n:7.2f} ms  "
                f"{rest / total:6.1%}"
            )
            p50 = statistics.median(totals) * 1000
            base = statistics.median(dense) * 1000
            print(
                f"  search p50 {p50:.2f} ms; bare dense (embed + 5 nearest) p50 {base:.2f} ms;"
                f" ratio {p50 / base:.2f}"
            )
        comps.close()


if __name__ == "__main__":
    main()
