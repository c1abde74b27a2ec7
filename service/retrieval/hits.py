"""What a search returns, and the options that shape it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

SearchMode = Literal["hybrid", "dense", "keyword"]
Fusion = Literal["convex", "rrf"]


@dataclass(frozen=True)
class SearchOptions:
    mode: SearchMode = "hybrid"
    fusion: Fusion = "convex"
    candidates: int = 40
    rrf_k: float = 60.0
    dense_weight: float = 0.45
    keyword_weight: float = 0.55
    mmr_lambda: float = 1.0
    duplicate_similarity: float = 0.95
    neighbours: int = 1
    max_per_document: int = 1
    document_boost: float = 0.1


@dataclass(frozen=True)
class ChunkHit:
    chunk_id: str
    document_id: str
    source: str
    title: str
    text: str
    start: int
    end: int
    score: float
    chunk_index: int = 0
    keyword_score: float = 0.0
    fused_score: float = 0.0
    metadata: dict[str, Any] = field(default_factory=dict)
    context: str = ""
    context_start: int = 0
    context_end: int = 0
