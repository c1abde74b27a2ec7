"""`create_app(settings)` builds the whole service; nothing lives at module level."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from starlette.concurrency import run_in_threadpool

from service import __version__
from service.api import errors
from service.api.limits import BodyLimitMiddleware
from service.api.routes import chat, documents, health
from service.components import Components
from service.settings import Settings


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
    app.add_middleware(BodyLimitMiddleware, max_bytes=comps.settings.server.max_body_bytes)
    errors.install(app)
    for router in (health.router, chat.router, documents.router):
        app.include_router(router)
    return app
