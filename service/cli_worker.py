"""`ragchat worker`: run ingestion jobs from the shared queue until told to stop."""

from __future__ import annotations

import logging
import signal
import threading
from types import FrameType
from typing import Annotated

import typer

from ingest.storage.errors import StorageError
from service.cli_common import fail, out, setup

logger = logging.getLogger(__name__)


def worker(
    once: Annotated[
        bool, typer.Option("--once", help="run the queued jobs, then exit (for scripts)")
    ] = False,
) -> None:
    """Process ingestion jobs (POST /v1/ingest, ?wait=false uploads) from the database.

    SIGTERM or Ctrl-C lets the running job finish, then exits; a second one exits at once,
    and the job is taken up again by another worker once its heartbeat stops.
    """
    comps = setup()
    try:
        runner = comps.job_runner
        backend = comps.storage.backend
    except (StorageError, ValueError) as exc:
        comps.close()
        raise fail(str(exc)) from None
    stop = threading.Event()

    def on_signal(signum: int, _: FrameType | None) -> None:
        if stop.is_set():
            raise KeyboardInterrupt  # the second signal: leave now
        logger.info("signal %d: finishing the running job, then exiting", signum)
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    comps.recover()
    out.print(f"worker {runner.owner} on {backend}: waiting for jobs")
    try:
        if once:
            ran = 0
            while not stop.is_set() and runner.run_one() is not None:
                ran += 1
            out.print(f"ran {ran} jobs")
        else:
            runner.serve_forever(stop)
    except KeyboardInterrupt:
        raise typer.Exit(code=130) from None
    finally:
        comps.close()
