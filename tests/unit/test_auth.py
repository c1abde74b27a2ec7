from service.api.auth import bearer_token, is_protected, key_matches, parse_keys, route_path


def test_keys_are_comma_separated_and_blanks_dropped() -> None:
    assert parse_keys(" a1 ,b2,, ,c3 ") == [b"a1", b"b2", b"c3"]
    assert parse_keys("") == []
    assert parse_keys(" , ") == []
    assert parse_keys("ключ") == ["ключ".encode()]


def test_bearer_token_needs_the_scheme_and_a_token() -> None:
    assert bearer_token(b"Bearer abc") == b"abc"
    assert bearer_token(b"bEaReR   abc  ") == b"abc"
    assert bearer_token(b"Bearer") is None
    assert bearer_token(b"Bearer   ") is None
    assert bearer_token(b"Basic abc") is None
    assert bearer_token(b"abc") is None
    assert bearer_token(None) is None


def test_a_key_must_match_exactly() -> None:
    keys = [b"alpha", b"beta"]
    assert key_matches(b"beta", keys)
    assert not key_matches(b"bet", keys)
    assert not key_matches(b"betaa", keys)
    assert not key_matches(b"", keys)
    assert not key_matches(b"alpha", [])


def test_only_v1_paths_are_protected() -> None:
    assert is_protected("/v1")
    assert is_protected("/v1/chat")
    assert not is_protected("/v1chat")
    assert not is_protected("/")
    assert not is_protected("/metrics")
    assert not is_protected("/static/app.js")


def test_a_proxy_root_path_is_stripped_like_the_router_does() -> None:
    assert route_path({"path": "/api/v1/chat", "root_path": "/api"}) == "/v1/chat"
    assert route_path({"path": "/v1/chat", "root_path": ""}) == "/v1/chat"
    assert route_path({"path": "/apiv1/chat", "root_path": "/api"}) == "/apiv1/chat"
