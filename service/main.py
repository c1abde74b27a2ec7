"""`create_app(settings)` builds the whole service; nothing lives at module level."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from starlette.concurrency import run_in_threadpool

from service import __version__
from service.api import errors
from service.api.limits import BodyLimitMiddleware
from service.api.routes import chat, documents, health, openai_compat, page, search
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
    app.add_middleware(
        BodyLimitMiddleware,
        max_bytes=comps.settings.server.max_body_bytes,
        upload_bytes=comps.settings.ingest.max_file_bytes + 65536,
    )
    errors.install(app)
    routers = (health, chat, search, openai_compat, documents, page)
    for module in routers:
        router = module.router
        app.include_router(router)
    app.mount("/static", StaticFiles(directory=page.STATIC_DIR), name="static")
    return app
