"""One collection grown to 100,000 chunks: search latency, disk and ingest rate at each size.

The goal is `POST /v1/search` at p50 <= 30 ms with 100,000 chunks, and latency that grows
much slower than the collection. One data dir grows through the sizes (1k -> 10k -> 100k):
each stage copies the one before and ingests more files into the same collection. Then
XQuAD and SQuAD 2.0 questions, about this same text, go through the call `/v1/search`
makes, in process (`retriever.search(q, top_k=5, mode=...)`): in the configured mode, and
dense and keyword alone, which scale differently (Chroma's HNSW, FTS5 bm25).

The shared datasets hold about 15,000 chunks of text, so documents are synthetic but made
of real sentences: 3-12 paragraphs from different XQuAD, SQuAD 2.0, RealTime QA news and
RGB paragraphs. Draw n has its own seeded RNG, so every run makes the same documents. Each
is chunked first with ingest's own cleaner and splitter: a draw that would repeat a chunk
already in the collection is skipped, so no two chunks are identical, and each stage
reaches its size exactly.

Stages are cached in --cache (default ~/.cache/ragchat/bench-scale), a folder per size and
the generated files under corpus/; `stage.json` marks a stage complete and keeps its ingest
figures, so a later run only searches. Disk is what `du` counts, for the SQLite file(s) and
the Chroma folder. Ingest embeds every chunk and every sentence, so texts/s is shown too.

Run by hand, never in CI: 100,000 chunks take an hour or more of embedding on two cores.
Usage: python benchmarks/bench_scale.py [--sizes 1000,10000,100000] [--questions 200]
       [--cache DIR] [--rebuild]
"""

from __future__ import annotations

import argparse
import functools
import hashlib
import itertools
import json
import math
import random
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

from rich.progress import MofNCompleteColumn, Progress, TimeElapsedColumn

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DATASETS = ROOT.parent / "shared" / "datasets"

from ingest.chunking import chunk_text  # noqa: E402
from ingest.cleaning import keep_spans  # noqa: E402
from ingest.embeddings import Embedder  # noqa: E402
from ingest.sentences import sentence_spans  # noqa: E402
from service.components import Components, Overrides, default_embedder  # noqa: E402
from service.settings import Settings  # noqa: E402

COLLECTION = "scale"
GENERATOR = "v1"  # bump when documents are drawn differently: cached stages are then rebuilt
BATCH_CHUNKS = 2000  # chunks per ingest call (one folder of new files)
WARM_UP = 20  # questions before timing: loads each HNSW index and names index
MODES = ("hybrid", "dense", "keyword")


Paragraph = tuple[str, ...]  # its sentences


@dataclass
class Stage:
    """What `stage.json` keeps once a stage's index is complete."""

    fingerprint: str
    chunks: int = 0
    documents: int = 0
    draws: int = 0  # draws so far, kept or skipped: where the next stage goes on
    repeats: int = 0  # draws skipped for repeating a chunk
    added_chunks: int = 0  # ingested by this stage itself, after copying the one before
    ingest_seconds: float = 0.0
    texts_embedded: int = 0


class CountingEmbedder(Embedder):
    """Counts the texts sent to the model: ingest embeds every chunk and every sentence."""

    def __init__(self, inner: Embedder) -> None:
        self.inner = inner
        self.name = inner.name
        self.texts = 0

    def embed_batch(self, texts: Sequence[str]) -> list[list[float]]:
        self.texts += len(texts)
        return self.inner.embed_batch(texts)


def paragraphs() -> list[Paragraph]:
    """Every distinct source paragraph, split into sentences the way ingest splits them."""
    texts: list[str] = []
    for name in ("xquad/xquad.en.json", "squad2/dev-v2.0.json"):
        for art in json.loads((DATASETS / name).read_text(encoding="utf-8"))["data"]:
            texts += [para["context"] for para in art["paragraphs"]]
    for gcs in sorted((DATASETS / "realtimeqa").glob("*_gcs.jsonl")):
        for line in gcs.read_text(encoding="utf-8").splitlines():
            for res in json.loads(line).get("search_result", []):
                page = res.get("text", "")
                # Blocks the cleaner keeps, long enough to be prose rather than page furniture.
                blocks = [page[s.start : s.end] for s in keep_spans(page)]
                texts += [b for b in blocks if len(b.split()) >= 25]
    for line in (DATASETS / "rgb" / "en_fact.json").read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        passages = row.get("positive", []) + row.get("negative", [])
        texts += [p for p in passages if not p.rstrip().endswith(("...", "…"))]  # dropped
    out = []
    for text in dict.fromkeys(texts):
        spans = sentence_spans(text, keep_spans(text))
        if spans:
            out.append(tuple(text[s.start : s.end] for s in spans))
    return out


def questions(n: int) -> tuple[list[str], list[str]]:
    """XQuAD and answerable SQuAD 2.0 questions, shuffled: (warm-up, timed)."""
    asked: list[str] = []
    for name in ("xquad/xquad.en.json", "squad2/dev-v2.0.json"):
        for art in json.loads((DATASETS / name).read_text(encoding="utf-8"))["data"]:
            for para in art["paragraphs"]:
                asked += [qa["question"] for qa in para["qas"] if not qa.get("is_impossible")]
    unique = list(dict.fromkeys(asked))
    random.Random(0).shuffle(unique)
    return unique[:WARM_UP], unique[WARM_UP : WARM_UP + n]


class Documents:
    """Synthetic documents whose chunks are all new to the collection."""

    def __init__(
        self, pool: list[Paragraph], splitter: Any, *, seen: set[bytes], draws: int
    ) -> None:
        self.pool = pool
        self.splitter = splitter
        self.seen = seen  # digests of the collection's chunks
        self.draws = draws
        self.repeats = 0

    def compose(self, draw: int) -> list[str]:
        """3-12 paragraphs, each half or more of a source paragraph's sentences, shuffled.

        Kept in order, about half the draws near 100,000 chunks repeated a chunk, mostly
        SQuAD's long paragraphs, whose share of the text fell from the pool's 12% to 5%.
        Shuffled, about 40% are skipped there and SQuAD keeps 10%.
        """
        rng = random.Random(f"{GENERATOR}:{draw}")
        runs = []
        for i in rng.sample(range(len(self.pool)), rng.randint(3, 12)):
            sentences = self.pool[i]
            kept = rng.sample(sentences, rng.randint(math.ceil(len(sentences) / 2), len(sentences)))
            runs.append(" ".join(kept))
        return runs

    def chunks(self, parts: list[str]) -> list[str]:
        text = "\n\n".join(parts) + "\n"
        return [c.text for c in chunk_text(text, keep_spans(text), splitter=self.splitter)]

    def draw(self, draw: int, room: int) -> tuple[str, int] | None:
        """Draw `draw`'s text and chunk count, shortened to fit `room`; None to skip it."""
        parts = self.compose(draw)
        chunks = self.chunks(parts)
        while len(chunks) > room and len(parts) > 1:
            parts.pop()
            chunks = self.chunks(parts)
        if len(chunks) > room:
            return None
        digests = {hashlib.blake2b(c.encode(), digest_size=8).digest() for c in chunks}
        if len(digests) < len(chunks) or not digests.isdisjoint(self.seen):
            self.repeats += 1
            return None
        self.seen |= digests
        return "\n\n".join(parts) + "\n", len(chunks)

    def write(self, folder: Path, chunks: int) -> int:
        """Files holding exactly `chunks` new chunks, in `folder`; returns how many."""
        folder.mkdir(parents=True)
        files = 0
        while chunks:
            n, self.draws = self.draws, self.draws + 1
            if drawn := self.draw(n, chunks):
                (folder / f"doc-{n:07d}.txt").write_text(drawn[0], encoding="utf-8")
                chunks, files = chunks - drawn[1], files + 1
        return files


def components(data_dir: Path, embedder: Embedder) -> Components:
    settings = Settings(_env_file=None, data_dir=data_dir)  # type: ignore[call-arg]
    return Components(settings, Overrides(embedder=embedder))


def load_stage(folder: Path, fingerprint: str) -> Stage | None:
    marker = folder / "stage.json"
    if not marker.exists():
        return None
    stage = Stage(**json.loads(marker.read_text()))
    return stage if stage.fingerprint == fingerprint else None


def build(
    folder: Path,
    target: int,
    *,
    base: tuple[Path, Stage] | None,
    pool: list[Paragraph],
    embedder: CountingEmbedder,
    fingerprint: str,
) -> Stage:
    """Copy the base stage, then ingest new files a folder at a time up to `target` chunks."""
    corpus = folder.parent / "corpus" / folder.name
    shutil.rmtree(folder, ignore_errors=True)
    shutil.rmtree(corpus, ignore_errors=True)
    seen: set[bytes] = set()
    if base is None:
        stage = Stage(fingerprint)
        folder.mkdir(parents=True)
    else:
        shutil.copytree(base[0] / "data", folder / "data")
        digests = (base[0] / "chunks.blake2b").read_bytes()
        seen = {digests[i : i + 8] for i in range(0, len(digests), 8)}
        # Ingest figures are this stage's own; counts and draws go on from the base.
        stage = replace(base[1], added_chunks=0, ingest_seconds=0.0, texts_embedded=0)
    comps = components(folder / "data", embedder)
    docs = Documents(pool, comps.ingestor.splitter, seen=seen, draws=stage.draws)
    embedder.texts = 0
    columns = (*Progress.get_default_columns(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns) as progress:
        task = progress.add_task(f"chunks to {target:,}", total=target, completed=stage.chunks)
        while stage.chunks < target:
            batch = corpus / f"batch-{docs.draws:07d}"
            planned = min(BATCH_CHUNKS, target - stage.chunks)
            step = planned / docs.write(batch, planned)
            started = time.perf_counter()
            report = comps.ingestor.ingest(
                [batch],
                collection=COLLECTION,
                on_file=functools.partial(progress.advance, task, step),
            )
            stage.ingest_seconds += time.perf_counter() - started
            progress.update(task, completed=stage.chunks + planned)
            if report.failed or report.chunks != planned:
                raise SystemExit(f"{batch}: {report.chunks} chunks, {planned} planned: {report}")
            stage.chunks += report.chunks
            stage.added_chunks += report.chunks
            stage.documents += report.added
    stage.texts_embedded = embedder.texts
    stage.draws = docs.draws
    stage.repeats += docs.repeats
    if (vectors := comps.vectors.count(COLLECTION)) != stage.chunks:
        raise SystemExit(f"Chroma holds {vectors} vectors for {stage.chunks} chunks")
    comps.close()
    (folder / "chunks.blake2b").write_bytes(b"".join(sorted(docs.seen)))
    (folder / "stage.json").write_text(json.dumps(asdict(stage), indent=2))  # complete
    return stage


def measure(
    stages: list[Components], warm_up: list[str], timed: list[str]
) -> list[dict[str, list[float]]]:
    """Milliseconds per search, per stage and mode.

    Stages and modes take turns question by question, so the other work on the machine
    slows all of them alike and the ratios between sizes hold.
    """
    modes = list(dict.fromkeys((stages[0].settings.retrieval.mode, *MODES)))
    spent: list[dict[str, list[float]]] = [{mode: [] for mode in modes} for _ in stages]
    turns = [(c.retriever, ms, mode) for c, ms in zip(stages, spent, strict=True) for mode in modes]
    for q in warm_up:
        for retriever, _, mode in turns:
            retriever.search(q, collection=COLLECTION, top_k=5, mode=mode)
    for i, q in enumerate(timed):
        for retriever, ms, mode in turns[i % len(turns) :] + turns[: i % len(turns)]:
            started = time.perf_counter()
            retriever.search(q, collection=COLLECTION, top_k=5, mode=mode)
            ms[mode].append((time.perf_counter() - started) * 1000)
    return spent


def du(paths: list[Path]) -> int:
    """Bytes on disk, as `du` counts them (a preallocated HNSW file counts what it uses)."""
    files = [f for p in paths for f in ([p] if p.is_file() else p.rglob("*")) if f.is_file()]
    return sum(f.stat().st_blocks * 512 for f in files)


@dataclass
class Row:
    stage: Stage
    cached: bool
    ms: dict[str, list[float]]  # per mode, the configured one first
    sqlite: int
    chroma: int

    def p50(self, mode: str) -> float:
        return statistics.median(self.ms[mode])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000,100000", help="chunk counts")
    parser.add_argument("--questions", type=int, default=200)
    parser.add_argument("--cache", type=Path, default=Path("~/.cache/ragchat/bench-scale"))
    parser.add_argument("--rebuild", action="store_true", help="ignore cached stages")
    args = parser.parse_args()
    sizes = sorted({int(s) for s in args.sizes.split(",")})
    cache: Path = args.cache.expanduser().resolve()
    asked = questions(args.questions)
    embedder = CountingEmbedder(default_embedder(Settings(_env_file=None)))  # type: ignore[call-arg]
    embedder.embed_one("warm up")
    with tempfile.TemporaryDirectory() as tmp:
        probe = components(Path(tmp), embedder)
        fingerprint = f"{probe.ingestor.fingerprint}:{GENERATOR}"
        probe.close()
    pool: list[Paragraph] = []
    built: list[tuple[Path, Stage, bool]] = []
    for i, size in enumerate(sizes):
        folder = cache / str(size)
        stage = None if args.rebuild else load_stage(folder, fingerprint)
        cached = stage is not None
        if stage is None:
            # With --rebuild, only a stage this run built is grown.
            on_disk = [int(p.name) for p in cache.glob("*") if p.name.isdigit()]
            below = sizes[:i] if args.rebuild else on_disk
            base = base_for(size, below, cache=cache, fingerprint=fingerprint)
            print(f"building {size:,} chunks from {base[1].chunks if base else 0:,} in {folder}")
            pool = pool or paragraphs()
            stage = build(
                folder, size, base=base, pool=pool, embedder=embedder, fingerprint=fingerprint
            )
            seconds = stage.ingest_seconds
            print(
                f"  +{stage.added_chunks:,} chunks in {seconds:.0f} s: "
                f"{stage.added_chunks / seconds:.1f} chunks/s, "
                f"{stage.texts_embedded / seconds:.1f} texts/s; {stage.draws:,} documents "
                f"drawn in all, {stage.repeats:,} of them skipped for repeating a chunk"
            )
        built.append((folder / "data", stage, cached))
    opened = [components(data, embedder) for data, _, _ in built]
    for comps, (data, stage, _) in zip(opened, built, strict=True):
        chunks = sum(r.chunk_count for r in comps.index.documents(COLLECTION))
        if chunks != stage.chunks:
            raise SystemExit(f"{data}: {chunks} chunks indexed, stage.json says {stage.chunks}")
    print(f"searching: {len(asked[1])} questions per size and mode, after {WARM_UP} to warm up")
    spent = measure(opened, *asked)
    for comps in opened:
        comps.close()
    rows = [
        Row(stage, cached, ms, du(sorted(data.glob("*.sqlite3*"))), du([data / "chroma"]))
        for (data, stage, cached), ms in zip(built, spent, strict=True)
    ]
    report(rows)


def base_for(
    size: int, candidates: list[int], *, cache: Path, fingerprint: str
) -> tuple[Path, Stage] | None:
    """The largest complete stage below `size`: copied and grown rather than built anew."""
    for n in sorted(candidates, reverse=True):
        if n < size and (stage := load_stage(cache / str(n), fingerprint)):
            return cache / str(n), stage
    return None


def report(rows: list[Row]) -> None:
    modes = list(rows[0].ms)
    print(
        f"\n{'chunks':>8} {'docs':>7} {'ingest chunks/s':>16} {'texts/s':>8} {'SQLite MB':>10}",
        end="",
    )
    print(f" {'Chroma MB':>10}" + "".join(f" {m + ' p50/p95 ms':>20}" for m in modes))
    for row in rows:
        s, seconds = row.stage, row.stage.ingest_seconds or math.inf
        print(
            f"{s.chunks:>8,} {s.documents:>7,} {s.added_chunks / seconds:>15.1f}"
            f"{'*' if row.cached else ' '} {s.texts_embedded / seconds:>8.1f}"
            f" {row.sqlite / 1e6:>10.1f} {row.chroma / 1e6:>10.1f}"
            + "".join(f" {row.p50(m):>11.1f} / {p95(row.ms[m]):>6.1f}" for m in modes)
        )
    if any(row.cached for row in rows):
        print("* from stage.json: the run that built the cached stage")
    if len(rows) > 1:
        print(f"\np50 growth against chunks (exponent: 1 is linear; {modes[0]} is configured):")
    for small, large in itertools.pairwise(rows):
        grew = large.stage.chunks / small.stage.chunks
        ratios = [large.p50(m) / small.p50(m) for m in modes]
        print(
            f"  {small.stage.chunks:>7,} -> {large.stage.chunks:>7,} (x{grew:.1f}): "
            + ", ".join(
                f"{m} x{r:.2f} ({math.log(r) / math.log(grew):.2f})"
                for m, r in zip(modes, ratios, strict=True)
            )
        )
    last = rows[-1]
    if last.stage.chunks >= 100_000:
        p50 = last.p50(modes[0])
        verdict = "met" if p50 <= 30 else "missed"
        print(f"goal p50 <= 30 ms at 100,000 chunks: {verdict}, {p50:.1f} ms")
    else:
        print(f"goal p50 <= 30 ms is for 100,000 chunks; the largest here is {last.stage.chunks:,}")


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[18] if len(values) > 1 else values[0]


if __name__ == "__main__":
    main()
