"""Domain errors; the HTTP layer maps each to a status in one handler."""

from __future__ import annotations

from ingest.index import InvalidCollectionError, LeaseBusyError
from ingest.loaders import FileTooLargeError, UnsupportedFileError, UnsupportedTypeError
from ingest.storage.filters import InvalidFilterError
from ingest.uploads import DocumentExistsError

STATUS_TYPES = {
    400: "invalid_request_error",
    401: "unauthorized",
    404: "not_found_error",
    405: "method_not_allowed",
    409: "conflict",
    413: "request_too_large",
    415: "unsupported_media_type",
    422: "invalid_request_error",
}


def type_for(status: int) -> str:
    """The error type a status gets when its error names none."""
    return STATUS_TYPES.get(status, "server_error" if status >= 500 else "invalid_request_error")


class RagchatError(Exception):
    status = 400
    type = "invalid_request_error"


class BadRequestError(RagchatError):
    pass


class NotFoundError(RagchatError):
    status = 404
    type = "not_found_error"


class ConfigurationError(RagchatError):
    status = 500
    type = "configuration_error"


class ForbiddenError(RagchatError):
    """A valid API key whose role or collections do not cover the request."""

    status = 403
    type = "forbidden"


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
    if _database_down(exc):
        return 503, "storage_unavailable"
    return 500, "server_error"


def _database_down(exc: BaseException) -> bool:
    """A lost or refused database connection, or a pool with no connection free in time:
    the server is fine and the request may be retried (psycopg is not imported here)."""
    kind = type(exc)
    names = {k.__name__ for k in kind.__mro__}
    return kind.__module__.startswith(("psycopg", "psycopg_pool")) and bool(
        names & {"OperationalError", "PoolTimeout", "InterfaceError"}
    )


# The exceptions the HTTP layer maps with `classify` (anything else is a 500).
DOMAIN_ERRORS: tuple[type[Exception], ...] = (
    InvalidCollectionError,
    InvalidFilterError,
    UnsupportedFileError,
    RagchatError,
    DocumentExistsError,
    LeaseBusyError,
)


def described(exc: BaseException) -> tuple[int, str]:
    """`classify` with the type filled in from the status (for errors kept as data)."""
    status, kind = classify(exc)
    return status, kind or type_for(status)
