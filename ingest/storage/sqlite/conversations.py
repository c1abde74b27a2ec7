"""Conversation turns in the data dir's SQLite file, so a client may send only the new turn."""

from __future__ import annotations

import time

from ingest.storage.records import Turn
from ingest.storage.sqlite.database import Database


class SqliteConversationStore:
    def __init__(self, db: Database, *, max_turns: int = 20, keep_days: float = 30) -> None:
        self._db = db
        self.max_turns = max_turns
        self.keep_seconds = keep_days * 86400

    def close(self) -> None:
        self._db.close()

    def history(self, conversation_id: str) -> list[Turn]:
        rows = self._db.rows(
            "SELECT role, content FROM turns WHERE conversation_id=? ORDER BY seq DESC LIMIT ?",
            conversation_id,
            self.max_turns,
        )
        return [Turn(role=r, content=c) for r, c in reversed(rows)]

    def append(self, conversation_id: str, turns: list[Turn]) -> None:
        with self._db.tx() as c:
            (last,) = c.execute(
                "SELECT COALESCE(MAX(seq), -1) FROM turns WHERE conversation_id=?",
                (conversation_id,),
            ).fetchone()
            now = time.time()
            # Conversations idle for longer than the retention period are forgotten.
            c.execute("DELETE FROM turns WHERE created_at < ?", (now - self.keep_seconds,))
            c.executemany(
                "INSERT INTO turns VALUES (?, ?, ?, ?, ?)",
                [
                    (conversation_id, last + 1 + i, t.role, t.content, now)
                    for i, t in enumerate(turns)
                ],
            )
