"""The joint-statement question set through each answerer: accuracy and citation support.

Extractive runs in process; SmolLM2 runs behind a real llama.cpp server through the openai
answerer, so every one of its citations passes the verifier. The 135M model is expected to
answer poorly; the point is how much of what it cites the verifier can confirm.
Usage: python benchmarks/eval_answerers.py
"""

from __future__ import annotations

import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from evals.runner import DATASETS, Verdict, load_jsonl, run  # noqa: E402
from service.components import Components  # noqa: E402
from service.settings import Settings  # noqa: E402
from tests.conftest import ARTICLE, LlamaServer  # noqa: E402


def summarize(name: str, verdicts: list[Verdict], seconds: float) -> None:
    cites = [c for v in verdicts for c in v.response.citations]
    answerable = [v for v in verdicts if not v.item.unanswerable]
    unanswerable = [v for v in verdicts if v.item.unanswerable]
    supported = sum(c.supported for c in cites)
    rate = f"{supported / len(cites):.0%}" if cites else "n/a"
    sentences = sum(v.response.unsupported_sentences for v in verdicts)
    latency = statistics.median(v.response.timings_ms["total"] for v in verdicts)
    print(
        f"{name:>11}: correct {sum(v.correct for v in verdicts)}/{len(verdicts)} "
        f"({sum(v.correct for v in answerable)}/{len(answerable)} answerable, "
        f"{sum(v.correct for v in unanswerable)}/{len(unanswerable)} refusals); "
        f"citations {len(cites)}, supported {supported} ({rate}); "
        f"unsupported sentences {sentences}; median latency {latency:.0f} ms; "
        f"wall {seconds:.0f} s"
    )


def main() -> None:
    items = load_jsonl(DATASETS / "joint-statement.jsonl")
    tmp = Path(tempfile.mkdtemp())
    corpus = tmp / "corpus"
    corpus.mkdir()
    shutil.copy(ARTICLE, corpus / ARTICLE.name)
    base = Components(Settings(_env_file=None, data_dir=tmp / "data"))  # type: ignore[call-arg]
    base.ingestor.ingest([corpus], collection="default")
    t0 = time.perf_counter()
    summarize(
        "extractive", run(items, chat=base.chat, collection="default"), time.perf_counter() - t0
    )
    llama = LlamaServer().start()
    try:
        llm = Components(
            Settings(
                _env_file=None,
                data_dir=tmp / "data",
                llm="openai",  # type: ignore[call-arg]
                openai_base_url=llama.url,
                openai_model="smollm2",
            )
        )
        llm.__dict__["embedder"] = base.embedder
        t0 = time.perf_counter()
        verdicts = run(items, chat=llm.chat, collection="default")
        summarize("SmolLM2", verdicts, time.perf_counter() - t0)
        for v in verdicts[:3]:
            print(
                f"  e.g. {v.item.question!r} -> {v.response.answer[:160]!r} "
                f"supported={[c.supported for c in v.response.citations]}"
            )
        llm.close()
    finally:
        llama.stop()
        base.close()


if __name__ == "__main__":
    main()
