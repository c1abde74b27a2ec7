"""Which Chroma the suite runs against: embedded (default) or a real `chroma run` on loopback.

Server mode is chosen with `pytest --chroma=server` or `RAGCHAT_TEST_CHROMA=server`. One
server serves the whole session; every ragchat data dir gets its own Chroma database, so
tests sharing the server never see each other's chunks, as separate deployments would not.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

MODES = ("embedded", "server")
CHROMA_VARS = (
    "RAGCHAT_CHROMA_URL",
    "RAGCHAT_CHROMA_TENANT",
    "RAGCHAT_CHROMA_DATABASE",
    "RAGCHAT_CHROMA_HEADERS",
)
TENANT = "default_tenant"
STARTUP_S = 60.0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def chroma_executable() -> Path:
    """The CLI installed beside this interpreter, whatever PATH says."""
    exe = Path(sys.executable).with_name("chroma")
    if not exe.exists():
        raise RuntimeError(f"{exe} is missing: pip install chromadb in the test venv")
    return exe


def stop_process(proc: subprocess.Popen | None) -> None:
    """Terminate a test server, killing it if it ignores that for 20 s."""
    if proc and proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


class ChromaServer:
    """A real `chroma run --path TMP --port P --host 127.0.0.1`."""

    def __init__(self, root: Path) -> None:
        self.path = root / "chroma-server"
        self.log = root / "chroma-server.log"
        self.port = 0
        self.proc: subprocess.Popen[bytes] | None = None
        self._databases: set[str] = set()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> ChromaServer:
        cmd = [str(chroma_executable()), "run", "--path", str(self.path), "--host", "127.0.0.1"]
        for _ in range(3):  # the port can be taken between probing and binding
            self.port = _free_port()
            with self.log.open("ab") as log:
                self.proc = subprocess.Popen(
                    [*cmd, "--port", str(self.port)],
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    stdin=subprocess.DEVNULL,
                    env={**os.environ, "ANONYMIZED_TELEMETRY": "False", "NO_COLOR": "1"},
                )
            if self._wait_ready():
                return self
            tail = self._log_tail().lower()
            if self.proc.poll() is None or not ("not available" in tail or "in use" in tail):
                break  # hung, or failed for a reason a new port would not fix
        self.stop()
        raise RuntimeError(f"chroma run did not come up; its log:\n{self._log_tail()}")

    def _wait_ready(self) -> bool:
        assert self.proc is not None
        deadline = time.monotonic() + STARTUP_S
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                return False
            try:
                if httpx.get(f"{self.url}/api/v2/heartbeat", timeout=1).status_code == 200:
                    return True
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        return False

    def _log_tail(self, limit: int = 4000) -> str:
        try:
            return self.log.read_text(errors="replace")[-limit:]
        except OSError:
            return "(no log)"

    def database_for(self, data_dir: Path) -> str:
        """One database per data dir, created on first use, named after the dir's path."""
        digest = hashlib.sha256(str(data_dir.resolve()).encode()).hexdigest()[:24]
        name = f"ragchat-test-{digest}"
        if name not in self._databases:
            r = httpx.post(
                f"{self.url}/api/v2/tenants/{TENANT}/databases", json={"name": name}, timeout=10
            )
            if r.status_code != 200 and "already exists" not in r.text:
                raise RuntimeError(f"creating Chroma database {name}: {r.status_code} {r.text}")
            self._databases.add(name)
        return name

    def stop(self) -> None:
        stop_process(self.proc)


class ChromaTarget:
    """The suite's Chroma: settings and env vars for a given ragchat data dir."""

    def __init__(self) -> None:
        self.mode = "embedded"
        self.server: ChromaServer | None = None
        self._root: Path | None = None
        self._error: str | None = None

    def configure(self, mode: str) -> None:
        if mode not in MODES:
            raise ValueError(f"--chroma / RAGCHAT_TEST_CHROMA must be one of {MODES}, not {mode!r}")
        self.mode = mode

    def running_server(self) -> ChromaServer:
        """Started on first use; a failed start fails every later test at once, not slowly."""
        if self._error:
            raise RuntimeError(self._error)
        if self.server is None:
            self._root = Path(tempfile.mkdtemp(prefix="ragchat-chroma-"))
            try:
                self.server = ChromaServer(self._root).start()
            except RuntimeError as exc:
                self._error = str(exc)
                raise
        return self.server

    def settings(self, data_dir: Path) -> dict[str, Any]:
        """Keyword arguments for Settings(); explicit in both modes so the shell cannot leak in."""
        chosen: dict[str, Any] = {"chroma_url": "", "chroma_database": ""}
        if self.mode == "server":
            server = self.running_server()
            chosen = {"chroma_url": server.url, "chroma_database": server.database_for(data_dir)}
        return {**chosen, "chroma_tenant": "", "chroma_headers": {}}

    def env(self, data_dir: Path) -> dict[str, str]:
        """A full environment for a `ragchat` subprocess using this data dir."""
        env = {k: v for k, v in os.environ.items() if k not in CHROMA_VARS}
        env["RAGCHAT_DATA_DIR"] = str(data_dir)
        if self.mode == "server":
            server = self.running_server()
            env["RAGCHAT_CHROMA_URL"] = server.url
            env["RAGCHAT_CHROMA_DATABASE"] = server.database_for(data_dir)
        return env

    def close(self) -> None:
        if self.server:
            self.server.stop()
            self.server = None
        if self._root:
            shutil.rmtree(self._root, ignore_errors=True)
            self._root = None


CHROMA = ChromaTarget()


def ragchat_env(data_dir: Path, **extra: str) -> dict[str, str]:
    """os.environ for a `ragchat` subprocess on `data_dir`: the suite's Chroma and database."""
    from tests.postgres_server import DATABASE, DATABASE_VARS

    env = {k: v for k, v in CHROMA.env(data_dir).items() if k not in DATABASE_VARS}
    return {**env, **DATABASE.env(data_dir), **extra}
