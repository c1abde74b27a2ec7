"""One SQLite file per data dir, shared by the document, conversation and job stores."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ingest.storage.sqlite.migrations import migrate

FILENAME = "ragchat.sqlite3"


class Database:
    """A connection in WAL mode, migrated on open: the embedded store has one user."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.execute("PRAGMA busy_timeout=10000")
        self.lock = threading.RLock()
        with self.lock:
            # The migrations this open applied, for `ragchat db upgrade` to report.
            self.applied = migrate(self.conn)

    def close(self) -> None:
        self.conn.close()

    @contextmanager
    def tx(self) -> Iterator[sqlite3.Connection]:
        """BEGIN IMMEDIATE: writers queue on the file lock instead of failing at commit."""
        with self.lock:
            self.conn.execute("BEGIN IMMEDIATE")
            try:
                yield self.conn
            except BaseException:
                self.conn.execute("ROLLBACK")
                raise
            self.conn.execute("COMMIT")

    @contextmanager
    def reading(self) -> Iterator[sqlite3.Connection]:
        """The connection, for reads outside a write transaction (WAL: they never block)."""
        with self.lock:
            yield self.conn
