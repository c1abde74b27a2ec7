"""SearchFilters compiled to a WHERE clause over PostgreSQL's documents table."""

from __future__ import annotations

from ingest.storage.filters import SearchFilters


def compile_filters(filters: SearchFilters) -> tuple[str, list[object]]:
    clauses: list[str] = []
    args: list[object] = []
    for column, values in (("source", filters.sources), ("document_id", filters.document_ids)):
        if values:
            clauses.append(f"{column} = ANY(%s)")
            args.append(list(values))
    if filters.tags:
        clauses.append("tags ?| %s")  # any of the tags
        args.append(list(filters.tags))
    if filters.date_from is not None:
        clauses.append("doc_date >= %s")
        args.append(filters.date_from)
    if filters.date_to is not None:
        clauses.append("doc_date <= %s")
        args.append(filters.date_to)
    return (" AND ".join(clauses) or "true"), args
