"""Stored conversations: list, read, rename and delete, each only by the key that started it.

On a server without API keys every conversation is everyone's; with keys, a conversation
belongs to the key that asked its first question, and to every other key it does not exist.
"""

from __future__ import annotations

import base64
import binascii
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response, status

from ingest.storage import ConversationInfo, Feedback
from service.api.deps import ComponentsDep, ReadAccess, SettingsDep
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
    FeedbackCitation,
    FeedbackRequest,
    FeedbackResponse,
)
from service.settings import Settings

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


def _missing(conversation_id: str) -> NotFoundError:
    return NotFoundError(f"no conversation {conversation_id!r} for this API key")


def _owned(components: Components, conversation_id: str, owner: str) -> ConversationInfo:
    info = components.conversations.get(conversation_id)
    if info is None or info.owner != owner:
        raise _missing(conversation_id)
    return info


BAD_REQUEST: dict[int | str, dict[str, Any]] = {400: {"model": ErrorResponse}}


@router.get("/conversations", response_model=ConversationList, responses=BAD_REQUEST)
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
            response=ChatResponse.model_validate_json(t.response).model_copy(update={"turn": t.seq})
            if t.response
            else None,
        )
        for t in components.conversations.turns(conversation_id)
    ]
    return ConversationDetail(**_summary(info).model_dump(), turns=turns)


@router.patch(
    "/conversations/{conversation_id}",
    response_model=ConversationSummary,
    responses={**NOT_FOUND, **BAD_REQUEST},
)
def rename_conversation(
    conversation_id: str, body: ConversationRename, access: ReadAccess, components: ComponentsDep
) -> ConversationSummary:
    title = " ".join(body.title.split())
    if not title:
        raise BadRequestError("the title is blank")
    if not components.conversations.rename(conversation_id, title, owner=access.owner):
        raise _missing(conversation_id)
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
    if not components.conversations.delete(conversation_id, owner=access.owner):
        raise _missing(conversation_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


def answer_settings(settings: Settings) -> dict[str, Any]:
    """The settings an answer depends on, kept with its rating (no keys, no paths)."""
    return {
        "llm": settings.llm,
        "embeddings": settings.embeddings.model_dump(mode="json", exclude={"cache_dir"}),
        "retrieval": settings.retrieval.model_dump(mode="json"),
        "answer": settings.answer.model_dump(mode="json"),
        "generation": settings.generation.model_dump(mode="json"),
        "verify": settings.verify.model_dump(mode="json"),
    }


def _cited(response: ChatResponse) -> list[FeedbackCitation]:
    """The answer's citations with the document version each quote was read from (the
    middle part of a chunk id: `document:version:index`)."""
    return [
        FeedbackCitation(
            index=c.index,
            quote=c.quote,
            start=c.start,
            end=c.end,
            document_id=c.document_id,
            version=c.chunk_id.rsplit(":", 2)[-2] if c.chunk_id.count(":") >= 2 else "",
            source=c.source,
            supported=c.supported,
            page=c.page,
            section=c.section,
        )
        for c in response.citations
    ]


@router.post(
    "/conversations/{conversation_id}/turns/{n}/feedback",
    response_model=FeedbackResponse,
    status_code=status.HTTP_201_CREATED,
    responses={**NOT_FOUND, 400: {"model": ErrorResponse}},
)
def give_feedback(
    conversation_id: str,
    n: int,
    body: FeedbackRequest,
    access: ReadAccess,
    components: ComponentsDep,
    settings: SettingsDep,
) -> FeedbackResponse:
    """Rate answer `n` of the conversation; rating it again replaces the earlier rating."""
    info = _owned(components, conversation_id, access.owner)
    turns = {t.seq: t for t in components.conversations.turns(conversation_id)}
    turn = turns.get(n)
    if turn is None:
        raise NotFoundError(f"conversation {conversation_id!r} has no turn {n}")
    if turn.role != "assistant":
        raise BadRequestError(
            f"turn {n} is a question, not an answer: rate its answer, turn {n + 1}"
        )
    if not turn.response:
        raise BadRequestError(
            f"turn {n} was answered before answers were stored whole, so it cannot be rated"
        )
    response = ChatResponse.model_validate_json(turn.response)
    known = {c.index for c in response.citations}
    unknown = sorted(set(body.wrong_citations) - known)
    if unknown:
        raise BadRequestError(
            f"the answer has no citation {unknown}; its citations are {sorted(known) or 'none'}"
        )
    question = turns[n - 1].content if n - 1 in turns else ""
    stored = components.storage.feedback.put(
        Feedback(
            conversation_id=conversation_id,
            turn=n,
            owner=access.owner,
            collection=turn.collection or info.collection,
            rating=body.rating,
            comment=body.comment.strip(),
            expected_answer=body.expected_answer.strip() if body.expected_answer else None,
            unanswerable=body.unanswerable,
            wrong_citations=sorted(set(body.wrong_citations)),
            question=question,
            answer=response.answer,
            citations=[c.model_dump() for c in _cited(response)],
            settings=answer_settings(settings),
            model=response.model,
            conversation_started=info.created_at,
        )
    )
    # The record's fields by name; owner and settings stay out of the response.
    return FeedbackResponse.model_validate(stored, from_attributes=True)
