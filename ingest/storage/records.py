"""The values that cross the storage boundary: what every backend reads and writes."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ingest.cleaning import Span
from ingest.loaders import Region


@dataclass(frozen=True)
class DocumentRecord:
    collection: str
    document_id: str
    source: str
    path: str | None
    title: str
    content_hash: str | None
    version: str | None
    chunk_count: int
    size_bytes: int
    updated_at: float
    tags_json: str = "[]"
    doc_date: float | None = None

    @property
    def tags(self) -> list[str]:
        return list(json.loads(self.tags_json))


@dataclass(frozen=True)
class DocumentText:
    text: str
    sentences: list[Span]
    regions: list[Region] = field(default_factory=list)
    # One unit vector per sentence, embedded at ingest (None for documents ingested before).
    vectors: np.ndarray | None = None


@dataclass(frozen=True)
class StoredChunk:
    chunk_id: str
    document_id: str
    chunk_index: int
    start: int
    end: int
    text: str
    metadata: dict[str, Any] = field(default_factory=dict)
    title: str = field(default="", compare=False)


@dataclass(frozen=True)
class NewVersion:
    """Everything `commit_version` makes live in one transaction."""

    source: str
    path: str | None
    title: str
    content_hash: str
    version: str
    text: str
    sentences: list[Span]
    chunks: list[StoredChunk]
    size_bytes: int
    tags: list[str]
    doc_date: float | None
    regions: list[Region]
    sentence_vectors: bytes | None = None

    def sentences_json(self) -> str:
        return json.dumps([[s.start, s.end] for s in self.sentences])

    def regions_json(self) -> str:
        return json.dumps([[r.start, r.end, r.metadata] for r in self.regions])

    def tags_json(self) -> str:
        return json.dumps(sorted(set(self.tags)))


@dataclass(frozen=True)
class VectorHit:
    chunk_id: str
    score: float
    embedding: Sequence[float]


@dataclass(frozen=True)
class Turn:
    role: str
    content: str
    response: str | None = None
    """An answer's whole response object (citations and all) as JSON, as it was answered."""


@dataclass(frozen=True)
class StoredTurn:
    seq: int
    role: str
    content: str
    created_at: float
    response: str | None
    collection: str = ""
    """The collection the turn was asked or answered in (a conversation may change it)."""


@dataclass(frozen=True)
class Feedback:
    """A rating of one answer, with a copy of what was rated: it outlives its conversation."""

    conversation_id: str
    turn: int
    owner: str
    collection: str
    rating: str
    """"up" or "down"."""
    comment: str
    expected_answer: str | None
    unanswerable: bool
    """The user says the documents do not hold the answer."""
    wrong_citations: list[int]
    question: str
    answer: str
    citations: list[dict[str, Any]]
    """Each cited quote with its offsets, document id, version and source."""
    settings: dict[str, Any]
    model: str
    created_at: float = 0.0
    conversation_started: float = 0.0
    """When the rated conversation began: an id used again later is another conversation."""


@dataclass(frozen=True)
class ConversationInfo:
    conversation_id: str
    owner: str
    """Who may see it: a digest of the API key that started it, '' on a server without keys."""
    collection: str
    title: str
    created_at: float
    updated_at: float
    turns: int


def pack_vectors(vectors: list[list[float]]) -> bytes:
    return np.asarray(vectors, dtype=np.float16).tobytes()


def unpack_vectors(blob: bytes | None, count: int) -> np.ndarray | None:
    if not blob or not count:
        return None
    flat = np.frombuffer(blob, dtype=np.float16).astype(np.float32)
    if flat.size % count:
        return None
    return flat.reshape(count, flat.size // count)


def document_text(
    text: str, sentences_json: str, regions_json: str, vectors: bytes | None
) -> DocumentText:
    """A DocumentText from the columns both backends store."""
    spans = [Span(s, e) for s, e in json.loads(sentences_json)]
    return DocumentText(
        text=text,
        sentences=spans,
        regions=[Region(s, e, meta) for s, e, meta in json.loads(regions_json)],
        vectors=unpack_vectors(vectors, len(spans)),
    )


JOB_STATES = ("queued", "running", "succeeded", "failed")


@dataclass(frozen=True)
class JobFile:
    """One file of an ingestion job: its bytes travel with the job until it ends."""

    seq: int
    filename: str
    data: bytes
    options: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Job:
    id: str
    kind: str
    collection: str
    state: str
    total: int
    results: list[dict[str, Any]]
    error: str | None
    attempts: int
    max_attempts: int
    owner: str | None
    created_at: float
    updated_at: float

    @property
    def done(self) -> int:
        return len(self.results)

    @property
    def finished(self) -> bool:
        return self.state in ("succeeded", "failed")
