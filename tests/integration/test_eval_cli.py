"""`ragchat eval` as a user runs it: reports, gates and compare."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT

EVAL_SET = ROOT / "evals" / "datasets" / "joint-statement.jsonl"


def ragchat(*args: str, tmp: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "RAGCHAT_DATA_DIR": str(tmp / "data")}
    return subprocess.run(
        [sys.executable, "-m", "service.cli", *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


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
    assert report["metrics"]["retrieval.recall@5"] is None  # no retrieval ranks over HTTP yet
