"""Hybrid retrieval with a relevance floor."""

from __future__ import annotations

from dataclasses import dataclass

from ingest.embeddings import Embedder
from ingest.filters import SearchFilters
from ingest.index import ChunkHit, Index
from service.settings import RetrievalSettings


@dataclass(frozen=True)
class Retrieved:
    query_embedding: list[float]
    hits: list[ChunkHit]
    best_score: float


class Retriever:
    def __init__(self, *, index: Index, embedder: Embedder, settings: RetrievalSettings) -> None:
        self.index = index
        self.embedder = embedder
        self.settings = settings

    @property
    def top_k(self) -> int:
        return self.settings.top_k

    def search(
        self,
        query: str,
        *,
        collection: str,
        top_k: int | None = None,
        filters: SearchFilters | None = None,
        mode: str | None = None,
    ) -> Retrieved:
        """Ranked hits without the evidence floor: what `/v1/search` shows."""
        embedding = self.embedder.embed_one(query)
        hits = self.index.search(
            collection,
            query=query,
            embedding=embedding,
            top_k=top_k or self.settings.top_k,
            filters=filters,
            options=self.settings.options(mode),
        )
        return Retrieved(
            query_embedding=embedding,
            hits=hits,
            best_score=max((h.score for h in hits), default=0.0),
        )

    def retrieve(
        self,
        query: str,
        *,
        collection: str,
        top_k: int | None = None,
        filters: SearchFilters | None = None,
    ) -> Retrieved:
        """Hits that count as evidence: below the cosine floor a chunk cannot support an answer."""
        found = self.search(query, collection=collection, top_k=top_k, filters=filters)
        floor = self.settings.min_score
        return Retrieved(
            query_embedding=found.query_embedding,
            hits=[h for h in found.hits if h.score >= floor],
            best_score=found.best_score,
        )
