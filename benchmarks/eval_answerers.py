"""The joint-statement question set through each answerer, side by side.

Runs `ragchat eval evals/datasets/joint-statement.jsonl` twice, through the public CLI:
once with the extractive answerer, once with SmolLM2 behind a real llama.cpp server
through the openai answerer, and prints the metrics of both reports in one table. The
135M model is expected to answer poorly; the point is how much of what it cites the
verifier can confirm. Needs the `local` extra (llama-cpp-python) for the server.

Usage: python benchmarks/eval_answerers.py [--limit N]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.conftest import LlamaServer  # noqa: E402

DATASET = ROOT / "evals" / "datasets" / "joint-statement.jsonl"


def evaluate(out: Path, env: dict[str, str], limit: int | None) -> dict[str, object]:
    cmd = [sys.executable, "-m", "service.cli", "eval", str(DATASET), "--out", str(out)]
    cmd += ["--no-judge"] + (["--limit", str(limit)] if limit else [])
    subprocess.run(cmd, env=env, cwd=ROOT, check=True)
    report = json.loads((out / "report.json").read_text())  # one dataset: no subfolder
    return report["metrics"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, help="first N questions only")
    args = parser.parse_args()
    base = {**os.environ, "HF_HUB_OFFLINE": "1", "OPENAI_API_KEY": ""}
    with tempfile.TemporaryDirectory() as tmp:
        extractive_env = {**base, "RAGCHAT_DATA_DIR": f"{tmp}/x", "RAGCHAT_LLM": "extractive"}
        columns = {"extractive": evaluate(Path(tmp) / "x-out", extractive_env, args.limit)}
        server = LlamaServer().start()
        try:
            smol_env = {
                **base,
                "RAGCHAT_DATA_DIR": f"{tmp}/s",
                "RAGCHAT_LLM": "openai",
                "OPENAI_BASE_URL": server.url,
                "RAGCHAT_OPENAI_MODEL": "smollm2",
            }
            columns["SmolLM2"] = evaluate(Path(tmp) / "s-out", smol_env, args.limit)
        finally:
            server.stop()
    names = list(columns)
    print(f"\n{'metric':22s}" + "".join(f"{n:>14s}" for n in names))
    for key in (k for k in columns["extractive"] if k != "n"):
        cells = [columns[n].get(key) for n in names]
        print(f"{key:22s}" + "".join(f"{_fmt(c):>14s}" for c in cells))


def _fmt(value: object) -> str:
    if value is None:
        return "n/a"
    return f"{value:.3f}" if isinstance(value, float) else str(value)


if __name__ == "__main__":
    main()
