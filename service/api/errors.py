"""Every error leaves as {"error": {"type", "message"}}; bad input is a 4xx, never a trace."""

from __future__ import annotations

import importlib.util
import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from service.errors import DOMAIN_ERRORS, classify, type_for

logger = logging.getLogger(__name__)


def error_response(
    status: int,
    message: str,
    type_: str | None = None,
    headers: dict[str, str] | None = None,
    extra: dict[str, str] | None = None,
) -> JSONResponse:
    """`extra` adds fields beside type and message (the existing document's id on a 409)."""
    kind = type_ or type_for(status)
    return JSONResponse(
        status_code=status,
        content={"error": {"type": kind, "message": message, **(extra or {})}},
        headers=headers,
    )


def _describe(exc: RequestValidationError) -> str:
    parts = []
    for err in exc.errors()[:5]:
        where = ".".join(str(p) for p in err.get("loc", ()) if p != "body") or "body"
        parts.append(f"{where}: {err.get('msg', 'invalid')}")
    return "; ".join(parts) or "invalid request"


def install(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        return error_response(422, _describe(exc))

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        return error_response(exc.status_code, str(exc.detail))

    async def _domain(_: Request, exc: Exception) -> JSONResponse:
        status, kind = classify(exc)
        document = getattr(exc, "document_id", None)
        if kind == "document_exists" and document:
            return error_response(status, str(exc), kind, extra={"document_id": document})
        headers = {"Retry-After": "5"} if kind == "document_busy" else None
        return error_response(status, str(exc), kind, headers=headers)

    for domain in DOMAIN_ERRORS:
        app.add_exception_handler(domain, _domain)

    async def _refused_data(_: Request, exc: Exception) -> JSONResponse:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        return error_response(400, f"the database cannot store this request: {reason}")

    if importlib.util.find_spec("psycopg") is not None:  # the PostgreSQL extra
        import psycopg

        # Text PostgreSQL cannot hold (a NUL character, which SQLite takes) is the client's.
        app.add_exception_handler(psycopg.DataError, _refused_data)

    @app.exception_handler(Exception)
    async def _unexpected(_: Request, exc: Exception) -> JSONResponse:
        kind = classify(exc)[1]
        if kind == "storage_unavailable":
            logger.warning("the database is unavailable: %s", exc)
            return error_response(
                503, "the database is unavailable; retry shortly", kind, {"Retry-After": "5"}
            )
        logger.exception("unhandled error", exc_info=exc)
        return error_response(500, "internal error; see the server log", "server_error")
