"""`POST /v1/search`: retrieval only, the ranked chunks a chat answer would draw on."""

from __future__ import annotations

import dataclasses
import time

from fastapi import APIRouter
from starlette.concurrency import run_in_threadpool

from service.api.deps import ComponentsDep, MetricsDep, ReadAccess, SettingsDep
from service.schemas import ErrorResponse, SearchRequest, SearchResponse, SearchResult

router = APIRouter(prefix="/v1", tags=["search"])


@router.post(
    "/search",
    response_model=SearchResponse,
    responses={
        400: {"model": ErrorResponse},
        403: {"model": ErrorResponse},
        404: {"model": ErrorResponse},
        422: {"model": ErrorResponse},
    },
)
async def search(
    body: SearchRequest,
    access: ReadAccess,
    components: ComponentsDep,
    settings: SettingsDep,
    metrics: MetricsDep,
) -> SearchResponse:
    collection = access.collection(body.collection)
    filters = body.filters.to_search() if body.filters else None
    mode = body.mode or settings.retrieval.mode
    components.chat.require_collection(collection)
    t0 = time.perf_counter()
    found = await run_in_threadpool(
        components.retriever.search,
        body.query,
        collection=collection,
        top_k=body.top_k,
        filters=filters,
        mode=mode,
    )
    seconds = time.perf_counter() - t0
    metrics.stage("search", seconds)
    elapsed = round(seconds * 1000, 2)
    return SearchResponse(
        collection=collection,
        query=body.query,
        mode=mode,
        results=[
            SearchResult(rank=rank, **dataclasses.asdict(hit))
            for rank, hit in enumerate(found.hits, start=1)
        ],
        timings_ms={"search": elapsed},
    )
