"""Per-question results -> the metric table of report.json (names fixed by the issue)."""

from __future__ import annotations

from statistics import mean
from typing import Any

from evals.metrics.citation import citation_scores
from evals.metrics.judge import judge_metrics
from evals.metrics.latency import percentile
from evals.metrics.refusal import false_refusal_rate, refusal_accuracy
from evals.metrics.retrieval import mrr, ndcg_at, recall_at
from evals.runner import Result, statements
from service.verification.judge import Judge


def _mean(values: list[float]) -> float | None:
    return round(mean(values), 4) if values else None


def metrics(results: list[Result], judge: Judge | None, *, judged: bool = False) -> dict[str, Any]:
    """judge: the citation support judge; judged: add the ragas judge metrics."""
    ranked = [r.relevant for r in results if r.relevant is not None]
    answerable = [r for r in results if not r.item.unanswerable]
    answered = [r for r in answerable if not r.refused and not r.error]
    out: dict[str, Any] = {
        "n": len(results),
        "retrieval.recall@1": _mean([recall_at(r, 1) for r in ranked]),
        "retrieval.recall@5": _mean([recall_at(r, 5) for r in ranked]),
        "retrieval.mrr": _mean([mrr(r) for r in ranked]),
        "retrieval.ndcg@10": _mean([ndcg_at(r, 10) for r in ranked]),
        "answer.em_recall": _mean([r.em for r in answerable]),
        "answer.f1": _mean([r.f1 for r in answerable]),
        "citation.recall": None,
        "citation.precision": None,
        "refusal.accuracy": refusal_accuracy([r.refused for r in results if r.item.unanswerable]),
        "refusal.false_rate": false_refusal_rate([r.refused for r in answerable]),
        "latency.p50_ms": percentile([r.latency_ms for r in results], 50),
        "latency.p95_ms": percentile([r.latency_ms for r in results], 95),
    }
    if judge is not None and answered:

        def supports(text: str, quotes: Any) -> bool:
            return judge.judge(text, [" ".join(quotes)])[0].supported

        recalls, precisions = [], []
        for r in answered:
            rec, prec, cites = citation_scores(statements(r.answer, r.citations), supports)
            recalls.append(rec)
            if cites:
                precisions.append(prec)
        out["citation.recall"] = _mean(recalls)
        out["citation.precision"] = _mean(precisions)
    if judged:
        out.update(judge_metrics([r.judge for r in results if r.judge is not None]))
    for key in ("refusal.accuracy", "refusal.false_rate", "latency.p50_ms", "latency.p95_ms"):
        if out[key] is not None:
            out[key] = round(out[key], 4 if "refusal" in key else 1)
    return out
