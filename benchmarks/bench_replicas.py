"""Chat throughput over two `ragchat serve` replicas sharing PostgreSQL and a `chroma run`
server, against one of them alone, in the same run.

Starts its own PostgreSQL (initdb, pg_ctl) and Chroma server on 127.0.0.1, two replicas and
a worker with separate data dirs, uploads the sample article through one replica, then
sends N chat requests at concurrency C to both replicas in turn, and N to replica A alone.
On one 2-core machine both replicas share the same cores, so the ratio says what a second
replica costs or gains here, not what a second machine would add.

Usage: python benchmarks/bench_replicas.py [--requests 500] [--concurrency 32]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.chroma_server import CHROMA  # noqa: E402
from tests.cluster import run_load, running_cluster  # noqa: E402
from tests.conftest import ARTICLE  # noqa: E402
from tests.postgres_server import DATABASE  # noqa: E402

QUESTIONS = [
    "Who signed the joint statement?",
    "When did the three countries hold their call?",
    "What did the statement say about Russia?",
    "Which countries issued the statement?",
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--concurrency", type=int, default=32)
    args = parser.parse_args()
    CHROMA.configure("server")
    DATABASE.configure("postgres")
    try:
        with tempfile.TemporaryDirectory() as tmp, running_cluster(Path(tmp)) as cluster:
            r = httpx.post(
                f"{cluster.a}/v1/documents",
                files={"file": (ARTICLE.name, ARTICLE.read_bytes(), "text/plain")},
                timeout=120,
            )
            r.raise_for_status()
            run_load([cluster.a, cluster.b], QUESTIONS, n=32, concurrency=8)  # warm both
            n, c = args.requests, args.concurrency
            both, codes = run_load([cluster.a, cluster.b], QUESTIONS, n=n, concurrency=c)
            one, codes_one = run_load([cluster.a], QUESTIONS, n=n, concurrency=c)
            errors = sum(code != 200 for code in codes + codes_one)
            print(f"{n} chat requests at concurrency {c}, {errors} errors")
            print(f"  two replicas: {both:.1f} requests/s")
            print(f"  one replica:  {one:.1f} requests/s")
            print(f"  ratio two/one: {both / one:.2f}")
    finally:
        CHROMA.close()
        DATABASE.close()


if __name__ == "__main__":
    main()
