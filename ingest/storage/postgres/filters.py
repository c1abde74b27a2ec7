"""SearchFilters compiled for PostgreSQL: tags are a jsonb array, matched with `?|`."""

from __future__ import annotations

from ingest.storage import documents
from ingest.storage.filters import SearchFilters
from ingest.storage.sql import POSTGRES


def compile_filters(filters: SearchFilters) -> tuple[str, list[object]]:
    """A WHERE clause over PostgreSQL's documents table."""
    return documents.compile_filters(filters, POSTGRES, lambda _: "tags ?| %s")
