"""Every error leaves as {"error": {"type", "message"}}; bad input is a 4xx, never a trace."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from ingest.filters import InvalidFilterError
from ingest.index import InvalidCollectionError, LeaseBusyError
from ingest.loaders import FileTooLargeError, UnsupportedFileError, UnsupportedTypeError
from ingest.uploads import DocumentExistsError
from service.errors import RagchatError

logger = logging.getLogger(__name__)

_TYPES = {
    400: "invalid_request_error",
    401: "unauthorized",
    404: "not_found_error",
    405: "method_not_allowed",
    409: "conflict",
    413: "request_too_large",
    415: "unsupported_media_type",
    422: "invalid_request_error",
}


def error_response(
    status: int,
    message: str,
    type_: str | None = None,
    headers: dict[str, str] | None = None,
    extra: dict[str, str] | None = None,
) -> JSONResponse:
    """`extra` adds fields beside type and message (the existing document's id on a 409)."""
    kind = type_ or _TYPES.get(status, "server_error" if status >= 500 else "invalid_request_error")
    return JSONResponse(
        status_code=status,
        content={"error": {"type": kind, "message": message, **(extra or {})}},
        headers=headers,
    )


def classify(exc: BaseException) -> tuple[int, str | None]:
    """The status and error type a domain exception leaves with (None: by status)."""
    if isinstance(exc, RagchatError):
        return exc.status, exc.type
    if isinstance(exc, DocumentExistsError):
        return 409, "document_exists"
    if isinstance(exc, LeaseBusyError):
        return 503, "document_busy"
    if isinstance(exc, InvalidCollectionError):
        return 400, None
    if isinstance(exc, InvalidFilterError):
        return 422, None
    if isinstance(exc, UnsupportedTypeError):
        return 415, None
    if isinstance(exc, FileTooLargeError):
        return 413, None
    if isinstance(exc, UnsupportedFileError):
        return 422, "unreadable_document"
    return 500, "server_error"


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
        if isinstance(exc, DocumentExistsError):
            return error_response(status, str(exc), kind, extra={"document_id": exc.document_id})
        headers = {"Retry-After": "5"} if isinstance(exc, LeaseBusyError) else None
        return error_response(status, str(exc), kind, headers=headers)

    domains = (
        InvalidCollectionError,
        InvalidFilterError,
        UnsupportedFileError,
        RagchatError,
        DocumentExistsError,
        LeaseBusyError,
    )
    for domain in domains:
        app.add_exception_handler(domain, _domain)

    @app.exception_handler(Exception)
    async def _unexpected(_: Request, exc: Exception) -> JSONResponse:
        logger.exception("unhandled error", exc_info=exc)
        return error_response(500, "internal error; see the server log", "server_error")
