"""The `ragchat` command: ingest, ask, serve, eval, documents."""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from ingest.docstore import DocumentRecord
from ingest.index import check_collection
from ingest.uploads import delete_document
from service.components import Components
from service.errors import RagchatError
from service.schemas import Message
from service.settings import Settings

app = typer.Typer(
    help="Chat with your documents; every claim cites its exact passage.",
    no_args_is_help=True,
    add_completion=False,
)
documents_app = typer.Typer(help="List, show or delete indexed documents.", no_args_is_help=True)
app.add_typer(documents_app, name="documents")

err = Console(stderr=True)
out = Console(soft_wrap=True)

CollectionOpt = Annotated[str | None, typer.Option("--collection", "-c", help="collection name")]


def _setup(*, quiet: bool = False) -> Components:
    """Quiet commands log warnings only, so their output is what the user reads."""
    try:
        settings = Settings()
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()
        )
        raise _fail(f"invalid setting: {problems}") from None
    level = getattr(logging, settings.log_level.upper(), logging.INFO)
    logging.basicConfig(
        level=max(level, logging.WARNING) if quiet else level,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    for noisy in ("chromadb", "httpx", "httpx2", "openai", "sentence_transformers", "urllib3"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    return Components(settings)


def _fail(message: str, code: int = 2) -> typer.Exit:
    err.print(f"[red]error:[/red] {escape(message)}")
    return typer.Exit(code=code)


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
    comps = _setup(quiet=True)
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
        raise _fail(str(exc)) from exc
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
    comps = _setup(quiet=True)
    try:
        comps.warm_up()
        response = comps.chat.chat(
            messages=[Message(role="user", content=question)],
            collection=collection or comps.settings.collection,
        )
    except (RagchatError, ValueError) as exc:
        raise _fail(str(exc)) from exc
    finally:
        comps.close()
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
    import uvicorn

    from service.main import create_app

    comps = _setup()
    server = comps.settings.server
    uvicorn.run(
        create_app(components=comps),
        host=host or server.host,
        port=port or server.port,
        log_level=comps.settings.log_level.lower(),
    )


@app.command("eval")
def eval_command(
    datasets: Annotated[
        list[str], typer.Argument(help="dataset files, or: compare A/report.json B/report.json")
    ],
    out_dir: Annotated[Path, typer.Option("--out", help="report folder")] = Path("reports/eval"),
    limit: Annotated[int | None, typer.Option(help="ask only the first N questions")] = None,
    llm: Annotated[str | None, typer.Option(help="answerer mode for this run")] = None,
    url: Annotated[str | None, typer.Option(help="evaluate a running ragchat over HTTP")] = None,
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

    if datasets and datasets[0] == "compare":
        if len(datasets) != 3:
            raise _fail("usage: ragchat eval compare A/report.json B/report.json")
        compare_reports(Path(datasets[1]), Path(datasets[2]))
        return
    comps = _setup(quiet=True)
    evaluate(
        [Path(d) for d in datasets],
        out_dir=out_dir,
        limit=limit,
        llm=llm,
        url=url,
        noise_rate=noise_rate,
        gates=parse_gates(fail_under or []),
        settings=comps.settings,
        judge=judge,
        shared_index=shared_index,
    )


def _record_json(record: DocumentRecord) -> dict[str, object]:
    fields = {k: v for k, v in record.__dict__.items() if k != "tags_json"}
    return {**fields, "tags": record.tags}


@documents_app.command("list")
def documents_list(
    collection: CollectionOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
) -> None:
    """List the documents of a collection."""
    comps = _setup(quiet=True)
    name = collection or comps.settings.collection
    try:
        records = comps.index.documents(name)
    except ValueError as exc:
        raise _fail(str(exc)) from exc
    if as_json:
        sys.stdout.write(json.dumps([_record_json(r) for r in records], indent=2) + "\n")
        return
    table = Table(title=f"collection {name}: {len(records)} documents")
    for col in ("document_id", "source", "title", "chunks", "bytes"):
        table.add_column(col)
    for r in records:
        table.add_row(r.document_id, r.source, r.title[:60], str(r.chunk_count), str(r.size_bytes))
    out.print(table)


@documents_app.command("show")
def documents_show(
    document_id: Annotated[str, typer.Argument(help="the document id (see `documents list`)")],
    collection: CollectionOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
) -> None:
    """Show a document's metadata and the extracted text that citations point into."""
    comps = _setup(quiet=True)
    name = collection or comps.settings.collection
    try:
        record = comps.index.docs.get(check_collection(name), document_id)
        text = comps.index.document_text(name, document_id)
    except ValueError as exc:
        raise _fail(str(exc)) from exc
    finally:
        comps.close()
    if record is None or text is None:
        raise _fail(f"no document {document_id!r} in collection {name!r}", code=1)
    if as_json:
        body = {**_record_json(record), "text": text.text}
        sys.stdout.write(json.dumps(body, indent=2, ensure_ascii=False) + "\n")
        return
    updated = datetime.fromtimestamp(record.updated_at, tz=UTC).isoformat(timespec="seconds")
    table = Table(show_header=False, box=None)
    for key, value in (
        ("document_id", record.document_id),
        ("collection", name),
        ("source", record.source),
        ("path", record.path or ""),
        ("title", record.title),
        ("chunks", str(record.chunk_count)),
        ("size", f"{record.size_bytes} bytes"),
        ("updated", updated),
        ("version", record.version or ""),
    ):
        table.add_row(f"[bold]{key}[/bold]", escape(value))
    out.print(table)
    out.rule(f"extracted text ({len(text.text)} characters)")
    out.print(text.text, markup=False, highlight=False)


@documents_app.command("delete")
def documents_delete(
    document_ids: Annotated[list[str], typer.Argument(help="document ids to delete")],
    collection: CollectionOpt = None,
) -> None:
    """Delete documents and their chunks (and the stored copy of an uploaded file)."""
    comps = _setup(quiet=True)
    name = collection or comps.settings.collection
    uploads = comps.settings.data_dir / "uploads"
    missing: list[str] = []
    try:
        for d in document_ids:
            gone = delete_document(
                index=comps.index, collection=name, document_id=d, uploads_dir=uploads
            )
            if gone is None:
                missing.append(d)
    except ValueError as exc:
        raise _fail(str(exc)) from exc
    finally:
        comps.close()
    out.print(f"deleted {len(document_ids) - len(missing)} documents")
    if missing:
        raise _fail(f"not found in {name}: {', '.join(missing)}")


if __name__ == "__main__":
    app()
