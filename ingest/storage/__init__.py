"""Where ragchat keeps its state, behind one boundary (see docs/architecture.md).

`open_storage` picks the backend: SQLite files in the data dir (the embedded default) or,
with a `postgresql://` database URL, PostgreSQL for everything that is not a vector.
Vectors live in Chroma either way.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ingest.storage.base import (
    BlobStore,
    ConversationStore,
    DocumentStore,
    FeedbackStore,
    JobQueue,
    VectorStore,
)
from ingest.storage.filters import InvalidFilterError, SearchFilters, parse_date
from ingest.storage.leases import LeaseBusyError
from ingest.storage.records import (
    ConversationInfo,
    DocumentRecord,
    DocumentText,
    Feedback,
    Job,
    JobFile,
    NewVersion,
    StoredChunk,
    StoredTurn,
    Turn,
    VectorHit,
)

__all__ = [
    "BlobStore",
    "ConversationInfo",
    "ConversationStore",
    "DocumentRecord",
    "DocumentStore",
    "DocumentText",
    "Feedback",
    "FeedbackStore",
    "InvalidFilterError",
    "Job",
    "JobFile",
    "JobQueue",
    "LeaseBusyError",
    "NewVersion",
    "SearchFilters",
    "Storage",
    "StoredChunk",
    "StoredTurn",
    "Turn",
    "VectorHit",
    "VectorStore",
    "open_storage",
    "parse_date",
]


@dataclass
class Storage:
    documents: DocumentStore
    conversations: ConversationStore
    feedback: FeedbackStore
    blobs: BlobStore
    jobs: JobQueue
    vectors: VectorStore
    backend: str
    close: Callable[[], None]
    """Closes the one connection (SQLite) or pool (PostgreSQL) all the stores share."""


def is_postgres(url: str) -> bool:
    from ingest.storage.postgres import libpq_url  # imports no driver

    return libpq_url(url).startswith("postgresql://")


def open_storage(
    *,
    data_dir: Path,
    vectors: VectorStore,
    database_url: str = "",
    pool_size: int = 10,
    check_schema: bool = True,
) -> Storage:
    """Open the backend `database_url` names (empty: SQLite in `data_dir`)."""
    if database_url and not is_postgres(database_url):
        raise ValueError(
            f"RAGCHAT_DATABASE_URL must be postgresql://user:pass@host:port/db, got "
            f"{database_url.split('://')[0]}://..."
        )
    if database_url:
        from ingest.storage.postgres import open_postgres

        return open_postgres(
            database_url, vectors=vectors, pool_size=pool_size, check_schema=check_schema
        )
    from ingest.storage.conversations import SqlConversationStore
    from ingest.storage.feedback import SqlFeedbackStore
    from ingest.storage.files import FileBlobStore
    from ingest.storage.jobs import SqlJobQueue
    from ingest.storage.sql import SQLITE
    from ingest.storage.sqlite.database import FILENAME, Database
    from ingest.storage.sqlite.documents import sqlite_documents

    db = Database(data_dir / FILENAME)
    return Storage(
        documents=sqlite_documents(db),
        conversations=SqlConversationStore(read=db.reading, tx=db.tx, dialect=SQLITE),
        feedback=SqlFeedbackStore(read=db.reading, tx=db.tx, dialect=SQLITE),
        blobs=FileBlobStore(data_dir / "uploads"),
        jobs=SqlJobQueue(read=db.reading, tx=db.tx, dialect=SQLITE),
        vectors=vectors,
        backend="sqlite",
        close=db.close,
    )
