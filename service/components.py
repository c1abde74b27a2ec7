"""Build every long-lived part once from settings; the CLI and the app share this."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from ingest.doctor import ConsistencyCheck
from ingest.embeddings import Embedder, SentenceTransformerEmbedder
from ingest.index import Index
from ingest.loaders.bounded import BoundedParser
from ingest.pipeline import Ingestor
from ingest.uploads import remove_orphaned_files
from ingest.vectorstore import VectorStore
from service.answering.base import Answerer, build_answerer
from service.chat import ChatService
from service.condense import Condenser
from service.conversations import ConversationStore
from service.llm.base import ChatModel
from service.retrieval import Retriever
from service.settings import Settings

logger = logging.getLogger(__name__)


@dataclass
class Components:
    settings: Settings

    @cached_property
    def index(self) -> Index:
        s = self.settings
        vectors = VectorStore(
            data_dir=s.data_dir,
            chroma_url=s.chroma_url,
            tenant=s.chroma_tenant,
            database=s.chroma_database,
            headers={k: v.get_secret_value() for k, v in s.chroma_headers.items()},
        )
        return Index(data_dir=s.data_dir, vectors=vectors)

    @cached_property
    def embedder(self) -> Embedder:
        e = self.settings.embeddings
        return SentenceTransformerEmbedder(model=e.model, device=e.device)

    @cached_property
    def retriever(self) -> Retriever:
        return Retriever(index=self.index, embedder=self.embedder, settings=self.settings.retrieval)

    @cached_property
    def answerer(self) -> Answerer:
        return build_answerer(self.settings, self.embedder, self.index)

    @cached_property
    def conversations(self) -> ConversationStore:
        return ConversationStore(self.settings.data_dir / "conversations.sqlite3")

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
    def uploads_dir(self) -> Path:
        return self.settings.data_dir / "uploads"

    @cached_property
    def consistency(self) -> ConsistencyCheck:
        return ConsistencyCheck(
            self.index, self.uploads_dir, ttl=self.settings.server.consistency_check_seconds
        )

    def recover(self) -> None:
        """At server start: finish writes whose writer died, and drop their orphaned files."""
        for collection in self.index.docs.all_collections():
            self.index.cleanup(collection)
        removed = remove_orphaned_files(self.index, self.uploads_dir)
        if removed:
            logger.warning("removed %d uploaded files no document owns", removed)

    def warm_up(self) -> None:
        """Load the model and open the index now, so no request pays for it."""
        _ = self.chat
        self.embedder.embed_one("warm up")
        self.index.vectors.heartbeat()

    def close(self) -> None:
        if "parser" in self.__dict__:
            self.parser.close()
        if "index" in self.__dict__:
            self.index.close()
        if "conversations" in self.__dict__:
            self.conversations.close()
