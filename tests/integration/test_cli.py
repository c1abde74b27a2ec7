"""The installed `ragchat` command, run as a user would, plus a real `ragchat serve`."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import ARTICLE, ROOT, ragchat_server

RAGCHAT = [sys.executable, "-m", "service.cli"]


def run(
    args: list[str], env: dict[str, str], timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*RAGCHAT, *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    data = tmp_path_factory.mktemp("cli-data")
    corpus = tmp_path_factory.mktemp("cli-corpus")
    shutil.copy(ARTICLE, corpus / ARTICLE.name)
    e = {**os.environ, "RAGCHAT_DATA_DIR": str(data), "CORPUS": str(corpus)}
    e.pop("RAGCHAT_CHROMA_URL", None)
    return e


def test_ingest_then_reingest_reports_counts(env: dict[str, str]) -> None:
    first = run(["ingest", env["CORPUS"]], env)
    assert first.returncode == 0, first.stderr
    assert "1 added, 0 updated, 0 unchanged, 0 deleted" in first.stdout
    second = run(["ingest", env["CORPUS"]], env)
    assert "0 added, 0 updated, 1 unchanged" in second.stdout
    assert "(0 chunks embedded)" in second.stdout


def test_ask_json_prints_only_the_response_object(env: dict[str, str]) -> None:
    r = run(["ask", "Who signed the joint statement?", "--json"], env)
    assert r.returncode == 0, r.stderr
    body = json.loads(r.stdout)
    assert "Jung Pak" in body["answer"]
    assert body["citations"]
    assert not body["refused"]


def test_documents_list(env: dict[str, str]) -> None:
    r = run(["documents", "list", "--json"], env)
    assert [d["source"] for d in json.loads(r.stdout)] == [ARTICLE.name]


def test_missing_path_and_bad_collection_fail_clearly(env: dict[str, str]) -> None:
    r = run(["ingest", "/no/such/folder"], env)
    assert r.returncode == 2
    assert "no such file or folder" in r.stderr
    r = run(["ask", "hi", "--collection", "bad/name"], env)
    assert r.returncode == 2
    assert "invalid collection name" in r.stderr


def test_docs_answer_how_to_ingest_pdf(tmp_path: Path) -> None:
    e = {**os.environ, "RAGCHAT_DATA_DIR": str(tmp_path / "data")}
    assert run(["ingest", str(ROOT / "docs")], e).returncode == 0
    r = run(["ask", "How do I ingest PDF files?", "--json"], e)
    body = json.loads(r.stdout)
    assert not body["refused"]
    answer = body["answer"].lower()
    assert "pdf" in answer
    assert "convert" in answer
    assert "text" in answer
    assert "?" not in answer
    assert any(c["source"] == "ingesting.md" for c in body["citations"])


@pytest.fixture
def server(env: dict[str, str]) -> Iterator[str]:
    with ragchat_server(env) as url:
        yield url


def test_served_chat_over_real_http(server: str, env: dict[str, str]) -> None:
    run(["ingest", env["CORPUS"]], env)
    r = httpx.post(
        f"{server}/v1/chat",
        json={"messages": [{"role": "user", "content": "Who signed the joint statement?"}]},
        timeout=60,
    )
    assert r.status_code == 200
    body = r.json()
    assert "Cho Koo-rae" in body["answer"]
    bad = httpx.post(f"{server}/v1/chat", content=b"nope", timeout=10)
    assert bad.status_code == 422
    assert "error" in bad.json()
