"""Grounded sentence selection: the answer is made of the documents' own sentences."""

from __future__ import annotations

from ingest.embeddings import Embedder
from ingest.index import Index
from service.answering.answerability import AnswerabilityGate
from service.answering.base import Answer, Answerer, refusal, register
from service.answering.conflicts import find_conflict, statement
from service.answering.evidence import Evidence, EvidenceScorer, cite
from service.answering.spans import answer_span
from service.retrieval.retriever import Retrieved
from service.settings import AnswerSettings, Settings


class ExtractiveAnswerer(Answerer):
    name = "extractive"

    def __init__(
        self,
        *,
        settings: AnswerSettings,
        embedder: Embedder,
        index: Index,
        gate: AnswerabilityGate | None = None,
    ) -> None:
        self.settings = settings
        self.scorer = EvidenceScorer(settings=settings, embedder=embedder, index=index)
        self.gate = gate

    def select(self, ev: Evidence) -> list[int]:
        """The best sentence, near-ties, and close runners-up next to a chosen sentence."""
        st = self.settings
        cands, scores, ranked = ev.cands, ev.scores, ev.ranked
        best = scores[ranked[0]]
        chosen = [ranked[0]]
        for i in ranked[1:]:
            if len(chosen) >= st.max_sentences:
                break
            adjacent = any(
                cands[i].hit.document_id == cands[j].hit.document_id
                and cands[i].position in (cands[j].position - 1, cands[j].position + 1)
                for j in chosen
            )
            cutoff = st.adjacent_cutoff if adjacent else st.relative_cutoff
            if scores[i] >= best * cutoff:
                chosen.append(i)
        return chosen

    def compose(self, ev: Evidence) -> Answer:
        """The answer the evidence gives, before the answerability gate has its say.

        When documents disagree on the asked-for value, each side's sentence is cited and
        the answer leads with the disagreement instead of one side's value.
        """
        if ev.best is None or ev.scores[ev.best] < self.settings.min_sentence_score:
            return refusal()
        chosen = self.select(ev)
        conflict = find_conflict(ev)
        if conflict is not None:
            chosen += [c.cand for c in conflict.claims if c.cand not in chosen]
        chosen.sort(key=lambda i: (ev.cands[i].hit.document_id, ev.cands[i].span.start))
        number = {i: n for n, i in enumerate(chosen, start=1)}
        parts = [f"{' '.join(ev.cands[i].text.split())} [{number[i]}]" for i in chosen]
        citations = [cite(ev.cands[i], index=number[i], score=ev.scores[i]) for i in chosen]
        lead = statement(conflict, ev, number) if conflict else self.lead(ev, chosen)
        if lead:
            parts.insert(0, lead)
        return Answer(
            text=" ".join(parts),
            refused=False,
            citations=citations,
            conflict=conflict is not None,
        )

    def lead(self, ev: Evidence, chosen: list[int]) -> str:
        """The short answer first ("Jung Pak, Cho Koo-rae and Namazu Hiroyuki. [2]"), cited."""
        for i in [r for r in ev.ranked if r in chosen]:
            span = answer_span(ev.question, ev.cands[i].text)
            if span:
                n = chosen.index(i) + 1
                return f"{' '.join(span.split()).rstrip('.')}. [{n}]"
        return ""

    def answer(self, question: str, retrieved: Retrieved, *, collection: str) -> Answer:
        if not retrieved.hits:
            return refusal()
        ev = self.scorer.gather(question, retrieved, collection=collection)
        if self.gate is not None:
            decision = self.gate.decide(ev)
            if not decision.answerable:
                return refusal(decision.reason)
        return self.compose(ev)


@register("extractive")
def _factory(settings: Settings, embedder: Embedder, index: Index) -> Answerer:
    gate = (
        AnswerabilityGate.bundled(settings.answer.gate_threshold) if settings.answer.gate else None
    )
    return ExtractiveAnswerer(settings=settings.answer, embedder=embedder, index=index, gate=gate)
