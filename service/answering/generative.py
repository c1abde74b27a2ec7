"""LLM answers over numbered sources, with every citation verified afterwards."""

from __future__ import annotations

import re
from collections.abc import Iterator

from ingest.index import Index
from ingest.tokenizer import count_tokens
from prompts import load as load_prompt
from service.answering.answerability import AnswerabilityGate
from service.answering.base import Answer, Answerer, refusal
from service.answering.conflicts import disclose, find_conflict
from service.answering.evidence import Evidence, EvidenceScorer
from service.answering.instructions import instruction_spans
from service.answering.sources import build_sources
from service.llm.base import ChatModel, LLMBadResponseError
from service.retrieval.retriever import Retrieved
from service.settings import GenerationSettings
from service.verification.verify import (
    MARKER,
    Source,
    Verified,
    Verifier,
    answer_sentences,
    windows_of,
)

_CANNOT = re.compile(
    r"(?:sources?|documents?|context|passages?) (?:do|does) not "
    r"(?:contain|provide|include|mention|say)"
    r"|(?:cannot|can't|can ?not|unable to) (?:answer|find|determine|tell)"
    r"|no (?:relevant )?information (?:about|on|in)"
    r"|not (?:enough|sufficient) information|\bI (?:do not|don't) know\b",
    re.IGNORECASE,
)
_SAFETY_TOKENS = 32
UNSUPPORTED = (
    "The indexed documents do not support an answer to this question: "
    "no sentence of the model's answer is backed by a source."
)


def says_cannot_answer(text: str) -> bool:
    return bool(_CANNOT.search(text))


def unsupported_throughout(text: str, verified: Verified) -> bool:
    """No sentence of the model's answer is backed by a source: that answer is a refusal."""
    if any(c.supported for c in verified.citations):
        return False
    claims = len(answer_sentences(MARKER.sub("", text)))
    return claims > 0 and verified.unsupported_sentences >= claims


class GenerativeAnswerer(Answerer):
    def __init__(
        self,
        *,
        model: ChatModel,
        index: Index,
        verifier: Verifier,
        settings: GenerationSettings,
        scorer: EvidenceScorer | None = None,
        gate: AnswerabilityGate | None = None,
    ) -> None:
        self.scorer = scorer
        self.gate = gate
        self.model = model
        self.name = model.name
        self.index = index
        self.verifier = verifier
        self.settings = settings
        self.prompt = load_prompt("answer")

    def _sources(
        self, question: str, retrieved: Retrieved, collection: str
    ) -> tuple[str, list[Source]]:
        frame = sum(
            count_tokens(m["content"]) for m in self.prompt.render(sources="", question=question)
        )
        budget = (
            self.settings.context_tokens - frame - self.settings.max_answer_tokens - _SAFETY_TOKENS
        )
        block, used = build_sources(retrieved.hits, budget_tokens=max(budget, 0))
        sources = []
        for n, hit in enumerate(used, start=1):
            doc = self.index.document_text(collection, hit.document_id)
            windows = windows_of(hit, doc.text, doc.sentences) if doc else []
            if doc and windows:
                # An instruction in a source is never quoted as support for an answer.
                orders = instruction_spans(doc.text, doc.sentences)
                windows = [
                    w
                    for w in windows
                    if not any(o.start < w.end and w.start < o.end for o in orders)
                ]
            sources.append(Source(index=n, hit=hit, windows=windows))
        return block, sources

    def stream(
        self, question: str, retrieved: Retrieved, *, collection: str
    ) -> Iterator[str | Answer]:
        if not retrieved.hits:
            yield refusal()  # no evidence: the model is not asked at all
            return
        ev: Evidence | None = None
        if self.scorer is not None:
            ev = self.scorer.gather(question, retrieved, collection=collection)
        if self.gate is not None and ev is not None:
            decision = self.gate.decide(ev)
            if not decision.answerable:
                yield refusal(decision.reason)  # the model is not asked what the documents lack
                return
        block, sources = self._sources(question, retrieved, collection)
        if not sources:
            yield refusal()
            return
        messages = self.prompt.render(sources=block, question=question)
        parts: list[str] = []
        for delta in self.model.stream(messages, max_tokens=self.settings.max_answer_tokens):
            parts.append(delta)
            yield delta
        text = "".join(parts).strip()
        if not text:
            raise LLMBadResponseError("the model server returned no text")
        verified = self.verifier.verify(text, sources)
        supported = any(c.supported for c in verified.citations)
        if says_cannot_answer(text) and not supported:
            plain = " ".join(MARKER.sub("", text).split())
            yield Answer(text=plain, refused=True, citations=[])
            return
        if unsupported_throughout(text, verified):
            yield refusal(UNSUPPORTED)
            return
        answer, citations = verified.answer, verified.citations
        conflict = find_conflict(ev) if ev is not None else None
        if ev is not None and conflict is not None:
            # The model may have picked one side; the same evidence check the extractive
            # answerer runs makes sure both are cited and the disagreement is said.
            added, citations = disclose(conflict, ev, answer, citations)
            if added:
                yield " " + added
                answer = f"{answer} {added}"
        yield Answer(
            text=answer,
            refused=False,
            citations=citations,
            unsupported_sentences=verified.unsupported_sentences,
            conflict=conflict is not None,
        )

    def answer(self, question: str, retrieved: Retrieved, *, collection: str) -> Answer:
        for item in self.stream(question, retrieved, collection=collection):
            if isinstance(item, Answer):
                return item
        raise RuntimeError("answer stream ended without an answer")
