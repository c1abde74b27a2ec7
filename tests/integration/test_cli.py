"""The installed `ragchat` command, run as a user would, plus a real `ragchat serve`."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import closing
from pathlib import Path

import httpx
import pytest

from ingest.uploads import store_upload
from service.components import Components
from tests.chroma_server import ragchat_env
from tests.conftest import ARTICLE, ROOT, ragchat_server, storage_for

# Runs again on PostgreSQL and a Chroma server (make test, second pass).
pytestmark = pytest.mark.backends

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
    return ragchat_env(data, CORPUS=str(corpus))


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


HEAVY = ("torch", "sentence_transformers", "transformers", "chromadb", "onnxruntime")
IMPORTS_PROBE = f"""
import atexit, os, runpy, sys
def report():
    with open(os.environ["IMPORTS_OUT"], "w") as f:
        f.write(",".join(m for m in {HEAVY!r} if m in sys.modules))
atexit.register(report)
sys.argv = ["ragchat", *sys.argv[1:]]
runpy.run_module("service.cli", run_name="__main__")
"""


@pytest.mark.parametrize(
    ("args", "allowed"),
    [
        (["--help"], set()),
        (["documents", "list"], set()),
        (["eval", "compare", "{report}", "{report}"], set()),
        (["ask", "Who signed the joint statement?"], {"chromadb", "onnxruntime"}),
    ],
)
def test_commands_import_only_what_they_need(
    env: dict[str, str], tmp_path: Path, args: list[str], allowed: set[str]
) -> None:
    """Cold start: torch never loads to answer, and listing or comparing loads no model."""
    report = tmp_path / "report.json"
    report.write_text(json.dumps({"metrics": {}, "config": {}, "rows": []}))
    out = tmp_path / "imports"
    argv = [a.format(report=report) for a in args]
    r = subprocess.run(
        [sys.executable, "-c", IMPORTS_PROBE, *argv],
        env={**env, "IMPORTS_OUT": str(out)},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert r.returncode == 0, r.stderr
    loaded = set(filter(None, out.read_text().split(",")))
    assert loaded <= allowed, f"{args[0]} imported {sorted(loaded - allowed)}"


def test_missing_path_and_bad_collection_fail_clearly(env: dict[str, str]) -> None:
    r = run(["ingest", "/no/such/folder"], env)
    assert r.returncode == 2
    assert "no such file or folder" in r.stderr
    r = run(["ask", "hi", "--collection", "bad/name"], env)
    assert r.returncode == 2
    assert "invalid collection name" in r.stderr


def test_docs_answer_how_to_ingest_pdf(tmp_path: Path) -> None:
    e = ragchat_env(tmp_path / "data")
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


def test_documents_show_prints_metadata_and_extracted_text(env: dict[str, str]) -> None:
    assert run(["ingest", env["CORPUS"]], env).returncode == 0
    [doc] = json.loads(run(["documents", "list", "--json"], env).stdout)
    r = run(["documents", "show", doc["document_id"], "--json"], env)
    assert r.returncode == 0, r.stderr
    shown = json.loads(r.stdout)
    assert shown["source"] == ARTICLE.name
    assert shown["chunk_count"] == doc["chunk_count"] > 0
    assert shown["version"] == doc["version"]
    assert shown["text"] == ARTICLE.read_text(encoding="utf-8")
    human = run(["documents", "show", doc["document_id"]], env)
    assert human.returncode == 0, human.stderr
    for field in ("source", "title", "chunks", "size", "updated", "version"):
        assert field in human.stdout
    assert "Jung Pak" in human.stdout


def test_documents_show_unknown_id_fails_clearly(env: dict[str, str]) -> None:
    r = run(["documents", "show", "no-such-id"], env)
    assert r.returncode == 1
    assert "no document 'no-such-id' in collection 'default'" in r.stderr
    r = run(["documents", "show", "no-such-id", "--collection", "other", "--json"], env)
    assert r.returncode == 1
    assert r.stdout == ""


def test_documents_delete_removes_an_uploaded_copy_but_never_user_files(
    make_components: Callable[..., Components], tmp_path: Path
) -> None:
    comps = make_components()
    data = comps.settings.data_dir
    uploaded = store_upload(
        data=b"Minutes of the board meeting on budgets.\n",
        filename="minutes.txt",
        collection="default",
        ingestor=comps.ingestor,
    )
    blobs = comps.index.blobs
    stored = blobs.locator("default", "minutes.txt")
    assert blobs.read(stored) == b"Minutes of the board meeting on budgets.\n"
    comps.close()
    user_file = tmp_path / "mine.txt"
    user_file.write_text("My own notes about taxes.\n", encoding="utf-8")
    e = ragchat_env(data)
    assert run(["ingest", str(user_file)], e).returncode == 0
    listed = {
        d["source"]: d["document_id"]
        for d in json.loads(run(["documents", "list", "--json"], e).stdout)
    }
    r = run(["documents", "delete", uploaded.document_id, listed["mine.txt"]], e)
    assert r.returncode == 0, r.stderr
    assert "deleted 2 documents" in r.stdout
    with closing(storage_for(data)) as storage:
        assert storage.blobs.read(stored) is None
    assert user_file.exists()
    assert json.loads(run(["documents", "list", "--json"], e).stdout) == []


def test_ingest_tags_documents_for_filters(env: dict[str, str]) -> None:
    r = run(
        ["ingest", env["CORPUS"], "--collection", "tagged", "--tag", "news", "--tag", "asia"], env
    )
    assert r.returncode == 0, r.stderr
    listed = json.loads(run(["documents", "list", "--collection", "tagged", "--json"], env).stdout)
    assert listed[0]["tags"] == ["asia", "news"]
    assert "tags_json" not in listed[0]
