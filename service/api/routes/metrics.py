"""`GET /metrics`: Prometheus text, open even when API keys are set (scrapers carry no key)."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from service.api.deps import MetricsDep

router = APIRouter(tags=["health"])


@router.get("/metrics", response_class=Response, include_in_schema=False)
def metrics(request: Request, metrics: MetricsDep) -> Response:
    body, content_type = metrics.render(request.headers.get("accept"))
    return Response(body, media_type=content_type)
