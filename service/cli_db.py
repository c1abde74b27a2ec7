"""`ragchat db upgrade|status`: the database schema, applied and checked."""

from __future__ import annotations

from typing import Annotated

import typer

from ingest.storage import schema
from service.cli_common import fail, out, setup

db_app = typer.Typer(help="The database schema (PostgreSQL or the embedded SQLite).")


def _where() -> dict:
    """The database the settings name, without opening the index."""
    settings = setup(quiet=True).settings
    return {"data_dir": settings.data_dir, "database_url": settings.database()}


@db_app.command("upgrade")
def upgrade() -> None:
    """Apply pending migrations (safe to run from several replicas at once)."""
    try:
        place, applied = schema.upgrade(**_where())
    except Exception as exc:  # a database that is down, or refuses us
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
    try:
        found = schema.state(**_where())
    except Exception as exc:
        raise fail(f"cannot read the schema: {exc}") from exc
    out.print(f"{found.place}: {found.applied} of {found.known} migrations applied")
    if check and found.applied != found.known:
        raise typer.Exit(code=1)
