"""The answerer seam and the registry that picks one by mode."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from service.registry import Registry
from service.schemas import Citation

if TYPE_CHECKING:
    from ingest.embeddings import Embedder
    from ingest.index import Index
    from service.retrieval.retriever import Retrieved
    from service.settings import Settings

REFUSAL = "The indexed documents do not contain an answer to this question."


@dataclass(frozen=True)
class Answer:
    text: str
    refused: bool
    citations: list[Citation]
    unsupported_sentences: int = 0
    conflict: bool = False  # documents disagree on the asked-for fact; the text says so


class Answerer:
    name = "base"

    def answer(self, question: str, retrieved: Retrieved, *, collection: str) -> Answer:
        raise NotImplementedError

    def stream(
        self, question: str, retrieved: Retrieved, *, collection: str
    ) -> Iterator[str | Answer]:
        """Text deltas, then the final Answer; answerers that do not stream send one delta."""
        answer = self.answer(question, retrieved, collection=collection)
        yield answer.text
        yield answer


def refusal(reason: str = "") -> Answer:
    return Answer(text=reason or REFUSAL, refused=True, citations=[])


Factory = Callable[["Settings", "Embedder", "Index"], Answerer]
ANSWERERS: Registry[Factory] = Registry("RAGCHAT_LLM")
register = ANSWERERS.register


def build_answerer(settings: Settings, embedder: Embedder, index: Index) -> Answerer:
    from service.answering import extractive, generative_modes  # noqa: F401  register themselves
    from service.llm.base import resolve_mode

    factory = ANSWERERS.get(resolve_mode(settings), extra_modes=("auto",))
    return factory(settings, embedder, index)
