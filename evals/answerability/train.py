"""Fit the answerability gate on collected features and write service/answering/gate_model.json.

    python -m evals.answerability.train FEATURES.jsonl ... [--max-lost 0.06] [--check HELD.jsonl]

A logistic regression on standardized features (scikit-learn, fixed seed). The label is
"the ungated answer was right" (1) against "the question has no answer" (0); answerable
questions the answerer gets wrong anyway are left out, since refusing them costs nothing.
Rows of our own sets (ragchat format: real documents of other kinds than Wikipedia) weigh
--own-weight times a SQuAD row, so the fit does not learn Wikipedia's habits alone.
The threshold is the highest one that keeps at least 1 - max_lost of the right answers on
the training rows. --check prints the same figures on held-out rows, never used to fit.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

import numpy as np

from service.answering.answerability import FEATURES, GateModel

MODEL_PATH = Path(__file__).resolve().parents[2] / "service" / "answering" / "gate_model.json"
SEED = 0


def read(paths: list[Path]) -> list[dict[str, Any]]:
    rows = []
    for path in paths:
        rows += [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    return rows


def matrix(rows: list[dict[str, Any]]) -> np.ndarray:
    return np.asarray([[r["features"].get(n, 0.0) for n in FEATURES] for r in rows], dtype=float)


def curve(model: GateModel, rows: list[dict[str, Any]], thresholds: list[float]) -> list[dict]:
    """Per threshold: refusal accuracy on unanswerables and answer recall on answerables."""
    probs = [model.probability(r["features"]) for r in rows]
    unans = [p for p, r in zip(probs, rows, strict=True) if r["unanswerable"]]
    ans = [(p, r["correct"]) for p, r in zip(probs, rows, strict=True) if not r["unanswerable"]]
    out = []
    for t in thresholds:
        out.append(
            {
                "threshold": round(t, 3),
                "refusal_accuracy": round(sum(p < t for p in unans) / max(len(unans), 1), 4),
                "answer_recall": round(sum(c and p >= t for p, c in ans) / max(len(ans), 1), 4),
                "false_refusal": round(sum(p < t for p, _ in ans) / max(len(ans), 1), 4),
            }
        )
    return out


def fit(rows: list[dict[str, Any]], *, max_lost: float, c: float, own_weight: float) -> GateModel:
    from sklearn.linear_model import LogisticRegression

    keep = [r for r in rows if r["unanswerable"] or r["correct"]]
    x = matrix(keep)
    y = np.asarray([0 if r["unanswerable"] else 1 for r in keep])
    weight = np.asarray([own_weight if r.get("format") == "ragchat" else 1.0 for r in keep])
    mean, scale = x.mean(axis=0), x.std(axis=0)
    scale[scale == 0] = 1.0
    clf = LogisticRegression(C=c, class_weight="balanced", max_iter=2000, random_state=SEED)
    clf.fit((x - mean) / scale, y, sample_weight=weight)
    model = GateModel(
        names=FEATURES,
        mean=tuple(round(float(v), 6) for v in mean),
        scale=tuple(round(float(v), 6) for v in scale),
        coef=tuple(round(float(v), 6) for v in clf.coef_[0]),
        intercept=round(float(clf.intercept_[0]), 6),
        threshold=0.5,
    )
    right = sorted(model.probability(r["features"]) for r in keep if not r["unanswerable"])
    cut = right[int(max_lost * len(right))] if right else 0.5
    return GateModel(**{**model.__dict__, "threshold": round(float(cut) - 1e-6, 6)})


def report(name: str, model: GateModel, rows: list[dict[str, Any]]) -> None:
    unans = sum(r["unanswerable"] for r in rows)
    base = sum(r["correct"] for r in rows) / max(len(rows) - unans, 1)
    [at] = curve(model, rows, [model.threshold])
    print(
        f"{name}: {len(rows)} questions, {unans} unanswerable; ungated answer recall {base:.3f}; "
        f"gated: refusal {at['refusal_accuracy']:.3f}, answer recall {at['answer_recall']:.3f}, "
        f"false refusals {at['false_refusal']:.3f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("features", nargs="+", type=Path)
    parser.add_argument("--max-lost", type=float, default=0.06)
    parser.add_argument("-C", type=float, default=0.05, help="inverse regularization strength")
    parser.add_argument(
        "--own-weight",
        type=float,
        default=10.0,
        help="weight of rows from our own (ragchat-format) sets against SQuAD/XQuAD rows",
    )
    parser.add_argument("--check", nargs="*", type=Path, default=[])
    parser.add_argument("--out", type=Path, default=MODEL_PATH)
    parser.add_argument("--curve", type=Path, help="write the trade-off curve (JSON) here")
    parser.add_argument("--plot", type=Path, help="draw the trade-off curve (PNG) here")
    args = parser.parse_args()
    rows = [r for r in read(args.features) if r.get("split") != "held-out"]
    t0 = time.perf_counter()
    model = fit(rows, max_lost=args.max_lost, c=args.C, own_weight=args.own_weight)
    took = time.perf_counter() - t0
    data = {
        "features": list(model.names),
        "mean": list(model.mean),
        "scale": list(model.scale),
        "coef": list(model.coef),
        "intercept": model.intercept,
        "threshold": model.threshold,
        "trained_on": sorted({r["dataset"] for r in rows}),
        "rows": len(rows),
        "seed": SEED,
        "C": args.C,
        "own_weight": args.own_weight,
        "max_lost": args.max_lost,
    }
    args.out.write_text(json.dumps(data, indent=1) + "\n")
    print(
        f"trained on {len(rows)} rows in {took:.2f} s -> {args.out} ({args.out.stat().st_size} B)"
    )
    for name, coef in sorted(zip(model.names, model.coef, strict=True), key=lambda x: -abs(x[1])):
        print(f"  {name:26s} {coef:+.3f}")
    report("training rows", model, rows)
    held = read(args.check) if args.check else []
    if held:
        report("held-out rows", model, held)
    if args.curve:
        grid = [i / 40 for i in range(41)]
        curves = {"tuning": curve(model, rows, grid)}
        if held:
            curves["held_out"] = curve(model, held, grid)
        args.curve.write_text(json.dumps({"threshold": model.threshold, **curves}, indent=1))
        if args.plot:
            plot(curves, model.threshold, args.plot)


def plot(curves: dict[str, list[dict]], threshold: float, path: Path) -> None:
    """Refusal accuracy against answer recall, one line per split, the default marked."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4.5))
    for name, points in curves.items():
        ax.plot(
            [p["answer_recall"] for p in points],
            [p["refusal_accuracy"] for p in points],
            marker=".",
            label=name.replace("_", "-"),
        )
        [at] = [
            p
            for p in points
            if p["threshold"]
            == min((q["threshold"] for q in points), key=lambda t: abs(t - threshold))
        ]
        ax.scatter([at["answer_recall"]], [at["refusal_accuracy"]], s=80, color="black", zorder=3)
    ax.set_xlabel("answer recall (answerable questions answered correctly)")
    ax.set_ylabel("refusal accuracy (unanswerable questions refused)")
    ax.set_title(f"Answerability gate: thresholds 0-1, default {threshold:.2f} (black)")
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)


if __name__ == "__main__":
    main()
