"""The schema of whichever database the settings name: applied, checked, described."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class SchemaState:
    place: str
    """Where the database is (never with a password)."""
    applied: int
    known: int


def upgrade(*, data_dir: Path, database_url: str = "") -> tuple[str, list[str]]:
    """Apply pending migrations; returns where, and the names of those applied."""
    if database_url:
        from ingest.storage.postgres import where
        from ingest.storage.postgres.migrations import upgrade as pg_upgrade

        return f"PostgreSQL {where(database_url)}", pg_upgrade(database_url)
    from ingest.storage.sqlite.database import FILENAME, Database

    db = Database(data_dir / FILENAME)  # opening it migrates it, as every command's does
    db.close()
    return f"SQLite {db.path}", db.applied


def state(*, data_dir: Path, database_url: str = "") -> SchemaState:
    if database_url:
        import psycopg

        from ingest.storage.postgres import libpq_url, where
        from ingest.storage.postgres.migrations import status

        with psycopg.connect(libpq_url(database_url), connect_timeout=15) as conn:
            applied, known = status(conn)
        return SchemaState(f"PostgreSQL {where(database_url)}", applied, known)
    from ingest.storage.sqlite.database import FILENAME
    from ingest.storage.sqlite.migrations import MIGRATIONS, current

    path = data_dir / FILENAME
    if not path.exists():
        return SchemaState(f"SQLite {path}", 0, len(MIGRATIONS))
    local = sqlite3.connect(path)
    try:
        return SchemaState(f"SQLite {path}", current(local), len(MIGRATIONS))
    finally:
        local.close()
