"""A ragchat deployment of several processes on one machine, sharing PostgreSQL and Chroma:
two `ragchat serve` replicas and a `ragchat worker`, each with its own data dir.

Used by tests/integration/test_replicas.py and benchmarks/bench_replicas.py.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from tests.chroma_server import CHROMA, CHROMA_VARS
from tests.conftest import ROOT, ragchat_process
from tests.postgres_server import DATABASE, DATABASE_VARS


def shared_env(shared: Path, data_dir: Path, **extra: str) -> dict[str, str]:
    """One deployment's settings, with this process's own (unshared) data dir."""
    server = CHROMA.running_server()
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in (*CHROMA_VARS, *DATABASE_VARS, "RAGCHAT_LLM", "RAGCHAT_API_KEYS")
        and not k.startswith(("OPENAI_", "RAGCHAT_JOBS__"))
    }
    return {
        **env,
        "RAGCHAT_DATA_DIR": str(data_dir),
        "RAGCHAT_DATABASE_URL": DATABASE.url_for(shared),
        "RAGCHAT_CHROMA_URL": server.url,
        "RAGCHAT_CHROMA_DATABASE": server.database_for(shared),
        "RAGCHAT_JOBS__RUN_IN_SERVER": "false",
        "RAGCHAT_JOBS__VISIBILITY_SECONDS": "4",
        "RAGCHAT_RATE_LIMIT__PER_IP": "0",
        **extra,
    }


def start_worker(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "service.cli", "worker"],
            env=env,
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


@dataclass
class Cluster:
    a: str
    b: str
    shared: Path
    env: Callable[[Path], dict[str, str]]
    tmp: Path
    worker: subprocess.Popen[bytes]

    def ragchat(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "service.cli", *args],
            env=self.env(self.tmp / "cli-data"),
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=300,
        )


@contextmanager
def running_cluster(tmp: Path) -> Iterator[Cluster]:
    """Migrate the shared database, then start replicas A and B and one worker."""
    shared = tmp / "deployment"
    env = lambda data: shared_env(shared, data)  # noqa: E731
    migrate = subprocess.run(
        [sys.executable, "-m", "service.cli", "db", "upgrade"],
        env=env(tmp / "migrate"),
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    if migrate.returncode:
        raise RuntimeError(f"ragchat db upgrade failed: {migrate.stdout}{migrate.stderr}")
    with ExitStack() as stack:
        a, _ = stack.enter_context(ragchat_process(env(tmp / "a"), tmp / "a.log"))
        b, _ = stack.enter_context(ragchat_process(env(tmp / "b"), tmp / "b.log"))
        made = Cluster(a, b, shared, env, tmp, start_worker(env(tmp / "w1"), tmp / "worker.log"))
        try:
            yield made
        finally:
            if made.worker.poll() is None:
                made.worker.terminate()
                made.worker.wait(30)


def run_load(
    bases: list[str], questions: list[str], *, n: int, concurrency: int
) -> tuple[float, list[int]]:
    """`n` chat requests over `bases` in turn, `concurrency` at a time: (requests/s, statuses)."""

    def one(i: int) -> int:
        with httpx.Client(timeout=120) as client:
            r = client.post(
                f"{bases[i % len(bases)]}/v1/chat",
                json={"messages": [{"role": "user", "content": questions[i % len(questions)]}]},
            )
        return r.status_code

    t0 = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        codes = list(pool.map(one, range(n)))
    return n / (time.perf_counter() - t0), codes
