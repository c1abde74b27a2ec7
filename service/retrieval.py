"""Dense retrieval with a relevance floor."""

from __future__ import annotations

from dataclasses import dataclass

from ingest.embeddings import Embedder
from ingest.index import ChunkHit, Index


@dataclass(frozen=True)
class Retrieved:
    query_embedding: list[float]
    hits: list[ChunkHit]
    best_score: float


class Retriever:
    def __init__(self, *, index: Index, embedder: Embedder, top_k: int, min_score: float) -> None:
        self.index = index
        self.embedder = embedder
        self.top_k = top_k
        self.min_score = min_score

    def retrieve(self, query: str, *, collection: str, top_k: int | None = None) -> Retrieved:
        embedding = self.embedder.embed_one(query)
        hits = self.index.search(collection, embedding=embedding, top_k=top_k or self.top_k)
        best = max((h.score for h in hits), default=0.0)
        return Retrieved(
            query_embedding=embedding,
            hits=[h for h in hits if h.score >= self.min_score],
            best_score=best,
        )
