"""Ingest throughput and ask latency, each as a ratio against a baseline in the same run.

- ingest: chunks/s of the full pipeline (load, clean, chunk, embed, write Chroma + SQLite)
  against chunks/s of embedding the very same chunk texts alone (the floor the model sets).
- ask: in-process latency of a full extractive answer against bare retrieval (embed the
  question + Chroma query), and the wall time of the `ragchat ask` command (cold start).

Corpus: the sample article plus the 240 XQuAD paragraphs from ../shared, one file each.
Usage: python benchmarks/bench_ingest_ask.py [--paragraphs N] [--repeat R]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
SHARED = ROOT.parent / "shared"

from service.components import Components  # noqa: E402
from service.schemas import Message  # noqa: E402
from service.settings import Settings  # noqa: E402

QUESTIONS = [
    "Who signed the joint statement?",
    "When did Putin visit Pyongyang?",
    "What did North Korea say it tested on June 27?",
    "What is the capital of France?",
]


def write_corpus(folder: Path, paragraphs: int) -> int:
    article = SHARED / "corpus" / "dprk-russia-joint-statement.txt"
    (folder / article.name).write_text(article.read_text(encoding="utf-8"), encoding="utf-8")
    squad = json.loads((SHARED / "datasets" / "xquad" / "xquad.en.json").read_text())
    n = 0
    for art in squad["data"]:
        for i, para in enumerate(art["paragraphs"]):
            if n >= paragraphs:
                return n + 1
            (folder / f"{art['title']}-{i}.txt").write_text(para["context"], encoding="utf-8")
            n += 1
    return n + 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--paragraphs", type=int, default=240)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        corpus = Path(tmp) / "corpus"
        corpus.mkdir()
        files = write_corpus(corpus, args.paragraphs)
        comps = Components(Settings(_env_file=None, data_dir=Path(tmp) / "data"))  # type: ignore[call-arg]
        comps.warm_up()

        t0 = time.perf_counter()
        report = comps.ingestor.ingest([corpus], collection="bench")
        ingest_s = time.perf_counter() - t0
        got = comps.index.vectors._collection("bench").get(include=["documents"])
        texts = got["documents"]
        t0 = time.perf_counter()
        comps.embedder.embed(texts, batch_size=comps.settings.ingest.embed_batch_size)
        embed_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        again = comps.ingestor.ingest([corpus], collection="bench")
        reingest_s = time.perf_counter() - t0

        pipeline_cps = report.chunks / ingest_s
        embed_cps = len(texts) / embed_s
        print(
            f"ingest: {files} files, {report.chunks} chunks in {ingest_s:.2f} s "
            f"= {pipeline_cps:.1f} chunks/s"
        )
        print(
            f"baseline embed-only: {embed_cps:.1f} chunks/s; "
            f"pipeline/embed-only ratio = {pipeline_cps / embed_cps:.2f}"
        )
        print(
            f"re-ingest unchanged: {again.unchanged} unchanged, {again.chunks} embedded, "
            f"{reingest_s:.2f} s"
        )

        answer_ms: list[float] = []
        retrieve_ms: list[float] = []
        cold_ms: list[float] = []
        for q in QUESTIONS:
            t0 = time.perf_counter()
            comps.chat.chat(messages=[Message(role="user", content=q)], collection="bench")
            cold_ms.append((time.perf_counter() - t0) * 1000)
        for _ in range(args.repeat):
            for q in QUESTIONS:
                t0 = time.perf_counter()
                comps.retriever.retrieve(q, collection="bench")
                retrieve_ms.append((time.perf_counter() - t0) * 1000)
                t0 = time.perf_counter()
                comps.chat.chat(messages=[Message(role="user", content=q)], collection="bench")
                answer_ms.append((time.perf_counter() - t0) * 1000)
        a, r = statistics.median(answer_ms), statistics.median(retrieve_ms)
        c = statistics.median(cold_ms)
        print(
            f"ask in-process, first time per question: median {c:.1f} ms; "
            f"ratio to retrieval-only = {c / r:.2f}"
        )
        print(
            f"ask in-process, repeated (sentence vectors cached): median {a:.1f} ms; "
            f"baseline retrieval-only median {r:.1f} ms; ratio = {a / r:.2f}"
        )
        comps.close()

        env = {**os.environ, "RAGCHAT_DATA_DIR": str(Path(tmp) / "data")}
        walls = []
        for _ in range(3):
            t0 = time.perf_counter()
            subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "service.cli",
                    "ask",
                    QUESTIONS[0],
                    "--collection",
                    "bench",
                    "--json",
                ],
                env=env,
                cwd=ROOT,
                check=True,
                capture_output=True,
            )
            walls.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-c", "import service.cli"], cwd=ROOT, check=True)
        import_s = time.perf_counter() - t0
        w = statistics.median(walls)
        print(
            f"`ragchat ask` wall time: median {w:.2f} s over 3 runs (cold process, model load "
            f"included); baseline `import service.cli` {import_s:.2f} s; ratio = {w / import_s:.2f}"
        )


if __name__ == "__main__":
    main()
