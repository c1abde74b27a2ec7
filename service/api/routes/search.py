"""`POST /v1/search`: retrieval only, the ranked chunks a chat answer would draw on."""

from __future__ import annotations

import time

from fastapi import APIRouter
from starlette.concurrency import run_in_threadpool

from service.api.deps import ComponentsDep, SettingsDep
from service.schemas import ErrorResponse, SearchRequest, SearchResponse, SearchResult

router = APIRouter(prefix="/v1", tags=["search"])


@router.post(
    "/search",
    response_model=SearchResponse,
    responses={404: {"model": ErrorResponse}, 422: {"model": ErrorResponse}},
)
async def search(
    body: SearchRequest, components: ComponentsDep, settings: SettingsDep
) -> SearchResponse:
    collection = body.collection or settings.collection
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
    elapsed = round((time.perf_counter() - t0) * 1000, 2)
    return SearchResponse(
        collection=collection,
        query=body.query,
        mode=mode,
        results=[
            SearchResult(
                rank=rank,
                chunk_id=h.chunk_id,
                document_id=h.document_id,
                source=h.source,
                title=h.title,
                text=h.text,
                score=round(h.score, 6),
                keyword_score=round(h.keyword_score, 6),
                fused_score=round(h.fused_score, 6),
                start=h.start,
                end=h.end,
                metadata=h.metadata,
                context=h.context,
                context_start=h.context_start,
                context_end=h.context_end,
            )
            for rank, h in enumerate(found.hits, start=1)
        ],
        timings_ms={"search": elapsed},
    )
