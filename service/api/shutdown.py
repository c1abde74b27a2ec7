"""Graceful shutdown: on SIGTERM, new requests get 503 and streams get a grace period.

`ragchat serve` runs uvicorn through `DrainingServer`, which marks the app as draining the
moment the signal arrives. A stream already running goes on for up to the grace period
(RAGCHAT_SERVER__SHUTDOWN_GRACE_SECONDS) and then ends with an `error` event of type
`shutting_down`, never by a cut connection. Requests that arrive while draining, on a
kept-alive connection, get 503 `shutting_down` and `Connection: close`.
"""

from __future__ import annotations

import logging
import time
from types import FrameType
from typing import Any

import anyio
import uvicorn
from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from service.api.errors import error_response

logger = logging.getLogger(__name__)

SHUTTING_DOWN = "shutting_down"


class Shutdown:
    """The app's shutdown state, shared by the server, the middleware and the streams."""

    def __init__(self, grace_seconds: float) -> None:
        self.grace_seconds = grace_seconds
        self.started: float | None = None

    @property
    def draining(self) -> bool:
        return self.started is not None

    def begin(self) -> None:
        if self.started is None:
            self.started = time.monotonic()
            logger.info(
                "shutting down: new requests get 503; streams have %.0f s to finish",
                self.grace_seconds,
            )

    def expired(self) -> bool:
        """True once the grace period of a begun shutdown is over."""
        return self.started is not None and time.monotonic() - self.started >= self.grace_seconds

    async def wait_expired(self) -> None:
        while not self.expired():
            await anyio.sleep(0.05 if self.draining else 0.25)

    def error_event(self) -> dict[str, str]:
        message = f"the server is shutting down; the answer was cut after {self.grace_seconds:g} s"
        return {"type": SHUTTING_DOWN, "message": message}


def drain(request: Request) -> dict[str, Any]:
    """EventSourceResponse arguments: on shutdown sse-starlette waits for our stream to end
    (it ends itself after the grace period) instead of cancelling it at once."""
    shutdown: Shutdown = request.app.state.shutdown
    # The margin covers an item already being made when the shutdown began, which is awaited.
    return {"shutdown_event": anyio.Event(), "shutdown_grace_period": shutdown.grace_seconds + 10}


class ShutdownMiddleware:
    def __init__(self, app: ASGIApp, *, shutdown: Shutdown) -> None:
        self.app = app
        self.shutdown = shutdown

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and self.shutdown.draining:
            response = error_response(
                503,
                "the server is shutting down; retry on another instance or in a moment",
                SHUTTING_DOWN,
                headers={"Connection": "close", "Retry-After": "5"},
            )
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)


class DrainingServer(uvicorn.Server):
    """uvicorn's server, telling the app it drains as soon as SIGTERM or SIGINT arrives."""

    def __init__(self, config: uvicorn.Config, shutdown: Shutdown) -> None:
        super().__init__(config)
        self.state = shutdown  # not `shutdown`: uvicorn.Server has a method of that name

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        self.state.begin()
        super().handle_exit(sig, frame)


def serve(app: Any, *, host: str, port: int, log_level: str, shutdown: Shutdown) -> None:
    """Run the app until a signal; in-flight work gets the grace period plus a margin."""
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        log_level=log_level,
        timeout_graceful_shutdown=int(shutdown.grace_seconds) + 15,
    )
    DrainingServer(config, shutdown).run()
