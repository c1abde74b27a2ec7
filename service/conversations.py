"""Conversation turns persisted in SQLite, so a client may send only the new turn."""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

from service.schemas import Message

_SCHEMA = """
CREATE TABLE IF NOT EXISTS turns (
    conversation_id TEXT NOT NULL,
    seq             INTEGER NOT NULL,
    role            TEXT NOT NULL,
    content         TEXT NOT NULL,
    created_at      REAL NOT NULL,
    PRIMARY KEY (conversation_id, seq)
);
CREATE INDEX IF NOT EXISTS turns_created ON turns (created_at);
"""


class ConversationStore:
    def __init__(self, path: Path, *, max_turns: int = 20, keep_days: float = 30) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.executescript(_SCHEMA)
        self._lock = threading.Lock()
        self.max_turns = max_turns
        self.keep_seconds = keep_days * 86400

    def close(self) -> None:
        self._conn.close()

    def history(self, conversation_id: str) -> list[Message]:
        with self._lock:
            rows = self._conn.execute(
                "SELECT role, content FROM turns WHERE conversation_id=? ORDER BY seq DESC LIMIT ?",
                (conversation_id, self.max_turns),
            ).fetchall()
        return [Message(role=r, content=c) for r, c in reversed(rows)]

    def append(self, conversation_id: str, messages: list[Message]) -> None:
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                (last,) = self._conn.execute(
                    "SELECT COALESCE(MAX(seq), -1) FROM turns WHERE conversation_id=?",
                    (conversation_id,),
                ).fetchone()
                now = time.time()
                # Conversations idle for longer than the retention period are forgotten.
                self._conn.execute(
                    "DELETE FROM turns WHERE created_at < ?", (now - self.keep_seconds,)
                )
                self._conn.executemany(
                    "INSERT INTO turns VALUES (?, ?, ?, ?, ?)",
                    [
                        (conversation_id, last + 1 + i, m.role, m.content, now)
                        for i, m in enumerate(messages)
                    ],
                )
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")
