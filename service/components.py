"""Build every long-lived part once from settings; the CLI and the app share this."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from ingest.doctor import ConsistencyCheck
from ingest.embeddings import Embedder, OnnxEmbedder, SentenceTransformerEmbedder
from ingest.index import Index
from ingest.jobs import JobRunner, enqueue_uploads
from ingest.loaders.bounded import BoundedParser
from ingest.pipeline import Ingestor
from ingest.storage import ConversationStore, Job, JobQueue, Storage, VectorStore, open_storage
from ingest.storage.chroma import ChromaVectorStore
from ingest.uploads import remove_orphaned_blobs
from service.answering.base import Answerer, build_answerer
from service.chat import ChatService
from service.condense import Condenser
from service.errors import described
from service.llm.base import ChatModel
from service.retrieval.hybrid import HybridSearch
from service.retrieval.retriever import Retriever
from service.settings import Settings

logger = logging.getLogger(__name__)


def default_embedder(settings: Settings) -> Embedder:
    e = settings.embeddings
    if e.backend == "torch":
        return SentenceTransformerEmbedder(model=e.model, device=e.device)
    return OnnxEmbedder(
        e.model, quantized=e.backend == "onnx-int8", cache_dir=e.cache_dir, threads=e.threads
    )


@dataclass(frozen=True)
class Overrides:
    """Parts a caller supplies instead of the ones settings would build (tests, evals)."""

    embedder: Embedder | None = None
    answerer: Answerer | None = None
    vectors: VectorStore | None = None


@dataclass
class Components:
    settings: Settings
    overrides: Overrides = field(default_factory=Overrides)

    @cached_property
    def vectors(self) -> VectorStore:
        if self.overrides.vectors is not None:
            return self.overrides.vectors
        s = self.settings
        return ChromaVectorStore(
            data_dir=s.data_dir,
            chroma_url=s.chroma_url,
            tenant=s.chroma_tenant,
            database=s.chroma_database,
            headers={k: v.get_secret_value() for k, v in s.chroma_headers.items()},
        )

    @cached_property
    def storage(self) -> Storage:
        s = self.settings
        return open_storage(
            data_dir=s.data_dir,
            database_url=s.database(),
            pool_size=s.database_pool_size,
            vectors=self.vectors,
        )

    @cached_property
    def index(self) -> Index:
        return Index(self.storage)

    @cached_property
    def embedder(self) -> Embedder:
        return self.overrides.embedder or default_embedder(self.settings)

    @cached_property
    def retriever(self) -> Retriever:
        return Retriever(
            documents=self.storage.documents,
            search=HybridSearch(documents=self.storage.documents, vectors=self.storage.vectors),
            embedder=self.embedder,
            settings=self.settings.retrieval,
        )

    @cached_property
    def answerer(self) -> Answerer:
        if self.overrides.answerer is not None:
            return self.overrides.answerer
        return build_answerer(self.settings, self.embedder, self.index)

    @property
    def conversations(self) -> ConversationStore:
        return self.storage.conversations

    @cached_property
    def condenser(self) -> Condenser:
        model = getattr(self.answerer, "model", None)
        return Condenser(model if isinstance(model, ChatModel) else None)

    @cached_property
    def chat(self) -> ChatService:
        return ChatService(
            retriever=self.retriever,
            answerer=self.answerer,
            index=self.index,
            condenser=self.condenser,
            conversations=self.conversations,
        )

    @cached_property
    def ingestor(self) -> Ingestor:
        i = self.settings.ingest
        return Ingestor(
            index=self.index,
            embedder=self.embedder,
            chunk_tokens=i.chunk_tokens,
            chunk_overlap=i.chunk_overlap,
            batch_size=i.embed_batch_size,
            max_file_bytes=i.max_file_bytes,
            title_context=i.title_context,
            parse=self.parser.parse,
        )

    @cached_property
    def parser(self) -> BoundedParser:
        """Parses every file in a worker process with a time and memory budget."""
        return BoundedParser(self.settings.parse.limits())

    @property
    def jobs(self) -> JobQueue:
        return self.storage.jobs

    @cached_property
    def job_runner(self) -> JobRunner:
        j = self.settings.jobs
        return JobRunner(
            queue=self.jobs,
            ingestor=self.ingestor,
            classify=described,
            visibility=j.visibility_seconds,
            poll=j.poll_seconds,
        )

    def enqueue_uploads(
        self, *, collection: str, uploads: list[tuple[str, bytes, dict[str, Any]]]
    ) -> Job:
        return enqueue_uploads(
            self.jobs,
            collection=collection,
            uploads=uploads,
            max_bytes=self.settings.ingest.max_file_bytes,
            max_attempts=self.settings.jobs.max_attempts,
            classify=described,
        )

    def runs_jobs(self) -> bool:
        """Whether `ragchat serve` runs jobs itself: on SQLite by default, else by setting."""
        mode = self.settings.jobs.run_in_server
        return mode == "true" or (mode == "auto" and self.storage.backend == "sqlite")

    @cached_property
    def consistency(self) -> ConsistencyCheck:
        return ConsistencyCheck(self.index, ttl=self.settings.server.consistency_check_seconds)

    def recover(self) -> None:
        """At server start: finish writes whose writer died, and drop their orphaned files."""
        for collection in self.index.all_collections():
            self.index.cleanup(collection)
        removed = remove_orphaned_blobs(self.index)
        if removed:
            logger.warning("removed %d uploaded originals no document owns", removed)

    def warm_up(self) -> None:
        """Load the model and open the index now, so no request pays for it."""
        _ = self.chat
        self.embedder.embed_one("warm up")
        self.index.heartbeat()

    def close(self) -> None:
        # Only what was built: `cached_property` keeps built parts in the instance dict.
        built = vars(self)
        if "job_runner" in built:
            self.job_runner.stop()
        if "parser" in built:
            self.parser.close()
        if "storage" in built:
            self.storage.close()
