"""Embedding backends side by side, in one run: texts/s at ingest, query latency, ingest.

The texts are exactly what ingest embeds for the 240 XQuAD paragraph files (chunks headed
by their title, then every sentence). The baseline is the torch path as it ran before the
ONNX backend: sentence-transformers on batches cut in ingest order. Each backend then runs
with length-sorted batches. Rounds alternate the backends so machine noise shows.

- embed: texts/s over all of those texts, at the configured batch size;
- query: median ms to embed one question (200 XQuAD questions, one at a time);
- ingest: first ingest of the 240 files end to end (parse, chunk, embed, write), bytes/s.

Usage: python benchmarks/bench_embeddings.py [--rounds 2] [--batch-sizes 8,16,32]
       [--backends torch,onnx,onnx-int8] [--no-ingest]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench_search_xquad import write_corpus  # noqa: E402

from ingest.embeddings import Embedder  # noqa: E402
from service.components import Components, default_embedder  # noqa: E402
from service.settings import Settings  # noqa: E402


def ingest_texts(comps: Components, corpus: Path) -> list[str]:
    """What `Ingestor._embed_and_write` hands the embedder for these files, in its order."""
    ingestor = comps.ingestor
    chunks: list[str] = []
    sentences: list[str] = []
    for path in sorted(corpus.iterdir()):
        doc = ingestor.prepare(path, "bench")
        assert doc is not None
        chunks += [doc.embedding_text(c, with_title=ingestor.title_context) for c in doc.chunks]
        sentences += [doc.text[s.start : s.end] for s in doc.sentences]
    return chunks + sentences


def unsorted(embedder: Embedder, texts: Sequence[str], batch_size: int) -> None:
    """The batching before this change: slices in the order given."""
    for i in range(0, len(texts), batch_size):
        embedder.embed_batch(texts[i : i + batch_size])


def timed(work: Callable[[], object]) -> float:
    started = time.perf_counter()
    work()
    return time.perf_counter() - started


def settings(data_dir: Path, backend: str) -> Settings:
    return Settings(_env_file=None, data_dir=data_dir, embeddings={"backend": backend})  # type: ignore[call-arg]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--batch-sizes", default="8,16,32")
    parser.add_argument("--backends", default="torch,onnx,onnx-int8")
    parser.add_argument("--no-ingest", action="store_true")
    args = parser.parse_args()
    backends = args.backends.split(",")
    sizes = [int(b) for b in args.batch_sizes.split(",")]

    with tempfile.TemporaryDirectory() as tmp:
        corpus = Path(tmp) / "corpus"
        corpus.mkdir()
        questions = [question for question, _ in write_corpus(corpus)["first"][:200]]
        size = sum(path.stat().st_size for path in corpus.iterdir())
        probe = Components(settings(Path(tmp) / "probe", "onnx-int8"))
        texts = ingest_texts(probe, corpus)
        probe.close()
        embedders = {b: default_embedder(settings(Path(tmp), b)) for b in backends}
        for e in embedders.values():
            e.embed_one("warm up")
        files = len(list(corpus.iterdir()))
        print(f"{files} files, {size} bytes; ingest embeds {len(texts)} texts")

        rates: dict[str, list[float]] = {}
        query_ms: dict[str, list[float]] = {}
        for r in range(args.rounds):
            for bs in sizes:
                if "torch" in embedders:
                    t = timed(lambda bs=bs: unsorted(embedders["torch"], texts, bs))
                    rates.setdefault(f"torch unsorted bs={bs}", []).append(len(texts) / t)
                for name, e in embedders.items():
                    t = timed(lambda e=e, bs=bs: e.embed(texts, batch_size=bs))
                    rates.setdefault(f"{name} bs={bs}", []).append(len(texts) / t)
            for name, e in embedders.items():
                each = [timed(lambda e=e, q=q: e.embed_one(q)) * 1000 for q in questions]
                query_ms.setdefault(name, []).append(statistics.median(each))
            print(f"round {r + 1} done")

        base_key = f"torch unsorted bs={max(sizes)}"
        base = statistics.median(rates[base_key]) if base_key in rates else None
        print(f"\nembed texts/s (rounds), ratio to {base_key}:")
        for key, values in rates.items():
            ratio = f"{statistics.median(values) / base:.2f}x" if base else "-"
            print(f"  {key:28s} {' / '.join(f'{v:6.1f}' for v in values)}  {ratio}")
        print("\nquery embedding, median ms (rounds), ratio torch/backend:")
        for name, values in query_ms.items():
            speedup = statistics.median(query_ms.get("torch", values)) / statistics.median(values)
            print(f"  {name:28s} {' / '.join(f'{v:6.2f}' for v in values)}  {speedup:.2f}x")

        if args.no_ingest:
            return
        print("\nfirst ingest of the 240 files, end to end (configured batch size):")
        seconds: dict[str, list[float]] = {}
        for r in range(args.rounds):
            for name in backends:
                comps = Components(settings(Path(tmp) / f"data-{name}-{r}", name))
                comps.embedder.embed_one("warm up")
                seconds.setdefault(name, []).append(
                    timed(lambda c=comps: c.ingestor.ingest([corpus], collection="bench"))
                )
                comps.close()
        for name, values in seconds.items():
            best = statistics.median(values)
            ratio = statistics.median(seconds.get("torch", values)) / best
            print(
                f"  {name:10s} {' / '.join(f'{v:5.1f} s' for v in values)}  "
                f"{size / best / 1000:.1f} kB/s  {ratio:.2f}x torch"
            )


if __name__ == "__main__":
    main()
