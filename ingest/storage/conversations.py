"""Conversations and their turns, written once for SQLite and PostgreSQL: any process (any
replica, with PostgreSQL) continues any conversation, so a client may send only the new turn.

A conversation's row holds its owner (a digest of the API key that started it), collection,
title (its first question until renamed) and last activity; its turns hold each question
and each answer, an answer with its whole response object as it was answered.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

from ingest.storage.errors import NotOwnedError
from ingest.storage.records import ConversationInfo, StoredTurn, Turn
from ingest.storage.sql import Dialect

TITLE_CHARS = 80
_INFO = (
    "c.conversation_id, c.owner, c.collection, c.title, c.created_at, c.updated_at, "
    "(SELECT count(*) FROM turns t WHERE t.conversation_id = c.conversation_id)"
)


def title_of(question: str) -> str:
    """A conversation's default title: its first question on one line, cut to 80 chars."""
    line = re.sub(r"\s+", " ", question).strip()
    return line if len(line) <= TITLE_CHARS else line[: TITLE_CHARS - 1].rstrip() + "\u2026"


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
        conversation take turns (PostgreSQL's advisory lock; SQLite's write lock needs none).
        `max_turns` is how many turns a follow-up question sees as its history."""
        self._read = read
        self._tx = tx
        self.dialect = dialect
        self._serialize = serialize
        self.max_turns = max_turns
        self.keep_seconds = keep_days * 86400

    def _rows(self, sql: str, *args: object) -> list[tuple]:
        with self._read() as c:
            return list(c.execute(self.dialect.sql(sql), args).fetchall())

    def history(self, conversation_id: str) -> list[Turn]:
        rows = self._rows(
            "SELECT role, content FROM turns WHERE conversation_id=%s ORDER BY seq DESC LIMIT %s",
            conversation_id,
            self.max_turns,
        )
        return [Turn(role=r, content=t) for r, t in reversed(rows)]

    def append(
        self, conversation_id: str, turns: list[Turn], *, owner: str = "", collection: str = ""
    ) -> int:
        """Add turns; the first append makes the conversation, titled by its first question.
        Returns the number of the first turn added.

        The owner is checked in the same transaction as the write, so two keys that name one
        new conversation at once never share it: the second gets `NotOwnedError`.
        """
        sql = self.dialect.sql
        with self._tx() as c:
            if self._serialize:
                c.execute(sql(self._serialize), (conversation_id,))
            now = time.time()
            self._forget_idle(c, now)
            first = next((t.content for t in turns if t.role == "user"), "")
            cur = c.execute(
                sql(
                    "INSERT INTO conversations (conversation_id, owner, collection, title, "
                    "created_at, updated_at) VALUES (%s, %s, %s, %s, %s, %s) "
                    "ON CONFLICT (conversation_id) DO UPDATE SET updated_at = EXCLUDED.updated_at "
                    "WHERE conversations.owner = EXCLUDED.owner"
                ),
                (conversation_id, owner, collection, title_of(first), now, now),
            )
            if cur.rowcount != 1:
                raise NotOwnedError(conversation_id)
            (last,) = c.execute(
                sql("SELECT coalesce(max(seq), -1) FROM turns WHERE conversation_id=%s"),
                (conversation_id,),
            ).fetchone()
            for i, t in enumerate(turns):
                c.execute(
                    sql(
                        "INSERT INTO turns (conversation_id, seq, role, content, created_at, "
                        "response, collection) VALUES (%s, %s, %s, %s, %s, %s, %s)"
                    ),
                    (conversation_id, last + 1 + i, t.role, t.content, now, t.response, collection),
                )
        return int(last) + 1

    def _forget_idle(self, c: Any, now: float) -> None:
        """Conversations idle for longer than the retention period go, with all their turns;
        an active conversation keeps its first turns however old they are."""
        sql = self.dialect.sql
        cutoff = now - self.keep_seconds
        c.execute(
            sql(
                "DELETE FROM turns WHERE conversation_id IN "
                "(SELECT conversation_id FROM conversations WHERE updated_at < %s)"
            ),
            (cutoff,),
        )
        c.execute(sql("DELETE FROM conversations WHERE updated_at < %s"), (cutoff,))

    def get(self, conversation_id: str) -> ConversationInfo | None:
        rows = self._rows(
            f"SELECT {_INFO} FROM conversations c WHERE c.conversation_id=%s", conversation_id
        )
        return ConversationInfo(*rows[0]) if rows else None

    def recent(
        self, owner: str, *, limit: int, before: tuple[float, str] | None = None
    ) -> list[ConversationInfo]:
        """The owner's conversations, most recently active first; `before` is the
        (updated_at, id) of the last one of the previous page."""
        where = "c.owner=%s"
        args: list[object] = [owner]
        if before is not None:
            where += " AND (c.updated_at < %s OR (c.updated_at = %s AND c.conversation_id < %s))"
            args += [before[0], before[0], before[1]]
        rows = self._rows(
            f"SELECT {_INFO} FROM conversations c WHERE {where} "
            "ORDER BY c.updated_at DESC, c.conversation_id DESC LIMIT %s",
            *args,
            limit,
        )
        return [ConversationInfo(*r) for r in rows]

    def turns(self, conversation_id: str) -> list[StoredTurn]:
        rows = self._rows(
            "SELECT seq, role, content, created_at, response, collection FROM turns "
            "WHERE conversation_id=%s ORDER BY seq",
            conversation_id,
        )
        return [StoredTurn(*r) for r in rows]

    def rename(self, conversation_id: str, title: str, *, owner: str) -> bool:
        """False when the owner has no such conversation."""
        with self._tx() as c:
            cur = c.execute(
                self.dialect.sql(
                    "UPDATE conversations SET title=%s WHERE conversation_id=%s AND owner=%s"
                ),
                (title, conversation_id, owner),
            )
            return bool(cur.rowcount)

    def delete(self, conversation_id: str, *, owner: str) -> bool:
        """The conversation and every turn of it; False when the owner has no such one."""
        sql = self.dialect.sql
        with self._tx() as c:
            if self._serialize:
                c.execute(sql(self._serialize), (conversation_id,))
            cur = c.execute(
                sql("DELETE FROM conversations WHERE conversation_id=%s AND owner=%s"),
                (conversation_id, owner),
            )
            if not cur.rowcount:
                return False
            c.execute(sql("DELETE FROM turns WHERE conversation_id=%s"), (conversation_id,))
            return True
