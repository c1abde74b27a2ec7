from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from service.components import Components
from service.main import create_app

# Runs again on PostgreSQL and a Chroma server (make test, second pass).
pytestmark = pytest.mark.backends


@pytest.fixture
def client(article_components: Components) -> Iterator[TestClient]:
    with TestClient(create_app(components=article_components)) as c:
        yield c


def chat_body(question: str, **extra: object) -> dict[str, object]:
    return {"messages": [{"role": "user", "content": question}], **extra}


def test_chat_returns_the_response_object(client: TestClient) -> None:
    r = client.post("/v1/chat", json=chat_body("Who signed the joint statement?"))
    assert r.status_code == 200
    body = r.json()
    assert {"answer", "refused", "citations", "model", "conversation_id", "timings_ms"} <= set(body)
    assert body["unsupported_sentences"] == 0
    assert "Namazu Hiroyuki" in body["answer"]
    assert set(body["citations"][0]) == {
        "index",
        "chunk_id",
        "document_id",
        "source",
        "title",
        "quote",
        "start",
        "end",
        "score",
        "supported",
        "page",
        "section",
        "ocr",
    }
    assert body["turn"] == 1  # the answer's number in its new conversation


def test_chat_keeps_a_given_conversation_id(client: TestClient) -> None:
    r = client.post("/v1/chat", json=chat_body("When did Putin visit?", conversation_id="abc"))
    assert r.json()["conversation_id"] == "abc"


def test_chat_ignores_unknown_fields(client: TestClient) -> None:
    r = client.post("/v1/chat", json=chat_body("When did Putin visit?", temperature=0.3))
    assert r.status_code == 200


@pytest.mark.parametrize(
    ("payload", "status", "fragment"),
    [
        (b"{not json", 422, "JSON"),
        (b"\x00\xff\xfe binary", 422, ""),
        (b"[]", 422, ""),
        (b'{"messages": []}', 422, "messages"),
        (b'{"messages": [{"role": "robot", "content": "hi"}]}', 422, "role"),
        (b'{"messages": [{"role": "user", "content": ""}]}', 422, "content"),
        (b'{"messages": [{"role": "assistant", "content": "hi"}]}', 400, "last message"),
        (
            b'{"messages": [{"role": "user", "content": "hi"}], "collection": "../etc"}',
            400,
            "collection",
        ),
        (b'{"messages": [{"role": "user", "content": "hi"}], "top_k": 0}', 422, "top_k"),
        (b'{"messages": "hello"}', 422, "messages"),
    ],
)
def test_bad_bodies_get_a_4xx_json_error(
    client: TestClient, payload: bytes, status: int, fragment: str
) -> None:
    r = client.post("/v1/chat", content=payload, headers={"content-type": "application/json"})
    assert r.status_code == status, r.text
    err = r.json()["error"]
    assert err["type"]
    assert fragment.lower() in err["message"].lower()


def test_oversized_body_is_rejected_with_413(client: TestClient) -> None:
    big = chat_body("x" * 2_000_000)
    r = client.post("/v1/chat", json=big)
    assert r.status_code == 413
    assert r.json()["error"]["type"] == "request_too_large"


def test_overlong_message_is_rejected(client: TestClient) -> None:
    r = client.post("/v1/chat", json=chat_body("why " * 5000))
    assert r.status_code == 400
    assert "exceeds" in r.json()["error"]["message"]


def test_unknown_route_and_method_are_json_errors(client: TestClient) -> None:
    assert client.get("/v1/nothing").json()["error"]["type"] == "not_found_error"
    r = client.get("/v1/chat")
    assert r.status_code == 405
    assert "error" in r.json()


def test_health_ready_and_documents(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    assert client.get("/readyz").json() == {"status": "ready", "inconsistent_documents": 0}
    docs = client.get("/v1/documents").json()["documents"]
    assert [d["source"] for d in docs] == ["dprk-russia-joint-statement.txt"]


def test_unknown_collection_is_404_naming_the_known_ones(client: TestClient) -> None:
    r = client.post("/v1/chat", json=chat_body("Who?", collection="nope"))
    assert r.status_code == 404
    assert "known: default" in r.json()["error"]["message"]


def test_follow_up_by_conversation_id_is_condensed(client: TestClient) -> None:
    first = client.post("/v1/chat", json=chat_body("Who signed the joint statement?")).json()
    follow = client.post(
        "/v1/chat",
        json=chat_body(
            "And which ministry is the Japanese signatory from?",
            conversation_id=first["conversation_id"],
        ),
    ).json()
    assert "Who signed the joint statement?" in follow["standalone_question"]
    assert "Ministry of Foreign Affairs" in follow["answer"]
    assert follow["conversation_id"] == first["conversation_id"]


def test_follow_up_with_full_history_in_messages(client: TestClient) -> None:
    body = {
        "messages": [
            {"role": "user", "content": "Who signed the joint statement?"},
            {"role": "assistant", "content": "Jung Pak, Cho Koo-rae and Namazu Hiroyuki [1]."},
            {"role": "user", "content": "And which ministry is the Japanese signatory from?"},
        ]
    }
    r = client.post("/v1/chat", json=body).json()
    assert "Ministry of Foreign Affairs" in r["answer"]


def test_extractive_streams_sse_events(client: TestClient) -> None:
    with client.stream(
        "POST", "/v1/chat", json=chat_body("Who signed the joint statement?", stream=True)
    ) as r:
        assert r.status_code == 200
        lines = [line for line in r.iter_lines() if line.startswith("event:")]
    assert lines[0] == "event: delta"
    assert lines[-2:] == ["event: citations", "event: done"]


def test_streaming_errors_before_the_stream_are_plain_json(client: TestClient) -> None:
    r = client.post("/v1/chat", json=chat_body("Who?", collection="nope", stream=True))
    assert r.status_code == 404
    assert r.json()["error"]["type"] == "not_found_error"


def test_upload_show_and_delete_a_document(client: TestClient) -> None:
    files = {"file": ("notes.md", b"# Notes\n\nThe harbour master is Ingrid Solberg.\n")}
    r = client.post("/v1/documents?collection=harbour", files=files)
    assert r.status_code == 201, r.text
    up = r.json()
    assert (up["status"], up["source"], up["collection"]) == ("added", "notes.md", "harbour")
    assert client.post("/v1/documents?collection=harbour", files=files).json()["status"] == (
        "unchanged"
    )
    doc = client.get(f"/v1/documents/{up['document_id']}?collection=harbour").json()
    assert "Ingrid Solberg" in doc["text"]
    answer = client.post(
        "/v1/chat", json=chat_body("Who is the harbour master?", collection="harbour")
    ).json()
    quote = answer["citations"][0]
    assert doc["text"][quote["start"] : quote["end"]] == quote["quote"]
    assert client.delete(f"/v1/documents/{up['document_id']}?collection=harbour").status_code == 204
    assert client.delete(f"/v1/documents/{up['document_id']}?collection=harbour").status_code == 404
    assert client.get(f"/v1/documents/{up['document_id']}?collection=harbour").status_code == 404


@pytest.mark.parametrize(
    ("name", "data", "status", "fragment"),
    [
        ("photo.png", b"\x89PNG\r\n", 415, "unsupported file type"),
        ("binary.txt", b"\x00\x01\x02" * 50, 422, "binary.txt: looks like a binary file"),
        ("empty.md", b"\n\n   \n", 422, "no text content"),
        ("../../etc/passwd.txt", b"root:x:0:0", 201, ""),
    ],
)
def test_bad_uploads_get_clear_errors_and_lose_nothing(
    client: TestClient, name: str, data: bytes, status: int, fragment: str
) -> None:
    before = client.get("/v1/documents").json()["documents"]
    r = client.post("/v1/documents", files={"file": (name, data)})
    assert r.status_code == status, r.text
    if status == 201:
        assert r.json()["source"] == "passwd.txt"  # path parts are dropped
        client.delete(f"/v1/documents/{r.json()['document_id']}")
    else:
        assert fragment in r.json()["error"]["message"]
    assert client.get("/v1/documents").json()["documents"] == before


def test_oversized_upload_is_413(client: TestClient, article_components: Components) -> None:
    limit = article_components.settings.ingest.max_file_bytes
    r = client.post("/v1/documents", files={"file": ("big.txt", b"a" * (limit + 10))})
    assert r.status_code == 413


def test_pdf_upload_is_indexed_and_empty_upload_is_422(client: TestClient) -> None:
    from tests.unit.test_loaders import PAGE_ONE, PAGE_TWO, make_pdf

    pdf = make_pdf([PAGE_ONE, PAGE_TWO], title="Harbour Report")
    r = client.post("/v1/documents?collection=pdfs", files={"file": ("report.pdf", pdf)})
    assert r.status_code in (200, 201), r.text
    assert r.json()["chunks"] > 0
    doc = client.get(f"/v1/documents/{r.json()['document_id']}?collection=pdfs").json()
    assert PAGE_TWO in doc["text"]
    r = client.post("/v1/documents", files={"file": ("empty.docx", b"")})
    assert r.status_code == 422, r.text
    assert r.json()["error"] == {
        "type": "unreadable_document",
        "message": "empty.docx: empty document, no text content to index",
    }
