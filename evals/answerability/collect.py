"""Gate features for every question of a dataset, with what the ungated answer got right.

    python -m evals.answerability.collect DATASET[@START:STOP] ... --out FILE.jsonl

Each dataset is indexed fresh, as `ragchat eval` does; `@0:8` picks SQuAD articles.
"""

from __future__ import annotations

import argparse
import json
import logging
from pathlib import Path
from typing import Any

from rich.progress import Progress

from evals.formats import EvalSet, load
from evals.metrics.answer import answers_all
from evals.targets import InProcessTarget
from service.answering.answerability import features
from service.answering.extractive import ExtractiveAnswerer
from service.schemas import Message
from service.settings import Settings


def split_spec(spec: str) -> tuple[Path, str | None]:
    path, _, articles = spec.partition("@")
    return Path(path), articles or None


def collect(evalset: EvalSet, settings: Settings, progress: Progress) -> list[dict[str, Any]]:
    ungated = settings.answer.model_copy(update={"gate": False})
    settings = settings.model_copy(update={"llm": "extractive", "answer": ungated})
    target = InProcessTarget(evalset, settings)
    rows = []
    try:
        comps = target.comps
        answerer = comps.answerer
        if not isinstance(answerer, ExtractiveAnswerer):
            raise TypeError("features come from the extractive answerer's evidence")
        task = progress.add_task(evalset.name, total=len(evalset.items))
        for item in evalset.items:
            history = [Message(**m) for m in item.messages]  # type: ignore[arg-type]
            question = comps.condenser.condense(history, item.question)
            retrieved = comps.retriever.retrieve(question, collection="eval")
            ev = answerer.scorer.gather(question, retrieved, collection="eval")
            answer = answerer.compose(ev)
            answered = not answer.refused
            rows.append(
                {
                    "dataset": evalset.name,
                    "format": evalset.format,
                    "id": item.id,
                    "question": item.question,
                    "split": item.split,
                    "unanswerable": item.unanswerable,
                    "answered": answered,
                    "correct": answered
                    and not item.unanswerable
                    and answers_all(answer.text, item.answers),
                    "features": features(ev),
                }
            )
            progress.advance(task)
    finally:
        target.close()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("datasets", nargs="+", help="DATASET or DATASET@START:STOP (SQuAD)")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    settings = Settings()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with args.out.open("w", encoding="utf-8") as out, Progress() as progress:
        for spec in args.datasets:
            path, articles = split_spec(spec)
            for row in collect(load(path, articles=articles), settings, progress):
                out.write(json.dumps(row) + "\n")


if __name__ == "__main__":
    main()
