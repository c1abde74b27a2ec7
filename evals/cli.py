"""`ragchat eval DATASET...` and `ragchat eval compare A B`."""

from __future__ import annotations

import json
import time
from pathlib import Path

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from evals import report
from evals.aggregate import metrics as aggregate
from evals.formats import DatasetError, load
from evals.runner import Result, run, target_for
from service.settings import Settings

err = Console(stderr=True)
out = Console(soft_wrap=True)


def parse_gates(gates: list[str]) -> dict[str, float]:
    parsed = {}
    for gate in gates:
        name, sep, value = gate.partition("=")
        try:
            parsed[name.strip()] = float(value)
        except ValueError:
            sep = ""
        if not sep:
            raise typer.BadParameter(f"--fail-under wants metric=value, got {gate!r}")
    return parsed


def failed_gates(metrics: dict[str, object], gates: dict[str, float]) -> list[str]:
    failures = []
    for name, floor in gates.items():
        value = metrics.get(name)
        if not isinstance(value, int | float):
            failures.append(f"{name}: no value (floor {floor})")
        elif name in ("refusal.false_rate", "latency.p50_ms", "latency.p95_ms"):
            if value > floor:
                failures.append(f"{name} = {value} is above the ceiling {floor}")
        elif value < floor:
            failures.append(f"{name} = {value} is below the floor {floor}")
    return failures


def compare_reports(a: Path, b: Path) -> None:
    table = Table(title=f"{a} -> {b}")
    for col in ("metric", "A", "B", "delta"):
        table.add_column(col)
    ra, rb = json.loads(a.read_text()), json.loads(b.read_text())
    for name, x, y, delta in report.compare(ra, rb):
        shown = "" if delta is None else f"{delta:+.4g}"
        table.add_row(name, str(x), str(y), shown)
    out.print(table)


def evaluate(
    datasets: list[Path],
    *,
    out_dir: Path,
    limit: int | None,
    llm: str | None,
    url: str | None,
    noise_rate: float,
    gates: dict[str, float],
    settings: Settings,
) -> None:
    if llm:
        settings = settings.model_copy(update={"llm": llm})
    failures: list[str] = []
    for path in datasets:
        try:
            evalset = load(path, noise_rate=noise_rate)
        except DatasetError as exc:
            raise typer.BadParameter(str(exc)) from None
        items = evalset.items[:limit] if limit else evalset.items
        dest = out_dir if len(datasets) == 1 else out_dir / evalset.name
        config = {
            "format": evalset.format,
            "llm": settings.llm,
            "url": url,
            "limit": limit,
            "noise_rate": noise_rate if evalset.format == "rgb" else None,
        }
        results: list[Result] = []
        partial = False
        t0 = time.perf_counter()
        docs = len(evalset.documents) + len(evalset.corpus_paths)
        err.print(f"[bold]{evalset.name}[/bold]: {docs} documents, {len(items)} questions")
        with (
            target_for(evalset, settings=settings, url=url) as target,
            Progress(
                TextColumn("[bold]asking"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                console=err,
                transient=True,
            ) as progress,
        ):
            task = progress.add_task("questions", total=len(items))
            try:
                for result in run(target, items):
                    results.append(result)
                    progress.advance(task)
            except KeyboardInterrupt:
                partial = True
                err.print(
                    f"[yellow]interrupted after {len(results)} questions; "
                    "writing a partial report[/yellow]"
                )
            metrics = aggregate(results, target.judge)
        wall = time.perf_counter() - t0
        report.write(
            dest,
            dataset=evalset.name,
            config=config,
            metrics=metrics,
            results=results,
            partial=partial,
            wall_s=wall,
        )
        table = Table(title=f"{evalset.name} ({wall:.0f} s) -> {dest}/report.html")
        table.add_column("metric")
        table.add_column("value")
        for k, v in metrics.items():
            table.add_row(k, "n/a" if v is None else str(v))
        out.print(table)
        failures += [f"{evalset.name}: {f}" for f in failed_gates(metrics, gates)]
        if partial:
            raise typer.Exit(code=130)
    for f in failures:
        err.print(f"[red]gate failed[/red] {f}")
    if failures:
        raise typer.Exit(code=1)
