"""Prometheus metrics. Each app owns its registry, so apps built side by side never collide."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.exposition import choose_encoder

from service.llm.base import LLMBadResponseError, LLMUnavailableError
from service.schemas import ChatResponse

BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0)
OUTCOMES = ("answered", "refused", "error", "cancelled")
LLM_ERRORS = (LLMUnavailableError.type, LLMBadResponseError.type)
UPLOAD_STATUSES = ("added", "updated", "unchanged")
# timings_ms keys of a chat response, plus `search` for POST /v1/search; nothing else
# becomes a label value.
STAGES = ("retrieve", "generate", "first_token", "total", "search")
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


class Metrics:
    def __init__(self) -> None:
        self.registry = r = CollectorRegistry()
        self.requests = Counter(
            "ragchat_http_requests",
            "HTTP requests by method, route template and status code",
            ["method", "route", "status"],
            registry=r,
        )
        self.latency = Histogram(
            "ragchat_http_request_duration_seconds",
            "HTTP request duration until the last byte of the response (streams included)",
            ["method", "route", "status"],
            buckets=BUCKETS,
            registry=r,
        )
        self.answers = Counter(
            "ragchat_chat_answers",
            "chat turns by outcome: answered, refused, error (server-side), cancelled",
            ["outcome"],
            registry=r,
        )
        self.llm_errors = Counter(
            "ragchat_llm_errors",
            "model-server failures that ended a chat turn, by error type",
            ["type"],
            registry=r,
        )
        self.stages = Histogram(
            "ragchat_stage_duration_seconds",
            "chat stages from timings_ms (retrieve, generate, first_token, total) and search",
            ["stage"],
            buckets=BUCKETS,
            registry=r,
        )
        self.documents = Counter(
            "ragchat_documents_ingested",
            "documents uploaded through POST /v1/documents, by status",
            ["status"],
            registry=r,
        )
        self.chunks = Counter(
            "ragchat_chunks_ingested",
            "chunks written by added or updated uploads through POST /v1/documents",
            registry=r,
        )
        self.deleted = Counter(
            "ragchat_documents_deleted",
            "documents deleted through DELETE /v1/documents/{document_id}",
            registry=r,
        )
        self.jobs = Counter(
            "ragchat_jobs_queued",
            "ingestion jobs queued through POST /v1/ingest or POST /v1/documents?wait=false",
            registry=r,
        )
        # Known label values start at 0, so rates and alerts see them before the first event.
        for outcome in OUTCOMES:
            self.answers.labels(outcome)
        for kind in LLM_ERRORS:
            self.llm_errors.labels(kind)
        for status in UPLOAD_STATUSES:
            self.documents.labels(status)

    def request(self, *, method: str, route: str, status: int, seconds: float) -> None:
        method = method if method in METHODS else "other"
        self.requests.labels(method, route, str(status)).inc()
        self.latency.labels(method, route, str(status)).observe(seconds)

    def stage(self, name: str, seconds: float) -> None:
        if name in STAGES:
            self.stages.labels(name).observe(seconds)

    def chat_answered(self, response: ChatResponse) -> None:
        self.answers.labels("refused" if response.refused else "answered").inc()
        for name, ms in response.timings_ms.items():
            self.stage(name, ms / 1000)

    def chat_failed(self, exc: BaseException, *, status: int) -> None:
        """Only server-side failures count: a bad request never became a chat turn."""
        if status < 500:
            return
        self.answers.labels("error").inc()
        if isinstance(exc, LLMUnavailableError | LLMBadResponseError):
            self.llm_errors.labels(exc.type).inc()

    def chat_cancelled(self) -> None:
        self.answers.labels("cancelled").inc()

    def uploaded(self, *, status: str, chunks: int) -> None:
        self.documents.labels(status).inc()
        if status != "unchanged":
            self.chunks.inc(chunks)

    def document_deleted(self) -> None:
        self.deleted.inc()

    def job_queued(self) -> None:
        self.jobs.inc()

    def render(self, accept: str | None) -> tuple[bytes, str]:
        """The text format, or OpenMetrics when the scraper asks for it."""
        encoder, content_type = choose_encoder(accept or "")
        return encoder(self.registry), content_type
