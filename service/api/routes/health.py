from __future__ import annotations

from fastapi import APIRouter

from service.api.deps import ComponentsDep
from service.errors import RagchatError
from service.schemas import HealthResponse, ReadyResponse

router = APIRouter(tags=["health"])


class NotReadyError(RagchatError):
    status = 503
    type = "not_ready"


@router.get("/healthz", response_model=HealthResponse)
def healthz() -> HealthResponse:
    return HealthResponse(status="ok")


@router.get("/readyz", response_model=ReadyResponse)
def readyz(components: ComponentsDep) -> ReadyResponse:
    try:
        components.index.heartbeat()
    except Exception as exc:
        raise NotReadyError(f"storage unavailable: {exc}") from exc
    return ReadyResponse(status="ready", inconsistent_documents=components.consistency.count())
