"""`ragchat documents list|show|delete`."""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from ingest.index import check_collection
from ingest.storage import DocumentRecord
from ingest.uploads import delete_document
from service.cli_common import CollectionOpt, fail, opened, out

documents_app = typer.Typer(help="List, show or delete indexed documents.", no_args_is_help=True)


def _record_json(record: DocumentRecord) -> dict[str, object]:
    fields = {k: v for k, v in record.__dict__.items() if k != "tags_json"}
    return {**fields, "tags": record.tags}


@documents_app.command("list")
def documents_list(
    collection: CollectionOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
) -> None:
    """List the documents of a collection."""
    with opened() as comps:
        name = collection or comps.settings.collection
        records = comps.index.documents(name)
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
    with opened() as comps:
        name = collection or comps.settings.collection
        record = comps.index.get(check_collection(name), document_id)
        text = comps.index.document_text(name, document_id)
    if record is None or text is None:
        raise fail(f"no document {document_id!r} in collection {name!r}", code=1)
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
    missing: list[str] = []
    with opened() as comps:
        name = collection or comps.settings.collection
        for d in document_ids:
            gone = delete_document(index=comps.index, collection=name, document_id=d)
            if gone is None:
                missing.append(d)
    out.print(f"deleted {len(document_ids) - len(missing)} documents")
    if missing:
        raise fail(f"not found in {name}: {', '.join(missing)}")
