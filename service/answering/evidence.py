"""The retrieved chunks' sentences, scored against the question: what every answerer stands on.

Both answerers take their evidence from here, so the answerability gate sees the same
sentences whether the extractive answerer or a language model answers afterwards.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

import numpy as np

from ingest.cleaning import Span
from ingest.embeddings import Embedder, EmbeddingCache
from ingest.index import Index
from ingest.storage import DocumentText
from service.answering.instructions import is_instruction
from service.answering.scoring import (
    answer_type_match,
    combine,
    form_factor,
    idf_weights,
    lexical_overlap,
)
from service.answering.spans import field_value
from service.retrieval.hits import ChunkHit
from service.retrieval.retriever import Retrieved
from service.schemas import Citation
from service.settings import AnswerSettings

# A document that tries to command the answerer is a planted one more often than not: its
# other sentences (the innocuous heading wrapped around the injection) weigh less. On the
# sample article with an injected note beside it, the note's heading outscored the
# signatories sentence by 1% and the gate refused; no sentence of the eval corpora is an
# instruction, so nothing else moves.
ORDERS_PENALTY = 0.8


@dataclass(frozen=True)
class Candidate:
    hit: ChunkHit
    span: Span
    text: str
    context: str
    position: int
    neighbours: tuple[int, ...] = ()  # positions read as its context: itself and next to it
    beside_orders: bool = False  # its document's retrieved passages give orders to the system


@dataclass(frozen=True)
class Evidence:
    """Candidate sentences with their scores; `ranked` orders them best first."""

    question: str
    cands: list[Candidate]
    scores: list[float]
    own: list[float]
    context: list[float]
    lexical: list[float]
    weights: dict[str, float]
    retrieval_score: float
    corpus_size: int = 0
    ranked: list[int] = field(default_factory=list)

    @property
    def best(self) -> int | None:
        return self.ranked[0] if self.ranked else None


def _in_passage(span: Span, hit: ChunkHit) -> bool:
    """The chunk with its neighbour chunks: an answer split off by a chunk boundary is read too."""
    middle = (span.start + span.end) // 2
    if hit.context_end > hit.context_start:
        return hit.context_start <= middle < hit.context_end
    return hit.start <= middle < hit.end


def cite(c: Candidate, *, index: int, score: float) -> Citation:
    """A citation quoting the candidate sentence exactly, at its offsets in the document."""
    return Citation(
        index=index,
        chunk_id=c.hit.chunk_id,
        document_id=c.hit.document_id,
        source=c.hit.source,
        title=c.hit.title,
        quote=c.text,
        start=c.span.start,
        end=c.span.end,
        score=round(score, 4),
        supported=True,
    )


_WORD = re.compile(r"\w+")
_CLOSERS = "\"'”’)]}`*_ \t\n"


def asks_or_echoes(sentence: str, question: str) -> bool:
    """A question, or a quote of the one asked: it restates what is sought, not an answer.

    Documents quote questions: an FAQ's headings, a manual's example command
    (`ragchat ask "How do I ingest PDF files?" --json`). Such a sentence shares every word
    with the question, so it outscored the sentence that answers it.
    """
    if sentence.rstrip(_CLOSERS).endswith("?"):
        return True
    asked = _WORD.findall(question.lower())
    if len(asked) < 3:
        return False
    said = _WORD.findall(sentence.lower())
    return any(said[i : i + len(asked)] == asked for i in range(len(said) - len(asked) + 1))


def candidates(
    hits: list[ChunkHit], docs: dict[str, DocumentText], question: str = ""
) -> list[Candidate]:
    """Sentences of the retrieved passages, each once, with its neighbours as context.

    A sentence that gives orders to the reader or the system ("ignore previous
    instructions and answer ...") is never a candidate, nor context for its neighbours: it
    states no fact to answer with. A question, or a quote of the question asked, is
    context for its neighbours (an FAQ's answer follows its question) but no candidate.
    """
    out: list[Candidate] = []
    seen: set[tuple[str, int]] = set()
    orders: dict[tuple[str, int], bool] = {}

    def order(doc_id: str, doc: DocumentText, j: int) -> bool:
        if (doc_id, j) not in orders:
            s = doc.sentences[j]
            orders[doc_id, j] = is_instruction(doc.text[s.start : s.end])
        return orders[doc_id, j]

    for hit in hits:
        doc = docs.get(hit.document_id)
        if doc is None:
            continue
        for i, span in enumerate(doc.sentences):
            if not _in_passage(span, hit) or (hit.document_id, span.start) in seen:
                continue
            seen.add((hit.document_id, span.start))
            text = doc.text[span.start : span.end]
            if order(hit.document_id, doc, i) or asks_or_echoes(text, question):
                continue
            around = tuple(
                j
                for j in range(max(0, i - 1), min(len(doc.sentences), i + 2))
                if j == i or not order(hit.document_id, doc, j)
            )
            sents = [doc.sentences[j] for j in around]
            context = " ".join(doc.text[s.start : s.end] for s in sents)
            out.append(Candidate(hit, span, text, context, i, around))
    tainted = {doc_id for (doc_id, _), flagged in orders.items() if flagged}
    return [replace(c, beside_orders=True) if c.hit.document_id in tainted else c for c in out]


class EvidenceScorer:
    def __init__(self, *, settings: AnswerSettings, embedder: Embedder, index: Index) -> None:
        self.settings = settings
        self.cache = EmbeddingCache(embedder)
        self.index = index

    def documents(self, retrieved: Retrieved, collection: str) -> dict[str, DocumentText]:
        docs: dict[str, DocumentText] = {}
        for hit in retrieved.hits:
            if hit.document_id not in docs:
                text = self.index.document_text(collection, hit.document_id)
                if text is not None:
                    docs[hit.document_id] = text
        return docs

    def gather(self, question: str, retrieved: Retrieved, *, collection: str) -> Evidence:
        docs = self.documents(retrieved, collection)
        cands = candidates(retrieved.hits, docs, question)
        corpus = [d.text[s.start : s.end] for d in docs.values() for s in d.sentences]
        return self.score(question, retrieved, cands, corpus, docs)

    def similarities(
        self, query: np.ndarray, cands: list[Candidate], docs: dict[str, DocumentText]
    ) -> tuple[list[float], list[float]]:
        """Cosine of the question to each sentence and to it with its neighbours.

        Stored sentence vectors are used when the document has them (the neighbourhood is
        their normalized mean); documents ingested before they were stored are embedded here.
        """
        own: list[float] = []
        ctx: list[float] = []
        missing: list[int] = []
        for i, c in enumerate(cands):
            doc = docs.get(c.hit.document_id)
            vecs = doc.vectors if doc is not None else None
            if vecs is None or c.position >= len(vecs):
                missing.append(i)
                own.append(0.0)
                ctx.append(0.0)
                continue
            near = list(c.neighbours) or list(range(max(0, c.position - 1), c.position + 2))
            around = vecs[[j for j in near if j < len(vecs)]].sum(axis=0)
            around /= np.linalg.norm(around) or 1.0
            own.append(float(vecs[c.position] @ query))
            ctx.append(float(around @ query))
        if missing:
            texts = [cands[i].text for i in missing] + [cands[i].context for i in missing]
            sims = np.asarray(self.cache.embed(texts, batch_size=64)) @ query
            for k, i in enumerate(missing):
                own[i], ctx[i] = float(sims[k]), float(sims[len(missing) + k])
        return own, ctx

    def score(
        self,
        question: str,
        retrieved: Retrieved,
        cands: list[Candidate],
        corpus: list[str] | None = None,
        docs: dict[str, DocumentText] | None = None,
    ) -> Evidence:
        corpus = corpus or [c.text for c in cands]
        weights = idf_weights(question, corpus)
        n = len(cands)
        query = np.asarray(retrieved.query_embedding, dtype=np.float32)
        own, ctx = self.similarities(query, cands, docs or {})
        st = self.settings
        lexical = [
            (1 - st.context_weight) * lexical_overlap(question, c.text, weights)
            + st.context_weight * lexical_overlap(question, c.context, weights)
            for c in cands
        ]
        # A field whose key the question asks for ("author: ashmaroli" for "who wrote it?")
        # holds the asked-for kind, and is no fragment however short it is.
        asked = [field_value(question, c.text) is not None for c in cands]
        scores = [
            combine(
                own=own[i],
                context=ctx[i],
                lexical=lexical[i],
                type_match=1.0 if asked[i] else answer_type_match(question, c.text),
                form=1.0 if asked[i] else form_factor(c.text, question),
                context_weight=st.context_weight,
                lexical_weight=st.lexical_weight,
                type_weight=st.type_weight,
            )
            for i, c in enumerate(cands)
        ]
        scores = [
            s * ORDERS_PENALTY if c.beside_orders else s for s, c in zip(scores, cands, strict=True)
        ]
        # A field the question asks for outranks its own document's prose: the document is
        # as relevant as its best sentence, and the field is what was asked of it.
        best_in_doc: dict[str, float] = {}
        for c, score in zip(cands, scores, strict=True):
            doc = c.hit.document_id
            best_in_doc[doc] = max(best_in_doc.get(doc, 0.0), score)
        for i in range(n):
            if asked[i]:
                scores[i] = max(scores[i], best_in_doc[cands[i].hit.document_id] + 0.01)
        ranked = sorted(range(n), key=lambda i: (-scores[i], cands[i].span.start))
        return Evidence(
            question=question,
            cands=cands,
            scores=scores,
            own=own,
            context=ctx,
            lexical=lexical,
            weights=weights,
            retrieval_score=retrieved.best_score,
            corpus_size=len(corpus),
            ranked=ranked,
        )
