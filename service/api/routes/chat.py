from __future__ import annotations

from fastapi import APIRouter
from starlette.concurrency import run_in_threadpool

from service.api.deps import ComponentsDep, SettingsDep
from service.errors import BadRequestError
from service.schemas import ChatRequest, ChatResponse, ErrorResponse

router = APIRouter(prefix="/v1", tags=["chat"])


@router.post(
    "/chat",
    response_model=ChatResponse,
    responses={400: {"model": ErrorResponse}, 422: {"model": ErrorResponse}},
)
async def chat(body: ChatRequest, components: ComponentsDep, settings: SettingsDep) -> ChatResponse:
    limits = settings.server
    if len(body.messages) > limits.max_messages:
        raise BadRequestError(f"at most {limits.max_messages} messages per request")
    if any(len(m.content) > limits.max_message_chars for m in body.messages):
        raise BadRequestError(f"a message exceeds {limits.max_message_chars} characters")
    if body.stream:
        raise BadRequestError("streaming is not available yet; send stream=false")
    return await run_in_threadpool(
        components.chat.chat,
        messages=body.messages,
        collection=body.collection or settings.collection,
        conversation_id=body.conversation_id,
        top_k=body.top_k,
    )
