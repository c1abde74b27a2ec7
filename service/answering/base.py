"""The answerer seam and the registry that picks one by mode."""

from __future__ import annotations

from collections.abc import Callable
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


class Answerer:
    name = "base"

    def answer(self, question: str, retrieved: Retrieved, *, collection: str) -> Answer:
        raise NotImplementedError


def refusal() -> Answer:
    return Answer(text=REFUSAL, refused=True, citations=[])


Factory = Callable[["Settings", "Embedder", "Index"], Answerer]
_REGISTRY: dict[str, Factory] = {}


def register(mode: str) -> Callable[[Factory], Factory]:
    def wrap(factory: Factory) -> Factory:
        _REGISTRY[mode] = factory
        return factory

    return wrap


def resolve_mode(settings: Settings) -> str:
    return "extractive" if settings.llm == "auto" else settings.llm


def build_answerer(settings: Settings, embedder: Embedder, index: Index) -> Answerer:
    from service.answering import extractive  # noqa: F401  registers itself

    mode = resolve_mode(settings)
    if mode not in _REGISTRY:
        raise ConfigurationError(
            f"unknown RAGCHAT_LLM mode {settings.llm!r}; valid modes: auto, "
            + ", ".join(sorted(_REGISTRY))
        )
    return _REGISTRY[mode](settings, embedder, index)
