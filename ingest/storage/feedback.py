"""Ratings of answers, written once for SQLite and PostgreSQL.

One rating per answer: rating it again replaces the first. An answer is its conversation's
id, the time the conversation began (a deleted conversation's id may be used again) and
its turn. A rating keeps its own copy of
the question, the answer and its citations, so deleting the conversation keeps the rating,
and the eval cases made from it (`ragchat feedback export`).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

from ingest.storage.records import Feedback
from ingest.storage.sql import Dialect

_COLUMNS = (
    "conversation_id, turn, owner, collection, rating, comment, expected_answer, unanswerable, "
    "wrong_citations, question, answer, citations, settings, model, created_at, "
    "conversation_started"
)
_KEY = ("conversation_id", "conversation_started", "turn")


def _row(f: Feedback, now: float) -> tuple:
    return (
        f.conversation_id,
        f.turn,
        f.owner,
        f.collection,
        f.rating,
        f.comment,
        f.expected_answer,
        f.unanswerable,
        json.dumps(f.wrong_citations),
        f.question,
        f.answer,
        json.dumps(f.citations),
        json.dumps(f.settings),
        f.model,
        now,
        f.conversation_started,
    )


def _feedback(r: tuple) -> Feedback:
    return Feedback(
        conversation_id=r[0],
        turn=int(r[1]),
        owner=r[2],
        collection=r[3],
        rating=r[4],
        comment=r[5],
        expected_answer=r[6],
        unanswerable=bool(r[7]),
        wrong_citations=json.loads(r[8]),
        question=r[9],
        answer=r[10],
        citations=json.loads(r[11]),
        settings=json.loads(r[12]),
        model=r[13],
        created_at=float(r[14]),
        conversation_started=float(r[15]),
    )


class SqlFeedbackStore:
    def __init__(
        self,
        *,
        read: Callable[[], AbstractContextManager[Any]],
        tx: Callable[[], AbstractContextManager[Any]],
        dialect: Dialect,
    ) -> None:
        self._read = read
        self._tx = tx
        self.dialect = dialect

    def put(self, feedback: Feedback) -> Feedback:
        """Store a rating, replacing an earlier one of the same answer; returns it as stored."""
        now = time.time()
        updates = ", ".join(
            f"{c} = EXCLUDED.{c}"
            for c in _COLUMNS.split(", ")
            if c not in ("conversation_id", "turn")
        )
        with self._tx() as c:
            c.execute(
                self.dialect.sql(
                    f"INSERT INTO feedback ({_COLUMNS}) VALUES ({', '.join(['%s'] * 16)}) "
                    f"ON CONFLICT ({', '.join(_KEY)}) DO UPDATE SET {updates}"
                ),
                _row(feedback, now),
            )
        return _feedback(_row(feedback, now))

    def ratings(self, *, since: float | None = None, rating: str | None = None) -> list[Feedback]:
        """Ratings, oldest first, from `since` on (epoch seconds), of one rating if given."""
        where: list[str] = ["1 = 1"]
        args: list[object] = []
        if since is not None:
            where.append("created_at >= %s")
            args.append(since)
        if rating is not None:
            where.append("rating = %s")
            args.append(rating)
        with self._read() as c:
            rows = c.execute(
                self.dialect.sql(
                    f"SELECT {_COLUMNS} FROM feedback WHERE {' AND '.join(where)} "
                    "ORDER BY created_at, conversation_id, turn"
                ),
                args,
            ).fetchall()
        return [_feedback(r) for r in rows]
