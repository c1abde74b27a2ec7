"""The answerer seam and the registry that picks one by mode."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from service.errors import ConfigurationError
from service.schemas import Citation

if TYPE_CHECKING:
    from ingest.embeddings import Embedder
    from ingest.index import Index
    from service.retrieval import Retrieved
    from service.settings import Settings

REFUSAL = "The indexed documents do not contain an answer to this question."


@dataclass(frozen=True)
class Answer:
    text: str
    refused: bool
    citations: list[Citation]
    unsupported_sentences: int = 0


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


def refusal() -> Answer:
    return Answer(text=REFUSAL, refused=True, citations=[])


Factory = Callable[["Settings", "Embedder", "Index"], Answerer]
_REGISTRY: dict[str, Factory] = {}


def register(mode: str) -> Callable[[Factory], Factory]:
    def wrap(factory: Factory) -> Factory:
        _REGISTRY[mode] = factory
        return factory

    return wrap


def build_answerer(settings: Settings, embedder: Embedder, index: Index) -> Answerer:
    from service.answering import extractive, generative_modes  # noqa: F401  register themselves
    from service.llm.base import resolve_mode

    mode = resolve_mode(settings)
    if mode not in _REGISTRY:
        raise ConfigurationError(
            f"unknown RAGCHAT_LLM mode {settings.llm!r}; valid modes: auto, "
            + ", ".join(sorted(_REGISTRY))
        )
    return _REGISTRY[mode](settings, embedder, index)
