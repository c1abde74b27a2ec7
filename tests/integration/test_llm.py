"""The openai answerer against a real llama.cpp server, and the llamacpp answerer in process."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
from fastapi.testclient import TestClient

from service.components import Components
from service.main import create_app
from service.schemas import Message
from tests.chroma_server import ragchat_env
from tests.conftest import (
    ROOT,
    LlamaServer,
    assert_citations_exact,
    free_port,
    ragchat_server,
    smollm_path,
)

QUESTION = "Who signed the joint statement?"
NEAR_MISS = "When will the military engineering unit arrive in Ukraine?"


def openai_components(
    make_components: Callable[..., Components], article_dir: Path, url: str
) -> Components:
    comps = make_components(
        llm="openai",
        openai_base_url=url,
        openai_model="smollm2",
        generation={"max_answer_tokens": 96, "timeout_s": 30, "max_retries": 0},
    )
    comps.ingestor.ingest([article_dir], collection="default")
    return comps


def test_openai_backend_answers_from_the_model_with_verified_citations(
    make_components: Callable[..., Components], article_dir: Path, llama_server: LlamaServer
) -> None:
    comps = openai_components(make_components, article_dir, llama_server.url)
    r = comps.chat.chat(messages=[Message(role="user", content=QUESTION)], collection="default")
    assert r.model == "smollm2"
    assert r.answer.strip()
    assert_citations_exact(comps, r)
    assert r.unsupported_sentences >= 0


def test_the_answer_length_cap_reaches_the_model_server(llama_server: LlamaServer) -> None:
    """llama.cpp's server ignores `max_completion_tokens` (langchain-openai's field): an
    essay asked for with a cap of 8 tokens must stop at 8."""
    from ingest.tokenizer import count_tokens
    from service.llm.openai_chat import OpenAIChatModel
    from service.settings import Settings

    model = OpenAIChatModel(
        Settings(openai_base_url=llama_server.url, openai_model="smollm2", llm="openai")
    )
    essay = [{"role": "user", "content": "Write a long essay about the history of Rome."}]
    text = model.complete(essay, max_tokens=8)
    assert text.strip()
    assert count_tokens(text) <= 16, text  # SmolLM2's 8 tokens, counted by another tokenizer


def parse_sse(lines: Iterator[str]) -> list[tuple[str, str]]:
    events, event = [], "message"
    for line in lines:
        if line.startswith("event:"):
            event = line.split(":", 1)[1].strip()
        elif line.startswith("data:"):
            events.append((event, line.split(":", 1)[1].strip()))
    return events


def test_streaming_sends_deltas_then_citations_then_done(
    make_components: Callable[..., Components], article_dir: Path, llama_server: LlamaServer
) -> None:
    comps = openai_components(make_components, article_dir, llama_server.url)
    with (
        TestClient(create_app(components=comps)) as client,
        client.stream(
            "POST",
            "/v1/chat",
            json={"messages": [{"role": "user", "content": QUESTION}], "stream": True},
        ) as r,
    ):
        assert r.status_code == 200
        assert r.headers["content-type"].startswith("text/event-stream")
        events = parse_sse(r.iter_lines())
    kinds = [k for k, _ in events]
    assert kinds.count("delta") >= 2
    assert kinds[-2:] == ["citations", "done"]
    streamed = "".join(json.loads(d)["text"] for k, d in events if k == "delta")
    done = json.loads(events[-1][1])
    assert streamed.strip()
    assert done["model"] == "smollm2"
    assert "first_token" in done["timings_ms"]
    assert json.loads(events[-2][1]) == done["citations"]


def test_dead_model_server_gives_503_then_recovers(
    make_components: Callable[..., Components], article_dir: Path
) -> None:
    port = free_port()
    comps = openai_components(make_components, article_dir, f"http://127.0.0.1:{port}/v1")
    with TestClient(create_app(components=comps)) as client:
        body = {"messages": [{"role": "user", "content": QUESTION}]}
        r = client.post("/v1/chat", json=body)
        assert r.status_code == 503
        assert r.json()["error"]["type"] == "llm_unavailable"
        r = client.post("/v1/chat", json={**body, "stream": True})
        assert r.status_code == 503
        assert client.get("/healthz").status_code == 200
        server = LlamaServer(port).start()
        try:
            r = client.post("/v1/chat", json=body)
            assert r.status_code == 200, r.text
            assert r.json()["model"] == "smollm2"
        finally:
            server.stop()


def test_no_evidence_means_no_model_call(
    make_components: Callable[..., Components], article_dir: Path
) -> None:
    # The model server is down: a refusal proves it was never asked.
    comps = openai_components(make_components, article_dir, f"http://127.0.0.1:{free_port()}/v1")
    r = comps.chat.chat(
        messages=[Message(role="user", content="What is the boiling point of mercury?")],
        collection="default",
    )
    assert r.refused
    assert r.citations == []


def test_the_gate_refuses_a_near_miss_before_the_model_is_asked(
    make_components: Callable[..., Components], article_dir: Path, llama_server: LlamaServer
) -> None:
    # The article covers the unit but not when it arrives. A dead model server proves the gate
    # refused without asking; the live one shows an answerable question still reaches it.
    dead = openai_components(make_components, article_dir, f"http://127.0.0.1:{free_port()}/v1")
    near_miss = [Message(role="user", content=NEAR_MISS)]
    r = dead.chat.chat(messages=near_miss, collection="default")
    assert r.refused
    assert r.citations == []
    assert r.answer.startswith("The indexed documents mention")
    live = openai_components(make_components, article_dir, llama_server.url)
    assert live.chat.chat(messages=near_miss, collection="default").answer == r.answer
    answered = live.chat.chat(
        messages=[Message(role="user", content=QUESTION)], collection="default"
    )
    assert not answered.answer.startswith("The indexed documents mention")
    assert answered.model == "smollm2"


def test_llamacpp_backend_in_process(
    make_components: Callable[..., Components], article_dir: Path
) -> None:
    comps = make_components(
        llm="llamacpp",
        llamacpp_model=str(smollm_path()),
        generation={"max_answer_tokens": 96},
    )
    comps.ingestor.ingest([article_dir], collection="default")
    r = comps.chat.chat(messages=[Message(role="user", content=QUESTION)], collection="default")
    assert r.model == "SmolLM2-135M-Instruct.Q4_1"
    assert r.answer.strip()
    assert_citations_exact(comps, r)


def test_client_disconnect_stops_generation(
    llama_server: LlamaServer, article_dir: Path, tmp_path: Path
) -> None:
    env = ragchat_env(
        tmp_path / "d",
        RAGCHAT_LLM="openai",
        OPENAI_BASE_URL=llama_server.url,
        RAGCHAT_OPENAI_MODEL="smollm2",
        RAGCHAT_GENERATION__MAX_ANSWER_TOKENS="2000",
    )
    subprocess.run(
        [sys.executable, "-m", "service.cli", "ingest", str(article_dir)],
        env=env,
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    log = tmp_path / "serve.log"
    with ragchat_server(env, log=log) as url:
        question = (
            "Describe the joint statement and the treaty between North Korea and Russia in detail."
        )
        with httpx.stream(
            "POST",
            f"{url}/v1/chat",
            timeout=60,
            json={"messages": [{"role": "user", "content": question}], "stream": True},
        ) as r:
            deltas = 0
            for line in r.iter_lines():
                if line.startswith("event: delta"):
                    deltas += 1
                if deltas >= 3:
                    break
        for _ in range(40):
            if "stream c" in log.read_text():
                break
            time.sleep(0.25)
        text = log.read_text()
        assert re.search(r"stream (closed by client|cancelled) after \d+ deltas", text), text[
            -2000:
        ]
        metrics = httpx.get(f"{url}/metrics").text
        assert 'ragchat_chat_answers_total{outcome="cancelled"} 1.0' in metrics
        assert 'ragchat_chat_answers_total{outcome="answered"} 0.0' in metrics


class GarbageHandler(BaseHTTPRequestHandler):
    """A model server that answers every request with an HTML error page."""

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("content-length", 0)))
        body = b"<html><body>upstream exploded</body></html>"
        self.send_response(200)
        self.send_header("content-type", "text/html")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


def test_garbage_from_the_model_server_gives_502(
    make_components: Callable[..., Components], article_dir: Path
) -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), GarbageHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/v1"
        comps = openai_components(make_components, article_dir, url)
        with TestClient(create_app(components=comps)) as client:
            r = client.post("/v1/chat", json={"messages": [{"role": "user", "content": QUESTION}]})
            metrics = client.get("/metrics").text
        assert r.status_code == 502, r.text
        assert 'ragchat_llm_errors_total{type="llm_bad_response"} 1.0' in metrics
        assert r.json()["error"]["type"] == "llm_bad_response"
    finally:
        server.shutdown()
