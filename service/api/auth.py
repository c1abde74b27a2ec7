"""API keys: with RAGCHAT_API_KEYS set, every /v1 route needs `Authorization: Bearer <key>`.

A middleware rather than a route dependency, so the check runs before any body is read
(an upload is not parsed for a caller without a key) and covers unknown /v1 paths too. It
only authenticates: the matched key goes into the request's state, and each route's access
dependency (service/api/access.py) decides what the key may do there.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from fastapi import FastAPI
from starlette.types import ASGIApp, Receive, Scope, Send

from service.api.errors import error_response
from service.api.keys import ApiKey

if TYPE_CHECKING:
    from service.api.ratelimit import RateGuard

PREFIX = "/v1"
SCHEME = "apiKey"
KEY_STATE = "api_key"
"""Where the matched ApiKey sits in `scope["state"]` (`request.state.api_key`)."""


def route_path(scope: Scope) -> str:
    """The path routing sees, without a proxy's root_path (as Starlette strips it)."""
    path: str = scope["path"]
    root: str = scope.get("root_path", "")
    if root and path.startswith(root) and path[len(root) : len(root) + 1] in ("", "/"):
        return path[len(root) :]
    return path


def is_protected(path: str) -> bool:
    return path == PREFIX or path.startswith(PREFIX + "/")


def bearer_token(header: bytes | None) -> bytes | None:
    """The token of `Bearer <token>` (scheme in any case); None for anything else."""
    scheme, _, token = (header or b"").strip().partition(b" ")
    token = token.strip()
    return token if scheme.lower() == b"bearer" and token else None


def match_key(token: bytes, keys: Sequence[ApiKey]) -> ApiKey | None:
    """Every key is compared, each in constant time, so timing reveals nothing of them."""
    matched = None
    for key in keys:
        if hmac.compare_digest(token, key.secret):
            matched = key
    return matched


def rejection(header: bytes | None, key: ApiKey | None) -> tuple[str, str] | None:
    """None when the header carried a valid key, else (message, WWW-Authenticate value)."""
    if not header:
        return "this server needs an API key: send Authorization: Bearer <key>", "Bearer"
    if bearer_token(header) is None:
        return "the Authorization header must be: Bearer <key>", 'Bearer error="invalid_request"'
    if key is None:
        return "the API key is not valid", 'Bearer error="invalid_token"'
    return None


class ApiKeyMiddleware:
    def __init__(self, app: ASGIApp, *, keys: Sequence[ApiKey], guard: RateGuard) -> None:
        self.app = app
        self.keys = list(keys)
        self.guard = guard

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not is_protected(route_path(scope)):
            await self.app(scope, receive, send)
            return
        header = next((v for k, v in scope["headers"] if k == b"authorization"), None)
        token = bearer_token(header)
        key = match_key(token, self.keys) if token is not None else None
        problem = rejection(header, key)
        if problem is not None:
            if token is not None:
                self.guard.auth_failed(scope)
            message, challenge = problem
            headers = {"WWW-Authenticate": challenge}
            await error_response(401, message, "unauthorized", headers)(scope, receive, send)
            return
        assert key is not None
        refusal = self.guard.key_refusal(key.label)
        if refusal is not None:
            await refusal(scope, receive, send)
            return
        scope.setdefault("state", {})[KEY_STATE] = key
        await self.app(scope, receive, send)


def document_bearer_auth(app: FastAPI) -> None:
    """Declare the Bearer scheme on the /v1 operations, so /docs offers "Authorize"."""
    build: Callable[[], dict[str, Any]] = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = build()
        schemes = schema.setdefault("components", {}).setdefault("securitySchemes", {})
        schemes[SCHEME] = {"type": "http", "scheme": "bearer"}
        for path, operations in schema.get("paths", {}).items():
            if is_protected(path):
                for operation in operations.values():
                    operation["security"] = [{SCHEME: []}]
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
