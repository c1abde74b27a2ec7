"""Rate limits (RAGCHAT_RATE_LIMIT__*) on the real app, with small limits set per test."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from service.components import Components
from service.main import create_app

OPEN = ("/", "/static/app.js", "/healthz", "/readyz", "/metrics")


def app_with(make_components: Callable[..., Components], **overrides: object) -> FastAPI:
    rates = {"per_ip": "0", "per_key": "0", "failed_auth": "0"}
    rates.update({k: v for k, v in overrides.items() if k in rates})  # type: ignore[misc]
    keys = overrides.get("api_keys")
    return create_app(components=make_components(api_keys=keys, rate_limit=rates))


def from_address(app: FastAPI, address: str) -> TestClient:
    return TestClient(app, client=(address, 50000))


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def assert_limited(r: httpx.Response, words: str) -> None:
    assert r.status_code == 429, r.text
    assert r.json()["error"]["type"] == "rate_limited"
    assert words in r.json()["error"]["message"]
    assert 1 <= int(r.headers["retry-after"]) <= 60


def test_each_address_has_its_own_budget(make_components: Callable[..., Components]) -> None:
    app = app_with(make_components, per_ip="3/minute")
    with from_address(app, "10.0.0.1") as first:
        for _ in range(3):
            assert first.get("/v1/models").status_code == 200
        assert_limited(first.get("/v1/models"), "from this address (at most 3 per 1 minute)")
        assert_limited(first.post("/v1/search", json={"query": "x"}), "from this address")
        for path in OPEN:
            assert first.get(path).status_code == 200, path
        assert first.get("/docs").status_code == 200
        assert from_address(app, "10.0.0.2").get("/v1/models").status_code == 200


def test_each_key_has_its_own_budget(make_components: Callable[..., Components]) -> None:
    app = app_with(make_components, per_key="2/minute", api_keys="rk-one, rk-two:read")
    with from_address(app, "10.0.0.1") as c:
        for _ in range(2):
            assert c.get("/v1/models", headers=bearer("rk-one")).status_code == 200
        assert_limited(c.get("/v1/models", headers=bearer("rk-one")), "with this API key")
        other = from_address(app, "10.0.0.9")
        assert_limited(other.get("/v1/models", headers=bearer("rk-one")), "with this API key")
        assert c.get("/v1/models", headers=bearer("rk-two")).status_code == 200


def test_wrong_keys_lock_the_address_out_before_any_key_is_checked(
    make_components: Callable[..., Components],
) -> None:
    app = app_with(make_components, failed_auth="3/minute", api_keys="rk-good")
    with from_address(app, "10.0.0.1") as c:
        for guess in ("rk-a", "rk-b", "rk-c"):
            assert c.get("/v1/models", headers=bearer(guess)).status_code == 401
        assert_limited(c.get("/v1/models", headers=bearer("rk-d")), "wrong API keys")
        assert_limited(c.get("/v1/models", headers=bearer("rk-good")), "wrong API keys")
        assert_limited(c.post("/v1/chat", content=b"{not json"), "wrong API keys")
        assert c.get("/healthz").status_code == 200
        other = from_address(app, "10.0.0.2")
        assert other.get("/v1/models", headers=bearer("rk-good")).status_code == 200


def test_requests_without_a_key_are_no_guesses(make_components: Callable[..., Components]) -> None:
    """The chat page's first requests carry no key; they must not lock the page out."""
    app = app_with(make_components, failed_auth="2/minute", api_keys="rk-good")
    with from_address(app, "10.0.0.1") as c:
        for _ in range(5):
            assert c.get("/v1/models").status_code == 401
            assert c.get("/v1/models", headers={"Authorization": "Basic eDp5"}).status_code == 401
        assert c.get("/v1/models", headers=bearer("rk-good")).status_code == 200


def test_the_defaults_limit_nothing_a_user_does(make_components: Callable[..., Components]) -> None:
    comps = make_components(api_keys="rk-good")
    limits = comps.settings.rate_limit
    assert (limits.per_ip, limits.per_key, limits.failed_auth) == (
        "600/minute",
        "600/minute",
        "30/minute",
    )
    with TestClient(create_app(components=comps)) as c:
        for _ in range(40):
            assert c.get("/v1/models", headers=bearer("rk-good")).status_code == 200


@pytest.mark.parametrize("setting", ["per_ip", "per_key", "failed_auth"])
def test_a_rate_that_is_no_rate_stops_startup(
    make_components: Callable[..., Components], setting: str
) -> None:
    comps = make_components(rate_limit={setting: "lots"})
    with pytest.raises(ValueError, match=f"RAGCHAT_RATE_LIMIT__{setting.upper()}: 'lots'"):
        create_app(components=comps)
