"""Shapes that leave the service: the chat response object of DESIGN.md and its requests."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


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


class Message(BaseModel):
    model_config = ConfigDict(extra="ignore")

    role: Literal["system", "user", "assistant"]
    content: str = Field(min_length=1)


class ChatRequest(BaseModel):
    model_config = ConfigDict(extra="ignore")

    messages: list[Message] = Field(min_length=1)
    collection: str | None = Field(None, description="default: RAGCHAT_COLLECTION")
    stream: bool = False
    conversation_id: str | None = Field(None, max_length=128)
    top_k: int | None = Field(None, ge=1, le=50)


class ErrorBody(BaseModel):
    type: str
    message: str


class ErrorResponse(BaseModel):
    error: ErrorBody


class HealthResponse(BaseModel):
    status: str


class DocumentInfo(BaseModel):
    document_id: str
    source: str
    title: str
    path: str | None
    chunks: int
    size_bytes: int
    content_hash: str | None
    updated_at: float


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
