"""Hostile files against a real `ragchat serve`: refused naming the limit, RSS and time bounded."""

from __future__ import annotations

import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from subprocess import Popen

import httpx
import pytest

from tests.conftest import article_env, ragchat_process
from tests.unit.test_bounded_parse import docx_with_body, paragraph_bomb, spaces

RSS_BUDGET_MB = 300  # per concurrent upload, as the issue asks


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Popen[bytes]]]:
    env = article_env(tmp_path_factory.mktemp("hostile"))
    with ragchat_process(env) as (url, proc):
        yield url, proc


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


def post(url: str, name: str, data: bytes) -> httpx.Response:
    return httpx.post(
        f"{url}/v1/documents",
        params={"collection": "hostile"},
        files={"file": (name, data)},
        timeout=300,
    )


def test_two_zip_bombs_at_once_are_413_and_the_server_stays_small(
    server: tuple[str, Popen[bytes]], tmp_path: Path
) -> None:
    url, proc = server
    bomb = tmp_path / "bomb.docx"
    docx_with_body(bomb, spaces(1 << 30))  # 1 GiB of XML in about 5 MB
    data = bomb.read_bytes()
    before = rss_mb(proc.pid)
    with ThreadPoolExecutor(2) as pool:
        results = list(pool.map(lambda n: post(url, f"bomb{n}.docx", data), range(2)))
    for r in results:
        assert r.status_code == 413, r.text
        assert "RAGCHAT_PARSE__MAX_UNZIPPED_BYTES" in r.json()["error"]["message"]
    assert rss_mb(proc.pid) - before < 2 * RSS_BUDGET_MB
    listed = httpx.get(f"{url}/v1/documents", params={"collection": "hostile"}).json()
    assert not [d for d in listed["documents"] if d["source"].startswith("bomb")]


def test_paragraph_bombs_parse_quickly_while_chat_keeps_answering(
    server: tuple[str, Popen[bytes]],
) -> None:
    url, _ = server
    data = paragraph_bomb()
    started = time.monotonic()
    with ThreadPoolExecutor(4) as pool:
        uploads = [pool.submit(post, url, f"letters{n}.docx", data) for n in range(4)]
        answer = httpx.post(
            f"{url}/v1/chat",
            json={"messages": [{"role": "user", "content": "Who signed the joint statement?"}]},
            timeout=120,
        )
        results = [f.result() for f in uploads]
    assert answer.status_code == 200
    assert [r.status_code for r in results] == [201] * 4, [r.text for r in results]
    # Before: 49 s for one such file, 228 s each for four at once.
    assert time.monotonic() - started < 90
