from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator

from fastapi import APIRouter, Request
from sse_starlette import EventSourceResponse
from starlette.concurrency import run_in_threadpool

from service.api.deps import ComponentsDep, MetricsDep, ReadAccess, SettingsDep
from service.api.shutdown import Shutdown, drain
from service.api.streaming import (
    GraceExpired,
    Item,
    Items,
    Puller,
    final,
    observed,
    prefetch,
)
from service.chat import Delta
from service.errors import BadRequestError, RagchatError
from service.schemas import ChatRequest, ChatResponse, ErrorResponse

logger = logging.getLogger(__name__)
router = APIRouter(prefix="/v1", tags=["chat"])


async def _events(request: Request, it: Items, first: Item | None) -> AsyncIterator[dict]:
    """delta events, then citations, then done; closing the iterator stops the model.

    A shutdown lets the stream go on for its grace period, then ends it with an error event.
    """
    shutdown: Shutdown = request.app.state.shutdown
    puller = Puller(it, shutdown)
    item, deltas, finished = first, 0, False
    try:
        while item is not None:
            if await request.is_disconnected():
                break
            if shutdown.expired():
                raise GraceExpired
            if isinstance(item, Delta):
                deltas += 1
                yield {"event": "delta", "data": json.dumps({"text": item.text})}
            else:
                citations = [c.model_dump() for c in item.citations]
                yield {"event": "citations", "data": json.dumps(citations)}
                yield {"event": "done", "data": item.model_dump_json()}
                finished = True
                return
            item = await puller.next()
    except GraceExpired:
        finished = True
        logger.warning("stream ended by shutdown after %d deltas", deltas)
        yield {"event": "error", "data": json.dumps({"error": shutdown.error_event()})}
    except RagchatError as exc:
        finished = True
        body = {"error": {"type": exc.type, "message": str(exc)}}
        yield {"event": "error", "data": json.dumps(body)}
    except Exception:
        finished = True
        logger.exception("answer stream failed")
        body = {"error": {"type": "server_error", "message": "internal error; see the server log"}}
        yield {"event": "error", "data": json.dumps(body)}
    finally:
        puller.close()
        if not finished:
            logger.info("stream closed by client after %d deltas; generation stopped", deltas)


@router.post(
    "/chat",
    response_model=ChatResponse,
    responses={
        200: {"content": {"text/event-stream": {}}, "description": "JSON, or SSE when streaming"},
        400: {"model": ErrorResponse},
        403: {"model": ErrorResponse},
        404: {"model": ErrorResponse},
        422: {"model": ErrorResponse},
        502: {"model": ErrorResponse},
        503: {"model": ErrorResponse},
    },
)
async def chat(
    body: ChatRequest,
    request: Request,
    access: ReadAccess,
    components: ComponentsDep,
    settings: SettingsDep,
    metrics: MetricsDep,
) -> ChatResponse | EventSourceResponse:
    collection = access.collection(body.collection)
    limits = settings.server
    if len(body.messages) > limits.max_messages:
        raise BadRequestError(f"at most {limits.max_messages} messages per request")
    if any(len(m.content) > limits.max_message_chars for m in body.messages):
        raise BadRequestError(f"a message exceeds {limits.max_message_chars} characters")
    filters = body.filters.to_search() if body.filters else None
    turn = components.chat.stream(
        messages=body.messages,
        collection=collection,
        conversation_id=body.conversation_id,
        top_k=body.top_k,
        filters=filters,
        owner=access.owner,
    )
    it = observed(turn, metrics)
    if not body.stream:
        return await run_in_threadpool(final, it)
    return EventSourceResponse(_events(request, it, await prefetch(it)), ping=15, **drain(request))
