"""The `ragchat` command: ingest, ask, serve, eval, documents."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from ingest.storage.errors import StorageError
from service.cli_common import CollectionOpt, err, fail, opened, out, setup
from service.cli_db import db_app
from service.cli_doctor import doctor
from service.cli_documents import documents_app
from service.cli_feedback import feedback_app
from service.cli_worker import worker
from service.schemas import Message

app = typer.Typer(
    help="Chat with your documents; every claim cites its exact passage.",
    no_args_is_help=True,
    add_completion=False,
)
app.add_typer(documents_app, name="documents")
app.add_typer(db_app, name="db")
app.add_typer(feedback_app, name="feedback")
app.command("worker")(worker)
app.command("doctor")(doctor)


@app.command()
def ingest(
    paths: Annotated[list[Path], typer.Argument(help="files or folders to ingest")],
    collection: CollectionOpt = None,
    prune: Annotated[bool, typer.Option(help="delete documents whose files are gone")] = False,
    tag: Annotated[
        list[str] | None, typer.Option(help="tag the documents (repeatable); filters can use it")
    ] = None,
) -> None:
    """Load, clean, chunk and embed files into the index; unchanged files cost nothing."""
    comps = setup(quiet=True)
    name = collection or comps.settings.collection
    progress = Progress(
        TextColumn("[bold]ingesting"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=True,
    )
    try:
        with progress:
            task = progress.add_task("files", total=None)
            report = comps.ingestor.ingest(
                paths,
                collection=name,
                prune=prune,
                tags=tag,
                on_start=lambda n: progress.update(task, total=n),
                on_file=lambda: progress.advance(task),
            )
    except (FileNotFoundError, ValueError) as exc:
        raise fail(str(exc)) from exc
    finally:
        comps.close()
    for path, reason in report.failed:
        err.print(f"[yellow]failed[/yellow] {path}: {reason}")
    for path, reason in report.skipped:
        err.print(f"[dim]skipped {path}: {reason}[/dim]")
    out.print(
        f"collection {name}: {report.added} added, {report.updated} updated, "
        f"{report.unchanged} unchanged, {report.deleted} deleted, {len(report.failed)} failed "
        f"({report.chunks} chunks embedded)"
    )
    if report.failed and not (report.added or report.updated or report.unchanged):
        raise typer.Exit(code=1)


@app.command()
def ask(
    question: Annotated[str, typer.Argument(help="the question")],
    collection: CollectionOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="print the response object")] = False,
) -> None:
    """Answer one question from the indexed documents, with citations."""
    with opened() as comps:
        comps.warm_up()
        response = comps.chat.chat(
            messages=[Message(role="user", content=question)],
            collection=collection or comps.settings.collection,
        )
    if as_json:
        sys.stdout.write(response.model_dump_json(indent=2) + "\n")
        return
    out.print(response.answer, markup=False)
    for c in response.citations:
        flag = "" if c.supported else " [red]NOT SUPPORTED[/red]"
        page = f"page {c.page}, " if c.page else ""
        section = f"{c.section}, " if c.section else ""
        where = f"{page}{section}chars {c.start}-{c.end}, score {c.score}"
        out.print(f"\n[bold]\\[{c.index}][/bold] {c.source} ({where}){flag}")
        out.print("    " + " ".join(c.quote.split()), markup=False, style="italic")


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="bind address")] = None,
    port: Annotated[int | None, typer.Option(help="port")] = None,
) -> None:
    """Run the HTTP API."""
    from service.api.shutdown import serve as run_server
    from service.main import create_app

    comps = setup()
    server = comps.settings.server
    try:
        _ = comps.storage  # a database that is down or behind its migrations stops us here
        app = create_app(components=comps)
    except (ValueError, StorageError) as exc:  # and settings create_app checks (keys, rates)
        comps.close()
        raise fail(str(exc)) from None
    run_server(
        app,
        host=host or server.host,
        port=port or server.port,
        log_level=comps.settings.log_level.lower(),
        shutdown=app.state.shutdown,
    )


@app.command("eval")
def eval_command(
    datasets: Annotated[
        list[str], typer.Argument(help="dataset files, or: compare A/report.json B/report.json")
    ],
    out_dir: Annotated[Path, typer.Option("--out", help="report folder")] = Path("reports/eval"),
    limit: Annotated[int | None, typer.Option(help="ask only the first N questions")] = None,
    articles: Annotated[
        str | None,
        typer.Option(
            help="SQuAD files: only articles START:STOP (0:8 = the first 8, 8: = the rest)"
        ),
    ] = None,
    sample: Annotated[
        int | None, typer.Option(help="ask N questions spread evenly over the set")
    ] = None,
    llm: Annotated[str | None, typer.Option(help="answerer mode for this run")] = None,
    url: Annotated[str | None, typer.Option(help="evaluate a running ragchat over HTTP")] = None,
    api_key: Annotated[
        str | None,
        typer.Option(envvar="RAGCHAT_API_KEY", help="key for a --url service with API keys"),
    ] = None,
    noise_rate: Annotated[float, typer.Option(help="RGB: share of noise passages")] = 0.4,
    fail_under: Annotated[
        list[str] | None, typer.Option(help="metric=value; exit 1 when a metric misses it")
    ] = None,
    judge: Annotated[
        bool | None,
        typer.Option(
            "--judge/--no-judge",
            help="ragas judge metrics; default: when the answerer is an OpenAI-compatible model",
        ),
    ] = None,
    shared_index: Annotated[
        bool, typer.Option(help="RGB: index all questions' passages together")
    ] = False,
) -> None:
    """Score retrieval, answers, citations and refusals; write report.json/.md/.html."""
    from evals.cli import compare_reports, evaluate, parse_gates
    from evals.targets import TargetAuthError

    if datasets and datasets[0] == "compare":
        if len(datasets) != 3:
            raise fail("usage: ragchat eval compare A/report.json B/report.json")
        compare_reports(Path(datasets[1]), Path(datasets[2]))
        return
    comps = setup(quiet=True)
    try:
        evaluate(
            [Path(d) for d in datasets],
            out_dir=out_dir,
            limit=limit,
            articles=articles,
            sample=sample,
            llm=llm,
            url=url,
            noise_rate=noise_rate,
            gates=parse_gates(fail_under or []),
            settings=comps.settings,
            judge=judge,
            shared_index=shared_index,
            api_key=api_key,
        )
    except TargetAuthError as exc:
        raise fail(str(exc)) from None


if __name__ == "__main__":
    app()
