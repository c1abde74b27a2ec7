"""Every dependency routes use, as typed aliases."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Form, Query, Request

from service.api.access import Access, Need
from service.api.keys import Role
from service.components import Components
from service.metrics import Metrics
from service.schemas import ErrorResponse
from service.settings import Settings


def get_components(request: Request) -> Components:
    return request.app.state.components  # type: ignore[no-any-return]


def get_settings(request: Request) -> Settings:
    return request.app.state.components.settings  # type: ignore[no-any-return]


def get_metrics(request: Request) -> Metrics:
    return request.app.state.metrics  # type: ignore[no-any-return]


ComponentsDep = Annotated[Components, Depends(get_components)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
MetricsDep = Annotated[Metrics, Depends(get_metrics)]
# The collection a document or job route works in, and what any of them may refuse.
CollectionQuery = Query(None, description="default: RAGCHAT_COLLECTION")
REFUSALS: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorResponse, "description": "invalid or twice named collection"},
    403: {"model": ErrorResponse, "description": "outside the API key's scope"},
}

# Upload options, the same on POST /v1/documents and POST /v1/ingest.
TagsForm = Annotated[
    list[str] | None, Form(description="tags for filters; repeat the field or use commas")
]
ReplaceQuery = Annotated[
    bool, Query(description="replace a document of the same name (else 409, document_exists)")
]
WaitQuery = Annotated[
    bool, Query(description="false: answer 202 with a job at once, and index later")
]


def tag_list(tags: list[str] | None) -> list[str] | None:
    """Tags from repeated fields, each of which may hold several joined by commas."""
    found = [t.strip() for field in tags or [] for t in field.split(",") if t.strip()]
    return found or None


# The role a route needs; each /v1 route declares exactly one (tests/integration/test_scopes.py).
ReadAccess = Annotated[Access, Depends(Need(Role.READ))]
WriteAccess = Annotated[Access, Depends(Need(Role.WRITE))]
AdminAccess = Annotated[Access, Depends(Need(Role.ADMIN))]
