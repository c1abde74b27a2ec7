"""Conversation turns, written once for SQLite and PostgreSQL: any process (any replica,
with PostgreSQL) continues any conversation, so a client may send only the new turn."""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

from ingest.storage.records import Turn
from ingest.storage.sql import Dialect


class SqlConversationStore:
    def __init__(
        self,
        *,
        read: Callable[[], AbstractContextManager[Any]],
        tx: Callable[[], AbstractContextManager[Any]],
        dialect: Dialect,
        serialize: str = "",
        max_turns: int = 20,
        keep_days: float = 30,
    ) -> None:
        """`serialize` is a statement taking the conversation's id that makes appends to one
        conversation take turns (PostgreSQL's advisory lock; SQLite's write lock needs none)."""
        self._read = read
        self._tx = tx
        self.dialect = dialect
        self._serialize = serialize
        self.max_turns = max_turns
        self.keep_seconds = keep_days * 86400

    def history(self, conversation_id: str) -> list[Turn]:
        with self._read() as c:
            rows = c.execute(
                self.dialect.sql(
                    "SELECT role, content FROM turns WHERE conversation_id=%s "
                    "ORDER BY seq DESC LIMIT %s"
                ),
                (conversation_id, self.max_turns),
            ).fetchall()
        return [Turn(role=r, content=t) for r, t in reversed(rows)]

    def append(self, conversation_id: str, turns: list[Turn]) -> None:
        sql = self.dialect.sql
        with self._tx() as c:
            if self._serialize:
                c.execute(sql(self._serialize), (conversation_id,))
            (last,) = c.execute(
                sql("SELECT coalesce(max(seq), -1) FROM turns WHERE conversation_id=%s"),
                (conversation_id,),
            ).fetchone()
            now = time.time()
            # Conversations idle for longer than the retention period are forgotten.
            c.execute(sql("DELETE FROM turns WHERE created_at < %s"), (now - self.keep_seconds,))
            for i, t in enumerate(turns):
                c.execute(
                    sql("INSERT INTO turns VALUES (%s, %s, %s, %s, %s)"),
                    (conversation_id, last + 1 + i, t.role, t.content, now),
                )
