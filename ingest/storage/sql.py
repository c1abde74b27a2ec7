"""What SQLite and PostgreSQL differ in, for the stores written once for both.

Queries are written with `%s` placeholders; a dialect turns them into its own.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Dialect:
    placeholder: str
    """`?` (sqlite3) or `%s` (psycopg)."""
    lock_row: str
    """Appended to a SELECT that reads a row it will write: ` FOR UPDATE`, or nothing where
    the whole transaction holds the write lock (SQLite's BEGIN IMMEDIATE)."""
    skip_locked: str
    """The same for claiming one of several rows: ` FOR UPDATE SKIP LOCKED`, or nothing."""
    tags: str
    """The tags column read as JSON text."""
    tags_value: str
    """A placeholder for tags written as JSON text."""

    def sql(self, text: str) -> str:
        return text if self.placeholder == "%s" else text.replace("%s", self.placeholder)

    def any_of(self, column: str, values: Sequence[object]) -> tuple[str, list[object]]:
        """`column` is one of `values` (which must not be empty)."""
        if self.placeholder == "%s":
            return f"{column} = ANY(%s)", [list(values)]
        return f"{column} IN ({', '.join(['%s'] * len(values))})", list(values)


SQLITE = Dialect(placeholder="?", lock_row="", skip_locked="", tags="tags", tags_value="%s")
POSTGRES = Dialect(
    placeholder="%s",
    lock_row=" FOR UPDATE",
    skip_locked=" FOR UPDATE SKIP LOCKED",
    tags="tags::text",
    tags_value="%s::jsonb",
)
