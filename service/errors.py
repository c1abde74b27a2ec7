"""Domain errors; the HTTP layer maps each to a status in one handler."""


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
