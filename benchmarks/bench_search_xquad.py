"""Paragraph-level retrieval over `POST /v1/search`: hybrid against dense alone, same run.

All 240 XQuAD paragraphs are indexed one file each; every question asks /v1/search of a
live `ragchat serve`-equivalent (uvicorn on 127.0.0.1) in each mode. A hit counts when its
document is the question's paragraph. The first 24 articles are the tuning half; the last
24 are the held-out half the done-when figures use.

Usage: python benchmarks/bench_search_xquad.py [--modes dense,hybrid,keyword] [--split last]
       [--backends sqlite,postgres] [--postgres-url postgresql://...]
Settings come from the environment as usual (e.g. RAGCHAT_RETRIEVAL__RRF_K=30). With
`postgres` among the backends and no URL, a throwaway PostgreSQL is started (initdb, pg_ctl)
and stopped afterwards; the keyword side then runs on PostgreSQL's full-text search.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import threading
import time
from contextlib import ExitStack
from pathlib import Path

import httpx
import uvicorn

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
SHARED = ROOT.parent / "shared"

from service.components import Components  # noqa: E402
from service.main import create_app  # noqa: E402
from service.settings import Settings  # noqa: E402
from tests.conftest import free_port  # noqa: E402


def write_corpus(folder: Path) -> dict[str, list[tuple[str, str]]]:
    """Paragraph files; returns (question, gold file) pairs per half."""
    squad = json.loads((SHARED / "datasets" / "xquad" / "xquad.en.json").read_text())
    halves: dict[str, list[tuple[str, str]]] = {"first": [], "last": []}
    articles = squad["data"]
    for a, art in enumerate(articles):
        half = "first" if a < len(articles) // 2 else "last"
        for i, para in enumerate(art["paragraphs"]):
            name = f"{a:02d}-{i:02d}.txt"
            (folder / name).write_text(para["context"], encoding="utf-8")
            halves[half] += [(qa["question"], name) for qa in para["qas"]]
    return halves


def serve(comps: Components) -> tuple[str, uvicorn.Server]:
    port = free_port()
    config = uvicorn.Config(
        create_app(components=comps), host="127.0.0.1", port=port, log_level="warning"
    )
    server = uvicorn.Server(config)
    threading.Thread(target=server.run, daemon=True).start()
    url = f"http://127.0.0.1:{port}"
    for _ in range(200):
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return url, server
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise RuntimeError("server did not start")


def measure(url: str, questions: list[tuple[str, str]], mode: str) -> dict[str, float]:
    at1 = at5 = 0
    started = time.perf_counter()
    with httpx.Client(base_url=url, timeout=60) as client:
        for question, gold in questions:
            r = client.post(
                "/v1/search", json={"query": question, "top_k": 5, "mode": mode, "collection": "xq"}
            )
            r.raise_for_status()
            sources = [hit["source"] for hit in r.json()["results"]]
            at1 += bool(sources) and sources[0] == gold
            at5 += gold in sources
    n = len(questions)
    elapsed = time.perf_counter() - started
    return {"recall@1": at1 / n, "recall@5": at5 / n, "ms/query": 1000 * elapsed / n, "n": n}


def run_backend(
    backend: str,
    url: str,
    tmp: Path,
    corpus: Path,
    halves: dict,
    modes: list[str],
    splits: list[str],
) -> dict[tuple[str, str], dict[str, float]]:
    data = tmp / f"data-{backend}"
    # Queries come back to back from one address, faster than the default rate limit.
    settings = Settings(data_dir=data, database_url=url or None, rate_limit={"per_ip": "0"})
    if url:
        from ingest.storage.postgres.migrations import upgrade

        upgrade(url)
    comps = Components(settings)
    t0 = time.perf_counter()
    report = comps.ingestor.ingest([corpus], collection="xq")
    print(
        f"\n[{backend}] indexed {report.added} files, {report.chunks} chunks in "
        f"{time.perf_counter() - t0:.1f} s"
    )
    base_url, server = serve(comps)
    results: dict[tuple[str, str], dict[str, float]] = {}
    for split in splits:
        for mode in modes:
            res = results[split, mode] = measure(base_url, halves[split], mode)
            print(
                f"  {split:5s} {mode:8s} recall@1 {res['recall@1']:.3f}  recall@5 "
                f"{res['recall@5']:.3f}  {res['ms/query']:.0f} ms/query  (n={res['n']:.0f})"
            )
        if "dense" in modes:
            base = results[split, "dense"]
            for mode in modes:
                if mode != "dense":
                    r1 = results[split, mode]["recall@1"] / base["recall@1"]
                    r5 = results[split, mode]["recall@5"] / base["recall@5"]
                    print(f"  {split:5s} {mode}/dense ratio: recall@1 {r1:.3f}, recall@5 {r5:.3f}")
    server.should_exit = True
    comps.close()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--modes", default="dense,hybrid")
    parser.add_argument("--split", choices=["first", "last", "both"], default="both")
    parser.add_argument("--backends", default="sqlite")
    parser.add_argument("--postgres-url", default="")
    args = parser.parse_args()
    modes = args.modes.split(",")
    backends = args.backends.split(",")
    splits = ["first", "last"] if args.split == "both" else [args.split]
    with tempfile.TemporaryDirectory() as tmp_name, ExitStack() as stack:
        tmp = Path(tmp_name)
        corpus = tmp / "xquad"
        corpus.mkdir()
        halves = write_corpus(corpus)
        pg_url = args.postgres_url
        if "postgres" in backends and not pg_url:
            from tests.postgres_server import DATABASE

            stack.callback(DATABASE.close)
            pg_url = DATABASE.url_for(tmp / "bench")  # a throwaway server, migrated
        found = {
            b: run_backend(b, pg_url if b == "postgres" else "", tmp, corpus, halves, modes, splits)
            for b in backends
        }
        if {"sqlite", "postgres"} <= set(found):
            print("\npostgres/sqlite, same run:")
            for (split, mode), res in found["postgres"].items():
                base = found["sqlite"][split, mode]
                print(
                    f"  {split:5s} {mode:8s} recall@1 {res['recall@1']:.3f}/"
                    f"{base['recall@1']:.3f}  recall@5 {res['recall@5']:.3f}/{base['recall@5']:.3f}"
                    f"  latency ratio {res['ms/query'] / base['ms/query']:.2f}"
                )


if __name__ == "__main__":
    main()
