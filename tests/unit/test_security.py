import pytest

from service.api.origins import (
    allowed_origins,
    is_refused,
    normalize_origin,
    refusal_message,
    request_origin,
)

OWN = "http://127.0.0.1:8000"
NOTHING: frozenset[str] = frozenset()


def refused(
    method: str = "POST",
    *,
    origin: str | None = None,
    fetch_site: str | None = None,
    own: str | None = OWN,
    allowed: frozenset[str] = NOTHING,
) -> bool:
    return is_refused(
        method=method, origin=origin, fetch_site=fetch_site, own_origin=own, allowed=allowed
    )


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE", "post"])
def test_a_cross_site_page_cannot_change_state(method: str) -> None:
    assert refused(method, origin="https://evil.example", fetch_site="cross-site")
    assert refused(method, origin="https://evil.example")
    assert refused(method, fetch_site="cross-site")


@pytest.mark.parametrize("method", ["GET", "HEAD", "OPTIONS"])
def test_safe_methods_are_never_refused(method: str) -> None:
    assert not refused(method, origin="https://evil.example", fetch_site="cross-site")
    assert not refused(method, origin="null")


def test_clients_that_are_no_browser_send_neither_header_and_pass() -> None:
    assert not refused()
    assert not refused("DELETE", own=None)


@pytest.mark.parametrize("site", ["same-origin", "none", "Same-Origin"])
def test_the_browsers_own_verdict_lets_same_origin_and_user_typed_requests_pass(
    site: str,
) -> None:
    assert not refused(origin=OWN, fetch_site=site)
    assert not refused(fetch_site=site)


def test_same_site_is_still_another_origin() -> None:
    """app.example.com and api.example.com are one site but two origins."""
    assert refused(origin="https://app.example.com", fetch_site="same-site")
    assert refused(fetch_site="same-site")
    assert refused(origin=OWN, fetch_site="something-new")


def test_without_sec_fetch_site_the_origin_must_be_ours() -> None:
    assert not refused(origin=OWN)
    assert not refused(origin="HTTP://127.0.0.1:8000/")
    assert refused(origin="http://127.0.0.1:8001")
    assert refused(origin="https://127.0.0.1:8000")
    assert refused(origin="http://localhost:8000")
    assert refused(origin=OWN, own=None)


def test_origin_null_is_cross_site_and_cannot_be_allowed() -> None:
    assert refused(origin="null")
    assert refused(origin="null", fetch_site="cross-site")
    assert refused(origin="null", allowed=frozenset({"null"}))


def test_the_allow_list_lets_named_origins_in_even_cross_site() -> None:
    allowed = allowed_origins(["https://App.example.com/", "http://localhost:5173"])
    assert not refused(origin="https://app.example.com", fetch_site="cross-site", allowed=allowed)
    assert not refused(
        origin="https://app.example.com:443", fetch_site="same-site", allowed=allowed
    )
    assert not refused(origin="http://localhost:5173", allowed=allowed)
    assert refused(origin="http://localhost:5174", allowed=allowed)
    assert refused(origin="http://app.example.com", fetch_site="cross-site", allowed=allowed)
    assert refused(fetch_site="cross-site", allowed=allowed)


@pytest.mark.parametrize(
    "value", ["", "null", "app.example.com", "https://a.example/path", "https://u@a.example"]
)
def test_an_allow_list_entry_must_be_an_origin(value: str) -> None:
    with pytest.raises(ValueError, match="RAGCHAT_SERVER__ALLOWED_ORIGINS"):
        allowed_origins([value])


def test_origins_are_compared_in_one_form() -> None:
    assert normalize_origin("HTTPS://Example.COM:443") == "https://example.com"
    assert normalize_origin("http://example.com:80/") == "http://example.com"
    assert normalize_origin("https://example.com:80") == "https://example.com:80"
    assert normalize_origin("http://[::1]:8000") == "http://[::1]:8000"
    for bad in ("null", "", "http://", "http://a:99999", "http://a/b", "http://a?x", "//a"):
        assert normalize_origin(bad) is None, bad


def test_our_origin_is_the_scheme_and_host_header_only() -> None:
    assert request_origin("http", "127.0.0.1:8000") == OWN
    assert request_origin("https", "Chat.Example.com") == "https://chat.example.com"
    assert request_origin("http", "localhost:80") == "http://localhost"
    assert request_origin("http", None) is None
    assert request_origin("http", "evil.example/x") is None


def test_the_refusal_names_the_origin_and_the_setting() -> None:
    message = refusal_message("https://evil.example", "cross-site")
    assert "https://evil.example" in message
    assert "RAGCHAT_SERVER__ALLOWED_ORIGINS" in message
    assert "Sec-Fetch-Site: cross-site" in refusal_message(None, "cross-site")
    assert "null" in refusal_message("null", None)
