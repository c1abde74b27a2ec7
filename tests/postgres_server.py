"""Which database the suite runs against: SQLite files (default) or a real PostgreSQL.

PostgreSQL mode is chosen with `pytest --database=postgres` or
`RAGCHAT_TEST_DATABASE=postgres`. One server (`initdb` and `pg_ctl` on a temp dir,
127.0.0.1, a free port) serves the whole session, or the one `RAGCHAT_TEST_POSTGRES_URL`
names; every ragchat data dir gets its own database, migrated with the same code
`ragchat db upgrade` runs, so tests never see each other's rows.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path
from typing import Any

MODES = ("sqlite", "postgres")
DATABASE_VARS = ("RAGCHAT_DATABASE_URL",)
STARTUP_S = 60.0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def pg_bin(name: str) -> str:
    """A PostgreSQL server program: on PATH, else in Debian's versioned directory."""
    found = shutil.which(name)
    if found:
        return found
    for version in sorted(Path("/usr/lib/postgresql").glob("*"), reverse=True):
        candidate = version / "bin" / name
        if candidate.exists():
            return str(candidate)
    raise RuntimeError(f"{name} not found: install PostgreSQL (apt-get install postgresql)")


def _as_server_user(cmd: list[str]) -> list[str]:
    """initdb refuses to run as root: run the server programs as `postgres` then."""
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *cmd]
    return cmd


class PostgresServer:
    """A throwaway cluster: trust auth on 127.0.0.1 only, fsync off (tests need no durability)."""

    def __init__(self, root: Path | None = None) -> None:
        """`root` must be a directory the `postgres` user can reach; default: a new one."""
        self.root = root or Path(tempfile.mkdtemp(prefix="ragchat-pg-"))
        self.data = self.root / "pgdata"
        self.log = self.root / "postgres.log"
        self.port = 0

    @property
    def admin_url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def url(self, database: str) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def start(self) -> PostgresServer:
        self.root.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            shutil.chown(self.root, "postgres")
        subprocess.run(
            _as_server_user(
                [
                    pg_bin("initdb"),
                    "-D",
                    str(self.data),
                    "-U",
                    "postgres",
                    "-A",
                    "trust",
                    "-E",
                    "UTF8",
                    "--locale=C.UTF-8",
                ]
            ),
            check=True,
            capture_output=True,
        )
        for _ in range(3):  # the port can be taken between probing and binding
            self.port = _free_port()
            options = (
                f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.root} -c fsync=off "
                "-c synchronous_commit=off -c full_page_writes=off -c max_connections=300"
            )
            done = subprocess.run(
                _as_server_user(
                    [
                        pg_bin("pg_ctl"),
                        "-D",
                        str(self.data),
                        "-l",
                        str(self.log),
                        "-o",
                        options,
                        "-w",
                        "-t",
                        str(int(STARTUP_S)),
                        "start",
                    ]
                ),
                capture_output=True,
                text=True,
            )
            if done.returncode == 0:
                return self
        raise RuntimeError(f"PostgreSQL did not start: {done.stderr}\n{self._log_tail()}")

    def _log_tail(self, limit: int = 4000) -> str:
        try:
            return self.log.read_text(errors="replace")[-limit:]
        except OSError:
            return "(no log)"

    def stop(self) -> None:
        if self.port and (self.data / "postmaster.pid").exists():
            subprocess.run(
                _as_server_user(
                    [pg_bin("pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop"]
                ),
                capture_output=True,
            )


class DatabaseTarget:
    """The suite's database: settings and env vars for a given ragchat data dir."""

    def __init__(self) -> None:
        self.mode = "sqlite"
        self.server: PostgresServer | None = None
        self._external = os.environ.get("RAGCHAT_TEST_POSTGRES_URL", "")
        self._root: Path | None = None
        self._error: str | None = None
        self._databases: set[str] = set()

    def configure(self, mode: str) -> None:
        if mode not in MODES:
            raise ValueError(f"--database / RAGCHAT_TEST_DATABASE must be one of {MODES}")
        self.mode = mode

    def _server_url(self, database: str) -> str:
        if self._external:
            base = self._external.rsplit("/", 1)[0]
            return f"{base}/{database}"
        if self._error:
            raise RuntimeError(self._error)
        if self.server is None:
            self.server = PostgresServer()
            self._root = self.server.root
            try:
                self.server.start()
            except (RuntimeError, subprocess.CalledProcessError) as exc:
                self._error = f"PostgreSQL for the tests: {exc}"
                raise RuntimeError(self._error) from exc
        return self.server.url(database)

    def url_for(self, data_dir: Path) -> str:
        """One migrated database per data dir, created on first use."""
        import psycopg

        from ingest.storage.postgres.migrations import upgrade

        digest = hashlib.sha256(str(data_dir.resolve()).encode()).hexdigest()[:24]
        name = f"ragchat_test_{digest}"
        url = self._server_url(name)
        if name not in self._databases:
            with psycopg.connect(self._server_url("postgres"), autocommit=True) as conn:
                exists = conn.execute(
                    "SELECT 1 FROM pg_database WHERE datname = %s", (name,)
                ).fetchone()
                if not exists:
                    conn.execute(f'CREATE DATABASE "{name}"')
            upgrade(url)
            self._databases.add(name)
        return url

    def settings(self, data_dir: Path) -> dict[str, Any]:
        """Keyword arguments for Settings(); explicit in both modes so the shell cannot leak in."""
        if self.mode == "postgres":
            return {"database_url": self.url_for(data_dir)}
        return {"database_url": None}

    def env(self, data_dir: Path) -> dict[str, str]:
        if self.mode == "postgres":
            return {"RAGCHAT_DATABASE_URL": self.url_for(data_dir)}
        return {}

    def close(self) -> None:
        if self.server:
            self.server.stop()
            self.server = None
        if self._root:
            shutil.rmtree(self._root, ignore_errors=True)
            self._root = None


DATABASE = DatabaseTarget()
