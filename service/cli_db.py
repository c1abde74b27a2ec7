"""`ragchat db upgrade|status`: the database schema, applied and checked."""

from __future__ import annotations

from typing import Annotated

import typer

from ingest.storage.errors import StorageError
from service.cli_common import fail, out, setup

db_app = typer.Typer(help="The database schema (PostgreSQL or the embedded SQLite).")


def _target() -> tuple[str, str]:
    """(database URL or '', data dir) from the settings, without opening the index."""
    settings = setup(quiet=True).settings
    return settings.database(), str(settings.data_dir)


@db_app.command("upgrade")
def upgrade() -> None:
    """Apply pending migrations (safe to run from several replicas at once)."""
    url, data_dir = _target()
    try:
        if url:
            from ingest.storage.postgres import where
            from ingest.storage.postgres.migrations import upgrade as pg_upgrade

            applied, place = pg_upgrade(url), f"PostgreSQL {where(url)}"
        else:
            applied, place = _sqlite_upgrade(data_dir), f"SQLite in {data_dir}"
    except (StorageError, OSError) as exc:
        raise fail(str(exc)) from exc
    except Exception as exc:  # psycopg's errors, without importing it here
        raise fail(f"upgrade failed: {exc}") from exc
    for name in applied:
        out.print(f"applied: {name}")
    out.print(f"{place}: schema is current" + ("" if applied else " (nothing to do)"))


@db_app.command("status")
def status(
    check: Annotated[
        bool, typer.Option("--check", help="exit 1 unless the schema is current")
    ] = False,
) -> None:
    """Show how many migrations are applied."""
    url, data_dir = _target()
    try:
        if url:
            import psycopg

            from ingest.storage.postgres import where
            from ingest.storage.postgres.migrations import status as pg_status

            with psycopg.connect(url, connect_timeout=15) as conn:
                applied, known = pg_status(conn)
            place = f"PostgreSQL {where(url)}"
        else:
            applied, known = _sqlite_status(data_dir)
            place = f"SQLite in {data_dir}"
    except Exception as exc:
        raise fail(f"cannot read the schema: {exc}") from exc
    out.print(f"{place}: {applied} of {known} migrations applied")
    if check and applied != known:
        raise typer.Exit(code=1)


def _sqlite_upgrade(data_dir: str) -> list[str]:
    import sqlite3
    from pathlib import Path

    from ingest.storage.sqlite.database import FILENAME
    from ingest.storage.sqlite.migrations import migrate

    path = Path(data_dir) / FILENAME
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        return migrate(conn)
    finally:
        conn.close()


def _sqlite_status(data_dir: str) -> tuple[int, int]:
    import sqlite3
    from pathlib import Path

    from ingest.storage.sqlite.database import FILENAME
    from ingest.storage.sqlite.migrations import MIGRATIONS, current

    path = Path(data_dir) / FILENAME
    if not path.exists():
        return 0, len(MIGRATIONS)
    conn = sqlite3.connect(path)
    try:
        return current(conn), len(MIGRATIONS)
    finally:
        conn.close()
