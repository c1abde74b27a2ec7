"""Concurrent writes against a real `ragchat serve`: no upload may lose its vectors.

Every race here lost data before writes took per-document leases: cleanup at the start
of one ingest deleted another request's unfinished chunks, and same-name uploads
interleaved file writes and index writes.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing
from pathlib import Path

import httpx
import pytest

from ingest.pipeline import document_id_of
from ingest.uploads import display_name, storage_key
from tests.conftest import serve_article, storage_for

# Runs again on PostgreSQL and a Chroma server (make test, second pass).
pytestmark = pytest.mark.backends

ROUNDS = 3
RACERS = 10


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    data = tmp_path_factory.mktemp("races")
    with serve_article(data, RAGCHAT_SERVER__CONSISTENCY_CHECK_SECONDS="0") as url:
        yield url, data


def text_for(name: str, n: int) -> str:
    return (
        f"Report {name} number {n}. The inspection of site {n} found {n * 7} cracked tiles "
        f"and {n + 3} loose railings. The inspector signed it on day {n} of the survey.\n"
    )


def upload(url: str, name: str, text: str, **params: str) -> httpx.Response:
    return httpx.post(
        f"{url}/v1/documents",
        params={"collection": "races", **params},
        files={"file": (name, text.encode())},
        timeout=300,
    )


def documents(url: str) -> list[dict]:
    r = httpx.get(f"{url}/v1/documents", params={"collection": "races"}, timeout=30)
    r.raise_for_status()
    return list(r.json()["documents"])


def inconsistent(url: str) -> int:
    r = httpx.get(f"{url}/readyz", timeout=60)
    r.raise_for_status()
    return int(r.json()["inconsistent_documents"])


def dense_hits(url: str, document_id: str, query: str) -> list[dict]:
    """What the vector side alone finds in one document: nothing when its vectors are lost."""
    r = httpx.post(
        f"{url}/v1/search",
        json={
            "query": query,
            "collection": "races",
            "mode": "dense",
            "filters": {"document_id": document_id},
        },
        timeout=60,
    )
    r.raise_for_status()
    return list(r.json()["results"])


def test_uploads_racing_deletes_all_keep_their_vectors(server: tuple[str, Path]) -> None:
    url, _ = server
    old = [upload(url, f"old-{i}.txt", text_for("old", i)).json() for i in range(20)]
    with ThreadPoolExecutor(max_workers=16) as pool:
        ups = [pool.submit(upload, url, f"new-{i}.txt", text_for("new", i)) for i in range(20)]
        dels = [
            pool.submit(
                httpx.delete,
                f"{url}/v1/documents/{d['document_id']}",
                params={"collection": "races"},
                timeout=300,
            )
            for d in old
        ]
        added = [f.result() for f in ups]
        deleted = [f.result() for f in dels]
    assert [r.status_code for r in added] == [201] * 20, [r.text for r in added]
    assert [r.status_code for r in deleted] == [204] * 20
    listed = {d["source"]: d for d in documents(url)}
    assert sorted(listed) == sorted(f"new-{i}.txt" for i in range(20))
    for i in range(20):
        doc = listed[f"new-{i}.txt"]
        hits = dense_hits(url, doc["document_id"], text_for("new", i))
        assert hits, f"new-{i}.txt has no vectors"
        assert all(h["document_id"] == doc["document_id"] for h in hits)
    assert inconsistent(url) == 0


def test_same_name_uploads_end_with_one_version_whose_parts_agree(
    server: tuple[str, Path],
) -> None:
    url, data = server
    with closing(storage_for(data)) as storage:
        locator = storage.blobs.locator("races", storage_key(display_name("same.txt")))
        for round_ in range(ROUNDS):
            texts = [text_for(f"same-{round_}", n) for n in range(RACERS)]
            with ThreadPoolExecutor(max_workers=RACERS) as pool:
                results = list(
                    pool.map(lambda t: upload(url, "same.txt", t, replace="true"), texts)
                )
            assert {r.status_code for r in results} == {201}, [r.text for r in results]
            [doc] = [d for d in documents(url) if d["source"] == "same.txt"]
            assert doc["document_id"] == document_id_of(locator)
            stored = httpx.get(
                f"{url}/v1/documents/{doc['document_id']}", params={"collection": "races"}
            ).json()["text"]
            assert stored in texts
            # The stored original, the indexed text and the vectors are the same upload's.
            assert (storage.blobs.read(locator) or b"").decode() == stored
            assert doc["content_hash"] == hashlib.sha256(stored.encode()).hexdigest()
            hits = dense_hits(url, doc["document_id"], stored)
            assert hits
            assert all(h["text"] in stored for h in hits)
            assert inconsistent(url) == 0


def test_a_second_upload_of_a_name_is_409_unless_it_says_replace(
    server: tuple[str, Path],
) -> None:
    url, _ = server
    first = upload(url, "policy.txt", text_for("policy", 1))
    assert first.status_code == 201
    again = upload(url, "policy.txt", text_for("policy", 2))
    assert again.status_code == 409
    error = again.json()["error"]
    assert error["type"] == "document_exists"
    assert error["document_id"] == first.json()["document_id"]
    assert "replace=true" in error["message"]
    same = upload(url, "policy.txt", text_for("policy", 1))
    assert (same.status_code, same.json()["status"]) == (201, "unchanged")
    by_id = upload(
        url, "policy.txt", text_for("policy", 3), document_id=first.json()["document_id"]
    )
    assert (by_id.status_code, by_id.json()["status"]) == (201, "updated")
    replaced = upload(url, "policy.txt", text_for("policy", 4), replace="true")
    assert (replaced.status_code, replaced.json()["status"]) == (201, "updated")


@pytest.mark.parametrize(
    "names",
    [
        ("报告.txt", "提案.txt"),
        ("a+b.txt", "a&b.txt"),
        ("why?.txt", "why*.txt"),
    ],
)
def test_distinct_names_stay_distinct_documents(
    server: tuple[str, Path], names: tuple[str, str]
) -> None:
    url, _ = server
    ids = []
    for n, name in enumerate(names):
        r = upload(url, name, text_for(f"name {n}", n))
        assert r.status_code == 201, r.text
        assert r.json()["status"] == "added"
        ids.append(r.json()["document_id"])
    assert ids[0] != ids[1]
    listed = {d["source"] for d in documents(url)}
    assert {display_name(n) for n in names} <= listed
    for n, doc_id in enumerate(ids):
        text = httpx.get(f"{url}/v1/documents/{doc_id}", params={"collection": "races"})
        assert text.json()["text"] == text_for(f"name {n}", n)


def test_a_long_name_keeps_its_extension(server: tuple[str, Path]) -> None:
    url, _ = server
    name = "minutes of the " + "very " * 60 + "long meeting.md"
    r = upload(url, name, "# Minutes\n\nThe meeting approved the budget of 40 crowns.\n")
    assert r.status_code == 201, r.text
    assert r.json()["source"].startswith("minutes of the very very")
    assert r.json()["source"].endswith(".md")
    assert len(r.json()["source"]) <= 255
