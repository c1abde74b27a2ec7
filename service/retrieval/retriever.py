"""Hybrid retrieval with a relevance floor."""

from __future__ import annotations

from dataclasses import dataclass, replace

from ingest.embeddings import Embedder
from ingest.index import check_collection
from ingest.storage import DocumentStore, SearchFilters
from service.named import Named, NameIndex
from service.retrieval.hits import ChunkHit, SearchOptions
from service.retrieval.hybrid import HybridSearch
from service.settings import RetrievalSettings


@dataclass(frozen=True)
class Retrieved:
    query_embedding: list[float]
    hits: list[ChunkHit]
    best_score: float


class Retriever:
    def __init__(
        self,
        *,
        documents: DocumentStore,
        search: HybridSearch,
        embedder: Embedder,
        settings: RetrievalSettings,
    ) -> None:
        self.documents = documents
        self.hybrid = search
        self.embedder = embedder
        self.settings = settings
        self._names: dict[str, tuple[str, NameIndex]] = {}

    def names(self, collection: str) -> NameIndex:
        """The collection's document names, re-read whenever any of its documents changed.

        The stamp comes from the shared store, so a document another replica added,
        replaced or deleted is seen by the next question here.
        """
        stamp = self.documents.stamp(check_collection(collection))
        cached = self._names.get(collection)
        if cached is None or cached[0] != stamp:
            docs = self.documents.records(collection)
            names = NameIndex(Named(d.document_id, d.source, d.title) for d in docs)
            self._names[collection] = cached = (stamp, names)
        return cached[1]

    def named_first(
        self,
        hits: list[ChunkHit],
        *,
        query: str,
        embedding: list[float],
        collection: str,
        top_k: int,
        filters: SearchFilters | None,
        options: SearchOptions,
    ) -> list[ChunkHit]:
        """The best chunks of the documents the question names, ahead of the rest."""
        if filters is not None and filters.document_ids:
            return hits
        named = self.names(collection).named(query)
        if not named:
            return hits
        narrowed = replace(filters or SearchFilters(), document_ids=named)
        first = self.hybrid(
            collection,
            query=query,
            embedding=embedding,
            top_k=min(2, top_k),
            filters=narrowed,
            options=options,
        )
        seen = {h.chunk_id for h in first}
        return (first + [h for h in hits if h.chunk_id not in seen])[:top_k]

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
        k = top_k or self.settings.top_k
        options = self.settings.options(mode)
        hits = self.hybrid(
            collection, query=query, embedding=embedding, top_k=k, filters=filters, options=options
        )
        if self.settings.named_documents:
            hits = self.named_first(
                hits,
                query=query,
                embedding=embedding,
                collection=collection,
                top_k=k,
                filters=filters,
                options=options,
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
