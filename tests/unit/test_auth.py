from pathlib import Path

import pytest

from service.api.access import Access
from service.api.auth import bearer_token, is_protected, match_key, route_path
from service.api.keys import ApiKey, KeySpecError, Role, load_keys, parse_keys
from service.errors import BadRequestError, ForbiddenError


def secrets(raw: str) -> list[bytes]:
    return [k.secret for k in parse_keys(raw)]


def test_keys_are_comma_separated_and_blanks_dropped() -> None:
    assert secrets(" a1 ,b2,, ,c3 ") == [b"a1", b"b2", b"c3"]
    assert secrets("") == []
    assert secrets(" , ") == []
    assert secrets("ключ") == ["ключ".encode()]


def test_a_bare_key_keeps_every_right() -> None:
    (key,) = parse_keys(" rk-old ")
    assert (key.role, key.collections) == (Role.ADMIN, None)
    assert key.allows(Role.ADMIN, "anything")
    assert key.describe() == "admin@*"


def test_a_spec_gives_a_role_and_collections() -> None:
    spec = "rk-a:read@handbook+policies, rk-b:write@*, rk-c:admin@handbook, rk-d:ADMIN, rk-e : read"
    a, b, c, d, e = parse_keys(spec)
    assert (a.secret, a.role, a.collections) == (b"rk-a", Role.READ, {"handbook", "policies"})
    assert (b.role, b.collections) == (Role.WRITE, None)
    assert (c.role, c.collections) == (Role.ADMIN, {"handbook"})
    assert (d.role, d.collections) == (Role.ADMIN, None)
    assert (e.secret, e.role) == (b"rk-e", Role.READ)
    assert [k.label for k in (a, e)] == ["RAGCHAT_API_KEYS#1", "RAGCHAT_API_KEYS#5"]
    assert "rk-a" not in repr(a)


@pytest.mark.parametrize(
    ("spec", "problem"),
    [
        ("sekrit:reed@handbook", "entry 1: unknown role"),
        ("ok, sekrit:", "entry 2: nothing after ':'"),
        ("sekrit:read@", "entry 1: empty collection name"),
        ("sekrit@handbook", "entry 1: collections need a role first"),
        ("sekrit:read@handbook+", "entry 1: empty collection name"),
        ("sekrit:read@*+handbook", "every collection"),
        ("sekrit:read@hand/book", "invalid collection name"),
        ("sekrit:read:write", "unknown role"),
        ("sekrit:read@handbook, old:key:sekrit", "entry 2: unknown role"),
        ("sekrit:read@handbook, old@sekrit", "entry 2: collections need a role first"),
        ("sekrit:read@handbook, old:read@sekrit/x", "entry 2: invalid collection name"),
        (":read@handbook", "the key is empty"),
        ("sek rit:read", "may not contain spaces"),
        ("sekrit@handbook:read", "collections need a role first"),
        ("sekrit, sekrit:read", "RAGCHAT_API_KEYS#2 repeats the key of RAGCHAT_API_KEYS#1"),
    ],
)
def test_a_malformed_spec_names_the_setting_and_never_the_key(spec: str, problem: str) -> None:
    with pytest.raises(KeySpecError, match="RAGCHAT_API_KEYS") as info:
        load_keys(spec, None)
    assert problem in str(info.value)
    assert "sekrit" not in str(info.value)


def test_a_keys_file_adds_keys_beside_the_setting(tmp_path: Path) -> None:
    path = tmp_path / "keys.toml"
    path.write_text(
        '[[keys]]\nkey = "rk:with@odd,chars"\nrole = "read"\ncollections = ["handbook"]\n'
        '[[keys]]\nkey = "rk-file-admin"\n',
        encoding="utf-8",
    )
    env, read, admin = load_keys("rk-env:write", path)
    assert (env.role, read.role, admin.role) == (Role.WRITE, Role.READ, Role.ADMIN)
    assert (read.secret, read.collections) == (b"rk:with@odd,chars", {"handbook"})
    assert admin.collections is None
    assert read.label == "RAGCHAT_API_KEYS_FILE#1"
    assert load_keys(None, None) == []


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ('[[keys]]\nkey = "sekrit"\nrole = "owner"\n', "key 1: unknown role"),
        ('[[keys]]\nkey = "sekrit"\ncollections = "handbook"\n', "must be a list"),
        ('[[keys]]\nkey = "sekrit"\nscope = "x"\n', "unknown fields ['scope']"),
        ('[[keys]]\nrole = "read"\n', "must be strings"),
        ('[[keys]]\nkey = "rk-env"\n', "repeats the key of RAGCHAT_API_KEYS#1"),
        ("keys = 3\n", "array of tables"),
        ("keys = [\n", "cannot read"),
    ],
)
def test_a_malformed_keys_file_names_its_setting(tmp_path: Path, text: str, problem: str) -> None:
    path = tmp_path / "keys.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(KeySpecError, match="RAGCHAT_API_KEYS_FILE") as info:
        load_keys("rk-env", path)
    assert problem in str(info.value)
    assert "sekrit" not in str(info.value)
    with pytest.raises(KeySpecError, match="cannot read"):
        load_keys(None, tmp_path / "missing.toml")


def test_each_role_holds_the_rights_of_those_below_it() -> None:
    read, write, admin = (
        ApiKey(secret=b"k", role=role, collections=frozenset({"a"})) for role in Role
    )
    assert [read.allows(r, "a") for r in Role] == [True, False, False]
    assert [write.allows(r, "a") for r in Role] == [True, True, False]
    assert [admin.allows(r, "a") for r in Role] == [True, True, True]
    assert not admin.allows(Role.READ, "b")
    assert ApiKey(secret=b"k", role=Role.READ).allows(Role.READ, "any")


def test_the_collection_decision() -> None:
    key = ApiKey(secret=b"k", role=Role.WRITE, collections=frozenset({"handbook"}))
    access = Access(key=key, role=Role.WRITE, default="default")
    assert access.collection("handbook") == "handbook"
    with pytest.raises(ForbiddenError, match="'other'"):
        access.collection("other")
    with pytest.raises(ForbiddenError, match="'default'"):
        access.collection(None)  # leaving the collection out names the default one
    with pytest.raises(ForbiddenError, match="'default'"):
        access.collection("")
    named_twice = Access(key=key, role=Role.READ, default="default", queried=("handbook",))
    with pytest.raises(BadRequestError, match="name it once"):
        named_twice.collection("other")
    with pytest.raises(BadRequestError, match="name it once"):
        named_twice.collection(None)
    assert named_twice.collection("handbook") == "handbook"
    assert access.visible(["default", "handbook", "x"]) == ["handbook"]
    open_server = Access(key=None, role=Role.ADMIN, default="default")
    assert open_server.collection(None) == "default"
    assert open_server.visible(["a", "b"]) == ["a", "b"]


def test_bearer_token_needs_the_scheme_and_a_token() -> None:
    assert bearer_token(b"Bearer abc") == b"abc"
    assert bearer_token(b"bEaReR   abc  ") == b"abc"
    assert bearer_token(b"Bearer") is None
    assert bearer_token(b"Bearer   ") is None
    assert bearer_token(b"Basic abc") is None
    assert bearer_token(b"abc") is None
    assert bearer_token(None) is None


def test_a_key_must_match_exactly() -> None:
    keys = parse_keys("alpha:read, beta")
    assert match_key(b"beta", keys) is keys[1]
    assert match_key(b"alpha", keys) is keys[0]
    assert match_key(b"bet", keys) is None
    assert match_key(b"betaa", keys) is None
    assert match_key(b"", keys) is None
    assert match_key(b"alpha", []) is None


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
