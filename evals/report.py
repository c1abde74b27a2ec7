"""report.json, report.md and report.html (charts drawn offline with matplotlib)."""

from __future__ import annotations

import base64
import html
import io
import json
from pathlib import Path
from typing import Any

from evals.runner import Result


def result_row(r: Result) -> dict[str, Any]:
    return {
        "id": r.item.id,
        "question": r.item.question,
        "gold": r.item.answers,
        "unanswerable": r.item.unanswerable,
        "answer": r.answer,
        "refused": r.refused,
        "correct": r.correct,
        "em": r.em,
        "f1": round(r.f1, 4),
        "first_relevant_rank": next((i + 1 for i, x in enumerate(r.relevant or []) if x), None),
        "latency_ms": round(r.latency_ms, 1),
        "citations": [
            {k: c[k] for k in ("index", "source", "quote", "start", "end", "supported")}
            for c in r.citations
        ],
        "error": r.error,
        "judge": None
        if r.judge is None
        else {k.removeprefix("judge."): v for k, v in r.judge.items()},
        "judge_error": r.judge_error,
    }


def _judge_cell(row: dict[str, Any]) -> str:
    scores = row["judge"]
    if scores is None:
        return ""
    shown = [_fmt(scores.get(k)) for k in ("faithfulness", "answer_relevancy")]
    return " / ".join(shown) + (" (failed)" if row["judge_error"] else "")


def _chart(results: list[Result]) -> str:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 3, figsize=(13, 3.4))
    answerable = [r for r in results if not r.item.unanswerable]
    axes[0].hist([r.f1 for r in answerable], bins=10, range=(0, 1), color="#2456d6")
    axes[0].set_title("answer F1 (answerable)")
    ranks = [next((i + 1 for i, x in enumerate(r.relevant or []) if x), 11) for r in answerable]
    axes[1].hist(ranks, bins=range(1, 13), color="#1b7f3b", align="left")
    axes[1].set_title("rank of first gold chunk (11 = not in top 10)")
    axes[2].hist([r.latency_ms for r in results], bins=20, color="#b3261e")
    axes[2].set_title("latency (ms)")
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90)
    plt.close(fig)
    return base64.b64encode(buf.getvalue()).decode()


def _fmt(v: Any) -> str:
    return "n/a" if v is None else f"{v:.4g}" if isinstance(v, float) else str(v)


def write(
    out: Path,
    *,
    dataset: str,
    config: dict[str, Any],
    metrics: dict[str, Any],
    results: list[Result],
    partial: bool,
    wall_s: float,
    groups: dict[str, dict[str, Any]] | None = None,
) -> None:
    out.mkdir(parents=True, exist_ok=True)
    questions = [result_row(r) for r in results]
    report: dict[str, Any] = {
        "dataset": dataset,
        "config": config,
        "partial": partial,
        "wall_s": round(wall_s, 1),
        "metrics": metrics,
        "breakdown": groups or {},
        "questions": questions,
    }
    (out / "report.json").write_text(json.dumps(report, indent=2, ensure_ascii=False))
    lines = [f"# Eval report: {dataset}", ""]
    if partial:
        lines += ["**Partial: the run was interrupted.**", ""]
    lines += ["| metric | value |", "| --- | --- |"]
    lines += [f"| {k} | {_fmt(v)} |" for k, v in metrics.items()]
    judged = any(row["judge"] is not None for row in questions)
    lines += [
        "",
        f"Wall time {wall_s:.1f} s. Config: `{json.dumps(config)}`",
        "",
        "| id | correct | F1 | rank |"
        + (" judge F / R |" if judged else "")
        + " question | answer |",
        "| --- | --- | --- | --- |" + (" --- |" if judged else "") + " --- | --- |",
    ]
    for row in questions:
        ans = " ".join(str(row["answer"]).split())[:160].replace("|", "\\|")
        q = row["question"].replace("|", "\\|")
        lines.append(
            f"| {row['id']} | {'yes' if row['correct'] else 'no'} | {row['f1']} | "
            f"{_fmt(row['first_relevant_rank'])} |"
            + (f" {_judge_cell(row)} |" if judged else "")
            + f" {q} | {ans} |"
        )
    (out / "report.md").write_text("\n".join(lines) + "\n")
    rows = "".join(
        "<tr class='{cls}'><td>{id}</td><td>{ok}</td><td>{f1}</td><td>{rank}</td>{judge}"
        "<td>{q}</td><td>{a}<ul>{cites}</ul></td></tr>".format(
            cls="ok" if row["correct"] else "bad",
            id=html.escape(row["id"]),
            ok="yes" if row["correct"] else "no",
            f1=row["f1"],
            rank=_fmt(row["first_relevant_rank"]),
            judge=f"<td>{html.escape(_judge_cell(row))}</td>" if judged else "",
            q=html.escape(row["question"]),
            a=html.escape(str(row["answer"])),
            cites="".join(
                f"<li class='{'sup' if c['supported'] else 'unsup'}'>[{c['index']}] "
                f"{html.escape(c['source'])}: “{html.escape(c['quote'][:200])}”</li>"
                for c in row["citations"]
            ),
        )
        for row in questions
    )
    table = "".join(
        f"<tr><th>{html.escape(k)}</th><td>{_fmt(v)}</td></tr>" for k, v in metrics.items()
    )
    chart = _chart(results) if results else ""
    (out / "report.html").write_text(f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>ragchat eval: {html.escape(dataset)}</title><style>
body{{font-family:system-ui,sans-serif;margin:1.5rem;color:#1d2330}}
table{{border-collapse:collapse}}
td,th{{border:1px solid #d9dee8;padding:.3rem .5rem;vertical-align:top}}
tr.bad td:nth-child(2){{color:#b3261e}} li.unsup{{color:#b3261e}} .partial{{color:#b3261e}}
</style></head><body><h1>ragchat eval: {html.escape(dataset)}</h1>
{"<p class='partial'>Partial: the run was interrupted.</p>" if partial else ""}
<p>Wall time {wall_s:.1f} s · {html.escape(json.dumps(config))}</p>
<table>{table}</table>
<h2>Distributions</h2><img alt="score distributions" src="data:image/png;base64,{chart}">
<h2>Questions</h2><table><tr><th>id</th><th>correct</th><th>F1</th><th>rank</th>
{"<th>judge F / R</th>" if judged else ""}<th>question</th>
<th>answer and citations</th></tr>{rows}</table></body></html>
""")


def compare(a: dict[str, Any], b: dict[str, Any]) -> list[tuple[str, Any, Any, float | None]]:
    keys = list(dict.fromkeys([*a["metrics"], *b["metrics"]]))
    out = []
    for k in keys:
        x, y = a["metrics"].get(k), b["metrics"].get(k)
        delta = y - x if isinstance(x, int | float) and isinstance(y, int | float) else None
        out.append((k, x, y, delta))
    return out
