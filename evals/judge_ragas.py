"""ragas faithfulness and answer relevancy, judged by our own model and embedder.

The only module that imports ragas. The judge LLM is the configured OpenAI-compatible
endpoint through langchain-openai; the embeddings are ragchat's own offline embedder, so
ragas never falls back to OpenAI embeddings. ragas' usage telemetry is switched off before
ragas is imported. Every per-question failure becomes a None score, never an exception.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Sequence
from typing import Any

from evals.metrics.judge import clean_score
from ingest.embeddings import Embedder
from service.llm.openai_chat import token_limit
from service.settings import Settings

logger = logging.getLogger(__name__)

INSTALL = "pip install -e '.[judge]'"


class JudgeUnavailableError(RuntimeError):
    pass


def answers_with_openai(settings: Settings) -> bool:
    """The answerer is an OpenAI-compatible model: the judge then runs by default."""
    from service.llm.base import resolve_mode

    return resolve_mode(settings) == "openai"


def judge_configured(settings: Settings) -> bool:
    """An OpenAI-compatible model the judge can call, whatever answers the questions."""
    key = settings.openai_api_key.get_secret_value() if settings.openai_api_key else ""
    return bool(key or settings.openai_base_url) or answers_with_openai(settings)


def _ragas_embeddings(embedder: Embedder) -> Any:
    from ragas.embeddings import BaseRagasEmbeddings

    class OurEmbeddings(BaseRagasEmbeddings):  # type: ignore[misc]
        def embed_query(self, text: str) -> list[float]:
            return embedder.embed_one(text)

        def embed_documents(self, texts: list[str]) -> list[list[float]]:
            return embedder.embed(texts)

        async def aembed_query(self, text: str) -> list[float]:
            return self.embed_query(text)

        async def aembed_documents(self, texts: list[str]) -> list[list[float]]:
            return self.embed_documents(texts)

    return OurEmbeddings()


class RagasJudge:
    """Scores one answered question at a time on a private event loop."""

    def __init__(self, settings: Settings, embedder: Embedder) -> None:
        # ragas posts usage events to its own server unless told not to.
        os.environ["RAGAS_DO_NOT_TRACK"] = "true"
        try:
            from langchain_openai import ChatOpenAI
            from ragas.llms import LangchainLLMWrapper
            from ragas.metrics import Faithfulness, ResponseRelevancy
            from ragas.run_config import RunConfig
        except ImportError as exc:
            raise JudgeUnavailableError(
                f"the judge metrics need ragas ({exc.name or exc} is missing): {INSTALL}"
            ) from exc
        logging.getLogger("ragas").setLevel(logging.CRITICAL)  # failures are counted instead
        gen = settings.generation
        key = settings.openai_api_key.get_secret_value() if settings.openai_api_key else ""
        llm = LangchainLLMWrapper(
            ChatOpenAI(
                model=settings.openai_model,
                api_key=key or "not-needed",  # type: ignore[arg-type]
                base_url=settings.openai_base_url or None,
                timeout=gen.timeout_s,
                max_retries=gen.max_retries,
                temperature=0.0,
                **token_limit(settings, gen.max_judge_tokens),
            )
        )
        run_config = RunConfig(timeout=int(gen.timeout_s * 4), max_retries=gen.max_retries)
        self.timeout_s = gen.timeout_s * 4
        self.faithfulness = Faithfulness(llm=llm)
        self.relevancy = ResponseRelevancy(llm=llm, embeddings=_ragas_embeddings(embedder))
        for metric in (self.faithfulness, self.relevancy):
            metric.init(run_config)
        self.model = settings.openai_model
        self._loop = asyncio.new_event_loop()

    def score(
        self, *, question: str, answer: str, contexts: Sequence[str]
    ) -> tuple[dict[str, float | None], str | None]:
        """Judge scores of one answer and the first error, if any metric failed."""
        from ragas import SingleTurnSample

        sample = SingleTurnSample(
            user_input=question, response=answer, retrieved_contexts=list(contexts) or [""]
        )
        scores: dict[str, float | None] = {}
        errors: list[str] = []
        for name, metric in (
            ("judge.faithfulness", self.faithfulness),
            ("judge.answer_relevancy", self.relevancy),
        ):
            try:
                raw = self._loop.run_until_complete(
                    metric.single_turn_ascore(sample, timeout=self.timeout_s)
                )
            except Exception as exc:  # a judge failure must never stop the run
                logger.debug("%s failed: %r", name, exc)
                errors.append(f"{name}: {type(exc).__name__}: {exc}"[:300])
                raw = None
            scores[name] = clean_score(raw)
            if raw is not None and scores[name] is None:
                errors.append(f"{name}: no score ({raw})")
        return scores, ("; ".join(errors) or None)

    def close(self) -> None:
        self._loop.close()


def load_judge(settings: Settings, embedder: Embedder) -> RagasJudge:
    return RagasJudge(settings, embedder)
