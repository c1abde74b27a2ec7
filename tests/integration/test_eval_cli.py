"""`ragchat eval` as a user runs it: reports, gates and compare."""

from __future__ import annotations

import json
import math
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.chroma_server import ragchat_env
from tests.conftest import API_KEY, ROOT, SHARED, LlamaServer
from tests.integration.test_cli import run

EVAL_SET = ROOT / "evals" / "datasets" / "joint-statement.jsonl"
XQUAD = SHARED / "datasets" / "xquad" / "xquad.en.json"


def ragchat(
    *args: str, tmp: Path, timeout: float = 600, **extra_env: str
) -> subprocess.CompletedProcess[str]:
    return run(list(args), ragchat_env(tmp / "data", **extra_env), timeout=timeout)


def test_eval_writes_reports_and_gates(tmp_path: Path) -> None:
    out = tmp_path / "rep"
    r = ragchat(
        "eval",
        str(EVAL_SET),
        "--out",
        str(out),
        "--limit",
        "8",
        "--fail-under",
        "answer.em_recall=0.5",
        tmp=tmp_path,
    )
    assert r.returncode == 0, r.stderr
    report = json.loads((out / "report.json").read_text())
    m = report["metrics"]
    assert m["n"] == 8
    for name in (
        "retrieval.recall@1",
        "retrieval.recall@5",
        "retrieval.mrr",
        "retrieval.ndcg@10",
        "answer.em_recall",
        "answer.f1",
        "citation.recall",
        "citation.precision",
        "refusal.accuracy",
        "refusal.false_rate",
        "latency.p50_ms",
        "latency.p95_ms",
    ):
        assert name in m
    assert m["answer.em_recall"] >= 0.5
    assert len(report["questions"]) == 8
    html = (out / "report.html").read_text()
    assert "data:image/png;base64," in html
    assert "Who signed the joint statement?" in html
    assert "| answer.em_recall |" in (out / "report.md").read_text()

    failing = ragchat(
        "eval",
        str(EVAL_SET),
        "--out",
        str(tmp_path / "rep2"),
        "--limit",
        "3",
        "--fail-under",
        "answer.em_recall=1.01",
        tmp=tmp_path,
    )
    assert failing.returncode == 1
    assert "gate failed" in failing.stderr

    cmp = ragchat(
        "eval",
        "compare",
        str(out / "report.json"),
        str(tmp_path / "rep2" / "report.json"),
        tmp=tmp_path,
    )
    assert cmp.returncode == 0
    assert "answer.em_recall" in cmp.stdout


def test_eval_rejects_unknown_datasets(tmp_path: Path) -> None:
    bad = tmp_path / "x.jsonl"
    bad.write_text('{"nope": 1}\n')
    r = ragchat("eval", str(bad), tmp=tmp_path)
    assert r.returncode != 0
    assert "unknown dataset format" in r.stderr


def test_eval_over_http_against_a_running_service(served_article: str, tmp_path: Path) -> None:
    out = tmp_path / "rep-http"
    r = ragchat(
        "eval",
        str(EVAL_SET),
        "--url",
        served_article,
        "--limit",
        "4",
        "--out",
        str(out),
        tmp=tmp_path,
    )
    assert r.returncode == 0, r.stderr
    report = json.loads((out / "report.json").read_text())
    assert report["config"]["url"] == served_article
    assert report["metrics"]["answer.em_recall"] >= 0.5
    # Retrieval is ranked through POST /v1/search; citations are judged offline, here.
    assert report["metrics"]["retrieval.recall@5"] >= 0.75
    assert report["metrics"]["citation.recall"] >= 0.75
    assert report["metrics"]["citation.precision"] >= 0.75


def test_eval_over_http_sends_the_api_key(served_article_with_key: str, tmp_path: Path) -> None:
    out = tmp_path / "rep-key"
    args = ("eval", str(EVAL_SET), "--url", served_article_with_key, "--limit", "2")
    r = ragchat(*args, "--out", str(out), tmp=tmp_path)
    assert r.returncode == 2
    said = " ".join(r.stderr.split())  # rich wraps long lines
    assert "needs an API key: pass --api-key or set RAGCHAT_API_KEY" in said
    r = ragchat(*args, "--out", str(out), "--api-key", "wrong", tmp=tmp_path)
    assert r.returncode == 2
    assert "refused the API key" in " ".join(r.stderr.split())
    r = ragchat(*args, "--out", str(out), tmp=tmp_path, RAGCHAT_API_KEY=API_KEY)
    assert r.returncode == 0, r.stderr
    report = json.loads((out / "report.json").read_text())
    assert report["metrics"]["answer.em_recall"] >= 0.5
    assert API_KEY not in (out / "report.json").read_text()


def test_eval_judges_answers_with_ragas_on_a_real_model_server(
    llama_server: LlamaServer, tmp_path: Path
) -> None:
    """Wiring, not quality: SmolLM2 answers and judges; bad judge JSON counts as failed."""
    out = tmp_path / "rep-judge"
    r = ragchat(
        "eval",
        str(EVAL_SET),
        "--limit",
        "1",  # one question proves the wiring; each costs minutes of judge calls on 2 cores
        "--llm",
        "openai",
        "--out",
        str(out),
        tmp=tmp_path,
        timeout=1500,  # about 10 judge calls a question; each takes seconds to tens on 2 cores
        OPENAI_BASE_URL=llama_server.url,
        RAGCHAT_OPENAI_MODEL="smollm2",
        RAGCHAT_GENERATION__TIMEOUT_S="120",
        # A short answer has few statements to judge; a reply that is not JSON counts as a
        # failed judgement at once instead of being asked for again.
        RAGCHAT_GENERATION__MAX_ANSWER_TOKENS="48",
        RAGCHAT_GENERATION__MAX_RETRIES="0",
        # SmolLM2 rambles until it is stopped: the cap bounds the test's time.
        RAGCHAT_GENERATION__MAX_JUDGE_TOKENS="384",
    )
    assert r.returncode == 0, r.stderr
    report = json.loads((out / "report.json").read_text())
    m = report["metrics"]
    assert report["config"]["judge"] == "smollm2"
    for name in ("judge.faithfulness", "judge.answer_relevancy", "judge.n", "judge.failed"):
        assert name in m
    judged = [q for q in report["questions"] if q["judge"] is not None]
    assert len(judged) == m["judge.n"]
    assert m["judge.n"] + sum(q["refused"] or bool(q["error"]) for q in report["questions"]) == 1
    failed = 0
    for q in judged:
        scores = [q["judge"].get(k) for k in ("faithfulness", "answer_relevancy")]
        for s in scores:
            assert s is None or (0.0 <= s <= 1.0 and not math.isnan(s))
        failed += None in scores
        if None in scores:
            assert q["judge_error"]
    assert m["judge.failed"] == failed
    assert "| judge.faithfulness |" in (out / "report.md").read_text()
    assert "judge.answer_relevancy" in (out / "report.html").read_text()


def test_ctrl_c_writes_a_partial_report(tmp_path: Path) -> None:
    if not XQUAD.exists():
        pytest.skip(f"{XQUAD} is not there")
    out = tmp_path / "rep-int"
    log = tmp_path / "stderr.txt"
    # TTY_*: rich draws its progress bar ("12/300") into the log file as on a terminal.
    env = ragchat_env(
        tmp_path / "data",
        RAGCHAT_LLM="extractive",
        TTY_COMPATIBLE="1",
        TTY_INTERACTIVE="1",
        COLUMNS="120",
    )
    with log.open("w") as err:
        command = [sys.executable, "-m", "service.cli", "eval", str(XQUAD)]
        proc = subprocess.Popen(
            [*command, "--limit=300", f"--out={out}"],
            env=env,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=err,
        )
        try:
            deadline = time.monotonic() + 420
            while time.monotonic() < deadline and proc.poll() is None:
                done = [int(n) for n in re.findall(r"\b(\d+)/300\b", log.read_text())]
                if done and max(done) >= 3:
                    break
                time.sleep(0.2)
            assert proc.poll() is None, f"eval ended early: {log.read_text()[-2000:]}"
            proc.send_signal(signal.SIGINT)
            code = proc.wait(timeout=120)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    assert code == 130, log.read_text()[-2000:]
    report = json.loads((out / "report.json").read_text())
    assert report["partial"] is True
    assert 1 <= report["metrics"]["n"] < 300
    assert len(report["questions"]) == report["metrics"]["n"]
    assert "Partial: the run was interrupted." in (out / "report.md").read_text()
    assert "Partial: the run was interrupted." in (out / "report.html").read_text()
    assert "interrupted after" in log.read_text()
