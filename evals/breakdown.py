"""Share of questions handled right per split and kind, for sets that label their rows.

Right means: answered with every gold item for an answerable question, refused for an
unanswerable one. A set without `split`/`kind` labels has no breakdown.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from evals.runner import Result


def breakdown(results: list[Result]) -> dict[str, dict[str, Any]]:
    if not any(r.item.split or r.item.kind for r in results):
        return {}
    groups: dict[str, list[Result]] = defaultdict(list)
    for r in results:
        for split in ("all", r.item.split or "unlabelled"):
            groups[f"{split}/all"].append(r)
            groups[f"{split}/{r.item.kind or 'unlabelled'}"].append(r)
    out = {}
    for name in sorted(groups):
        rows = groups[name]
        answerable = [r for r in rows if not r.item.unanswerable]
        unanswerable = [r for r in rows if r.item.unanswerable]
        out[name] = {
            "n": len(rows),
            "correct": round(sum(r.correct for r in rows) / len(rows), 4),
            "answerable_correct": round(sum(r.correct for r in answerable) / len(answerable), 4)
            if answerable
            else None,
            "unanswerable_refused": round(
                sum(r.refused for r in unanswerable) / len(unanswerable), 4
            )
            if unanswerable
            else None,
        }
    return out
