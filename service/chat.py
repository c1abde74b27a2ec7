"""One chat turn: pick the question, retrieve, answer, time each step."""

from __future__ import annotations

import time
import uuid
from collections.abc import Sequence

from ingest.index import Index, check_collection
from service.answering.base import Answerer
from service.errors import BadRequestError, NotFoundError
from service.retrieval import Retriever
from service.schemas import ChatResponse, Message


def question_of(messages: Sequence[Message]) -> str:
    if not messages or messages[-1].role != "user":
        raise BadRequestError("the last message must have role 'user'")
    question = messages[-1].content.strip()
    if not question:
        raise BadRequestError("the question is empty")
    return question


class ChatService:
    def __init__(self, *, retriever: Retriever, answerer: Answerer, index: Index) -> None:
        self.retriever = retriever
        self.answerer = answerer
        self.index = index

    def require_collection(self, collection: str) -> None:
        check_collection(collection)
        known = self.index.collections()
        if collection not in known:
            hint = f"known: {', '.join(known)}" if known else "nothing is indexed yet"
            raise NotFoundError(
                f"collection {collection!r} has no documents ({hint}); "
                f"add some with: ragchat ingest PATH --collection {collection}"
            )

    def chat(
        self,
        *,
        messages: Sequence[Message],
        collection: str,
        conversation_id: str | None = None,
        top_k: int | None = None,
    ) -> ChatResponse:
        t0 = time.perf_counter()
        question = question_of(messages)
        self.require_collection(collection)
        retrieved = self.retriever.retrieve(question, collection=collection, top_k=top_k)
        t1 = time.perf_counter()
        answer = self.answerer.answer(question, retrieved, collection=collection)
        t2 = time.perf_counter()
        return ChatResponse(
            answer=answer.text,
            refused=answer.refused,
            citations=answer.citations,
            model=self.answerer.name,
            conversation_id=conversation_id or uuid.uuid4().hex,
            timings_ms={
                "retrieve": round((t1 - t0) * 1000, 2),
                "generate": round((t2 - t1) * 1000, 2),
                "total": round((t2 - t0) * 1000, 2),
            },
        )
