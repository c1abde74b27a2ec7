"""`ragchat doctor [--fix]`: check that every document's rows, vectors and file agree."""

from __future__ import annotations

import json
import sys
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table

from ingest.doctor import KINDS, diagnose, repair
from service.cli_common import CollectionOpt, err, opened, out


def doctor(
    fix: Annotated[bool, typer.Option("--fix", help="repair what can be repaired")] = False,
    collection: CollectionOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
) -> None:
    """Find documents whose chunks, vectors, keyword rows and stored file disagree.

    Exits 1 when problems remain (after --fix, those it could not repair).
    """
    with opened() as comps:
        names = [collection] if collection else None
        problems = diagnose(comps.index, names)
        left = problems
        if fix and problems:
            progress = Progress(
                TextColumn("[bold]repairing"), BarColumn(), MofNCompleteColumn(), console=err
            )
            with progress:
                task = progress.add_task("documents", total=len({p.document_id for p in problems}))
                repair(comps.ingestor, problems, lambda: progress.advance(task))
            left = diagnose(comps.index, names)
    if as_json:
        report = {
            "problems": [p.as_dict() for p in problems],
            "fixed": fix,
            "remaining": [p.as_dict() for p in left],
        }
        sys.stdout.write(json.dumps(report, indent=2) + "\n")
    else:
        _print(problems, left, fix)
    if left:
        raise typer.Exit(code=1)


def _print(problems: list, left: list, fix: bool) -> None:
    if not problems:
        out.print("all documents are consistent")
        return
    table = Table(title=f"{len(problems)} problems")
    for col in ("collection", "document", "source", "problem", "detail"):
        table.add_column(col)
    for p in problems:
        table.add_row(p.collection, p.document_id, p.source, p.kind, p.detail)
    out.print(table)
    for kind in sorted({p.kind for p in problems}):
        out.print(f"  {kind}: {KINDS[kind]}")
    if fix:
        out.print(f"repaired {len(problems) - len(left)}; {len(left)} remain")
    else:
        out.print("run `ragchat doctor --fix` to repair them")
