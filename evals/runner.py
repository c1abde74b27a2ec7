"""Ask every question of a JSONL set and judge the answers."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from evals.metrics import answers_all, supported_by
from service.chat import ChatService
from service.schemas import ChatResponse, Message

DATASETS = Path(__file__).parent / "datasets"


@dataclass(frozen=True)
class Item:
    id: str
    question: str
    answers: list[list[str]]
    support: str | None
    unanswerable: bool


@dataclass(frozen=True)
class Verdict:
    item: Item
    response: ChatResponse
    correct: bool
    reason: str


def load_jsonl(path: Path) -> list[Item]:
    items = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        raw: dict[str, Any] = json.loads(line)
        answers = raw.get("answers", [])
        groups = [[a] if isinstance(a, str) else list(a) for a in answers]
        items.append(
            Item(
                id=str(raw.get("id", n)),
                question=raw["question"],
                answers=groups,
                support=raw.get("support"),
                unanswerable=bool(raw.get("unanswerable", False)),
            )
        )
    return items


def judge(item: Item, response: ChatResponse) -> Verdict:
    if item.unanswerable:
        ok = response.refused
        return Verdict(item, response, ok, "refused" if ok else "answered an unanswerable question")
    if response.refused:
        return Verdict(item, response, False, "refused an answerable question")
    if not answers_all(response.answer, item.answers):
        return Verdict(item, response, False, "gold answer missing")
    quotes = [c.quote for c in response.citations]
    if item.support and not supported_by(quotes, item.support):
        return Verdict(item, response, False, "no citation quotes the support")
    return Verdict(item, response, True, "correct")


def run(items: list[Item], *, chat: ChatService, collection: str) -> list[Verdict]:
    return [
        judge(
            item,
            chat.chat(
                messages=[Message(role="user", content=item.question)], collection=collection
            ),
        )
        for item in items
    ]
