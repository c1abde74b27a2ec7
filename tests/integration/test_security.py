"""Cross-site request refusal and security headers on the real app (no browser here)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import httpx
import pytest
from fastapi.testclient import TestClient

from service.api.headers import DOCS_POLICY, PAGE_POLICY
from service.components import Components
from service.main import create_app

EVIL = {"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"}
OURS = "http://testserver"  # TestClient's Host
NOTE = ("harbour-notes.md", b"# Harbour notes\n\nThe harbour master is Ingrid Solberg.\n")
ASK = {"messages": [{"role": "user", "content": "Who is the harbour master?"}]}


def sources(client: TestClient, **headers: str) -> list[str]:
    r = client.get("/v1/documents", headers=headers)
    assert r.status_code == 200
    return [d["source"] for d in r.json()["documents"]]


def assert_refused(r: httpx.Response, origin: str = "https://evil.example") -> None:
    assert r.status_code == 403
    error = r.json()["error"]
    assert error["type"] == "cross_site_request"
    assert origin in error["message"]
    assert "RAGCHAT_SERVER__ALLOWED_ORIGINS" in error["message"]


@pytest.fixture
def client(make_components: Callable[..., Components]) -> Iterator[TestClient]:
    with TestClient(create_app(components=make_components())) as c:
        yield c


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/v1/documents"),
        ("DELETE", "/v1/documents/some-id"),
        ("POST", "/v1/chat"),
        ("POST", "/v1/chat/completions"),
        ("POST", "/v1/search"),
        ("PUT", "/v1/documents/some-id"),
        ("PATCH", "/v1/anything"),
        ("POST", "/healthz"),
        ("POST", "/"),
    ],
)
def test_cross_site_writes_are_refused_anywhere_without_keys(
    client: TestClient, method: str, path: str
) -> None:
    assert_refused(client.request(method, path, headers=EVIL, files={"file": NOTE}))
    assert sources(client) == []


def test_an_origin_alone_decides_for_browsers_without_sec_fetch_site(client: TestClient) -> None:
    r = client.post("/v1/documents", files={"file": NOTE}, headers={"Origin": "http://evil:80"})
    assert_refused(r, "http://evil:80")
    r = client.post("/v1/documents", files={"file": NOTE}, headers={"Origin": "null"})
    assert r.status_code == 403
    assert "Origin null" in r.json()["error"]["message"]
    assert sources(client) == []


def test_a_proxys_forwarded_host_is_not_trusted(client: TestClient) -> None:
    forged = {"Origin": "https://evil.example", "X-Forwarded-Host": "evil.example"}
    forged["X-Forwarded-Proto"] = "https"
    assert_refused(client.post("/v1/documents", files={"file": NOTE}, headers=forged))
    assert sources(client) == []


def test_same_origin_pages_and_clients_that_are_no_browser_pass(client: TestClient) -> None:
    r = client.post(
        "/v1/documents", files={"file": NOTE}, headers={"Sec-Fetch-Site": "same-origin"}
    )
    assert r.status_code == 201, r.text
    doc_id = r.json()["document_id"]
    assert client.post("/v1/chat", json=ASK, headers={"Origin": OURS}).status_code == 200
    assert client.post("/v1/chat", json=ASK).status_code == 200  # curl, SDKs: no headers
    r = client.delete(f"/v1/documents/{doc_id}", headers={"Origin": OURS, "Sec-Fetch-Site": "none"})
    assert r.status_code == 204
    assert sources(client) == []


def test_reads_are_never_refused(client: TestClient) -> None:
    assert sources(client, **EVIL) == []
    assert client.get("/", headers=EVIL).status_code == 200
    assert client.head("/healthz", headers=EVIL).status_code != 403
    assert client.options("/v1/chat", headers=EVIL).status_code != 403


def test_refused_before_auth_and_before_any_body_is_read(
    make_components: Callable[..., Components],
) -> None:
    """403 whether keys are set or not; never 401, 413 or 422 for a cross-site request."""
    comps = make_components(api_keys="rk-key-1")
    with TestClient(create_app(components=comps)) as c:
        assert_refused(c.post("/v1/chat", content=b"{not json", headers=EVIL))
        huge = {**EVIL, "Content-Length": str(10**9)}
        assert_refused(c.post("/v1/documents", content=b"x", headers=huge))
        keyed = {**EVIL, "Authorization": "Bearer rk-key-1"}
        assert_refused(c.post("/v1/documents", files={"file": NOTE}, headers=keyed))
        assert sources(c, Authorization="Bearer rk-key-1") == []
        assert c.post("/v1/chat", json=ASK).status_code == 401
        counted = 'ragchat_http_requests_total{method="POST",route="/v1/chat",status="403"} 1.0'
        assert counted in c.get("/metrics").text


def test_the_allow_list_lets_a_named_site_in(make_components: Callable[..., Components]) -> None:
    comps = make_components(server={"allowed_origins": ["https://App.example.com/"]})
    with TestClient(create_app(components=comps)) as c:
        app = {"Origin": "https://app.example.com", "Sec-Fetch-Site": "cross-site"}
        r = c.post("/v1/documents", files={"file": NOTE}, headers=app)
        assert r.status_code == 201, r.text
        assert_refused(c.post("/v1/chat", json=ASK, headers=EVIL))


def test_an_allow_list_entry_that_is_no_origin_stops_startup(
    make_components: Callable[..., Components],
) -> None:
    comps = make_components(server={"allowed_origins": ["app.example.com"]})
    with pytest.raises(ValueError, match="RAGCHAT_SERVER__ALLOWED_ORIGINS"):
        create_app(components=comps)


@pytest.mark.parametrize("path", ["/", "/static/index.html", "/static/app.js", "/healthz"])
def test_page_static_and_api_responses_carry_the_security_headers(
    client: TestClient, path: str
) -> None:
    r = client.get(path)
    assert r.status_code == 200
    assert r.headers["content-security-policy"] == PAGE_POLICY
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["referrer-policy"] == "no-referrer"
    assert r.headers["x-frame-options"] == "DENY"


def test_the_page_policy_allows_no_inline_code_and_no_other_host() -> None:
    directives = dict(d.strip().split(" ", 1) for d in PAGE_POLICY.split(";"))
    assert directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"
    assert "unsafe" not in PAGE_POLICY
    assert "http" not in PAGE_POLICY


def test_refusals_carry_the_headers_and_only_the_docs_get_the_relaxed_policy(
    client: TestClient,
) -> None:
    r = client.post("/v1/chat", json=ASK, headers=EVIL)
    assert r.headers["content-security-policy"] == PAGE_POLICY
    assert r.headers["x-content-type-options"] == "nosniff"
    for path in ("/docs", "/redoc", "/docs/oauth2-redirect"):
        r = client.get(path)
        assert r.status_code == 200
        assert r.headers["content-security-policy"] == DOCS_POLICY, path
        assert r.headers["x-frame-options"] == "DENY"
    assert client.get("/docs/other").headers["content-security-policy"] == PAGE_POLICY
