"""The job queue over SQL, one implementation for SQLite and PostgreSQL.

A claim is one UPDATE of the oldest visible job; on PostgreSQL its sub-select takes the row
with `FOR UPDATE SKIP LOCKED`, so workers racing for jobs never block on each other or
take the same one. A claimed job's `visible_at` is a deadline its owner keeps pushing back
(`heartbeat`); a worker killed with `kill -9` stops pushing, and once the deadline passes
the next claim takes the job again. Per-file results are recorded as each file finishes,
so a retried job skips what its dead worker already did. After `max_attempts` claims a job
that is still not finished fails, and its files are dropped with it.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

from ingest.storage.records import Job, JobFile
from ingest.storage.sql import Dialect

# Finished jobs are kept this long for `GET /v1/jobs/{id}`, then removed.
KEEP_FINISHED_S = 7 * 86400

_COLUMNS = (
    "id, kind, collection, state, total, results, error, attempts, max_attempts, owner, "
    "created_at, updated_at"
)


def _job(row: tuple) -> Job:
    jid, kind, coll, state, total, results, error, attempts, most, owner, created, updated = row
    return Job(
        id=jid,
        kind=kind,
        collection=coll,
        state=state,
        total=total,
        results=json.loads(results),
        error=error,
        attempts=attempts,
        max_attempts=most,
        owner=owner,
        created_at=created,
        updated_at=updated,
    )


class SqlJobQueue:
    def __init__(
        self,
        *,
        read: Callable[[], AbstractContextManager[Any]],
        tx: Callable[[], AbstractContextManager[Any]],
        dialect: Dialect,
    ) -> None:
        """`tx` opens a transaction and yields a connection with `execute(sql, args)`; `read`
        yields one to read with."""
        self._read = read
        self._tx = tx
        self.dialect = dialect
        self._lock = dialect.skip_locked

    def _sql(self, sql: str) -> str:
        return self.dialect.sql(sql)

    def _run(self, c: Any, sql: str, *args: object) -> Any:
        return c.execute(self._sql(sql), args)

    def enqueue(
        self,
        *,
        kind: str,
        collection: str,
        files: list[JobFile],
        refused: list[dict[str, Any]] | None = None,
        max_attempts: int = 3,
    ) -> Job:
        """`refused` are results of files turned away before queueing (wrong type, too big)."""
        now = time.time()
        refused = refused or []
        job_id = uuid.uuid4().hex
        with self._tx() as c:
            self._run(
                c,
                "DELETE FROM job_files WHERE job_id IN (SELECT id FROM jobs WHERE state IN "
                "('succeeded', 'failed') AND updated_at < %s)",
                now - KEEP_FINISHED_S,
            )
            self._run(
                c,
                "DELETE FROM jobs WHERE state IN ('succeeded', 'failed') AND updated_at < %s",
                now - KEEP_FINISHED_S,
            )
            self._run(
                c,
                "INSERT INTO jobs (id, kind, collection, state, total, results, attempts, "
                "max_attempts, visible_at, created_at, updated_at) "
                "VALUES (%s, %s, %s, 'queued', %s, %s, 0, %s, %s, %s, %s)",
                job_id,
                kind,
                collection,
                len(files) + len(refused),
                json.dumps(refused),
                max_attempts,
                now,
                now,
                now,
            )
            for f in files:
                self._run(
                    c,
                    "INSERT INTO job_files (job_id, seq, filename, options, data) "
                    "VALUES (%s, %s, %s, %s, %s)",
                    job_id,
                    f.seq,
                    f.filename,
                    json.dumps(f.options),
                    f.data,
                )
        job = self.get(job_id)
        assert job is not None
        return job

    def get(self, job_id: str) -> Job | None:
        with self._read() as c:
            row = self._run(c, f"SELECT {_COLUMNS} FROM jobs WHERE id = %s", job_id).fetchone()
        return _job(row) if row else None

    def recent(self, collections: list[str] | None, *, limit: int) -> list[Job]:
        with self._read() as c:
            if collections is None:
                rows = self._run(
                    c, f"SELECT {_COLUMNS} FROM jobs ORDER BY created_at DESC LIMIT %s", limit
                ).fetchall()
            elif not collections:
                rows = []
            else:
                marks = ", ".join(["%s"] * len(collections))
                rows = self._run(
                    c,
                    f"SELECT {_COLUMNS} FROM jobs WHERE collection IN ({marks}) "
                    "ORDER BY created_at DESC LIMIT %s",
                    *collections,
                    limit,
                ).fetchall()
        return [_job(r) for r in rows]

    def files(self, job_id: str) -> list[JobFile]:
        with self._read() as c:
            rows = self._run(
                c,
                "SELECT seq, filename, options, data FROM job_files WHERE job_id = %s ORDER BY seq",
                job_id,
            ).fetchall()
        return [JobFile(seq, name, bytes(data), json.loads(opts)) for seq, name, opts, data in rows]

    def claim(self, owner: str, *, visibility: float, job_id: str | None = None) -> Job | None:
        """The oldest job that is queued, or whose owner stopped heartbeating; None if none.

        The claimed job's `owner` is `owner` plus a token of this claim: heartbeats, results
        and the finish must present it, so a worker whose claim lapsed and was taken again
        (even by itself, from another thread) can no longer write to the job.
        """
        now = time.time()
        token = f"{owner}/{uuid.uuid4().hex[:12]}"
        with self._tx() as c:
            abandoned = self._run(
                c,
                "UPDATE jobs SET state = 'failed', owner = NULL, updated_at = %s, error = "
                "'its worker stopped ' || attempts || ' times before finishing it' "
                "WHERE state = 'running' AND visible_at <= %s AND attempts >= max_attempts "
                "RETURNING id",
                now,
                now,
            ).fetchall()
            for (gone,) in abandoned:
                self._run(c, "DELETE FROM job_files WHERE job_id = %s", gone)
            which = (
                "id = %s AND state = 'queued'"
                if job_id
                else "state IN ('queued', 'running') AND visible_at <= %s"
            )
            row = self._run(
                c,
                f"UPDATE jobs SET state = 'running', owner = %s, attempts = attempts + 1, "
                f"visible_at = %s, updated_at = %s WHERE id = (SELECT id FROM jobs WHERE "
                f"{which} ORDER BY created_at LIMIT 1{self._lock}) RETURNING {_COLUMNS}",
                token,
                now + visibility,
                now,
                job_id or now,
            ).fetchone()
        return _job(row) if row else None

    def heartbeat(self, job_id: str, owner: str, *, visibility: float) -> bool:
        """Push the job's deadline back; False when the job is no longer this owner's."""
        now = time.time()
        with self._tx() as c:
            cur = self._run(
                c,
                "UPDATE jobs SET visible_at = %s WHERE id = %s AND owner = %s "
                "AND state = 'running'",
                now + visibility,
                job_id,
                owner,
            )
            return bool(cur.rowcount)

    def record(self, job_id: str, owner: str, result: dict[str, Any]) -> bool:
        """Add one file's result (replacing an earlier one for the same seq)."""
        with self._tx() as c:
            row = self._run(
                c,
                "SELECT results FROM jobs WHERE id = %s AND owner = %s AND state = 'running'"
                + self.dialect.lock_row,
                job_id,
                owner,
            ).fetchone()
            if row is None:
                return False
            results = [r for r in json.loads(row[0]) if r.get("seq") != result.get("seq")]
            results.append(result)
            results.sort(key=lambda r: r.get("seq", 0))
            self._run(
                c,
                "UPDATE jobs SET results = %s, updated_at = %s WHERE id = %s",
                json.dumps(results),
                time.time(),
                job_id,
            )
            return True

    def finish(self, job_id: str, owner: str, *, state: str, error: str | None = None) -> bool:
        with self._tx() as c:
            cur = self._run(
                c,
                "UPDATE jobs SET state = %s, error = %s, owner = NULL, updated_at = %s "
                "WHERE id = %s AND owner = %s AND state = 'running'",
                state,
                error,
                time.time(),
                job_id,
                owner,
            )
            if not cur.rowcount:
                return False
            self._run(c, "DELETE FROM job_files WHERE job_id = %s", job_id)
            return True
