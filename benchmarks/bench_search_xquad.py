"""Paragraph-level retrieval over `POST /v1/search`: hybrid against dense alone, same run.

All 240 XQuAD paragraphs are indexed one file each; every question asks /v1/search of a
live `ragchat serve`-equivalent (uvicorn on 127.0.0.1) in each mode. A hit counts when its
document is the question's paragraph. The first 24 articles are the tuning half; the last
24 are the held-out half the done-when figures use.

Usage: python benchmarks/bench_search_xquad.py [--modes dense,hybrid,keyword] [--split last]
Settings come from the environment as usual (e.g. RAGCHAT_RETRIEVAL__RRF_K=30).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import threading
import time
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--modes", default="dense,hybrid")
    parser.add_argument("--split", choices=["first", "last", "both"], default="both")
    args = parser.parse_args()
    modes = args.modes.split(",")
    with tempfile.TemporaryDirectory() as tmp:
        corpus = Path(tmp) / "xquad"
        corpus.mkdir()
        halves = write_corpus(corpus)
        # Queries come back to back from one address, faster than the default rate limit.
        comps = Components(Settings(data_dir=Path(tmp) / "data", rate_limit={"per_ip": "0"}))
        t0 = time.perf_counter()
        report = comps.ingestor.ingest([corpus], collection="xq")
        print(
            f"indexed {report.added} files, {report.chunks} chunks in "
            f"{time.perf_counter() - t0:.1f} s"
        )
        url, server = serve(comps)
        splits = ["first", "last"] if args.split == "both" else [args.split]
        for split in splits:
            results = {mode: measure(url, halves[split], mode) for mode in modes}
            print(f"\n{split} 24 articles ({results[modes[0]]['n']} questions)")
            for mode, res in results.items():
                print(
                    f"  {mode:8s} recall@1 {res['recall@1']:.3f}  recall@5 {res['recall@5']:.3f}"
                    f"  {res['ms/query']:.0f} ms/query"
                )
            if "dense" in results:
                base = results["dense"]
                for mode in modes:
                    if mode != "dense":
                        r1 = results[mode]["recall@1"] / base["recall@1"]
                        r5 = results[mode]["recall@5"] / base["recall@5"]
                        print(f"  {mode}/dense ratio: recall@1 {r1:.3f}, recall@5 {r5:.3f}")
        server.should_exit = True
        comps.close()


if __name__ == "__main__":
    main()
