"""SearchFilters compiled for SQLite: tags are a JSON array read with json_each."""

from __future__ import annotations

from ingest.storage import documents
from ingest.storage.filters import SearchFilters
from ingest.storage.sql import SQLITE


def _any_tag(n: int) -> str:
    marks = ", ".join(["%s"] * n)
    return f"EXISTS (SELECT 1 FROM json_each(documents.tags) WHERE json_each.value IN ({marks}))"


def compile_filters(filters: SearchFilters) -> tuple[str, list[object]]:
    """A WHERE clause (with `?` placeholders) over SQLite's documents table."""
    where, args = documents.compile_filters(filters, SQLITE, _any_tag)
    return SQLITE.sql(where), args
