"""Stored conversations: list, read, rename and delete, each only by the key that started it.

On a server without API keys every conversation is everyone's; with keys, a conversation
belongs to the key that asked its first question, and to every other key it does not exist.
"""

from __future__ import annotations

import base64
import binascii
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response, status

from ingest.storage import ConversationInfo
from service.api.deps import ComponentsDep, ReadAccess
from service.components import Components
from service.errors import BadRequestError, NotFoundError
from service.schemas import (
    ChatResponse,
    ConversationDetail,
    ConversationList,
    ConversationRename,
    ConversationSummary,
    ConversationTurn,
    ErrorResponse,
)

router = APIRouter(prefix="/v1", tags=["conversations"])
NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorResponse, "description": "no such conversation for this key"}
}


def _summary(info: ConversationInfo) -> ConversationSummary:
    return ConversationSummary(
        conversation_id=info.conversation_id,
        title=info.title,
        collection=info.collection,
        created_at=info.created_at,
        updated_at=info.updated_at,
        turn_count=info.turns,
    )


def _cursor(info: ConversationInfo) -> str:
    raw = f"{info.updated_at!r} {info.conversation_id}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _position(cursor: str) -> tuple[float, str]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        when, conversation_id = raw.split(" ", 1)
        return float(when), conversation_id
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise BadRequestError("invalid cursor: pass next_cursor of the previous page") from None


def _owned(components: Components, conversation_id: str, owner: str) -> ConversationInfo:
    info = components.conversations.get(conversation_id)
    if info is None or info.owner != owner:
        raise NotFoundError(f"no conversation {conversation_id!r} for this API key")
    return info


@router.get("/conversations", response_model=ConversationList)
def list_conversations(
    access: ReadAccess,
    components: ComponentsDep,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: Annotated[str | None, Query(max_length=400)] = None,
) -> ConversationList:
    """The key's conversations, the most recently answered first."""
    before = _position(cursor) if cursor else None
    found = components.conversations.recent(access.owner, limit=limit + 1, before=before)
    page = found[:limit]
    more = len(found) > limit
    return ConversationList(
        conversations=[_summary(i) for i in page],
        next_cursor=_cursor(page[-1]) if more else None,
    )


@router.get(
    "/conversations/{conversation_id}", response_model=ConversationDetail, responses=NOT_FOUND
)
def get_conversation(
    conversation_id: str, access: ReadAccess, components: ComponentsDep
) -> ConversationDetail:
    """Every turn, each answer with its citations as they were when it was answered."""
    info = _owned(components, conversation_id, access.owner)
    turns = [
        ConversationTurn(
            n=t.seq,
            role=t.role,  # type: ignore[arg-type]
            content=t.content,
            created_at=t.created_at,
            response=ChatResponse.model_validate_json(t.response) if t.response else None,
        )
        for t in components.conversations.turns(conversation_id)
    ]
    return ConversationDetail(**_summary(info).model_dump(), turns=turns)


@router.patch(
    "/conversations/{conversation_id}", response_model=ConversationSummary, responses=NOT_FOUND
)
def rename_conversation(
    conversation_id: str, body: ConversationRename, access: ReadAccess, components: ComponentsDep
) -> ConversationSummary:
    _owned(components, conversation_id, access.owner)
    title = " ".join(body.title.split())
    if not title:
        raise BadRequestError("the title is blank")
    components.conversations.rename(conversation_id, title)
    return _summary(_owned(components, conversation_id, access.owner))


@router.delete(
    "/conversations/{conversation_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=NOT_FOUND,
)
def delete_conversation(
    conversation_id: str, access: ReadAccess, components: ComponentsDep
) -> Response:
    """The conversation and all its turns; a later chat with its id starts afresh."""
    _owned(components, conversation_id, access.owner)
    components.conversations.delete(conversation_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
