"""SIGTERM with answers streaming: each stream finishes, or ends with a shutting_down event."""

from __future__ import annotations

import json
import signal
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from service.components import Components
from service.main import create_app
from tests.conftest import article_env, ragchat_process, smollm_path

QUESTION = "Who signed the joint statement?"


def events(lines: Iterator[str]) -> Iterator[tuple[str, str]]:
    """(event, data) pairs of an SSE stream."""
    event = data = ""
    for line in lines:
        if line.startswith("event:"):
            event = line[6:].strip()
        elif line.startswith("data:"):
            data = line[5:].strip()
        elif not line and event:
            yield event, data
            event = data = ""


def stream_through_sigterm(tmp_path: Path, grace: str) -> tuple[list[tuple[str, str]], int]:
    """Start a streamed answer from the llamacpp answerer, SIGTERM the server after its first
    delta, and read the stream to its end; returns the events and the server's exit code."""
    env = {
        **article_env(tmp_path / "data"),
        "RAGCHAT_LLM": "llamacpp",
        "RAGCHAT_LLAMACPP_MODEL": str(smollm_path()),
        "RAGCHAT_GENERATION__MAX_ANSWER_TOKENS": "300",
        "RAGCHAT_SERVER__SHUTDOWN_GRACE_SECONDS": grace,
    }
    with ragchat_process(env) as (url, proc):
        seen: list[tuple[str, str]] = []
        body = {"messages": [{"role": "user", "content": QUESTION}], "stream": True}
        with httpx.stream("POST", f"{url}/v1/chat", json=body, timeout=300) as r:
            assert r.status_code == 200
            for event in events(r.iter_lines()):
                seen.append(event)
                if event[0] == "delta" and len(seen) == 1:
                    proc.send_signal(signal.SIGTERM)
        return seen, proc.wait(timeout=120)


def test_a_stream_in_flight_finishes_within_the_grace_period(tmp_path: Path) -> None:
    seen, code = stream_through_sigterm(tmp_path, grace="120")
    kinds = [e for e, _ in seen]
    assert kinds[-1] == "done", kinds[-5:]
    assert "error" not in kinds
    assert kinds.count("delta") > 1  # it went on after the signal
    assert code in (0, -signal.SIGTERM)  # uvicorn re-raises the signal once it has drained


def test_a_stream_past_the_grace_period_ends_with_a_shutting_down_event(tmp_path: Path) -> None:
    seen, code = stream_through_sigterm(tmp_path, grace="0")
    kind, data = seen[-1]
    assert kind == "error", [e for e, _ in seen][-5:]
    assert json.loads(data)["error"]["type"] == "shutting_down"
    assert "done" not in [e for e, _ in seen]
    assert code in (0, -signal.SIGTERM)  # uvicorn re-raises the signal once it has drained


@pytest.mark.parametrize(
    ("method", "path"), [("GET", "/readyz"), ("POST", "/v1/chat"), ("GET", "/v1/documents")]
)
def test_requests_while_draining_get_503(
    article_components: Components, method: str, path: str
) -> None:
    app = create_app(components=article_components)
    with TestClient(app) as client:
        assert client.get("/readyz").status_code == 200
        app.state.shutdown.begin()
        r = client.request(method, path, json={"messages": [{"role": "user", "content": "hi"}]})
        assert r.status_code == 503
        assert r.json()["error"]["type"] == "shutting_down"
        assert r.headers["connection"] == "close"
