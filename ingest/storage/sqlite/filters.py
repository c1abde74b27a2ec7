"""SearchFilters compiled to a WHERE clause over SQLite's documents table."""

from __future__ import annotations

from ingest.storage.filters import SearchFilters


def compile_filters(filters: SearchFilters) -> tuple[str, list[object]]:
    clauses: list[str] = []
    args: list[object] = []
    for column, values in (("source", filters.sources), ("document_id", filters.document_ids)):
        if values:
            clauses.append(f"{column} IN ({','.join('?' * len(values))})")
            args += values
    if filters.tags:
        clauses.append(
            "EXISTS (SELECT 1 FROM json_each(documents.tags) "
            f"WHERE json_each.value IN ({','.join('?' * len(filters.tags))}))"
        )
        args += filters.tags
    if filters.date_from is not None:
        clauses.append("doc_date >= ?")
        args.append(filters.date_from)
    if filters.date_to is not None:
        clauses.append("doc_date <= ?")
        args.append(filters.date_to)
    return (" AND ".join(clauses) or "1"), args
