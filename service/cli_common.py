"""What every `ragchat` command shares: consoles, settings errors, components."""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.markup import escape

from ingest.storage.errors import StorageError
from service.components import Components
from service.errors import RagchatError
from service.settings import Settings

err = Console(stderr=True)
out = Console(soft_wrap=True)

CollectionOpt = Annotated[str | None, typer.Option("--collection", "-c", help="collection name")]


def setup(*, quiet: bool = False) -> Components:
    """Quiet commands log warnings only, so their output is what the user reads."""
    try:
        settings = Settings()
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()
        )
        raise fail(f"invalid setting: {problems}") from None
    level = getattr(logging, settings.log_level.upper(), logging.INFO)
    logging.basicConfig(
        level=max(level, logging.WARNING) if quiet else level,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    for noisy in ("chromadb", "httpx", "httpx2", "openai", "sentence_transformers", "urllib3"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    return Components(settings)


def fail(message: str, code: int = 2) -> typer.Exit:
    err.print(f"[red]error:[/red] {escape(message)}")
    return typer.Exit(code=code)


@contextmanager
def opened(*, quiet: bool = True) -> Iterator[Components]:
    """Components closed afterwards; a bad collection name or id is a clean error."""
    comps = setup(quiet=quiet)
    try:
        yield comps
    except (RagchatError, StorageError, ValueError) as exc:
        raise fail(str(exc)) from exc
    finally:
        comps.close()
