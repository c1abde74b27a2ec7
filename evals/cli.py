"""`ragchat eval DATASET...` and `ragchat eval compare A B`."""

from __future__ import annotations

import importlib.util
import json
import logging
import time
from pathlib import Path

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from evals import report
from evals.aggregate import metrics as aggregate
from evals.breakdown import breakdown
from evals.formats import DatasetError, load
from evals.judge_ragas import (
    INSTALL,
    JudgeUnavailableError,
    RagasJudge,
    answers_with_openai,
    judge_configured,
    load_judge,
)
from evals.runner import Result, run, target_for
from ingest.embeddings import Embedder
from service.settings import Settings

logger = logging.getLogger(__name__)
err = Console(stderr=True)
out = Console(soft_wrap=True)


def report_dir(out_dir: Path, name: str, path: Path, used: set[str]) -> Path:
    """A subfolder per dataset; a name already used in this run gets its parent folder's name."""
    candidate = name
    if candidate in used:
        candidate = f"{path.resolve().parent.name}-{name}"
    base, n = candidate, 2
    while candidate in used:
        candidate, n = f"{base}-{n}", n + 1
    used.add(candidate)
    return out_dir / candidate


def want_judge(judge: bool | None, settings: Settings) -> bool:
    """None means: judge when the answerer is an OpenAI-compatible model and ragas is installed.

    True asks for the judge with any answerer, as long as such a model is configured.
    """
    if judge is False or (judge is None and not answers_with_openai(settings)):
        return False
    if not judge_configured(settings):
        raise typer.BadParameter(
            "the judge metrics need an OpenAI-compatible model: set OPENAI_BASE_URL "
            "and/or OPENAI_API_KEY (and RAGCHAT_OPENAI_MODEL)"
        )
    if importlib.util.find_spec("ragas") is None:
        if judge:
            raise typer.BadParameter(f"the judge metrics need ragas: {INSTALL}")
        err.print(f"[yellow]judge metrics skipped: ragas is not installed ({INSTALL})[/yellow]")
        return False
    return True


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


def _load_judge(settings: Settings, embedder: Embedder) -> RagasJudge:
    try:
        return load_judge(settings, embedder)
    except JudgeUnavailableError as exc:
        raise typer.BadParameter(str(exc)) from None


def evaluate(
    datasets: list[Path],
    *,
    out_dir: Path,
    limit: int | None,
    llm: str | None,
    articles: str | None = None,
    sample: int | None = None,
    url: str | None,
    noise_rate: float,
    gates: dict[str, float],
    settings: Settings,
    judge: bool | None = None,
    shared_index: bool = False,
    api_key: str | None = None,
) -> None:
    """judge: True/False forces the ragas judge on/off, None decides from the settings.
    shared_index: RGB questions see every question's passages instead of only their own.
    api_key: sent as a Bearer token to a --url service that sets RAGCHAT_API_KEYS.
    """
    if llm:
        settings = settings.model_copy(update={"llm": llm})
    judged = want_judge(judge, settings)
    failures: list[str] = []
    used: set[str] = set()
    for path in datasets:
        try:
            evalset = load(path, noise_rate=noise_rate, articles=articles)
        except DatasetError as exc:
            raise typer.BadParameter(str(exc)) from None
        docs = len(evalset.documents) + len(evalset.corpus_paths)
        live = [i for i in evalset.items if i.collection]
        if live and not url:
            raise typer.BadParameter(
                f"{path.name} asks in collections of a running service "
                f"({', '.join(sorted({i.collection for i in live}))}): pass --url"
            )
        if not docs and not live:
            raise typer.BadParameter(
                f"{path.name} has no documents to index: add a corpus row "
                '({"corpus": ["docs/"]}) or name each question\'s "collection"'
            )
        items = evalset.items[:limit] if limit else evalset.items
        if sample and sample < len(items):
            step = len(items) / sample
            items = [items[int(k * step)] for k in range(sample)]
        dest = out_dir if len(datasets) == 1 else report_dir(out_dir, evalset.name, path, used)
        rgb = evalset.format == "rgb"
        config = {
            "format": evalset.format,
            "llm": settings.llm,
            "url": url,
            "limit": limit,
            "articles": articles,
            "sample": sample,
            "noise_rate": noise_rate if rgb else None,
            "rgb_index": ("shared" if shared_index else "isolated") if rgb else None,
            "judge": settings.openai_model if judged else None,
        }
        results: list[Result] = []
        partial = False
        t0 = time.perf_counter()
        where = (
            f"asked in the live collection(s) {', '.join(sorted({i.collection for i in live}))}"
            if live
            else f"{docs} documents"
        )
        err.print(f"[bold]{evalset.name}[/bold]: {len(items)} questions, {where}")
        with (
            target_for(
                evalset,
                settings=settings,
                url=url,
                isolated=rgb and not shared_index,
                api_key=api_key,
            ) as target,
            Progress(
                TextColumn("[bold]asking and judging" if judged else "[bold]asking"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                console=err,
                transient=True,
            ) as progress,
        ):
            task = progress.add_task("questions", total=len(items))
            answer_judge: RagasJudge | None = None
            try:
                if judged:
                    answer_judge = _load_judge(settings, target.embedder)
                for result in run(target, items, judge=answer_judge):
                    results.append(result)
                    progress.advance(task)
            except KeyboardInterrupt:
                partial = True
                err.print(
                    f"[yellow]interrupted after {len(results)} questions; "
                    "writing a partial report[/yellow]"
                )
            finally:
                if answer_judge is not None:
                    answer_judge.close()
            metrics = aggregate(results, target.judge, judged=judged)
        wall = time.perf_counter() - t0
        report.write(
            dest,
            dataset=evalset.name,
            config=config,
            metrics=metrics,
            results=results,
            partial=partial,
            wall_s=wall,
            groups=(groups := breakdown(results)),
        )
        table = Table(title=f"{evalset.name} ({wall:.0f} s) -> {dest}/report.html")
        table.add_column("metric")
        table.add_column("value")
        for k, v in metrics.items():
            table.add_row(k, "n/a" if v is None else str(v))
        out.print(table)
        if groups:
            parts = Table(title=f"{evalset.name}: by split and kind")
            for col in ("split/kind", "n", "right", "answerable right", "unanswerable refused"):
                parts.add_column(col)
            for name, g in groups.items():
                parts.add_row(
                    name,
                    str(g["n"]),
                    str(g["correct"]),
                    "n/a" if g["answerable_correct"] is None else str(g["answerable_correct"]),
                    "n/a" if g["unanswerable_refused"] is None else str(g["unanswerable_refused"]),
                )
            out.print(parts)
        failures += [f"{evalset.name}: {f}" for f in failed_gates(metrics, gates)]
        if partial:
            raise typer.Exit(code=130)
    for f in failures:
        err.print(f"[red]gate failed[/red] {f}")
    if failures:
        raise typer.Exit(code=1)
