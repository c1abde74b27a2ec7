"""Refuse cross-site browser requests that change state, before auth or any body is read.

Without API keys ragchat trusts whoever reaches it, and any web page a user opens can make
their browser reach 127.0.0.1: a hidden form elsewhere could upload or delete documents.
An API key does not help the chat page either once a browser holds it. Browsers say where
a request comes from (`Sec-Fetch-Site`, `Origin`); curl, SDKs and the openai client send
neither and pass. The rules are those of Go's `net/http.CrossOriginProtection`.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from urllib.parse import urlsplit

from starlette.types import ASGIApp, Receive, Scope, Send

from service.api.errors import error_response

logger = logging.getLogger(__name__)

SETTING = "RAGCHAT_SERVER__ALLOWED_ORIGINS"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
TRUSTED_FETCH_SITES = frozenset({"same-origin", "none"})
DEFAULT_PORTS = {"http": 80, "https": 443}


def normalize_origin(value: str) -> str | None:
    """`scheme://host[:port]` in lower case without a default port, or None when `value`
    is no such thing: `null` (sandboxed frames, file pages), a path, a user part."""
    try:
        parts = urlsplit(value.strip())
        port = parts.port
    except ValueError:
        return None
    host = parts.hostname
    if not parts.scheme or not host or "@" in parts.netloc or parts.query or parts.fragment:
        return None
    if parts.path not in ("", "/"):
        return None
    if ":" in host:
        host = f"[{host}]"
    scheme = parts.scheme.lower()
    if port is not None and port != DEFAULT_PORTS.get(scheme):
        host = f"{host}:{port}"
    return f"{scheme}://{host}"


def request_origin(scheme: str, host: str | None) -> str | None:
    """The origin the browser addressed: the connection's scheme and the Host header.

    X-Forwarded-Host is never read, so a client cannot name its own Origin as ours. The
    scheme follows X-Forwarded-Proto only where uvicorn trusts the proxy (--forwarded-allow-ips).
    """
    return normalize_origin(f"{scheme}://{host}") if host else None


def allowed_origins(values: Iterable[str]) -> frozenset[str]:
    """The allow-list setting, normalized; an entry that is no origin is a startup error."""
    origins = set()
    for value in values:
        origin = normalize_origin(value)
        if origin is None:
            raise ValueError(
                f"{SETTING}: {value!r} is not an origin (scheme://host[:port], "
                "e.g. https://app.example.com)"
            )
        origins.add(origin)
    return frozenset(origins)


def is_refused(
    *,
    method: str,
    origin: str | None,
    fetch_site: str | None,
    own_origin: str | None,
    allowed: frozenset[str],
) -> bool:
    """Whether a request is a cross-site browser request that must not change state.

    Sec-Fetch-Site, where a browser sends it, is the browser's own verdict and decides;
    Origin decides for browsers too old to send it (Safari before 16.4). No header at all
    means no browser, so nothing a web page could have forged.
    """
    if method.upper() in SAFE_METHODS:
        return False
    normalized = normalize_origin(origin) if origin is not None else None
    if normalized is not None and normalized in allowed:
        return False
    if fetch_site is not None:
        return fetch_site.strip().lower() not in TRUSTED_FETCH_SITES
    if origin is None:
        return False
    return normalized is None or normalized != own_origin


def refusal_message(origin: str | None, fetch_site: str | None) -> str:
    if origin is None:
        return (
            f"cross-site request refused (Sec-Fetch-Site: {fetch_site}); send it from this "
            f"server's own pages, or add the page's origin to {SETTING}"
        )
    shown = origin[:200]
    if normalize_origin(origin) is None:
        return (
            f"cross-site request refused: Origin {shown} (a sandboxed frame or a local file) "
            f"cannot be allowed; serve the page from an origin listed in {SETTING}"
        )
    return (
        f"cross-site request refused: Origin {shown} is not this server's origin; "
        f"to allow it, add it to {SETTING}"
    )


class CrossSiteMiddleware:
    def __init__(self, app: ASGIApp, *, allowed: frozenset[str]) -> None:
        self.app = app
        self.allowed = allowed

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in SAFE_METHODS:
            await self.app(scope, receive, send)
            return
        headers: dict[bytes, str] = {}
        for key, value in scope["headers"]:
            headers.setdefault(key, value.decode("latin-1"))
        origin = headers.get(b"origin")
        fetch_site = headers.get(b"sec-fetch-site")
        own = request_origin(scope.get("scheme", "http"), headers.get(b"host"))
        if not is_refused(
            method=scope["method"],
            origin=origin,
            fetch_site=fetch_site,
            own_origin=own,
            allowed=self.allowed,
        ):
            await self.app(scope, receive, send)
            return
        logger.info("refused cross-site %s %s from %s", scope["method"], scope["path"], origin)
        message = refusal_message(origin, fetch_site)
        response = error_response(403, message, "cross_site_request")
        await response(scope, receive, send)
