"""Tune PostgreSQL's bm25 on the XQuAD tuning half (articles 0-23) only; report the held-out
half once, for the chosen parameters, beside SQLite's FTS5 on the same questions.

The corpus is indexed once per backend into throwaway stores; questions are embedded once.
Usage: python benchmarks/tune_pg_keywords.py [--postgres-url URL] [--heldout K1,B,TITLE,IDF]
"""

from __future__ import annotations

import argparse
import itertools
import sys
import tempfile
from collections.abc import Sequence
from contextlib import ExitStack
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.bench_search_xquad import write_corpus  # noqa: E402
from ingest.embeddings import Embedder  # noqa: E402
from ingest.storage.postgres.keywords import Bm25  # noqa: E402
from service.components import Components, Overrides, default_embedder  # noqa: E402
from service.settings import Settings  # noqa: E402


class Memo(Embedder):
    def __init__(self, inner: Embedder) -> None:
        self.inner = inner
        self.name = inner.name
        self.memo: dict[str, list[float]] = {}

    def embed_batch(self, texts: Sequence[str]) -> list[list[float]]:
        return self.inner.embed_batch(texts)

    def embed_one(self, text: str) -> list[float]:
        if text not in self.memo:
            self.memo[text] = self.inner.embed_one(text)
        return self.memo[text]


def recall(comps: Components, questions: list[tuple[str, str]]) -> tuple[float, float]:
    at1 = at5 = 0
    for question, gold in questions:
        hits = comps.retriever.search(question, collection="xq", top_k=5, mode="hybrid").hits
        sources = [h.source for h in hits]
        at1 += bool(sources) and sources[0] == gold
        at5 += gold in sources
    return at1 / len(questions), at5 / len(questions)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres-url", default="")
    parser.add_argument("--heldout", default="", help="k1,b,title,idf to report held-out for")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp_name, ExitStack() as stack:
        tmp = Path(tmp_name)
        corpus = tmp / "xquad"
        corpus.mkdir()
        halves = write_corpus(corpus)
        url = args.postgres_url
        if not url:
            from tests.postgres_server import DATABASE

            stack.callback(DATABASE.close)
            url = DATABASE.url_for(tmp / "tune")  # a throwaway server, migrated
        from ingest.storage.postgres.migrations import upgrade

        upgrade(url)
        memo = Memo(default_embedder(Settings(_env_file=None)))  # type: ignore[call-arg]
        made = {}
        for backend, db in (("sqlite", None), ("postgres", url)):
            settings = Settings(_env_file=None, data_dir=tmp / backend, database_url=db)  # type: ignore[call-arg]
            comps = Components(settings, Overrides(embedder=memo))
            comps.ingestor.ingest([corpus], collection="xq")
            stack.callback(comps.close)
            made[backend] = comps
        base1, base5 = recall(made["sqlite"], halves["first"])
        print(f"tuning half, sqlite fts5: recall@1 {base1:.3f} recall@5 {base5:.3f}")
        store = made["postgres"].storage.documents
        if args.heldout:
            k1, b, title, idf = args.heldout.split(",")
            grid = [Bm25(float(k1), float(b), float(title), idf == "robertson")]
        else:
            grid = [
                Bm25(k1, b, title, robertson)
                for k1, b, title, robertson in itertools.product(
                    (0.9, 1.2, 1.6), (0.5, 0.75, 0.9), (0.5, 1.0), (True, False)
                )
            ]
        scored = []
        for params in grid:
            store.keywords.bm25 = params  # type: ignore[attr-defined]
            r1, r5 = recall(made["postgres"], halves["first"])
            scored.append((r1, r5, params))
            print(f"tuning half, postgres {params}: recall@1 {r1:.3f} recall@5 {r5:.3f}")
        best = max(scored, key=lambda s: (s[0], s[1]))
        print(f"\nbest on the tuning half: {best[2]} recall@1 {best[0]:.3f} recall@5 {best[1]:.3f}")
        if args.heldout:
            h1, h5 = recall(made["postgres"], halves["last"])
            s1, s5 = recall(made["sqlite"], halves["last"])
            print(f"held-out half, postgres {best[2]}: recall@1 {h1:.3f} recall@5 {h5:.3f}")
            print(f"held-out half, sqlite fts5:        recall@1 {s1:.3f} recall@5 {s5:.3f}")


if __name__ == "__main__":
    main()
