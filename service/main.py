"""`create_app(settings)` builds the whole service; nothing lives at module level."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from starlette.concurrency import run_in_threadpool

from service import __version__
from service.api import errors
from service.api.auth import ApiKeyMiddleware, document_bearer_auth, parse_keys
from service.api.limits import BodyLimitMiddleware
from service.api.observe import MetricsMiddleware, RouteLabels
from service.api.routes import chat, documents, health, metrics, openai_compat, page, search
from service.components import Components
from service.metrics import Metrics
from service.settings import Settings

logger = logging.getLogger(__name__)


def create_app(
    settings: Settings | None = None, *, components: Components | None = None
) -> FastAPI:
    comps = components or Components(settings or Settings())

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await run_in_threadpool(comps.warm_up)
        yield
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
    secret = comps.settings.api_keys
    keys = parse_keys(secret.get_secret_value()) if secret else []
    if keys:
        app.add_middleware(ApiKeyMiddleware, keys=keys)
        document_bearer_auth(app)
        logger.info("API keys required on /v1 routes (%d keys configured)", len(keys))
    errors.install(app)
    routers = [m.router for m in (health, metrics, chat, search, openai_compat, documents, page)]
    for router in routers:
        app.include_router(router)
    app.mount("/static", StaticFiles(directory=page.STATIC_DIR), name="static")
    labels = RouteLabels([*app.routes, *(r for router in routers for r in router.routes)])
    # Added last, so it runs first: it sees every request, even one refused by the others.
    app.add_middleware(MetricsMiddleware, metrics=app.state.metrics, labels=labels)
    return app
