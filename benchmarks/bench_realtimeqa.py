"""RealTime QA news pages in one collection: ingest throughput and top-5 evidence recall.

Every search result of the three weeks in ../shared/datasets/realtimeqa becomes one file
(664 scraped news pages), all ingested into one collection. Then each question whose gold
answer appears verbatim (case-insensitive, as a whole phrase) in some page asks
`POST /v1/search` for its top 5; it counts when one of those pages holds the answer.
Throughput is printed against a
baseline of embedding a fixed sample of the same chunk texts alone, in the same process.

Two figures are printed per mode. "any page" counts every question whose answer string
occurs in some page; many of those pages hold it by coincidence ("Paris" in a film title
for a question about e-scooters in Paris, "Beavers" as Oregon State's team for a question
about beavers in Hampshire), and no retriever should rank such a page for the question.
"own results" keeps the questions whose answer occurs in one of the question's own search
results, the dataset's relevance signal; a hit is still any answer-holding page.

Usage: python benchmarks/bench_realtimeqa.py [--no-baseline] [--modes dense,hybrid] [--workdir D]
(--workdir keeps pages and index in D, so a second run re-ingests nothing and only searches.)
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))
SHARED = ROOT.parent / "shared"

from bench_search_xquad import serve  # noqa: E402

from service.components import Components  # noqa: E402
from service.settings import Settings  # noqa: E402

DATA = SHARED / "datasets" / "realtimeqa"


def _norm(text: str) -> str:
    return " ".join(text.lower().split())


def holds(answer: str, text: str) -> bool:
    """The answer as a whole phrase: "31" is not in "311", "Noma" is not in "anomaly"."""
    return re.search(rf"(?<!\w){re.escape(_norm(answer))}(?!\w)", _norm(text)) is not None


def write_pages(folder: Path) -> tuple[dict[str, str], list[tuple[str, str, str]]]:
    """One file per search result; returns page texts by file name and (id, question, answer)."""
    pages: dict[str, str] = {}
    for gcs in sorted(DATA.glob("*_gcs.jsonl")):
        for line in gcs.read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            for k, res in enumerate(row.get("search_result", [])):
                text = f"{res.get('title', '')}\n\n{res.get('text', '')}".strip()
                name = f"{row['question_id']}-{k}.txt"
                (folder / name).write_text(text, encoding="utf-8")
                pages[name] = text
    questions = []
    for qa in sorted(DATA.glob("*_qa.jsonl")):
        for line in qa.read_text(encoding="utf-8").splitlines():
            q = json.loads(line)
            answer = q["choices"][int(q["answer"][0])]
            questions.append((q["question_id"], q["question_sentence"], answer))
    return pages, questions


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--modes", default="dense,hybrid")
    parser.add_argument("--no-baseline", action="store_true")
    parser.add_argument("--workdir", type=Path, help="keep pages and index here")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        tmp = args.workdir or Path(scratch)
        folder = Path(tmp) / "pages"
        folder.mkdir(parents=True, exist_ok=True)
        pages, questions = write_pages(folder)
        # Queries come back to back from one address, faster than the default rate limit.
        comps = Components(Settings(data_dir=Path(tmp) / "data", rate_limit={"per_ip": "0"}))
        comps.embedder.embed_one("warm up")
        t0 = time.perf_counter()
        report = comps.ingestor.ingest([folder], collection="rtqa")
        took = time.perf_counter() - t0
        rate = report.chunks / took
        print(
            f"{len(pages)} pages -> {report.added} added, {report.unchanged} unchanged, "
            f"{report.chunks} chunks in {took:.1f} s: {len(pages) / took:.1f} pages/s, "
            f"{rate:.1f} chunks/s ({len(report.failed)} failed)"
        )
        if report.chunks and not args.no_baseline:
            # A fixed sample keeps the baseline short; its rate is what the ratio needs.
            chunks = [
                c.text
                for d in comps.index.documents("rtqa")
                for c in comps.index.store.document_chunks("rtqa", d.document_id)
            ]
            texts = random.Random(0).sample(chunks, 2000)
            t1 = time.perf_counter()
            comps.embedder.embed(texts, batch_size=comps.settings.ingest.embed_batch_size)
            base = len(texts) / (time.perf_counter() - t1)
            print(
                f"baseline, embedding {len(texts)} of those chunks alone: {base:.1f} chunks/s;"
                f" pipeline/baseline ratio {rate / base:.2f}"
            )
        holders = {
            qid: {n for n, text in pages.items() if holds(a, text)} for qid, _, a in questions
        }
        anywhere = [(qid, q) for qid, q, _ in questions if holders[qid]]
        own = [
            (qid, q) for qid, q in anywhere if any(n.startswith(f"{qid}-") for n in holders[qid])
        ]
        print(
            f"{len(anywhere)}/{len(questions)} questions have their answer verbatim in some page,"
            f" {len(own)} in one of their own search results"
        )
        url, server = serve(comps)
        with httpx.Client(base_url=url, timeout=60) as client:
            for mode in args.modes.split(","):
                found: dict[str, bool] = {}
                for qid, q in anywhere:
                    body = {"query": q, "top_k": 5, "mode": mode, "collection": "rtqa"}
                    r = client.post("/v1/search", json=body)
                    r.raise_for_status()
                    found[qid] = bool({res["source"] for res in r.json()["results"]} & holders[qid])
                for label, subset in (("any page", anywhere), ("own results", own)):
                    print(f"  {mode:8s} {label:11s} answer page in top 5: {_share(found, subset)}")
        server.should_exit = True
        comps.close()


def _share(found: dict[str, bool], subset: list[tuple[str, str]]) -> str:
    """Overall share, then per week (question ids start with the week's date)."""
    hit = sum(found[qid] for qid, _ in subset)
    weeks = sorted({qid.split("_")[0] for qid, _ in subset})
    per_week = ", ".join(
        f"{w} {sum(found[q] for q, _ in subset if q.startswith(w))}/"
        f"{sum(q.startswith(w) for q, _ in subset)}"
        for w in weeks
    )
    return f"{hit}/{len(subset)} = {hit / len(subset):.3f} ({per_week})"


if __name__ == "__main__":
    main()
