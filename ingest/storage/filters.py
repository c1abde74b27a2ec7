"""Metadata filters for search and chat: a neutral value each backend compiles.

Filters select documents, so the document store answers them once and hands both the dense
and the keyword side a list of document ids: the two sides can never disagree.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field


class InvalidFilterError(ValueError):
    pass


def parse_date(value: str | float | int | None, *, end_of_day: bool = False) -> float | None:
    """ISO date or datetime (or a unix time) to a unix time; a bare date covers the whole day."""
    if value is None or value == "":
        return None
    if isinstance(value, int | float):
        return float(value)
    try:
        parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise InvalidFilterError(
            f"invalid date {value!r}: use ISO 8601, e.g. 2023-01-31 or 2023-01-31T12:00:00Z"
        ) from exc
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.UTC)
    if end_of_day and len(value) <= 10:
        parsed += dt.timedelta(days=1, microseconds=-1)
    return parsed.timestamp()


@dataclass(frozen=True)
class SearchFilters:
    """Each field narrows the documents; several values in one field mean any of them."""

    sources: list[str] = field(default_factory=list)
    document_ids: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    date_from: float | None = None
    date_to: float | None = None

    def is_empty(self) -> bool:
        return not (
            self.sources
            or self.document_ids
            or self.tags
            or self.date_from is not None
            or self.date_to is not None
        )
