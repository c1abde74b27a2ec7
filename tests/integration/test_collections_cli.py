"""Collections and data dirs through the `ragchat` command, in either Chroma mode.

The suite runs these against embedded Chroma and, under `--chroma=server`, against a real
`chroma run`; both must hold the same promises.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import httpx
import pytest

from tests.chroma_server import TENANT, ChromaTarget, ragchat_env
from tests.conftest import ARTICLE, ROOT
from tests.integration.test_cli import run
from tests.postgres_server import DATABASE

# Runs again on PostgreSQL and a Chroma server (make test, second pass).
pytestmark = pytest.mark.backends

GUIDE = ROOT / "docs" / "ingesting.md"


@pytest.fixture(scope="module")
def two_collections(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The article in collection a, the ingesting guide in collection b, one data dir."""
    env = ragchat_env(tmp_path_factory.mktemp("collections-data"))
    for name, source in (("a", ARTICLE), ("b", GUIDE)):
        folder = tmp_path_factory.mktemp(f"corpus-{name}")
        shutil.copy(source, folder / source.name)
        r = run(["ingest", str(folder), "--collection", name], env)
        assert r.returncode == 0, r.stderr
        assert f"collection {name}: 1 added" in r.stdout
    return env


def ask(env: dict[str, str], question: str, collection: str) -> dict:
    r = run(["ask", question, "--collection", collection, "--json"], env)
    assert r.returncode == 0, r.stderr
    return dict(json.loads(r.stdout))


def test_ask_cites_only_its_own_collection(two_collections: dict[str, str]) -> None:
    env = two_collections
    on_topic = ask(env, "Who signed the joint statement?", "a")
    assert not on_topic["refused"]
    assert {c["source"] for c in on_topic["citations"]} == {ARTICLE.name}
    off_topic = ask(env, "How do I ingest PDF files?", "a")
    assert all(c["source"] == ARTICLE.name for c in off_topic["citations"])
    from_b = ask(env, "How do I ingest PDF files?", "b")
    assert not from_b["refused"]
    assert {c["source"] for c in from_b["citations"]} == {GUIDE.name}


def test_documents_list_shows_only_its_own_collection(two_collections: dict[str, str]) -> None:
    for name, source in (("a", ARTICLE), ("b", GUIDE)):
        r = run(["documents", "list", "--collection", name, "--json"], two_collections)
        assert r.returncode == 0, r.stderr
        assert [d["source"] for d in json.loads(r.stdout)] == [source.name]


def test_vectors_live_in_chroma_and_the_docstore_in_the_data_dir(
    chroma: ChromaTarget, tmp_path: Path
) -> None:
    """The data dir holds the SQLite database unless PostgreSQL does; a server keeps the vectors."""
    data = tmp_path / "data"
    env = ragchat_env(data)
    assert run(["ingest", str(ARTICLE)], env).returncode == 0
    assert "Jung Pak" in ask(env, "Who signed the joint statement?", "default")["answer"]
    assert (data / "ragchat.sqlite3").exists() == (DATABASE.mode == "sqlite")
    if chroma.mode == "embedded":
        assert (data / "chroma").is_dir()
        return
    server = chroma.running_server()
    assert not (data / "chroma").exists()
    assert data.resolve() != server.path.resolve()
    assert data.resolve() not in server.path.resolve().parents
    assert server.path.resolve() not in data.resolve().parents
    db = env["RAGCHAT_CHROMA_DATABASE"]
    base = f"{server.url}/api/v2/tenants/{TENANT}/databases/{db}/collections"
    [coll] = [c for c in httpx.get(base, timeout=10).json() if c["name"] == "ragchat_default"]
    count = httpx.get(f"{base}/{coll['id']}/count", timeout=10).json()
    [doc] = json.loads(run(["documents", "list", "--json"], env).stdout)
    assert count == doc["chunk_count"] > 0
