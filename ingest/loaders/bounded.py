"""Parsing files from strangers in worker processes with a deadline and a memory cap.

The loaders refuse what `ParseLimits` can see coming (a zip bomb's declared size, a
PDF's page count); the worker is the backstop for what they cannot: a parser that loops
or allocates without bound costs a worker that the kernel then ends, never the server.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

from ingest.loaders import base
from ingest.loaders.base import LoadedDocument, ParseLimits, Region, loader_for
from ingest.loaders.worker import encode_request, recv_message, send_message

logger = logging.getLogger(__name__)

# Errors a worker may report, by name: the server never unpickles what a worker sends.
_ERRORS: dict[str, type[Exception]] = {
    cls.__name__: cls
    for cls in (
        base.UnsupportedFileError,
        base.UnsupportedTypeError,
        base.FileTooLargeError,
        base.EmptyDocumentError,
        base.ParseLimitError,
    )
}
# A worker's alarm ends it at the timeout; the server waits this much longer for the EOF.
_GRACE_S = 1.0


class ParserCrashedError(RuntimeError):
    """A worker ended without an answer and before its deadline: a bug, so a 500."""


class BoundedParser:
    """`load_bytes` in a fresh worker process that the kernel ends on overrun.

    Workers are forked by a helper process that imported the parsers once, never by the
    server: forking a process with threads (uvicorn's pool, torch's) can copy a held
    lock, and its gigabytes of address space would leave a memory cap meaningless. A
    worker per file starts in a few milliseconds and leaves nothing behind after a parse
    that ran out of memory. At most `limits.workers` files parse at once; more wait.
    """

    def __init__(self, limits: ParseLimits | None = None) -> None:
        self.limits = limits or ParseLimits()
        self._slots = threading.BoundedSemaphore(self.limits.workers)
        self._lock = threading.Lock()
        self._helper: subprocess.Popen[bytes] | None = None
        self._control: socket.socket | None = None

    def parse(self, data: bytes, name: str) -> LoadedDocument:
        """As `load_bytes(data, name)`, plus a `ParseLimitError` (413) on overrun."""
        loader_for(name)  # an unsupported type needs no worker
        with self._slots:
            return self._run(data, name)

    def warm_up(self) -> None:
        """Start the helper now (about 0.3 s) so that the first upload does not wait for it."""
        self.parse(b"warm up", "warm-up.txt")

    def close(self) -> None:
        """Stop the helper; workers still running end at their own deadline."""
        with self._lock:
            self._stop_helper()

    def _run(self, data: bytes, name: str) -> LoadedDocument:
        started = time.monotonic()
        conn = self._new_worker()
        try:
            conn.settimeout(self.limits.timeout_s + _GRACE_S)
            send_message(conn, encode_request(name, self.limits))
            send_message(conn, data)
            answer = recv_message(conn)
        except TimeoutError:
            raise _timed_out(name, self.limits) from None
        except OSError:  # the worker died while reading the request
            answer = None
        finally:
            conn.close()
        if answer is None:
            if time.monotonic() - started >= self.limits.timeout_s:
                raise _timed_out(name, self.limits)
            raise ParserCrashedError(f"{name}: the parser stopped without an answer")
        return _decode(answer, name, self.limits)

    def _new_worker(self) -> socket.socket:
        """A socket to a freshly forked worker; restarts the helper once if it died."""
        ours, theirs = socket.socketpair()
        try:
            with self._lock:
                for attempt in range(2):
                    try:
                        socket.send_fds(self._ensure_helper(), [b"w"], [theirs.fileno()])
                        break
                    except OSError:
                        self._stop_helper()
                        if attempt:
                            raise
                        logger.warning("the parse helper had ended; starting a new one")
        finally:
            theirs.close()
        return ours

    def _stop_helper(self) -> None:
        """Closing its socket ends the helper; a helper that already died is only reaped."""
        if self._control is not None:
            self._control.close()
            self._control = None
        if self._helper is not None:
            try:
                self._helper.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self._helper.kill()
                self._helper.wait()
            self._helper = None

    def _ensure_helper(self) -> socket.socket:
        if self._control is not None:
            return self._control
        control, theirs = socket.socketpair()
        env = dict(os.environ)
        root = str(Path(__file__).resolve().parents[2])  # so `-m` finds ingest uninstalled
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [root, env.get("PYTHONPATH")]))
        self._helper = subprocess.Popen(
            [sys.executable, "-m", "ingest.loaders.worker", str(theirs.fileno())],
            pass_fds=[theirs.fileno()],
            stdin=subprocess.DEVNULL,
            env=env,
            start_new_session=True,  # a Ctrl-C meant for the server does not reach it
        )
        theirs.close()
        self._control = control
        return control


def _decode(answer: bytearray, name: str, limits: ParseLimits) -> LoadedDocument:
    message: dict[str, Any] = json.loads(answer)
    if "ok" in message:
        doc = message["ok"]
        return LoadedDocument(
            text=doc["text"],
            title=doc["title"],
            metadata=doc["metadata"],
            regions=[Region(start, end, metadata) for start, end, metadata in doc["regions"]],
        )
    if "memory" in message:
        raise base.ParseLimitError(
            f"{name}: parsing needed more memory than the limit of {limits.memory_mb} MB "
            "(RAGCHAT_PARSE__MEMORY_MB)"
        )
    kind, text = message["error"]
    if kind in _ERRORS:
        raise _ERRORS[kind](text)
    raise ParserCrashedError(f"{name}: the parser failed: {kind}: {text}")


def _timed_out(name: str, limits: ParseLimits) -> base.ParseLimitError:
    return base.ParseLimitError(
        f"{name}: parsing took longer than the limit of {limits.timeout_s} s "
        "(RAGCHAT_PARSE__TIMEOUT_S)"
    )
