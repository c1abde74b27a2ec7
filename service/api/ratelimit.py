"""Request rates on /v1: per client address, per API key, and failed keys per address.

Moving windows in memory (the `limits` library): each process counts its own requests, so
N replicas allow N times the rate. Failed keys have their own, much smaller budget; an
address that spent it gets 429 for every /v1 request, valid key or not, until the window
frees, so guessing keys costs minutes per few dozen tries and a 429 says nothing of a key.
"""

from __future__ import annotations

import logging
import math
import time

from limits import RateLimitItem, parse_many
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from service.api.auth import is_protected, route_path
from service.api.errors import error_response
from service.settings import RateLimitSettings

logger = logging.getLogger(__name__)

SECTION = "RAGCHAT_RATE_LIMIT__"


def parse_rates(value: str, setting: str) -> list[RateLimitItem]:
    """`600/minute`, or several joined by `;` (`10/second;600/hour`); `0` or empty: none."""
    if value.strip() in ("", "0"):
        return []
    try:
        return parse_many(value)
    except ValueError:
        raise ValueError(
            f"{setting}: {value!r} is not a rate; use e.g. 600/minute or 10/second;600/hour, "
            "or 0 for no limit"
        ) from None


def client_address(scope: Scope) -> str:
    """The peer uvicorn reports: behind a proxy, the proxy unless uvicorn trusts it
    (--forwarded-allow-ips), in which case X-Forwarded-For's client."""
    client = scope.get("client")
    return str(client[0]) if client else "unknown"


class RateGuard:
    def __init__(self, settings: RateLimitSettings) -> None:
        self.per_ip = parse_rates(settings.per_ip, SECTION + "PER_IP")
        self.per_key = parse_rates(settings.per_key, SECTION + "PER_KEY")
        self.failed_auth = parse_rates(settings.failed_auth, SECTION + "FAILED_AUTH")
        self.limiter = MovingWindowRateLimiter(MemoryStorage())

    def _wait(self, item: RateLimitItem, *ids: str) -> int:
        reset = self.limiter.get_window_stats(item, *ids).reset_time
        return max(1, math.ceil(reset - time.time()))

    def _spend(self, items: list[RateLimitItem], *ids: str) -> tuple[RateLimitItem, int] | None:
        """Counts one request against each window; the first full one and its wait, or None."""
        for item in items:
            if not self.limiter.hit(item, *ids):
                return item, self._wait(item, *ids)
        return None

    def address_refusal(self, scope: Scope) -> JSONResponse | None:
        address = client_address(scope)
        for item in self.failed_auth:
            if not self.limiter.test(item, "failed-auth", address):
                wait = self._wait(item, "failed-auth", address)
                return too_many(
                    f"too many wrong API keys from this address (at most {item}); "
                    f"retry in {wait} s",
                    wait,
                )
        spent = self._spend(self.per_ip, "address", address)
        if spent is None:
            return None
        item, wait = spent
        return too_many(
            f"too many requests from this address (at most {item}); retry in {wait} s", wait
        )

    def auth_failed(self, scope: Scope) -> None:
        """Counts a wrong key; logs once, when the address runs out of tries."""
        address = client_address(scope)
        for item in self.failed_auth:
            self.limiter.hit(item, "failed-auth", address)
            if not self.limiter.test(item, "failed-auth", address):
                logger.warning("wrong API keys from %s: %s spent, /v1 refused", address, item)

    def key_refusal(self, label: str) -> JSONResponse | None:
        spent = self._spend(self.per_key, "key", label)
        if spent is None:
            return None
        item, wait = spent
        return too_many(
            f"too many requests with this API key (at most {item}); retry in {wait} s", wait
        )


def too_many(message: str, wait: int) -> JSONResponse:
    return error_response(429, message, "rate_limited", {"Retry-After": str(wait)})


class RateLimitMiddleware:
    """Per-address limits, before the key check, so floods and guessers are cut early."""

    def __init__(self, app: ASGIApp, *, guard: RateGuard) -> None:
        self.app = app
        self.guard = guard

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and is_protected(route_path(scope)):
            refusal = self.guard.address_refusal(scope)
            if refusal is not None:
                await refusal(scope, receive, send)
                return
        await self.app(scope, receive, send)
