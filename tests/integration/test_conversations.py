"""The conversations API on the real app: list, read, rename, delete, pages, and owners."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from ingest.storage.sqlite.database import FILENAME, Database
from ingest.storage.sqlite.migrations import MIGRATIONS
from service.components import Components
from service.main import create_app

# The store under these routes runs on both databases in test_storage_contract.py already.
QUESTION = "Who signed the joint statement?"
FOLLOW_UP = "When did they sign it?"
A = {"Authorization": "Bearer rk-conv-a"}
B = {"Authorization": "Bearer rk-conv-b"}


def ask(client: TestClient, question: str, conversation_id: str | None = None, **kw) -> dict:
    body = {"messages": [{"role": "user", "content": question}]}
    if conversation_id:
        body["conversation_id"] = conversation_id
    r = client.post("/v1/chat", json=body, **kw)
    assert r.status_code == 200, r.text
    return r.json()


@pytest.fixture
def client(article_components: Components) -> TestClient:
    return TestClient(create_app(components=article_components))


@pytest.fixture
def keyed(make_components: Callable[..., Components], article_dir: Path) -> TestClient:
    comps = make_components(api_keys="rk-conv-a:read, rk-conv-b:read")
    comps.ingestor.ingest([article_dir], collection="default")
    return TestClient(create_app(components=comps))


def test_a_conversation_is_listed_read_renamed_and_deleted(client: TestClient) -> None:
    first = ask(client, QUESTION)
    cid = first["conversation_id"]
    second = ask(client, FOLLOW_UP, cid)
    listed = client.get("/v1/conversations").json()
    assert listed["next_cursor"] is None
    [summary] = listed["conversations"]
    assert summary["conversation_id"] == cid
    assert summary["title"] == QUESTION
    assert summary["collection"] == "default"
    assert summary["turn_count"] == 4

    detail = client.get(f"/v1/conversations/{cid}").json()
    turns = detail["turns"]
    assert [(t["n"], t["role"]) for t in turns] == [
        (0, "user"),
        (1, "assistant"),
        (2, "user"),
        (3, "assistant"),
    ]
    assert [t["content"] for t in turns[::2]] == [QUESTION, FOLLOW_UP]
    # Each answer comes back as it was answered: text, citations with offsets, everything.
    assert turns[1]["response"] == first
    assert turns[3]["response"] == second
    assert turns[1]["response"]["citations"]
    assert turns[0]["response"] is None

    r = client.patch(f"/v1/conversations/{cid}", json={"title": "  Signatories \n of it "})
    assert r.status_code == 200, r.text
    assert r.json()["title"] == "Signatories of it"
    assert client.get("/v1/conversations").json()["conversations"][0]["title"] == (
        "Signatories of it"
    )

    assert client.delete(f"/v1/conversations/{cid}").status_code == 204
    r = client.get(f"/v1/conversations/{cid}")
    assert r.status_code == 404
    assert r.json()["error"]["type"] == "not_found_error"
    assert client.delete(f"/v1/conversations/{cid}").status_code == 404
    assert client.get("/v1/conversations").json()["conversations"] == []


def test_pages_are_newest_first_and_cover_every_conversation_once(client: TestClient) -> None:
    made = [ask(client, f"{QUESTION} ({n})")["conversation_id"] for n in range(5)]
    seen, cursor = [], None
    while True:
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = client.get("/v1/conversations", params=params).json()
        assert len(page["conversations"]) <= 2
        seen += [c["conversation_id"] for c in page["conversations"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == made[::-1]
    # Answering in an old conversation moves it to the front.
    ask(client, FOLLOW_UP, made[0])
    assert (
        client.get("/v1/conversations", params={"limit": 1}).json()["conversations"][0][
            "conversation_id"
        ]
        == made[0]
    )


@pytest.mark.parametrize(
    ("method", "path", "kwargs", "status"),
    [
        ("GET", "/v1/conversations", {"params": {"cursor": "not a cursor!"}}, 400),
        ("GET", "/v1/conversations", {"params": {"limit": 0}}, 422),
        ("GET", "/v1/conversations", {"params": {"limit": 101}}, 422),
        ("PATCH", "/v1/conversations/{cid}", {"json": {"title": ""}}, 422),
        ("PATCH", "/v1/conversations/{cid}", {"json": {"title": "   "}}, 400),
        ("PATCH", "/v1/conversations/{cid}", {"json": {"title": "x" * 201}}, 422),
        ("PATCH", "/v1/conversations/{cid}", {"json": {"title": "ok", "owner": "me"}}, 422),
        ("PATCH", "/v1/conversations/nope", {"json": {"title": "ok"}}, 404),
    ],
)
def test_bad_requests_get_clear_errors_and_change_nothing(
    client: TestClient, method: str, path: str, kwargs: dict, status: int
) -> None:
    cid = ask(client, QUESTION)["conversation_id"]
    r = client.request(method, path.format(cid=cid), **kwargs)
    assert r.status_code == status, r.text
    assert r.json()["error"]["message"]
    assert client.get(f"/v1/conversations/{cid}").json()["title"] == QUESTION


def test_a_conversation_exists_only_for_the_key_that_started_it(keyed: TestClient) -> None:
    cid = ask(keyed, QUESTION, headers=A)["conversation_id"]
    assert [
        c["conversation_id"]
        for c in keyed.get("/v1/conversations", headers=A).json()["conversations"]
    ] == [cid]
    assert keyed.get("/v1/conversations", headers=B).json()["conversations"] == []
    for method, kwargs in (("GET", {}), ("PATCH", {"json": {"title": "mine"}}), ("DELETE", {})):
        r = keyed.request(method, f"/v1/conversations/{cid}", headers=B, **kwargs)
        assert r.status_code == 404, (method, r.text)
    # Nor can B continue it, through either chat API, and so read its history.
    body = {"messages": [{"role": "user", "content": FOLLOW_UP}], "conversation_id": cid}
    assert keyed.post("/v1/chat", json=body, headers=B).status_code == 404
    openai_body = {"model": "ragchat", "messages": body["messages"], "user": cid}
    assert keyed.post("/v1/chat/completions", json=openai_body, headers=B).status_code == 404
    detail = keyed.get(f"/v1/conversations/{cid}", headers=A).json()
    assert detail["title"] == QUESTION
    assert detail["turn_count"] == 2
    assert keyed.get("/v1/conversations").status_code == 401


def test_turns_from_before_conversation_rows_are_listed(tmp_path: Path) -> None:
    """A data dir whose turns predate the conversations table gets a row per conversation."""
    path = tmp_path / FILENAME
    conn = sqlite3.connect(path, isolation_level=None)
    before = next(n for n, (name, _) in enumerate(MIGRATIONS, 1) if "owner" in name) - 1
    for number, (_, step) in enumerate(MIGRATIONS[:before], start=1):
        step(conn)
        conn.execute(f"PRAGMA user_version={number}")
    conn.executemany(
        "INSERT INTO turns VALUES (?, ?, ?, ?, ?)",
        [("old", 0, "user", "What was asked first?", 100.0), ("old", 1, "assistant", "A.", 101.0)],
    )
    conn.close()
    db = Database(path)
    try:
        rows = db.conn.execute(
            "SELECT conversation_id, owner, title, created_at, updated_at FROM conversations"
        ).fetchall()
    finally:
        db.close()
    assert rows == [("old", "", "What was asked first?", 100.0, 101.0)]


def feedback(client: TestClient, cid: str, n: int, body: dict, **kw):
    return client.post(f"/v1/conversations/{cid}/turns/{n}/feedback", json=body, **kw)


def test_a_rating_keeps_what_was_rated_and_outlives_its_conversation(
    client: TestClient, article_components: Components
) -> None:
    answered = ask(client, QUESTION)
    cid = answered["conversation_id"]
    cited = answered["citations"]
    assert cited
    r = feedback(client, cid, 1, {"rating": "up"})
    assert r.status_code == 201, r.text
    body = {
        "rating": "down",
        "comment": " The Japanese signatory is missing. ",
        "expected_answer": "Jung Pak, Cho Koo-rae and Namazu Hiroyuki",
        "wrong_citations": [cited[0]["index"]],
    }
    r = feedback(client, cid, 1, body)
    assert r.status_code == 201, r.text
    got = r.json()
    assert (got["rating"], got["comment"], got["turn"]) == (
        "down",
        "The Japanese signatory is missing.",
        1,
    )
    assert got["question"] == QUESTION
    assert got["answer"] == answered["answer"]
    assert got["expected_answer"] == body["expected_answer"]
    assert got["wrong_citations"] == [cited[0]["index"]]
    assert got["model"] == answered["model"]
    assert got["collection"] == "default"
    doc_id = cited[0]["document_id"]
    live = article_components.storage.documents.live_version("default", doc_id)
    assert [
        (c["quote"], c["start"], c["end"], c["document_id"], c["version"]) for c in got["citations"]
    ] == [(c["quote"], c["start"], c["end"], c["document_id"], live) for c in cited]
    # Rating again replaced the first rating; the settings of the answer came with it.
    [stored] = article_components.storage.feedback.ratings()
    assert stored.rating == "down"
    assert stored.settings["retrieval"]["top_k"] == article_components.settings.retrieval.top_k
    assert "api_keys" not in str(stored.settings)
    assert client.delete(f"/v1/conversations/{cid}").status_code == 204
    [kept] = article_components.storage.feedback.ratings(rating="down")
    assert kept.question == QUESTION
    assert article_components.storage.feedback.ratings(rating="up") == []


@pytest.mark.parametrize(
    ("n", "body", "status"),
    [
        (0, {"rating": "up"}, 400),  # a question, not an answer
        (9, {"rating": "up"}, 404),
        (1, {"rating": "meh"}, 422),
        (1, {"rating": "down", "wrong_citations": [99]}, 400),
        (1, {"rating": "down", "expected_answer": ""}, 422),
        (1, {"rating": "down", "comment": "x" * 2001}, 422),
        (1, {"rating": "up", "stars": 5}, 422),
    ],
)
def test_bad_ratings_are_refused_and_store_nothing(
    client: TestClient, article_components: Components, n: int, body: dict, status: int
) -> None:
    cid = ask(client, QUESTION)["conversation_id"]
    r = feedback(client, cid, n, body)
    assert r.status_code == status, r.text
    assert r.json()["error"]["message"]
    assert article_components.storage.feedback.ratings() == []


def test_only_the_owner_rates(keyed: TestClient) -> None:
    cid = ask(keyed, QUESTION, headers=A)["conversation_id"]
    assert feedback(keyed, cid, 1, {"rating": "down"}, headers=B).status_code == 404
    assert feedback(keyed, cid, 1, {"rating": "down"}, headers=A).status_code == 201
