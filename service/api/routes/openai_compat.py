"""OpenAI-compatible chat completions: `model` names a collection."""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections.abc import AsyncIterator

from fastapi import APIRouter, Request
from sse_starlette import EventSourceResponse
from starlette.concurrency import run_in_threadpool

from ingest.tokenizer import count_tokens
from service.api.deps import ComponentsDep, MetricsDep, ReadAccess, SettingsDep
from service.api.openai_schemas import (
    AssistantMessage,
    Choice,
    Completion,
    CompletionRequest,
    ModelCard,
    ModelList,
    Usage,
)
from service.api.shutdown import Shutdown, drain
from service.api.streaming import (
    GraceExpired,
    Items,
    Puller,
    final,
    observed,
    prefetch,
)
from service.chat import Delta
from service.errors import BadRequestError, RagchatError
from service.schemas import ChatResponse, ErrorResponse, Message

logger = logging.getLogger(__name__)
router = APIRouter(prefix="/v1", tags=["openai"])
DEFAULT_MODEL = "ragchat"


def _messages(body: CompletionRequest, max_chars: int, max_messages: int) -> list[Message]:
    if len(body.messages) > max_messages:
        raise BadRequestError(f"at most {max_messages} messages per request")
    out = []
    for m in body.messages:
        text = m.text().strip()
        if len(text) > max_chars:
            raise BadRequestError(f"a message exceeds {max_chars} characters")
        if text and m.role in ("user", "assistant"):
            out.append(Message(role=m.role, content=text))
    if not out or out[-1].role != "user":
        raise BadRequestError("the last message must be a non-empty user message")
    return out


def _citations(response: ChatResponse) -> list[str]:
    return [c.source for c in sorted(response.citations, key=lambda c: c.index)]


def _usage(messages: list[Message], answer: str) -> Usage:
    prompt = sum(count_tokens(m.content) for m in messages)
    completion = count_tokens(answer)
    return Usage(
        prompt_tokens=prompt, completion_tokens=completion, total_tokens=prompt + completion
    )


@router.get("/models", response_model=ModelList)
def models(access: ReadAccess, components: ComponentsDep) -> ModelList:
    """The collections the request's API key may read."""
    names = access.visible(components.index.collections())
    return ModelList(data=[ModelCard(id=name) for name in names])


@router.post(
    "/chat/completions",
    response_model=Completion,
    responses={
        400: {"model": ErrorResponse},
        403: {"model": ErrorResponse},
        404: {"model": ErrorResponse},
        503: {"model": ErrorResponse},
    },
)
async def completions(
    body: CompletionRequest,
    request: Request,
    access: ReadAccess,
    components: ComponentsDep,
    settings: SettingsDep,
    metrics: MetricsDep,
) -> Completion | EventSourceResponse:
    collection = access.collection(None if body.model == DEFAULT_MODEL else body.model)
    messages = _messages(body, settings.server.max_message_chars, settings.server.max_messages)
    cid, created = f"chatcmpl-{uuid.uuid4().hex}", int(time.time())
    it = observed(
        components.chat.stream(
            messages=messages,
            collection=collection,
            conversation_id=body.user,
            owner=access.owner,
        ),
        metrics,
    )
    if not body.stream:
        response = await run_in_threadpool(final, it)
        return Completion(
            id=cid,
            created=created,
            model=body.model,
            choices=[Choice(message=AssistantMessage(content=response.answer))],
            usage=_usage(messages, response.answer),
            citations=_citations(response),
            search_results=response.citations,
            conflict=response.conflict,
        )
    return EventSourceResponse(
        _chunks(
            it,
            await prefetch(it),
            cid=cid,
            created=created,
            model=body.model,
            messages=messages,
            shutdown=request.app.state.shutdown,
        ),
        ping=15,
        **drain(request),
    )


def _chunk(
    cid: str, created: int, model: str, delta: dict, finish: str | None, **extra: object
) -> str:
    body = {
        "id": cid,
        "object": "chat.completion.chunk",
        "created": created,
        "model": model,
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
        **extra,
    }
    return json.dumps(body)


async def _chunks(
    it: Items,
    first: Delta | ChatResponse | None,
    *,
    cid: str,
    created: int,
    model: str,
    messages: list[Message],
    shutdown: Shutdown,
) -> AsyncIterator[dict]:
    """Standard chunks; citations and search_results ride on the last one, then [DONE].

    A shutdown lets the stream go on for its grace period, then ends it with an error.
    """
    item = first
    puller = Puller(it, shutdown)
    try:
        yield {"data": _chunk(cid, created, model, {"role": "assistant", "content": ""}, None)}
        while item is not None:
            if shutdown.expired():
                raise GraceExpired
            if isinstance(item, Delta):
                yield {"data": _chunk(cid, created, model, {"content": item.text}, None)}
            else:
                extra = {
                    "citations": _citations(item),
                    "search_results": [c.model_dump() for c in item.citations],
                    "conflict": item.conflict,
                    "usage": _usage(messages, item.answer).model_dump(),
                }
                yield {"data": _chunk(cid, created, model, {}, "stop", **extra)}
                break
            item = await puller.next()
    except GraceExpired:
        logger.warning("completion stream ended by shutdown")
        yield {"data": json.dumps({"error": shutdown.error_event()})}
    except RagchatError as exc:
        yield {"data": json.dumps({"error": {"type": exc.type, "message": str(exc)}})}
    except Exception:
        logger.exception("completion stream failed")
        body = {"error": {"type": "server_error", "message": "internal error; see the server log"}}
        yield {"data": json.dumps(body)}
    finally:
        puller.close()
    yield {"data": "[DONE]"}
