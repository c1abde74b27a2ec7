"""Every dependency routes use, as typed aliases."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from service.api.access import Access, Need
from service.api.keys import Role
from service.components import Components
from service.metrics import Metrics
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
# The role a route needs; each /v1 route declares exactly one (tests/integration/test_scopes.py).
ReadAccess = Annotated[Access, Depends(Need(Role.READ))]
WriteAccess = Annotated[Access, Depends(Need(Role.WRITE))]
AdminAccess = Annotated[Access, Depends(Need(Role.ADMIN))]
