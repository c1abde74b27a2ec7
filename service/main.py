"""`create_app(settings)` builds the whole service; nothing lives at module level."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from starlette.concurrency import run_in_threadpool

from service import __version__
from service.api import errors
from service.api.auth import ApiKeyMiddleware, document_bearer_auth
from service.api.headers import SecurityHeadersMiddleware
from service.api.keys import load_keys
from service.api.limits import BodyLimitMiddleware
from service.api.observe import MetricsMiddleware, RouteLabels
from service.api.origins import CrossSiteMiddleware, allowed_origins
from service.api.ratelimit import RateGuard, RateLimitMiddleware
from service.api.routes import (
    chat,
    conversations,
    documents,
    health,
    jobs,
    metrics,
    openai_compat,
    page,
    search,
)
from service.api.shutdown import Shutdown, ShutdownMiddleware
from service.components import Components
from service.metrics import Metrics
from service.schemas import ErrorResponse
from service.settings import Settings

logger = logging.getLogger(__name__)


# What any /v1 route may answer before its own code runs, documented on every one of them.
V1_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: {
        "model": ErrorResponse,
        "description": "API keys are set and this one is missing or wrong",
    },
    403: {"model": ErrorResponse, "description": "a cross-site request, or a key out of scope"},
    429: {"model": ErrorResponse, "description": "over a rate limit; see Retry-After"},
    503: {"model": ErrorResponse, "description": "the server is shutting down"},
}


def create_app(
    settings: Settings | None = None, *, components: Components | None = None
) -> FastAPI:
    comps = components or Components(settings or Settings())
    allowed = allowed_origins(comps.settings.server.allowed_origins)
    secret, keys_file = comps.settings.api_keys, comps.settings.api_keys_file
    keys = load_keys(
        secret.get_secret_value() if secret else None, Path(keys_file) if keys_file else None
    )
    guard = RateGuard(comps.settings.rate_limit)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await run_in_threadpool(comps.recover)
        await run_in_threadpool(comps.warm_up)
        await run_in_threadpool(comps.parser.warm_up)  # the first upload starts no process
        if comps.runs_jobs():
            comps.job_runner.start()
        yield
        if comps.runs_jobs():
            await run_in_threadpool(comps.job_runner.stop)
        if components is None:
            comps.close()

    app = FastAPI(title="ragchat", version=__version__, lifespan=lifespan)
    app.state.components = comps
    app.state.metrics = Metrics()
    app.add_middleware(
        BodyLimitMiddleware,
        max_bytes=comps.settings.server.max_body_bytes,
        upload_bytes=comps.settings.ingest.max_file_bytes + 65536,
    )
    app.state.api_keys = tuple(keys)
    if keys:
        app.add_middleware(ApiKeyMiddleware, keys=keys, guard=guard)
        document_bearer_auth(app)
        scopes = ", ".join(f"{k.label}={k.describe()}" for k in keys)
        logger.info("API keys required on /v1 routes (%d keys: %s)", len(keys), scopes)
    # Runs before the key check: an address over its rate, or out of tries at keys, is
    # refused before its key is looked at.
    app.add_middleware(RateLimitMiddleware, guard=guard)
    # Added after auth and the body limit, so it runs before them: nothing of a cross-site
    # request is read, and it is refused whether keys are set or not.
    app.add_middleware(CrossSiteMiddleware, allowed=allowed)
    errors.install(app)
    modules = (health, metrics, chat, conversations, search, openai_compat, documents, jobs, page)
    routers = [m.router for m in modules]
    for router in routers:
        app.include_router(router, responses=V1_RESPONSES if router.prefix == "/v1" else None)
    app.mount("/static", StaticFiles(directory=page.STATIC_DIR), name="static")
    labels = RouteLabels([*app.routes, *(r for router in routers for r in router.routes)])
    app.state.shutdown = Shutdown(comps.settings.server.shutdown_grace_seconds)
    app.add_middleware(ShutdownMiddleware, shutdown=app.state.shutdown)
    docs = (app.docs_url, app.swagger_ui_oauth2_redirect_url, app.redoc_url)
    app.add_middleware(SecurityHeadersMiddleware, docs_paths=[p for p in docs if p])
    # Added last, so it runs first: it sees every request, even one refused by the others.
    app.add_middleware(MetricsMiddleware, metrics=app.state.metrics, labels=labels)
    return app
