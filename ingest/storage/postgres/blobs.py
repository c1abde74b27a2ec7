"""Uploaded originals in PostgreSQL, so every replica can read what any other stored.

A locator is `upload:<collection>/<key>`: the same on every replica, so an upload's
document id is too.
"""

from __future__ import annotations

import time
from typing import Any

_PREFIX = "upload:"


class PostgresBlobStore:
    def __init__(self, pool: Any) -> None:
        self._pool = pool

    def locator(self, collection: str, key: str) -> str:
        return f"{_PREFIX}{collection}/{key}"

    def owns(self, locator: str | None) -> bool:
        return bool(locator) and str(locator).startswith(_PREFIX) and "/" in str(locator)

    @staticmethod
    def _parts(locator: str) -> tuple[str, str]:
        collection, key = locator[len(_PREFIX) :].split("/", 1)
        return collection, key

    def put(self, collection: str, key: str, data: bytes) -> str:
        with self._pool.connection() as c:
            c.execute(
                "INSERT INTO blobs (collection, key, data, created_at) VALUES (%s, %s, %s, %s) "
                "ON CONFLICT (collection, key) DO UPDATE SET data = EXCLUDED.data, "
                "created_at = EXCLUDED.created_at",
                (collection, key, data, time.time()),
            )
        return self.locator(collection, key)

    def read(self, locator: str) -> bytes | None:
        if not self.owns(locator):
            return None
        with self._pool.connection() as c:
            row = c.execute(
                "SELECT data FROM blobs WHERE collection=%s AND key=%s", self._parts(locator)
            ).fetchone()
        return bytes(row[0]) if row else None

    def delete(self, locator: str) -> None:
        if self.owns(locator):
            with self._pool.connection() as c:
                c.execute("DELETE FROM blobs WHERE collection=%s AND key=%s", self._parts(locator))

    def entries(self) -> list[tuple[str, str]]:
        with self._pool.connection() as c:
            rows = c.execute("SELECT collection, key FROM blobs ORDER BY 1, 2").fetchall()
        return [(coll, self.locator(coll, key)) for coll, key in rows]

    def recover(self) -> int:
        return 0  # a blob is written in one transaction: nothing is ever half-written
