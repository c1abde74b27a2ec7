"""Run an eval set: index its documents, ask every question, score each answer."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import httpx

from evals.formats import EvalItem
from evals.metrics.answer import answers_all, best_sentence_f1, normalize
from evals.targets import RETRIEVAL_DEPTH, HttpTarget, InProcessTarget, target_for
from service.errors import RagchatError
from service.verification.verify import answer_sentences

__all__ = [
    "RETRIEVAL_DEPTH",
    "HttpTarget",
    "InProcessTarget",
    "Result",
    "run",
    "score",
    "statements",
    "target_for",
]

MARKERS = re.compile(r"\s*\[\d+\]")


class AnswerJudge(Protocol):
    def score(
        self, *, question: str, answer: str, contexts: Sequence[str]
    ) -> tuple[dict[str, float | None], str | None]: ...


@dataclass
class Result:
    item: EvalItem
    answer: str = ""
    refused: bool = False
    citations: list[dict[str, Any]] = field(default_factory=list)
    relevant: list[bool] | None = None
    latency_ms: float = 0.0
    em: float = 0.0
    f1: float = 0.0
    correct: bool = False
    error: str | None = None
    judge: dict[str, float | None] | None = None
    judge_error: str | None = None


def statements(answer: str, citations: list[dict[str, Any]]) -> list[tuple[str, list[str]]]:
    """Answer sentences with the quotes their markers cite."""
    quotes = {c["index"]: c["quote"] for c in citations}
    out = []
    for span in answer_sentences(answer):
        sentence = answer[span.start : span.end]
        cited = [quotes[int(n)] for n in re.findall(r"\[(\d+)\]", sentence) if int(n) in quotes]
        text = MARKERS.sub("", sentence).strip()
        if text:
            out.append((text, cited))
    return out


def score(result: Result) -> Result:
    item = result.item
    if item.unanswerable:
        result.correct = result.refused
        return result
    if result.refused or result.error:
        return result
    if not item.answers:  # no gold to match: answering at all is what it asks (see the docs)
        result.em = 1.0
        result.correct = True
        return result
    aliases = [a for group in item.answers for a in group]
    result.em = 1.0 if answers_all(result.answer, item.answers) else 0.0
    sentences = [t for t, _ in statements(result.answer, result.citations)] or [result.answer]
    result.f1 = best_sentence_f1(sentences, aliases)
    result.correct = bool(result.em)
    return result


def relevance(item: EvalItem, hits: list[tuple[str, str]]) -> list[bool] | None:
    """Per retrieved (gold-doc id, chunk text): does it hold the gold answer or support?"""
    if item.unanswerable or not item.answers:
        return None
    needles = [normalize(a) for g in item.answers for a in g] + (
        [normalize(item.support)] if item.support else []
    )
    out = []
    for doc_id, text in hits:
        in_doc = not item.gold_docs or doc_id in item.gold_docs
        haystack = f" {normalize(text)} "
        out.append(in_doc and any(n and f" {n} " in haystack for n in needles))
    return out


def _judge(
    judge: AnswerJudge, target: InProcessTarget | HttpTarget, result: Result, response: Any
) -> None:
    try:
        contexts = target.contexts(result.item, response)
    except (httpx.HTTPError, ValueError, RagchatError) as exc:
        result.judge_error = f"no contexts: {exc}"
        result.judge = {}
        return
    result.judge, result.judge_error = judge.score(
        question=result.item.question, answer=MARKERS.sub("", result.answer), contexts=contexts
    )


def run(
    target: InProcessTarget | HttpTarget,
    items: list[EvalItem],
    *,
    on_result: Callable[[Result], None] | None = None,
    judge: AnswerJudge | None = None,
) -> Iterator[Result]:
    """Ask, score and (with a judge) judge each question; a judge failure is recorded."""
    for item in items:
        t0 = time.perf_counter()
        result = Result(item=item)
        try:
            response, ranked = target.ask(item)
            result.answer, result.refused = response.answer, response.refused
            result.citations = [c.model_dump() for c in response.citations]
            result.relevant = relevance(item, ranked) if ranked is not None else None
            result.latency_ms = response.timings_ms.get("total", 0.0)
        except (httpx.HTTPError, ValueError, RagchatError) as exc:
            result.error = str(exc)
            result.latency_ms = (time.perf_counter() - t0) * 1000
        else:
            if judge is not None and not result.refused and result.answer.strip():
                _judge(judge, target, result, response)
        score(result)
        if on_result:
            on_result(result)
        yield result
