"""All configuration, read from the environment and `.env` (prefix RAGCHAT_).

Flat names (RAGCHAT_DATA_DIR, RAGCHAT_CHROMA_URL, RAGCHAT_LLM) are the ones DESIGN.md fixes;
tuning knobs live in nested sections addressed as RAGCHAT_<SECTION>__<FIELD>.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, BaseModel, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from ingest.loaders.base import ParseLimits
from service.retrieval.hits import SearchOptions


class IngestSettings(BaseModel):
    chunk_tokens: int = Field(128, ge=16, le=2000, description="chunk size in cl100k tokens")
    chunk_overlap: int = Field(24, ge=0, le=500, description="tokens shared by neighbouring chunks")
    embed_batch_size: int = Field(32, ge=1, le=1024)
    max_file_bytes: int = Field(20_000_000, ge=1, description="larger files are rejected")
    title_context: bool = Field(
        False, description="embed and keyword-index each chunk together with its document title"
    )


_PARSE = ParseLimits()


class ParseSettings(BaseModel):
    """Bounds on parsing one file; over any of them the file is refused with a 413."""

    max_text_chars: int = Field(_PARSE.max_text_chars, ge=1, description="extracted text")
    max_unzipped_bytes: int = Field(
        _PARSE.max_unzipped_bytes, ge=1, description="a zip container's (DOCX) unpacked bytes"
    )
    max_zip_entries: int = Field(_PARSE.max_zip_entries, ge=1, description="files in a zip")
    max_pdf_pages: int = Field(_PARSE.max_pdf_pages, ge=1)
    max_html_nodes: int = Field(_PARSE.max_html_nodes, ge=1, description="HTML elements")
    timeout_s: float = Field(_PARSE.timeout_s, gt=0, description="wall clock per parse")
    memory_mb: int = Field(
        _PARSE.memory_mb, ge=16, description="memory a parse worker may add to its own"
    )
    workers: int = Field(_PARSE.workers, ge=1, le=64, description="parses at once; more wait")
    ocr: bool = Field(
        _PARSE.ocr, description="OCR PDF pages without a text layer (needs the `ocr` extra)"
    )
    ocr_language: str = Field(
        _PARSE.ocr_language,
        pattern=r"^[A-Za-z_]+(\+[A-Za-z_]+)*$",
        description="Tesseract languages, such as eng or eng+deu (each needs its data package)",
    )

    def limits(self) -> ParseLimits:
        return ParseLimits(**self.model_dump())


class EmbeddingSettings(BaseModel):
    model: str = Field(
        "", description="sentence-transformers model path; empty = bundled all-MiniLM-L6-v2"
    )
    backend: Literal["onnx-int8", "onnx", "torch"] = Field(
        "onnx-int8",
        description="onnx-int8: onnxruntime on int8 weights, exported once (about 2.5x "
        "torch's speed); onnx: the same in float32; torch: sentence-transformers",
    )
    cache_dir: Path | None = Field(
        None, description="where the ONNX export is kept; empty = ~/.cache/ragchat/onnx"
    )
    threads: int = Field(0, ge=0, le=256, description="onnxruntime threads; 0 = one per core")
    device: str = Field("cpu", description="torch backend only")


class RetrievalSettings(BaseModel):
    top_k: int = Field(5, ge=1, le=100)
    min_score: float = Field(0.2, description="cosine floor below which a chunk is no evidence")
    mode: Literal["hybrid", "dense", "keyword"] = Field(
        "hybrid", description="hybrid fuses dense (Chroma) and keyword (FTS5 bm25) results"
    )
    fusion: Literal["convex", "rrf"] = Field(
        "convex",
        description="convex: weighted sum of max-scaled scores; rrf: reciprocal rank fusion",
    )
    candidates: int = Field(40, ge=1, le=1000, description="results each side contributes")
    rrf_k: float = Field(60.0, gt=0, description="reciprocal rank fusion constant")
    dense_weight: float = Field(0.45, ge=0, description="weight of the dense side in fusion")
    keyword_weight: float = Field(0.55, ge=0, description="weight of the keyword side")
    mmr_lambda: float = Field(
        1.0, ge=0, le=1, description="1 keeps fused order; lower trades relevance for diversity"
    )
    duplicate_similarity: float = Field(
        0.95, gt=0, le=1.01, description="drop a hit this similar to one already chosen"
    )
    max_per_document: int = Field(
        1, ge=0, le=100, description="chunks of one document in top-k while others wait; 0 = any"
    )
    document_boost: float = Field(
        0.1,
        ge=0,
        lt=1,
        description="share of the two best other chunks of a hit's document added to its score",
    )
    neighbours: int = Field(1, ge=0, le=5, description="chunks either side added as context")
    named_documents: bool = Field(
        True, description="a document the question names (file, identifier, title) comes first"
    )

    def options(self, mode: str | None = None) -> SearchOptions:
        return SearchOptions(
            mode=mode or self.mode,  # type: ignore[arg-type]
            fusion=self.fusion,
            candidates=self.candidates,
            rrf_k=self.rrf_k,
            dense_weight=self.dense_weight,
            keyword_weight=self.keyword_weight,
            mmr_lambda=self.mmr_lambda,
            duplicate_similarity=self.duplicate_similarity,
            neighbours=self.neighbours,
            max_per_document=self.max_per_document,
            document_boost=self.document_boost,
        )


class AnswerSettings(BaseModel):
    gate: bool = Field(
        True, description="refuse when the evidence does not hold the asked-for fact"
    )
    gate_threshold: float | None = Field(
        None, ge=0, le=1, description="answer only above this probability; empty = the model's own"
    )
    max_sentences: int = Field(3, ge=1, le=10)

    min_sentence_score: float = Field(0.3, description="best sentence must reach this to answer")
    relative_cutoff: float = Field(
        0.95, description="further sentences must score at least this share of the best one"
    )
    adjacent_cutoff: float = Field(
        0.85, description="the same share for a sentence next to one already chosen"
    )
    context_weight: float = Field(0.3, ge=0, le=1, description="weight of neighbour context")
    lexical_weight: float = Field(0.35, ge=0, le=1, description="weight of word overlap")
    type_weight: float = Field(
        0.15, ge=0, le=1, description="bonus when a sentence holds the asked-for kind (who/when)"
    )

    @field_validator("gate_threshold", mode="before")
    @classmethod
    def _empty_is_default(cls, value: object) -> object:
        """`RAGCHAT_ANSWER__GATE_THRESHOLD=` (as .env.example has it) means the model's own."""
        return None if isinstance(value, str) and not value.strip() else value


class GenerationSettings(BaseModel):
    context_tokens: int = Field(4096, ge=512, description="model context window, in tokens")
    max_answer_tokens: int = Field(400, ge=16, le=8192)
    token_limit_field: Literal["auto", "max_tokens", "max_completion_tokens"] = Field(
        "auto",
        description="the request field that caps an answer: auto = max_tokens for a server "
        "named by OPENAI_BASE_URL, max_completion_tokens for OpenAI",
    )
    max_judge_tokens: int = Field(
        1024, ge=64, le=8192, description="per call of the ragas judge in `ragchat eval`"
    )
    temperature: float = Field(0.0, ge=0, le=2)
    timeout_s: float = Field(60.0, gt=0, description="per model call")
    max_retries: int = Field(2, ge=0, le=10)
    llamacpp_threads: int = Field(0, ge=0, description="0 = all cores")


class VerifySettings(BaseModel):
    judge: str = Field("embedding", description="embedding | llm")
    min_similarity: float = Field(0.45, description="sentence-to-source cosine for support")
    min_overlap: float = Field(0.5, description="share of the sentence's words in the source")
    min_combined: float = Field(0.6, description="or: mean of the two at least this")
    max_missing_names: float = Field(
        0.2, description="most of the sentence's names and numbers the source may lack"
    )


class ServerSettings(BaseModel):
    host: str = "127.0.0.1"
    port: int = Field(8000, ge=1, le=65535)
    max_body_bytes: int = Field(1_000_000, ge=1024)
    max_message_chars: int = Field(8000, ge=1)
    max_messages: int = Field(100, ge=1)
    shutdown_grace_seconds: float = Field(
        20.0,
        ge=0,
        le=600,
        description="on SIGTERM, how long running answer streams may go on before they end "
        "with a shutting_down error event",
    )
    consistency_check_seconds: float = Field(
        30.0,
        ge=0,
        description="how long /readyz reuses its count of inconsistent documents; 0 = always count",
    )
    allowed_origins: list[str] = Field(
        default_factory=list,
        description="other sites whose pages may send POST/PUT/PATCH/DELETE (cross-site)",
    )


class JobSettings(BaseModel):
    """Ingestion jobs (`?wait=false` uploads and `POST /v1/ingest`)."""

    run_in_server: Literal["auto", "true", "false"] = Field(
        "auto",
        description="run jobs in the `ragchat serve` process: auto = on SQLite only (on "
        "PostgreSQL, `ragchat worker` processes run them)",
    )
    visibility_seconds: float = Field(
        30.0,
        gt=0,
        description="a job whose worker stops heartbeating for this long is taken by another",
    )
    max_attempts: int = Field(3, ge=1, description="claims before a job that never ends fails")
    max_files: int = Field(100, ge=1, description="files in one POST /v1/ingest")
    poll_seconds: float = Field(0.5, gt=0, description="how often an idle worker looks for jobs")


class RateLimitSettings(BaseModel):
    """Requests to /v1, in `limits` notation (600/minute, 10/second;600/hour); 0 = no limit."""

    per_ip: str = Field("600/minute", description="requests per client address")
    per_key: str = Field("600/minute", description="requests per API key, when keys are set")
    failed_auth: str = Field(
        "30/minute", description="wrong API keys per client address; then 429 for all of /v1"
    )


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="RAGCHAT_",
        env_nested_delimiter="__",
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
    )

    data_dir: Path = Path("./data")
    chroma_url: str = Field("", description="Chroma server URL; empty = embedded PersistentClient")
    chroma_tenant: str = Field(
        "", description="tenant on the Chroma server; empty = default_tenant"
    )
    chroma_database: str = Field(
        "", description="database on the Chroma server; empty = default_database"
    )
    chroma_headers: dict[str, SecretStr] = Field(
        default_factory=dict, description="extra HTTP headers for the Chroma server, e.g. auth"
    )
    database_url: SecretStr | None = Field(
        None,
        description="postgresql://user:password@host:port/db moves documents, keyword index, "
        "conversations, uploads and jobs to PostgreSQL; empty = SQLite in the data dir",
    )
    database_pool_size: int = Field(
        10, ge=1, le=200, description="connections each process keeps open to PostgreSQL"
    )
    collection: str = "default"
    llm: str = Field("auto", description="answerer: auto | extractive | openai | llamacpp")
    openai_api_key: SecretStr | None = Field(
        None, validation_alias=AliasChoices("OPENAI_API_KEY", "RAGCHAT_OPENAI_API_KEY")
    )
    openai_base_url: str = Field(
        "", validation_alias=AliasChoices("OPENAI_BASE_URL", "RAGCHAT_OPENAI_BASE_URL")
    )
    openai_model: str = "gpt-4o-mini"
    llamacpp_model: str = Field("", description="path of a GGUF file for the llamacpp answerer")
    log_level: str = "INFO"
    api_keys: SecretStr | None = Field(
        None,
        description="comma-separated KEY[:ROLE][@COLLECTIONS]; when set, every /v1 route "
        "needs a Bearer key",
    )
    api_keys_file: str = Field(
        "", description="a TOML file of [[keys]] tables, used beside api_keys; empty = none"
    )

    ingest: IngestSettings = IngestSettings()
    parse: ParseSettings = ParseSettings()
    embeddings: EmbeddingSettings = EmbeddingSettings()
    retrieval: RetrievalSettings = RetrievalSettings()
    answer: AnswerSettings = AnswerSettings()
    generation: GenerationSettings = GenerationSettings()
    verify: VerifySettings = VerifySettings()
    server: ServerSettings = ServerSettings()
    rate_limit: RateLimitSettings = RateLimitSettings()
    jobs: JobSettings = JobSettings()

    def database(self) -> str:
        return self.database_url.get_secret_value() if self.database_url else ""


@lru_cache
def get_settings() -> Settings:
    return Settings()
