"""Conversation turns in PostgreSQL: any replica continues any conversation."""

from __future__ import annotations

import time
from typing import Any

from ingest.storage.records import Turn


class PostgresConversationStore:
    def __init__(self, pool: Any, *, max_turns: int = 20, keep_days: float = 30) -> None:
        self._pool = pool
        self.max_turns = max_turns
        self.keep_seconds = keep_days * 86400

    def close(self) -> None:
        self._pool.close()

    def history(self, conversation_id: str) -> list[Turn]:
        with self._pool.connection() as c:
            rows = c.execute(
                "SELECT role, content FROM turns WHERE conversation_id=%s "
                "ORDER BY seq DESC LIMIT %s",
                (conversation_id, self.max_turns),
            ).fetchall()
        return [Turn(role=r, content=t) for r, t in reversed(rows)]

    def append(self, conversation_id: str, turns: list[Turn]) -> None:
        with self._pool.connection() as c:
            # One writer per conversation at a time, so two replicas never take one seq.
            c.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (conversation_id,))
            (last,) = c.execute(
                "SELECT coalesce(max(seq), -1) FROM turns WHERE conversation_id=%s",
                (conversation_id,),
            ).fetchone()
            now = time.time()
            # Conversations idle for longer than the retention period are forgotten.
            c.execute("DELETE FROM turns WHERE created_at < %s", (now - self.keep_seconds,))
            with c.cursor() as cur:
                cur.executemany(
                    "INSERT INTO turns VALUES (%s, %s, %s, %s, %s)",
                    [
                        (conversation_id, last + 1 + i, t.role, t.content, now)
                        for i, t in enumerate(turns)
                    ],
                )
