"""PostgreSQL backend: documents, keyword index, conversations, uploads and jobs.

One connection pool per process serves every store. The schema must be current: run
`ragchat db upgrade` first (see `migrations.py`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

from ingest.storage.errors import DatabaseUnavailableError, StorageError

if TYPE_CHECKING:
    from ingest.storage import Storage, VectorStore


CONNECT_TIMEOUT_S = 15.0


def libpq_url(url: str) -> str:
    """The URL as libpq takes it: SQLAlchemy's `postgresql+psycopg://` form is accepted too."""
    for prefix in ("postgresql+psycopg://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql://" + url[len(prefix) :]
    return url


def where(url: str) -> str:
    """host:port/database of a URL, without its user or password (for messages)."""
    parsed = urlparse(url)
    return f"{parsed.hostname or 'localhost'}:{parsed.port or 5432}{parsed.path or '/'}"


def connect_pool(url: str, *, size: int) -> Any:
    """A pool that has made its first connection, or a clear error saying where it failed."""
    try:
        import psycopg
        from psycopg_pool import ConnectionPool, PoolTimeout
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise StorageError(
            "RAGCHAT_DATABASE_URL names PostgreSQL, but psycopg is not installed: "
            "pip install 'ragchat[postgres]'"
        ) from exc
    url = libpq_url(url)
    try:  # one plain connection first: a refusal or a bad password fails now, and says so
        psycopg.connect(url, connect_timeout=int(CONNECT_TIMEOUT_S)).close()
    except psycopg.Error as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise DatabaseUnavailableError(f"PostgreSQL at {where(url)}: {reason}") from None
    pool = ConnectionPool(
        url,
        min_size=1,
        max_size=size,
        open=True,
        name="ragchat",
        timeout=30.0,
    )
    try:
        pool.wait(timeout=CONNECT_TIMEOUT_S)
    except PoolTimeout:
        pool.close()
        raise DatabaseUnavailableError(
            f"PostgreSQL at {where(url)} accepted no connection within {CONNECT_TIMEOUT_S:.0f} s "
            "(is it running, and are RAGCHAT_DATABASE_URL's user and password right?)"
        ) from None
    return pool


def open_postgres(
    url: str, *, vectors: VectorStore, pool_size: int = 10, check_schema: bool = True
) -> Storage:
    from ingest.storage import Storage
    from ingest.storage.conversations import SqlConversationStore
    from ingest.storage.feedback import SqlFeedbackStore
    from ingest.storage.jobs import SqlJobQueue
    from ingest.storage.postgres.blobs import PostgresBlobStore
    from ingest.storage.postgres.documents import postgres_documents
    from ingest.storage.postgres.migrations import check
    from ingest.storage.sql import POSTGRES

    pool = connect_pool(url, size=pool_size)
    if check_schema:
        try:
            with pool.connection() as conn:
                check(conn)
        except BaseException:
            pool.close()
            raise
    return Storage(
        documents=postgres_documents(pool),
        conversations=SqlConversationStore(
            read=pool.connection,
            tx=pool.connection,
            dialect=POSTGRES,
            # One writer per conversation at a time, so two replicas never take one seq.
            serialize="SELECT pg_advisory_xact_lock(hashtext(%s))",
        ),
        feedback=SqlFeedbackStore(read=pool.connection, tx=pool.connection, dialect=POSTGRES),
        blobs=PostgresBlobStore(pool),
        jobs=SqlJobQueue(read=pool.connection, tx=pool.connection, dialect=POSTGRES),
        vectors=vectors,
        backend="postgres",
        close=pool.close,
    )
