"""`GET /metrics` on the real app: counters move with real requests."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from service.components import Components
from service.main import create_app
from tests.conftest import free_port
from tests.integration.test_llm import openai_components

QUESTION = "Who signed the joint statement?"


def ask(question: str, **extra: object) -> dict[str, object]:
    return {"messages": [{"role": "user", "content": question}], **extra}


def samples(client: TestClient) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    r = client.get("/metrics")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/plain")
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(r.text)
        for s in family.samples
    }


def value(client: TestClient, name: str, **labels: str) -> float:
    return samples(client).get((name, frozenset(labels.items())), 0.0)


@pytest.fixture
def client(article_components: Components) -> Iterator[TestClient]:
    with TestClient(create_app(components=article_components)) as c:
        yield c


def test_requests_are_counted_by_route_template_and_status(client: TestClient) -> None:
    for doc_id in ("aaa", "bbb", "ccc"):
        assert client.get(f"/v1/documents/{doc_id}").status_code == 404
    client.get("/v1/no/such/route")
    client.get("/healthz")
    seen = samples(client)
    template = {"method": "GET", "route": "/v1/documents/{document_id}", "status": "404"}
    assert seen[("ragchat_http_requests_total", frozenset(template.items()))] == 3
    count = ("ragchat_http_request_duration_seconds_count", frozenset(template.items()))
    assert seen[count] == 3
    routes = {dict(labels).get("route") for _, labels in seen}
    assert "unmatched" in routes
    assert "/healthz" in routes
    assert not any(r and ("aaa" in r or "no/such" in r) for r in routes)


def test_chat_outcomes_and_stage_latencies(client: TestClient) -> None:
    assert value(client, "ragchat_chat_answers_total", outcome="answered") == 0
    assert client.post("/v1/chat", json=ask(QUESTION)).status_code == 200
    completion = {"model": "default", **ask(QUESTION)}
    assert client.post("/v1/chat/completions", json=completion).status_code == 200
    with client.stream("POST", "/v1/chat", json=ask(QUESTION, stream=True)) as r:
        assert r.status_code == 200
        list(r.iter_lines())
    r = client.post("/v1/chat", json=ask("What is the boiling point of mercury?"))
    assert r.json()["refused"]
    # Bad requests never became a chat turn: neither answers nor errors.
    assert client.post("/v1/chat", json=ask(QUESTION, collection="nope")).status_code == 404
    assert (
        client.post("/v1/chat/completions", json={"model": "x", "messages": []}).status_code == 422
    )
    assert value(client, "ragchat_chat_answers_total", outcome="answered") == 3
    assert value(client, "ragchat_chat_answers_total", outcome="refused") == 1
    assert value(client, "ragchat_chat_answers_total", outcome="error") == 0
    for stage in ("retrieve", "generate", "total"):
        assert value(client, "ragchat_stage_duration_seconds_count", stage=stage) == 4
    assert value(client, "ragchat_stage_duration_seconds_sum", stage="total") > 0
    search = {"query": "Putin visit", "collection": "default"}
    assert client.post("/v1/search", json=search).status_code == 200
    assert value(client, "ragchat_stage_duration_seconds_count", stage="search") == 1


def test_uploads_and_deletes_are_counted(client: TestClient, tmp_path: Path) -> None:
    note = b"# Harbour notes\n\nThe harbour master is Ingrid Solberg.\n"
    r = client.post("/v1/documents", files={"file": ("harbour.md", note)})
    assert r.status_code == 201
    chunks = r.json()["chunks"]
    assert chunks >= 1
    client.post("/v1/documents", files={"file": ("harbour.md", note)})
    assert value(client, "ragchat_documents_ingested_total", status="added") == 1
    assert value(client, "ragchat_documents_ingested_total", status="unchanged") == 1
    assert value(client, "ragchat_chunks_ingested_total") == chunks
    assert client.delete(f"/v1/documents/{r.json()['document_id']}").status_code == 204
    assert value(client, "ragchat_documents_deleted_total") == 1


def test_a_dead_model_server_counts_as_an_llm_error(
    make_components: Callable[..., Components], article_dir: Path
) -> None:
    url = f"http://127.0.0.1:{free_port()}/v1"
    comps = openai_components(make_components, article_dir, url)
    with TestClient(create_app(components=comps)) as client:
        assert client.post("/v1/chat", json=ask(QUESTION)).status_code == 503
        assert client.post("/v1/chat", json=ask(QUESTION, stream=True)).status_code == 503
        assert value(client, "ragchat_chat_answers_total", outcome="error") == 2
        assert value(client, "ragchat_llm_errors_total", type="llm_unavailable") == 2
        assert value(client, "ragchat_llm_errors_total", type="llm_bad_response") == 0
        chat = {"method": "POST", "route": "/v1/chat", "status": "503"}
        assert value(client, "ragchat_http_requests_total", **chat) == 2


def test_each_app_has_its_own_registry(article_components: Components) -> None:
    with (
        TestClient(create_app(components=article_components)) as a,
        TestClient(create_app(components=article_components)) as b,
    ):
        a.get("/healthz")
        a.get("/healthz")
        ok = {"method": "GET", "route": "/healthz", "status": "200"}
        assert value(a, "ragchat_http_requests_total", **ok) == 2
        assert value(b, "ragchat_http_requests_total", **ok) == 0


def test_openmetrics_on_request(client: TestClient) -> None:
    r = client.get("/metrics", headers={"accept": "application/openmetrics-text"})
    assert r.headers["content-type"].startswith("application/openmetrics-text")
    assert r.text.rstrip().endswith("# EOF")
