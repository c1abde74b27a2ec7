"""Key scopes (role and collections) on every /v1 route of the real app."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import openai
import pytest
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.testclient import TestClient

from service.api.access import Need
from service.api.auth import is_protected
from service.api.keys import Role
from service.components import Components
from service.main import create_app
from tests.chroma_server import ragchat_env
from tests.conftest import API_KEY, OTHER_KEY, ROOT

# Runs again on PostgreSQL and a Chroma server (make test, second pass).
pytestmark = pytest.mark.backends

COLLECTIONS = ("default", "handbook", "other")
TARGETS = ("handbook", "other", None)  # None: the request names no collection
ASK = [{"role": "user", "content": "When does the office open?"}]


@dataclass(frozen=True)
class Key:
    secret: str
    spec: str
    role: Role
    collections: frozenset[str] | None  # None: every collection

    def reaches(self, collection: str) -> bool:
        return self.collections is None or collection in self.collections


KEYS = {
    "read@handbook": Key("rk-r-a", "rk-r-a:read@handbook", Role.READ, frozenset({"handbook"})),
    "write@handbook": Key("rk-w-a", "rk-w-a:write@handbook", Role.WRITE, frozenset({"handbook"})),
    "read@default": Key("rk-r-d", "rk-r-d:read@default", Role.READ, frozenset({"default"})),
    "read@*": Key("rk-r-all", "rk-r-all:read@*", Role.READ, None),
    "admin": Key("rk-admin", "rk-admin:admin", Role.ADMIN, None),
    "bare": Key("rk-bare", "rk-bare", Role.ADMIN, None),
}
ADMIN = {"Authorization": "Bearer rk-admin"}


@dataclass(frozen=True)
class Call:
    """One request to a route, for a collection (None: named nowhere)."""

    method: str
    path: str
    kwargs: dict[str, Any]
    ok: int


def named(collection: str | None) -> dict[str, str]:
    return {} if collection is None else {"collection": collection}


class Routes:
    """How to call each /v1 route, with a live document where the route needs one."""

    def __init__(self, client: TestClient) -> None:
        self.client = client

    def document_id(self, collection: str, name: str = "office.txt") -> str:
        listed = self.client.get("/v1/documents", params={"collection": collection}, headers=ADMIN)
        return next(d["document_id"] for d in listed.json()["documents"] if d["source"] == name)

    def throwaway(self, collection: str) -> str:
        r = self.client.post(
            "/v1/documents",
            params={"collection": collection, "replace": "true"},
            files={"file": ("throwaway.txt", b"A page that exists to be deleted.")},
            headers=ADMIN,
        )
        assert r.status_code == 201, r.text
        return str(r.json()["document_id"])

    def conversation(self, key: Key | None) -> str:
        """A conversation the key started (the admin's for no key): it owns it alone."""
        secret = key.secret if key is not None else "rk-admin"
        where = sorted(key.collections)[0] if key is not None and key.collections else "default"
        r = self.client.post(
            "/v1/chat",
            json={"messages": ASK, "collection": where},
            headers={"Authorization": f"Bearer {secret}"},
        )
        assert r.status_code == 200, r.text
        return str(r.json()["conversation_id"])

    def call(
        self, method: str, path: str, target: str | None, tag: str, key: Key | None = None
    ) -> Call:
        where = target or "default"
        if path == "/v1/conversations":
            return Call(method, path, {}, 200)
        if path == "/v1/conversations/{conversation_id}/turns/{n}/feedback":
            url = f"/v1/conversations/{self.conversation(key)}/turns/1/feedback"
            return Call(method, url, {"json": {"rating": "up"}}, 201)
        if path == "/v1/conversations/{conversation_id}":
            url = f"/v1/conversations/{self.conversation(key)}"
            ok = {"GET": 200, "PATCH": 200, "DELETE": 204}[method]
            return Call(method, url, {"json": {"title": tag}} if method == "PATCH" else {}, ok)
        if (method, path) == ("POST", "/v1/chat"):
            return Call(method, path, {"json": {"messages": ASK, **named(target)}}, 200)
        if (method, path) == ("POST", "/v1/chat/completions"):
            body = {"model": target or "ragchat", "messages": ASK}
            return Call(method, path, {"json": body}, 200)
        if (method, path) == ("POST", "/v1/search"):
            return Call(method, path, {"json": {"query": "office hours", **named(target)}}, 200)
        if (method, path) == ("GET", "/v1/models"):
            return Call(method, path, {}, 200)
        if (method, path) == ("GET", "/v1/documents"):
            return Call(method, path, {"params": named(target)}, 200)
        if (method, path) == ("GET", "/v1/documents/{document_id}"):
            url = f"/v1/documents/{self.document_id(where)}"
            return Call(method, url, {"params": named(target)}, 200)
        if (method, path) == ("POST", "/v1/documents"):
            upload = {"file": (f"{tag}.txt", f"Uploaded by {tag}.".encode())}
            return Call(method, path, {"params": named(target), "files": upload}, 201)
        if (method, path) == ("DELETE", "/v1/documents/{document_id}"):
            url = f"/v1/documents/{self.throwaway(where)}"
            return Call(method, url, {"params": named(target)}, 204)
        if (method, path) == ("POST", "/v1/ingest"):
            upload = {"files": (f"{tag}-batch.txt", f"Sent in a batch by {tag}.".encode())}
            return Call(method, path, {"params": named(target), "files": upload}, 200)
        if (method, path) == ("GET", "/v1/jobs"):
            return Call(method, path, {"params": named(target)}, 200)
        if (method, path) == ("GET", "/v1/jobs/{job_id}"):
            return Call(method, f"/v1/jobs/{self.job(where)}", {"params": named(target)}, 200)
        raise AssertionError(f"{method} {path} is missing from this test's table")

    def job(self, collection: str) -> str:
        r = self.client.post(
            "/v1/ingest",
            params={"collection": collection, "wait": "false"},
            files={"files": ("queued.txt", b"A page sent as a job.")},
            headers=ADMIN,
        )
        assert r.status_code == 202, r.text
        return str(r.json()["id"])


ROLES = {
    ("POST", "/v1/chat"): Role.READ,
    ("POST", "/v1/chat/completions"): Role.READ,
    ("POST", "/v1/search"): Role.READ,
    ("GET", "/v1/models"): Role.READ,
    ("GET", "/v1/documents"): Role.READ,
    ("GET", "/v1/documents/{document_id}"): Role.READ,
    ("POST", "/v1/documents"): Role.WRITE,
    ("DELETE", "/v1/documents/{document_id}"): Role.WRITE,
    ("POST", "/v1/ingest"): Role.WRITE,
    ("GET", "/v1/jobs"): Role.READ,
    ("GET", "/v1/jobs/{job_id}"): Role.READ,
    ("GET", "/v1/conversations"): Role.READ,
    ("GET", "/v1/conversations/{conversation_id}"): Role.READ,
    ("PATCH", "/v1/conversations/{conversation_id}"): Role.READ,
    ("DELETE", "/v1/conversations/{conversation_id}"): Role.READ,
    ("POST", "/v1/conversations/{conversation_id}/turns/{n}/feedback"): Role.READ,
}
# Routes of the key's own things, which name no collection.
UNSCOPED = (
    "/v1/models",
    "/v1/conversations",
    "/v1/conversations/{conversation_id}",
    "/v1/conversations/{conversation_id}/turns/{n}/feedback",
)


def v1_routes(client: TestClient) -> dict[tuple[str, str], list[Role]]:
    """Every /v1 operation of the app, with the roles its dependencies declare."""
    found = {}
    for context in iter_route_contexts(client.app.routes):  # type: ignore[attr-defined]
        route, path = context.original_route, context.path or ""
        if not is_protected(path):
            continue
        assert isinstance(route, APIRoute), f"{path} is no APIRoute: {route!r}"
        stack, roles = list(route.dependant.dependencies), []
        while stack:
            dep = stack.pop()
            stack.extend(dep.dependencies)
            if isinstance(dep.call, Need):
                roles.append(dep.call.role)
        for method in context.methods or ():
            found[(method, path)] = roles
    return found


@pytest.fixture
def client(make_components: Callable[..., Components], tmp_path: Path) -> Iterator[TestClient]:
    spec = ", ".join(k.spec for k in KEYS.values())
    comps = make_components(api_keys=spec)
    folder = tmp_path / "office"
    folder.mkdir()
    (folder / "office.txt").write_text("The office opens at nine in the morning.\n")
    for name in COLLECTIONS:
        comps.ingestor.ingest([folder], collection=name)
    with TestClient(create_app(components=comps)) as c:
        yield c


def test_every_v1_route_declares_one_role_and_this_test_knows_it(client: TestClient) -> None:
    """A new /v1 route fails here until it declares ReadAccess, WriteAccess or AdminAccess
    and is added to ROLES and Routes.call, so the matrix below covers it."""
    found = v1_routes(client)
    undeclared = sorted(f"{m} {p}" for (m, p), roles in found.items() if len(roles) != 1)
    assert not undeclared, f"routes without exactly one access dependency: {undeclared}"
    assert {op: roles[0] for op, roles in found.items()} == ROLES


def test_the_auth_matrix_over_every_v1_route(client: TestClient) -> None:
    routes, wrong = Routes(client), []
    for (method, path), _ in sorted(v1_routes(client).items()):
        need = ROLES[(method, path)]
        call = routes.call(method, path, "handbook", "anonymous")
        r = client.request(call.method, call.path, **call.kwargs)
        assert r.status_code == 401, (method, path, r.text)
        bad = {"Authorization": "Bearer rk-r-a-x"}
        assert client.request(call.method, call.path, headers=bad, **call.kwargs).status_code == 401
        for name, key in KEYS.items():
            targets = (None,) if path in UNSCOPED else TARGETS
            for target in targets:
                tag = f"{name}-{target}".replace("@", "-").replace("*", "all")
                call = routes.call(method, path, target, tag, key)
                headers = {"Authorization": f"Bearer {key.secret}"}
                r = client.request(call.method, call.path, headers=headers, **call.kwargs)
                reach = path in UNSCOPED or key.reaches(target or "default")
                expected = call.ok if key.role >= need and reach else 403
                if r.status_code != expected:
                    wrong.append(f"{name} {method} {path} {target}: {r.status_code} {r.text[:160]}")
                elif expected == 403 and r.json()["error"]["type"] != "forbidden":
                    wrong.append(f"{name} {method} {path} {target}: {r.text}")
                if (method, path) == ("POST", "/v1/documents"):
                    listed = client.get("/v1/documents", params=named(target), headers=ADMIN)
                    stored = f"{tag}.txt" in {d["source"] for d in listed.json()["documents"]}
                    if stored != (expected == 201):
                        wrong.append(f"{name} upload to {target}: stored={stored}")
    assert not wrong, "\n".join(wrong)


def test_models_lists_only_the_collections_a_key_reaches(client: TestClient) -> None:
    for key in KEYS.values():
        r = client.get("/v1/models", headers={"Authorization": f"Bearer {key.secret}"})
        listed = [m["id"] for m in r.json()["data"]]
        assert sorted(listed) == [c for c in COLLECTIONS if key.reaches(c)], key.spec


def test_a_refused_delete_changes_nothing(client: TestClient) -> None:
    doc = Routes(client).document_id("other")
    reader = {"Authorization": "Bearer rk-r-all"}
    r = client.delete(f"/v1/documents/{doc}", params={"collection": "other"}, headers=reader)
    assert r.status_code == 403
    assert "read@*" in r.json()["error"]["message"]
    assert "write role" in r.json()["error"]["message"]
    r = client.get(f"/v1/documents/{doc}", params={"collection": "other"}, headers=ADMIN)
    assert r.status_code == 200


@pytest.mark.parametrize(
    ("method", "path", "params", "body"),
    [
        ("POST", "/v1/chat", {"collection": "handbook"}, {"messages": ASK, "collection": "other"}),
        ("POST", "/v1/chat", {"collection": "other"}, {"messages": ASK, "collection": "handbook"}),
        ("POST", "/v1/chat", {"collection": "handbook"}, {"messages": ASK}),
        ("POST", "/v1/search", {"collection": "handbook"}, {"query": "office", "collection": "x"}),
        ("POST", "/v1/chat/completions", {"collection": "handbook"}, {"model": "other"}),
        ("POST", "/v1/chat/completions", {"collection": "handbook"}, {"model": "ragchat"}),
        ("GET", "/v1/documents", [("collection", "handbook"), ("collection", "other")], None),
        ("GET", "/v1/documents", [("collection", "other"), ("collection", "handbook")], None),
    ],
)
def test_a_collection_named_twice_is_refused_not_half_checked(
    client: TestClient, method: str, path: str, params: Any, body: dict | None
) -> None:
    """A key for handbook cannot reach another collection by naming handbook elsewhere."""
    if body is not None and path == "/v1/chat/completions":
        body = {**body, "messages": ASK}
    headers = {"Authorization": "Bearer rk-r-a"}
    r = client.request(method, path, params=params, json=body, headers=headers)
    assert r.status_code == 400, r.text
    assert "name it once" in r.json()["error"]["message"]


def test_scopes_on_a_real_server(served_article_with_key: str) -> None:
    other = {"Authorization": f"Bearer {OTHER_KEY}"}
    full = {"Authorization": f"Bearer {API_KEY}"}
    with httpx.Client(base_url=served_article_with_key, timeout=60) as http:
        assert http.get("/v1/models", headers=other).json()["data"] == []
        # The server is shared with other tests, which may add collections; the full key
        # sees every one of them, the scoped key none.
        assert "default" in [m["id"] for m in http.get("/v1/models", headers=full).json()["data"]]
        r = http.post("/v1/chat", json={"messages": ASK}, headers=other)
        assert r.status_code == 403
        assert r.json()["error"]["type"] == "forbidden"
        r = http.post("/v1/chat", json={"messages": ASK, "collection": "elsewhere"}, headers=other)
        assert r.status_code == 404  # in scope, but it holds no documents
    client = openai.OpenAI(
        base_url=f"{served_article_with_key}/v1", api_key=OTHER_KEY, max_retries=0
    )
    assert client.models.list().data == []
    with pytest.raises(openai.PermissionDeniedError, match="read@elsewhere"):
        client.chat.completions.create(model="default", messages=ASK)  # type: ignore[arg-type]


def test_a_malformed_key_spec_stops_ragchat_serve(tmp_path: Path) -> None:
    env = ragchat_env(tmp_path / "data", RAGCHAT_API_KEYS="rk-fine, sekrit-9d1:reed@handbook")
    done = subprocess.run(
        [sys.executable, "-m", "service.cli", "serve", "--port", "1"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2
    assert "RAGCHAT_API_KEYS entry 2: unknown role" in done.stderr
    assert "sekrit" not in done.stderr + done.stdout
    assert "Traceback" not in done.stderr
