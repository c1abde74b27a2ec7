"""API keys (RAGCHAT_API_KEYS) on the real app."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from service.components import Components
from service.main import create_app

KEY = "rk-alpha-3f9a"
ASK = {"messages": [{"role": "user", "content": "Who signed the joint statement?"}]}


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


@pytest.fixture
def client(make_components: Callable[..., Components], article_dir: Path) -> Iterator[TestClient]:
    comps = make_components(api_keys=f" rk-beta-77 ,{KEY},")
    comps.ingestor.ingest([article_dir], collection="default")
    with TestClient(create_app(components=comps)) as c:
        yield c


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/v1/chat"),
        ("POST", "/v1/chat/completions"),
        ("GET", "/v1/models"),
        ("POST", "/v1/search"),
        ("GET", "/v1/documents"),
        ("GET", "/v1/documents/some-id"),
        ("DELETE", "/v1/documents/some-id"),
        ("POST", "/v1/documents"),
        ("GET", "/v1/no-such-route"),
    ],
)
def test_every_v1_route_needs_a_key(client: TestClient, method: str, path: str) -> None:
    r = client.request(method, path, json=ASK)
    assert r.status_code == 401
    assert r.headers["www-authenticate"] == "Bearer"
    assert r.json()["error"] == {
        "type": "unauthorized",
        "message": "this server needs an API key: send Authorization: Bearer <key>",
    }


@pytest.mark.parametrize(
    ("header", "message", "challenge"),
    [
        ("Bearer rk-alpha-3f9b", "not valid", 'Bearer error="invalid_token"'),
        (f"Bearer {KEY}x", "not valid", 'Bearer error="invalid_token"'),
        ("Bearer ", "must be", 'Bearer error="invalid_request"'),
        (f"Basic {KEY}", "must be", 'Bearer error="invalid_request"'),
        (KEY, "must be", 'Bearer error="invalid_request"'),
        ("Bearer ключ", "not valid", 'Bearer error="invalid_token"'),
    ],
)
def test_a_wrong_key_is_401_never_500(
    client: TestClient, header: str, message: str, challenge: str
) -> None:
    r = client.post("/v1/chat", json=ASK, headers={"Authorization": header.encode()})
    assert r.status_code == 401
    assert r.headers["www-authenticate"] == challenge
    assert r.json()["error"]["type"] == "unauthorized"
    assert message in r.json()["error"]["message"]


def test_any_listed_key_works_and_the_scheme_is_case_blind(client: TestClient) -> None:
    r = client.post("/v1/chat", json=ASK, headers=bearer(KEY))
    assert r.status_code == 200
    assert "Namazu Hiroyuki" in r.json()["answer"]
    r = client.get("/v1/models", headers={"Authorization": "bearer rk-beta-77"})
    assert r.json()["data"][0]["id"] == "default"


def test_an_unauthenticated_body_is_never_parsed(client: TestClient) -> None:
    """401 comes before the schema (422) and the body is not read, not even an upload."""
    r = client.post("/v1/chat", content=b"{not json", headers={"content-type": "application/json"})
    assert r.status_code == 401
    r = client.post("/v1/documents", files={"file": ("x.txt", b"hello")})
    assert r.status_code == 401
    assert client.get("/v1/documents", headers=bearer(KEY)).json()["documents"][0]["source"] == (
        "dprk-russia-joint-statement.txt"
    )


def test_page_health_metrics_and_docs_stay_open(client: TestClient) -> None:
    for path in ("/", "/static/app.js", "/static/auth.js", "/healthz", "/readyz", "/metrics"):
        assert client.get(path).status_code == 200, path
    schema = client.get("/openapi.json").json()
    assert schema["components"]["securitySchemes"]["apiKey"]["scheme"] == "bearer"
    assert schema["paths"]["/v1/chat"]["post"]["security"] == [{"apiKey": []}]
    assert "security" not in schema["paths"]["/healthz"]["get"]


def test_streaming_with_a_key(client: TestClient) -> None:
    body = {**ASK, "stream": True}
    with client.stream("POST", "/v1/chat", json=body, headers=bearer(KEY)) as r:
        assert r.status_code == 200
        events = [line for line in r.iter_lines() if line.startswith("event:")]
    assert events[-1] == "event: done"


def test_without_keys_nothing_is_asked(
    make_components: Callable[..., Components], article_dir: Path
) -> None:
    comps = make_components(api_keys=" , ")
    comps.ingestor.ingest([article_dir], collection="default")
    with TestClient(create_app(components=comps)) as c:
        assert c.post("/v1/chat", json=ASK).status_code == 200
        assert "securitySchemes" not in c.get("/openapi.json").json().get("components", {})
