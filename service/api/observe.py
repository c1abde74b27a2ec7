"""Count and time every HTTP request by route template, never by raw path."""

from __future__ import annotations

import time
from collections.abc import Iterable

from starlette.routing import BaseRoute, Mount, compile_path
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from service.api.auth import route_path
from service.metrics import Metrics

UNMATCHED = "unmatched"


class RouteLabels:
    """The template of the route a request's path matches, first match winning as in the
    router; requests refused before routing (401, 413) get one too. Unknown paths are
    `unmatched`, so they never become label values."""

    def __init__(self, routes: Iterable[BaseRoute]) -> None:
        templates = []
        for route in routes:
            path = getattr(route, "path", "")
            if isinstance(route, Mount):
                path += "/{path:path}"
            if path:
                templates.append(path)
        self.patterns = [(compile_path(t)[0], t) for t in dict.fromkeys(templates)]

    def __call__(self, scope: Scope) -> str:
        wanted = route_path(scope)
        return next((t for regex, t in self.patterns if regex.match(wanted)), UNMATCHED)


class MetricsMiddleware:
    def __init__(self, app: ASGIApp, *, metrics: Metrics, labels: RouteLabels) -> None:
        self.app = app
        self.metrics = metrics
        self.labels = labels

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        route = self.labels(scope)  # now: routing rewrites root_path inside a mount
        status = 500
        t0 = time.perf_counter()

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            self.metrics.request(
                method=scope["method"],
                route=route,
                status=status,
                seconds=time.perf_counter() - t0,
            )
