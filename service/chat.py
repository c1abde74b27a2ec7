"""One chat turn: resolve the conversation, condense, retrieve, answer, time each step."""

from __future__ import annotations

import time
import uuid
from collections.abc import Generator, Sequence
from dataclasses import dataclass

from ingest.index import Index, check_collection
from ingest.loaders import metadata_at
from ingest.storage import ConversationStore, Turn
from ingest.storage.errors import NotOwnedError
from ingest.storage.filters import SearchFilters
from service.answering.base import Answer, Answerer
from service.condense import Condenser
from service.errors import BadRequestError, NotFoundError
from service.retrieval.retriever import Retriever
from service.schemas import ChatResponse, Citation, Message


@dataclass(frozen=True)
class Delta:
    text: str


def question_of(messages: Sequence[Message]) -> str:
    if not messages or messages[-1].role != "user":
        raise BadRequestError("the last message must have role 'user'")
    question = messages[-1].content.strip()
    if not question:
        raise BadRequestError("the question is empty")
    return question


class ChatService:
    def __init__(
        self,
        *,
        retriever: Retriever,
        answerer: Answerer,
        index: Index,
        condenser: Condenser,
        conversations: ConversationStore,
    ) -> None:
        self.retriever = retriever
        self.answerer = answerer
        self.index = index
        self.condenser = condenser
        self.conversations = conversations

    def require_collection(self, collection: str) -> None:
        check_collection(collection)
        known = self.index.collections()
        if collection not in known:
            hint = f"known: {', '.join(known)}" if known else "nothing is indexed yet"
            raise NotFoundError(
                f"collection {collection!r} has no documents ({hint}); "
                f"add some with: ragchat ingest PATH --collection {collection}"
            )

    def stream(
        self,
        *,
        messages: Sequence[Message],
        collection: str,
        conversation_id: str | None = None,
        top_k: int | None = None,
        filters: SearchFilters | None = None,
        owner: str = "",
    ) -> Generator[Delta | ChatResponse, None, None]:
        """Answer deltas as they come, then the final response with verified citations.

        `owner` is who asks (a digest of the API key, '' without keys): a conversation
        someone else started is not there for them.
        """
        t0 = time.perf_counter()
        question = question_of(messages)
        self.require_collection(collection)
        if conversation_id:
            self.own_conversation(conversation_id, owner)
        history = list(messages[:-1])
        if conversation_id and len(messages) == 1:
            history = [
                Message(role=t.role, content=t.content)  # type: ignore[arg-type]
                for t in self.conversations.history(conversation_id)
            ]
        standalone = self.condenser.condense(history, question)
        retrieved = self.retriever.retrieve(
            standalone, collection=collection, top_k=top_k, filters=filters
        )
        t1 = time.perf_counter()
        answer: Answer | None = None
        first_token: float | None = None
        for item in self.answerer.stream(standalone, retrieved, collection=collection):
            if isinstance(item, Answer):
                answer = item
            elif item:
                first_token = first_token or time.perf_counter()
                yield Delta(item)
        if answer is None:
            raise RuntimeError("the answerer produced no answer")
        if first_token is None:
            first_token = time.perf_counter()
            yield Delta(answer.text)  # a refusal made without the model still reads as text
        t2 = time.perf_counter()
        cid = conversation_id or uuid.uuid4().hex
        timings = {
            "retrieve": round((t1 - t0) * 1000, 2),
            "generate": round((t2 - t1) * 1000, 2),
            "total": round((t2 - t0) * 1000, 2),
        }
        if first_token is not None:
            timings["first_token"] = round((first_token - t0) * 1000, 2)
        response = ChatResponse(
            answer=answer.text,
            refused=answer.refused,
            citations=self.locate(answer.citations, collection),
            model=self.answerer.name,
            conversation_id=cid,
            timings_ms=timings,
            standalone_question=standalone if standalone != question else None,
            unsupported_sentences=answer.unsupported_sentences,
            conflict=answer.conflict,
        )
        try:
            first = self.conversations.append(
                cid,
                [
                    Turn(role="user", content=question),
                    Turn(
                        role="assistant", content=answer.text, response=response.model_dump_json()
                    ),
                ],
                owner=owner,
                collection=collection,
            )
        except NotOwnedError:  # another key started a conversation of this id meanwhile
            raise NotFoundError(f"no conversation {cid!r} for this API key") from None
        yield response.model_copy(update={"turn": first + 1})

    def own_conversation(self, conversation_id: str, owner: str) -> None:
        """Refuse a conversation another API key started, as if it did not exist."""
        info = self.conversations.get(conversation_id)
        if info is not None and info.owner != owner:
            raise NotFoundError(f"no conversation {conversation_id!r} for this API key")

    def locate(self, citations: list[Citation], collection: str) -> list[Citation]:
        """Add the page or section each quote starts in, from the loader's regions."""
        docs = {
            doc_id: self.index.document_text(collection, doc_id)
            for doc_id in {c.document_id for c in citations}
        }
        located = []
        for c in citations:
            doc = docs[c.document_id]
            where = metadata_at(doc.regions, c.start) if doc else {}
            page, section = where.get("page"), where.get("section")
            located.append(
                c.model_copy(
                    update={
                        "page": int(page) if page is not None else None,
                        "section": str(section) if section is not None else None,
                        "ocr": bool(where.get("ocr", False)),
                    }
                )
            )
        return located

    def chat(
        self,
        *,
        messages: Sequence[Message],
        collection: str,
        conversation_id: str | None = None,
        top_k: int | None = None,
        filters: SearchFilters | None = None,
        owner: str = "",
    ) -> ChatResponse:
        for item in self.stream(
            messages=messages,
            collection=collection,
            conversation_id=conversation_id,
            top_k=top_k,
            filters=filters,
            owner=owner,
        ):
            if isinstance(item, ChatResponse):
                return item
        raise RuntimeError("chat stream ended without a response")
