"""Requests/s of one `ragchat serve` at concurrency 1, 8 and 32, and what saturates first.

Indexes the sample article and the 240 XQuAD paragraphs (one file each), starts a real
`ragchat serve` on 127.0.0.1 (extractive answerer, no rate limit), and sends `POST
/v1/search` and `POST /v1/chat` with XQuAD questions at each concurrency. Every figure is
a ratio against concurrency 1 in the same run. Beside requests/s it prints the CPU the
server process used per second of wall time (1.0 = one core busy; this machine has
`os.cpu_count()` cores), and the load generator's own CPU, which shares the machine.

With `--threads 0,1` the server runs once per onnxruntime thread setting
(RAGCHAT_EMBEDDINGS__THREADS), to see which default serves concurrent requests best.

Usage: python benchmarks/bench_throughput.py [--requests 200] [--threads 0]
       [--concurrency 1,8,32] [--endpoints search,chat]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench_search_xquad import write_corpus  # noqa: E402

from tests.chroma_server import ragchat_env  # noqa: E402
from tests.conftest import ARTICLE, ragchat_process  # noqa: E402

TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process and its threads so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def load(
    url: str, endpoint: str, questions: list[str], *, n: int, concurrency: int, pid: int
) -> dict[str, float]:
    def body(q: str) -> dict[str, object]:
        if endpoint == "search":
            return {"query": q, "top_k": 5}
        return {"messages": [{"role": "user", "content": q}]}

    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    with httpx.Client(base_url=url, timeout=120, limits=limits) as client:

        def one(i: int) -> tuple[int, float]:
            started = time.perf_counter()
            r = client.post(f"/v1/{endpoint}", json=body(questions[i % len(questions)]))
            return r.status_code, time.perf_counter() - started

        server_cpu, own_cpu = cpu_seconds(pid), time.process_time()
        started = time.perf_counter()
        with ThreadPoolExecutor(concurrency) as pool:
            results = list(pool.map(one, range(n)))
        wall = time.perf_counter() - started
        server_cpu, own_cpu = cpu_seconds(pid) - server_cpu, time.process_time() - own_cpu
    latencies = sorted(s for _, s in results)
    return {
        "rps": n / wall,
        "p50": 1000 * statistics.median(latencies),
        "p95": 1000 * latencies[int(0.95 * (len(latencies) - 1))],
        "errors": sum(code != 200 for code, _ in results),
        "server_cores": server_cpu / wall,
        "client_cores": own_cpu / wall,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--threads", default="0")
    parser.add_argument("--concurrency", default="1,8,32")
    parser.add_argument("--endpoints", default="search,chat")
    args = parser.parse_args()
    levels = [int(c) for c in args.concurrency.split(",")]

    with tempfile.TemporaryDirectory() as tmp:
        corpus = Path(tmp) / "corpus"
        corpus.mkdir()
        halves = write_corpus(corpus)
        questions = [question for question, _ in halves["first"] + halves["last"]]
        (corpus / ARTICLE.name).write_text(ARTICLE.read_text(encoding="utf-8"), encoding="utf-8")
        env = ragchat_env(Path(tmp) / "data", RAGCHAT_RATE_LIMIT__PER_IP="0")
        for var in ("RAGCHAT_LLM", "OPENAI_API_KEY", "OPENAI_BASE_URL", "RAGCHAT_API_KEYS"):
            env.pop(var, None)
        subprocess.run(
            [sys.executable, "-m", "service.cli", "ingest", str(corpus)],
            env=env,
            cwd=ROOT,
            check=True,
            capture_output=True,
        )
        print(f"{len(list(corpus.iterdir()))} files indexed; {os.cpu_count()} cores")
        for threads in args.threads.split(","):
            run_env = {**env, "RAGCHAT_EMBEDDINGS__THREADS": threads}
            with ragchat_process(run_env) as (url, proc):
                for endpoint in args.endpoints.split(","):
                    load(url, endpoint, questions[:50], n=50, concurrency=4, pid=proc.pid)
                    print(f"\n/v1/{endpoint}, onnxruntime threads={threads or 'cores'}:")
                    print(
                        "  conc  req/s  ratio   p50 ms   p95 ms  errors  server cores  client cores"
                    )
                    base = None
                    for c in levels:
                        m = load(
                            url, endpoint, questions, n=args.requests, concurrency=c, pid=proc.pid
                        )
                        base = base or m["rps"]
                        print(
                            f"  {c:4d} {m['rps']:6.1f} {m['rps'] / base:6.2f} {m['p50']:8.1f} "
                            f"{m['p95']:8.1f} {m['errors']:7.0f} {m['server_cores']:13.2f} "
                            f"{m['client_cores']:13.2f}"
                        )


if __name__ == "__main__":
    main()
