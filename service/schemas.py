"""Shapes that leave the service: the chat response object of DESIGN.md and its requests."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from ingest.storage.filters import SearchFilters, parse_date


class Citation(BaseModel):
    index: int
    chunk_id: str
    document_id: str
    source: str
    title: str
    quote: str
    start: int
    end: int
    score: float
    supported: bool = True
    page: int | None = Field(None, description="page of the quote, for paged formats (PDF)")
    section: str | None = Field(None, description="heading path of the quote (Markdown, DOCX)")
    ocr: bool = Field(False, description="the quote was read from a page image by OCR")


class ChatResponse(BaseModel):
    answer: str
    refused: bool
    citations: list[Citation]
    model: str
    conversation_id: str
    timings_ms: dict[str, float]
    standalone_question: str | None = Field(
        None, description="the follow-up rewritten for retrieval, when it was rewritten"
    )
    unsupported_sentences: int = Field(0, description="answer sentences no source supports")
    conflict: bool = Field(
        False,
        description="cited documents give different values for the asked-for fact "
        "(a name, date or number); the answer says so and cites each",
    )
    turn: int | None = Field(
        None,
        description="the answer's turn number in its conversation: where its feedback goes "
        "(POST /v1/conversations/{conversation_id}/turns/{turn}/feedback)",
    )


class Message(BaseModel):
    model_config = ConfigDict(extra="ignore")

    role: Literal["system", "user", "assistant"]
    content: str = Field(min_length=1)


def _listed(value: str | list[str] | None) -> list[str]:
    if value is None:
        return []
    return [value] if isinstance(value, str) else list(value)


class Filters(BaseModel):
    """Narrow retrieval to some documents; a list means any of its values."""

    model_config = ConfigDict(extra="forbid")

    source: str | list[str] | None = Field(None, description="file name(s) as listed")
    document_id: str | list[str] | None = None
    tags: str | list[str] | None = Field(None, description="documents carrying any of these")
    date_from: str | None = Field(None, description="ISO date; the document date is at or after")
    date_to: str | None = Field(None, description="ISO date; a bare date includes that whole day")

    def to_search(self) -> SearchFilters:
        return SearchFilters(
            sources=_listed(self.source),
            document_ids=_listed(self.document_id),
            tags=_listed(self.tags),
            date_from=parse_date(self.date_from),
            date_to=parse_date(self.date_to, end_of_day=True),
        )


class ChatRequest(BaseModel):
    model_config = ConfigDict(extra="ignore")

    messages: list[Message] = Field(min_length=1)
    collection: str | None = Field(None, description="default: RAGCHAT_COLLECTION")
    stream: bool = False
    conversation_id: str | None = Field(None, max_length=128)
    top_k: int | None = Field(None, ge=1, le=50)
    filters: Filters | None = None


class SearchRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    query: str = Field(min_length=1, max_length=4000)
    collection: str | None = Field(None, description="default: RAGCHAT_COLLECTION")
    top_k: int = Field(5, ge=1, le=100)
    filters: Filters | None = None
    mode: Literal["hybrid", "dense", "keyword"] | None = Field(
        None, description="default: RAGCHAT_RETRIEVAL__MODE"
    )


class SearchResult(BaseModel):
    rank: int
    chunk_id: str
    document_id: str
    source: str
    title: str
    text: str
    score: float = Field(description="cosine similarity of chunk and query")
    keyword_score: float = Field(description="bm25 score; 0 when only the dense side found it")
    fused_score: float = Field(description="reciprocal rank fusion score that orders results")
    start: int
    end: int
    metadata: dict[str, Any] = Field(description="loader metadata such as page or section")
    context: str = Field(description="the chunk with its neighbours, for reading")
    context_start: int
    context_end: int


class SearchResponse(BaseModel):
    collection: str
    query: str
    mode: str
    results: list[SearchResult]
    timings_ms: dict[str, float]


class ErrorBody(BaseModel):
    type: str
    message: str


class ErrorResponse(BaseModel):
    error: ErrorBody


class HealthResponse(BaseModel):
    status: str


class ReadyResponse(HealthResponse):
    inconsistent_documents: int = Field(
        description="documents whose chunks, vectors, keyword rows or stored file disagree "
        "(`ragchat doctor` lists and repairs them)",
    )


class DocumentInfo(BaseModel):
    document_id: str
    source: str
    title: str
    path: str | None
    chunks: int
    size_bytes: int
    content_hash: str | None
    updated_at: float
    tags: list[str] = Field(default_factory=list)
    date: float | None = Field(None, description="document date (unix time) for date filters")


class DocumentList(BaseModel):
    collection: str
    documents: list[DocumentInfo]


class DocumentDetail(DocumentInfo):
    collection: str
    text: str = Field(description="the extracted text that citation offsets point into")


class UploadResponse(BaseModel):
    collection: str
    document_id: str
    source: str
    status: Literal["added", "updated", "unchanged"]
    chunks: int


class JobFileError(BaseModel):
    type: str
    message: str
    document_id: str | None = None


class JobFileResult(BaseModel):
    filename: str
    status: Literal["added", "updated", "unchanged", "failed"]
    document_id: str | None = None
    source: str | None = None
    chunks: int | None = None
    error: JobFileError | None = None


class JobProgress(BaseModel):
    done: int = Field(description="files finished, indexed or failed")
    total: int
    failed: int


class JobResponse(BaseModel):
    """An ingestion job: poll `GET /v1/jobs/{id}` until `state` is succeeded or failed."""

    id: str
    kind: str
    collection: str
    state: Literal["queued", "running", "succeeded", "failed"]
    progress: JobProgress
    results: list[JobFileResult]
    error: str | None = Field(None, description="why the whole job failed")
    attempts: int
    created_at: float
    updated_at: float


class JobList(BaseModel):
    jobs: list[JobResponse]


class ConversationSummary(BaseModel):
    conversation_id: str
    title: str = Field(description="the first question, until renamed")
    collection: str
    created_at: float
    updated_at: float = Field(description="the last answer's time; lists are newest first")
    turn_count: int = Field(description="questions and answers stored")


class ConversationList(BaseModel):
    conversations: list[ConversationSummary]
    next_cursor: str | None = Field(
        None, description="pass as ?cursor= for the next page; null on the last page"
    )


class ConversationTurn(BaseModel):
    n: int = Field(description="the turn's number in its conversation, from 0")
    role: Literal["user", "assistant"]
    content: str
    created_at: float
    response: ChatResponse | None = Field(
        None, description="an answer's response object (citations and all), as it was answered"
    )


class ConversationDetail(ConversationSummary):
    turns: list[ConversationTurn]


class ConversationRename(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: str = Field(min_length=1, max_length=200)


class FeedbackRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    rating: Literal["up", "down"]
    comment: str = Field("", max_length=2000)
    expected_answer: str | None = Field(
        None, min_length=1, max_length=2000, description="what the answer should have said"
    )
    unanswerable: bool = Field(
        False, description="the documents do not hold the answer: ragchat should have refused"
    )
    wrong_citations: list[int] = Field(
        default_factory=list, max_length=50, description="the [n] of citations that are wrong"
    )


class FeedbackCitation(BaseModel):
    index: int
    quote: str
    start: int
    end: int
    document_id: str
    version: str
    source: str
    supported: bool
    page: int | None = None
    section: str | None = None


class FeedbackResponse(BaseModel):
    conversation_id: str
    turn: int
    rating: Literal["up", "down"]
    comment: str
    expected_answer: str | None
    unanswerable: bool
    wrong_citations: list[int]
    question: str
    answer: str
    citations: list[FeedbackCitation]
    model: str
    collection: str
    created_at: float
