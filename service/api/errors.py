"""Every error leaves as {"error": {"type", "message"}}; bad input is a 4xx, never a trace."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from ingest.filters import InvalidFilterError
from ingest.index import InvalidCollectionError
from ingest.loaders import FileTooLargeError, UnsupportedFileError, UnsupportedTypeError
from service.errors import RagchatError

logger = logging.getLogger(__name__)

_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    404: "not_found_error",
    405: "method_not_allowed",
    413: "request_too_large",
    415: "unsupported_media_type",
    422: "invalid_request_error",
}


def error_response(status: int, message: str, type_: str | None = None) -> JSONResponse:
    kind = type_ or _TYPES.get(status, "server_error" if status >= 500 else "invalid_request_error")
    return JSONResponse(status_code=status, content={"error": {"type": kind, "message": message}})


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

    @app.exception_handler(InvalidCollectionError)
    async def _collection(_: Request, exc: InvalidCollectionError) -> JSONResponse:
        return error_response(400, str(exc))

    @app.exception_handler(InvalidFilterError)
    async def _filter(_: Request, exc: InvalidFilterError) -> JSONResponse:
        return error_response(422, str(exc))

    @app.exception_handler(UnsupportedFileError)
    async def _file(_: Request, exc: UnsupportedFileError) -> JSONResponse:
        if isinstance(exc, UnsupportedTypeError):
            return error_response(415, str(exc))
        if isinstance(exc, FileTooLargeError):
            return error_response(413, str(exc))
        return error_response(422, str(exc), "unreadable_document")

    @app.exception_handler(RagchatError)
    async def _domain(_: Request, exc: RagchatError) -> JSONResponse:
        return error_response(exc.status, str(exc), exc.type)

    @app.exception_handler(Exception)
    async def _unexpected(_: Request, exc: Exception) -> JSONResponse:
        logger.exception("unhandled error", exc_info=exc)
        return error_response(500, "internal error; see the server log", "server_error")
