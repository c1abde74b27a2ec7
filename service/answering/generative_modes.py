"""Register the LLM answer modes: each pairs a chat-model backend with verification."""

from __future__ import annotations

from ingest.embeddings import Embedder, EmbeddingCache
from ingest.index import Index
from service.answering.answerability import AnswerabilityGate
from service.answering.base import Answerer, register
from service.answering.evidence import EvidenceScorer
from service.answering.generative import GenerativeAnswerer
from service.errors import ConfigurationError
from service.llm.base import ChatModel, build_chat_model
from service.settings import Settings
from service.verification.judge import EmbeddingJudge, Judge
from service.verification.llm_judge import LLMJudge
from service.verification.verify import Verifier


def make_judge(settings: Settings, embedder: Embedder, model: ChatModel) -> Judge:
    embedding = EmbeddingJudge(EmbeddingCache(embedder), settings.verify)
    if settings.verify.judge == "embedding":
        return embedding
    if settings.verify.judge == "llm":
        return LLMJudge(model, fallback=embedding)
    raise ConfigurationError(
        f"unknown RAGCHAT_VERIFY__JUDGE {settings.verify.judge!r}; valid: embedding, llm"
    )


def _generative(mode: str, settings: Settings, embedder: Embedder, index: Index) -> Answerer:
    model = build_chat_model(mode, settings)
    gate = (
        AnswerabilityGate.bundled(settings.answer.gate_threshold) if settings.answer.gate else None
    )
    return GenerativeAnswerer(
        model=model,
        index=index,
        verifier=Verifier(make_judge(settings, embedder, model)),
        settings=settings.generation,
        scorer=EvidenceScorer(settings=settings.answer, embedder=embedder, index=index),
        gate=gate,
    )


@register("openai")
def _openai(settings: Settings, embedder: Embedder, index: Index) -> Answerer:
    return _generative("openai", settings, embedder, index)


@register("llamacpp")
def _llamacpp(settings: Settings, embedder: Embedder, index: Index) -> Answerer:
    return _generative("llamacpp", settings, embedder, index)
