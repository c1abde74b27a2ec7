"""Grounded sentence selection: the answer is made of the documents' own sentences."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ingest.cleaning import Span
from ingest.docstore import DocumentText
from ingest.embeddings import Embedder, EmbeddingCache
from ingest.index import ChunkHit, Index
from service.answering.base import Answer, Answerer, refusal, register
from service.answering.scoring import (
    answer_type_match,
    combine,
    form_factor,
    idf_weights,
    lexical_overlap,
)
from service.retrieval import Retrieved
from service.schemas import Citation
from service.settings import AnswerSettings, Settings


@dataclass(frozen=True)
class Candidate:
    hit: ChunkHit
    span: Span
    text: str
    context: str
    position: int


def _in_chunk(span: Span, hit: ChunkHit) -> bool:
    middle = (span.start + span.end) // 2
    return hit.start <= middle < hit.end


def candidates(hits: list[ChunkHit], docs: dict[str, DocumentText]) -> list[Candidate]:
    """Sentences of the retrieved chunks, each once, with its neighbours as context."""
    out: list[Candidate] = []
    seen: set[tuple[str, int]] = set()
    for hit in hits:
        doc = docs.get(hit.document_id)
        if doc is None:
            continue
        for i, span in enumerate(doc.sentences):
            if not _in_chunk(span, hit) or (hit.document_id, span.start) in seen:
                continue
            seen.add((hit.document_id, span.start))
            lo, hi = max(0, i - 1), min(len(doc.sentences), i + 2)
            context = " ".join(doc.text[s.start : s.end] for s in doc.sentences[lo:hi])
            out.append(Candidate(hit, span, doc.text[span.start : span.end], context, i))
    return out


class ExtractiveAnswerer(Answerer):
    name = "extractive"

    def __init__(self, *, settings: AnswerSettings, embedder: Embedder, index: Index) -> None:
        self.settings = settings
        self.embedder = embedder
        self.cache = EmbeddingCache(embedder)
        self.index = index

    def score(
        self,
        question: str,
        q_vec: list[float],
        cands: list[Candidate],
        corpus: list[str] | None = None,
    ) -> list[float]:
        weights = idf_weights(question, corpus or [c.text for c in cands])
        vectors = np.asarray(
            self.cache.embed([c.text for c in cands] + [c.context for c in cands], batch_size=64)
        )
        sims = vectors @ np.asarray(q_vec)
        n = len(cands)
        st = self.settings
        return [
            combine(
                own=float(sims[i]),
                context=float(sims[n + i]),
                lexical=(1 - st.context_weight) * lexical_overlap(question, c.text, weights)
                + st.context_weight * lexical_overlap(question, c.context, weights),
                type_match=answer_type_match(question, c.text),
                form=form_factor(c.text, question),
                context_weight=st.context_weight,
                lexical_weight=st.lexical_weight,
                type_weight=st.type_weight,
            )
            for i, c in enumerate(cands)
        ]

    def select(self, cands: list[Candidate], scores: list[float], ranked: list[int]) -> list[int]:
        """The best sentence, near-ties, and close runners-up next to a chosen sentence."""
        st = self.settings
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

    def answer(self, question: str, retrieved: Retrieved, *, collection: str) -> Answer:
        if not retrieved.hits:
            return refusal()
        docs = {}
        for hit in retrieved.hits:
            if hit.document_id not in docs:
                text = self.index.document_text(collection, hit.document_id)
                if text is not None:
                    docs[hit.document_id] = text
        cands = candidates(retrieved.hits, docs)
        if not cands:
            return refusal()
        corpus = [d.text[s.start : s.end] for d in docs.values() for s in d.sentences]
        scores = self.score(question, retrieved.query_embedding, cands, corpus)
        ranked = sorted(range(len(cands)), key=lambda i: (-scores[i], cands[i].span.start))
        best = scores[ranked[0]]
        if best < self.settings.min_sentence_score:
            return refusal()
        chosen = self.select(cands, scores, ranked)
        chosen.sort(key=lambda i: (cands[i].hit.document_id, cands[i].span.start))
        parts: list[str] = []
        citations: list[Citation] = []
        for n, i in enumerate(chosen, start=1):
            c = cands[i]
            parts.append(f"{' '.join(c.text.split())} [{n}]")
            citations.append(
                Citation(
                    index=n,
                    chunk_id=c.hit.chunk_id,
                    document_id=c.hit.document_id,
                    source=c.hit.source,
                    title=c.hit.title,
                    quote=c.text,
                    start=c.span.start,
                    end=c.span.end,
                    score=round(scores[i], 4),
                    supported=True,
                )
            )
        return Answer(text=" ".join(parts), refused=False, citations=citations)


@register("extractive")
def _factory(settings: Settings, embedder: Embedder, index: Index) -> Answerer:
    return ExtractiveAnswerer(settings=settings.answer, embedder=embedder, index=index)
