"""/v1/chat latency on a SQuAD 2.0 sample: this checkout against a baseline commit, one command.

    python benchmarks/bench_chat_latency.py [--baseline-ref REF] [--sample 300]

Both run `ragchat eval` in process on a fresh index of the held-out articles (8-15), the
baseline from a temporary git worktree of REF with this same virtualenv; the chat timings are
the service's own `timings_ms.total`. Prints p50/p95 of each and the ratio new/baseline.
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
DATA = ROOT.parent / "shared" / "datasets" / "squad2" / "dev-v2.0.json"


def run_eval(code: Path, out: Path, sample: int, articles: str | None) -> dict[str, float]:
    """`ragchat eval` with `code` first on the import path; the baseline may lack --articles."""
    env = {**os.environ, "PYTHONPATH": str(code), "HF_HUB_OFFLINE": "1"}
    cmd = [sys.executable, "-m", "service.cli", "eval", str(DATA), "--out", str(out)]
    cmd += ["--sample", str(sample), "--articles", articles] if articles else []
    subprocess.run(cmd, cwd=code, env=env, check=True, stdout=subprocess.DEVNULL)
    metrics = json.loads((out / "report.json").read_text())["metrics"]
    return {k: metrics[k] for k in ("latency.p50_ms", "latency.p95_ms", "n")}


def held_out_file(tmp: Path, sample: int) -> Path:
    """The held-out articles' every k-th question, as a SQuAD file any version can read."""
    data = json.loads(DATA.read_text())
    arts = data["data"][8:]
    qas = [(a, p, q) for a in arts for p in a["paragraphs"] for q in p["qas"]]
    keep = {id(qas[int(k * len(qas) / sample)][2]) for k in range(sample)}
    for a in arts:
        for p in a["paragraphs"]:
            p["qas"] = [q for q in p["qas"] if id(q) in keep]
    path = tmp / "squad2-held-out-sample.json"
    path.write_text(json.dumps({"version": data.get("version", "v2.0"), "data": arts}))
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline-ref", default="9d791b3")
    parser.add_argument("--sample", type=int, default=300)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="ragchat-bench-") as tmp_name:
        tmp = Path(tmp_name)
        global DATA
        DATA = held_out_file(tmp, args.sample)
        worktree = tmp / "baseline"
        subprocess.run(
            ["git", "worktree", "add", "--detach", str(worktree), args.baseline_ref],
            cwd=ROOT,
            check=True,
            capture_output=True,
        )
        try:
            base = run_eval(worktree, tmp / "base", args.sample, None)
            new = run_eval(ROOT, tmp / "new", args.sample, None)
        finally:
            subprocess.run(
                ["git", "worktree", "remove", "--force", str(worktree)], cwd=ROOT, check=False
            )
    print(f"SQuAD 2.0 held-out sample, {new['n']} questions, fresh index each")
    for key in ("latency.p50_ms", "latency.p95_ms"):
        print(
            f"{key}: baseline {args.baseline_ref} {base[key]:.1f} ms, this checkout "
            f"{new[key]:.1f} ms, ratio {new[key] / base[key]:.2f}"
        )


if __name__ == "__main__":
    main()
