"""Hybrid search: dense (vector store) and keyword (document store) candidates, fused.

Each side finds candidates on its own; a convex sum of max-scaled scores (or reciprocal
rank fusion) orders their union, and each chunk gains a share of its document's other
matching chunks. A diversity pass then keeps top-k from being copies of one paragraph or
one document, and each hit is widened with its neighbouring chunks for context.
"""

from __future__ import annotations

from collections.abc import Sequence

from ingest.index import check_collection
from ingest.storage import DocumentStore, SearchFilters, StoredChunk, VectorStore
from service.retrieval.fusion import boost_by_group, convex, cosines, rrf, select_diverse
from service.retrieval.hits import ChunkHit, SearchOptions


def _merge(parts: list[str]) -> str:
    """Join consecutive chunks, dropping the text each one shares with the previous."""
    out = parts[0] if parts else ""
    for nxt in parts[1:]:
        overlap = next(
            (k for k in range(min(len(out), len(nxt)), 0, -1) if out.endswith(nxt[:k])), 0
        )
        out += nxt[overlap:] if overlap else "\n\n" + nxt
    return out


class HybridSearch:
    """The read side's view of the index: the document store and the vectors, never SQL."""

    def __init__(self, *, documents: DocumentStore, vectors: VectorStore) -> None:
        self.documents = documents
        self.vectors = vectors

    def __call__(
        self,
        collection: str,
        *,
        query: str = "",
        embedding: list[float],
        top_k: int,
        filters: SearchFilters | None = None,
        options: SearchOptions | None = None,
    ) -> list[ChunkHit]:
        return search(
            self.documents,
            self.vectors,
            check_collection(collection),
            query=query,
            embedding=embedding,
            top_k=top_k,
            filters=filters,
            options=options,
        )


def search(
    docs: DocumentStore,
    vectors: VectorStore,
    collection: str,
    *,
    query: str,
    embedding: list[float],
    top_k: int,
    filters: SearchFilters | None = None,
    options: SearchOptions | None = None,
) -> list[ChunkHit]:
    opts = options or SearchOptions()
    allowed = None
    if filters is not None and not filters.is_empty():
        allowed = docs.matching_documents(collection, filters)
    n = max(opts.candidates, top_k)
    chunks: dict[str, StoredChunk] = {}
    vecs: dict[str, Sequence[float]] = {}
    dense_score: dict[str, float] = {}
    dense_ids: list[str] = []
    if opts.mode != "keyword":
        raw = vectors.query(collection, embedding=embedding, top_k=n, document_ids=allowed)
        # Vectors of an unfinished or replaced version are not in the live chunks.
        chunks = docs.live_chunks(collection, [h.chunk_id for h in raw])
        for h in raw:
            if h.chunk_id in chunks:
                vecs[h.chunk_id] = h.embedding
                dense_score[h.chunk_id] = h.score
                dense_ids.append(h.chunk_id)
    keyword_ids: list[str] = []
    keyword_score: dict[str, float] = {}
    if opts.mode != "dense" and query.strip():
        for chunk, score in docs.keyword_search(collection, query, limit=n, document_ids=allowed):
            chunks.setdefault(chunk.chunk_id, chunk)
            keyword_score[chunk.chunk_id] = score
            keyword_ids.append(chunk.chunk_id)
    missing = [cid for cid in keyword_ids if cid not in vecs]
    vecs.update(vectors.embeddings(collection, missing))
    dense_score.update(cosines(embedding, {cid: vecs[cid] for cid in missing if cid in vecs}))
    for cid in missing:
        dense_score.setdefault(cid, 0.0)
    weights = [opts.dense_weight, opts.keyword_weight]
    if opts.fusion == "rrf":
        fused = rrf([dense_ids, keyword_ids], weights=weights, k=opts.rrf_k)
    else:
        dense_side = {cid: dense_score[cid] for cid in dense_ids}
        fused = convex([dense_side, keyword_score], weights=weights)
    group_of = {cid: chunk.document_id for cid, chunk in chunks.items()}
    fused = boost_by_group(fused, group_of, weight=opts.document_boost)
    order = sorted(fused, key=lambda cid: -fused[cid])
    chosen = select_diverse(
        order,
        fused,
        vecs,
        top_k=top_k,
        mmr_lambda=opts.mmr_lambda,
        duplicate_similarity=opts.duplicate_similarity,
        group_of=group_of,
        per_group=opts.max_per_document,
    )
    return [
        _hit(
            docs,
            collection,
            chunks[cid],
            dense_score[cid],
            keyword_score.get(cid, 0.0),
            fused[cid],
            opts.neighbours,
        )
        for cid in chosen
    ]


def _hit(
    docs: DocumentStore,
    collection: str,
    chunk: StoredChunk,
    score: float,
    keyword: float,
    fused: float,
    width: int,
) -> ChunkHit:
    around = (
        docs.neighbours(collection, chunk.document_id, chunk.chunk_index, width=width)
        if width
        else []
    )
    around = around or [chunk]
    meta = {k: v for k, v in chunk.metadata.items() if k not in _INTERNAL}
    return ChunkHit(
        chunk_id=chunk.chunk_id,
        document_id=chunk.document_id,
        source=str(chunk.metadata.get("source", "")),
        title=str(chunk.metadata.get("title", "")),
        text=chunk.text,
        start=chunk.start,
        end=chunk.end,
        score=score,
        chunk_index=chunk.chunk_index,
        keyword_score=keyword,
        fused_score=fused,
        metadata=meta,
        context=_merge([c.text for c in around]),
        context_start=min(c.start for c in around),
        context_end=max(c.end for c in around),
    )


_INTERNAL = frozenset(
    {"document_id", "version", "source", "title", "chunk_index", "start", "end", "tokens"}
)
