"""`ragchat feedback export|stats`: ratings of answers, turned into eval cases and counted."""

from __future__ import annotations

import json
import sys
from collections import Counter
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from ingest.storage import Feedback, parse_date
from ingest.storage.filters import InvalidFilterError
from service.cli_common import err, fail, opened, out

feedback_app = typer.Typer(
    help="Ratings of answers: export them as eval cases, or count them.", no_args_is_help=True
)


class Rating(StrEnum):
    up = "up"
    down = "down"


def case(f: Feedback) -> dict[str, Any]:
    """A ragchat eval row: asked again in the same collection of a running service.

    The expected answer is the row's one alias group; "unanswerable" means the user said
    the documents do not hold it. The gold documents are those the answer cited, less the
    citations the user marked wrong; with none left, any document may hold the answer.
    """
    wrong = set(f.wrong_citations)
    sources = [c["source"] for c in f.citations if c["index"] not in wrong]
    row: dict[str, Any] = {
        "id": f"feedback-{f.conversation_id}-{f.turn}",
        "question": f.question,
        "collection": f.collection,
        "kind": f"feedback-{f.rating}",
    }
    if f.unanswerable:
        row["unanswerable"] = True
    elif f.expected_answer:
        row["answers"] = [[f.expected_answer]]
    if sources and not f.unanswerable:
        row["documents"] = list(dict.fromkeys(sources))
    row["feedback"] = {
        "rating": f.rating,
        "comment": f.comment,
        "answer": f.answer,
        "model": f.model,
        "wrong_citations": [c for c in f.citations if c["index"] in wrong],
        "rated_at": f.created_at,
    }
    return row


def _ratings(since: str | None, rating: Rating | None) -> list[Feedback]:
    try:
        start = parse_date(since) if since else None
    except InvalidFilterError as exc:
        raise fail(f"--since: {exc}") from None
    with opened() as comps:
        return comps.storage.feedback.ratings(since=start, rating=rating.value if rating else None)


SinceOpt = Annotated[
    str | None, typer.Option("--since", help="only ratings from this date on (ISO 8601)")
]
RatingOpt = Annotated[Rating | None, typer.Option("--rating", help="only up or only down")]


@feedback_app.command("export")
def feedback_export(
    out_file: Annotated[Path, typer.Option("--out", help="the JSONL file to write")],
    since: SinceOpt = None,
    rating: RatingOpt = None,
) -> None:
    """Write ratings as ragchat eval rows; replay them with `ragchat eval FILE --url URL`."""
    rows = [case(f) for f in _ratings(since, rating)]
    unusable = [r for r in rows if not r["question"]]
    rows = [r for r in rows if r["question"]]
    out_file.parent.mkdir(parents=True, exist_ok=True)
    out_file.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))
    graded = sum("answers" in r or r.get("unanswerable", False) for r in rows)
    err.print(
        f"wrote {len(rows)} eval cases to {out_file} ({graded} with an expected answer or "
        f"marked unanswerable; the rest pass whenever ragchat answers)"
        + (f"; skipped {len(unusable)} without a question" if unusable else "")
    )


@feedback_app.command("stats")
def feedback_stats(
    since: SinceOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
    top: Annotated[int, typer.Option("--top", min=1, help="documents to list")] = 10,
) -> None:
    """Ratings by collection, and the documents cited most by down-rated answers."""
    ratings = _ratings(since, None)
    by_collection: dict[str, Counter[str]] = {}
    for f in ratings:
        by_collection.setdefault(f.collection, Counter())[f.rating] += 1
    downvoted: Counter[tuple[str, str]] = Counter()
    for f in ratings:
        if f.rating == "down":
            for source in dict.fromkeys(c["source"] for c in f.citations):
                downvoted[(f.collection, source)] += 1
    most = downvoted.most_common(top)
    if as_json:
        data = {
            "total": {
                "up": sum(c["up"] for c in by_collection.values()),
                "down": sum(c["down"] for c in by_collection.values()),
            },
            "collections": {
                k: {"up": v["up"], "down": v["down"]} for k, v in sorted(by_collection.items())
            },
            "most_downvoted": [{"collection": c, "source": s, "down": n} for (c, s), n in most],
        }
        sys.stdout.write(json.dumps(data, indent=2) + "\n")
        return
    table = Table(title=f"{len(ratings)} ratings")
    for col in ("collection", "up", "down"):
        table.add_column(col)
    for name, counts in sorted(by_collection.items()):
        table.add_row(name, str(counts["up"]), str(counts["down"]))
    out.print(table)
    docs = Table(title="documents cited by down-rated answers")
    for col in ("collection", "source", "down"):
        docs.add_column(col)
    for (collection, source), n in most:
        docs.add_row(collection, source, str(n))
    out.print(docs)
