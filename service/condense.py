"""Turn a follow-up ("And which ministry is he from?") into a standalone question."""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence

from prompts import load as load_prompt
from service.answering.scoring import terms
from service.llm.base import ChatModel, LLMBadResponseError, LLMUnavailableError
from service.schemas import Message

logger = logging.getLogger(__name__)

_FOLLOW_UP_START = re.compile(
    r"^\s*(?:and|but|also|so|then|what about|how about|and what|same for)\b", re.IGNORECASE
)
_REFERRING = re.compile(
    r"\b(?:it|its|they|them|their|theirs|he|him|his|she|her|hers|this|that|these|those|there"
    r"|the same|ones?)\b",
    re.IGNORECASE,
)


def is_follow_up(question: str) -> bool:
    return (
        bool(_FOLLOW_UP_START.search(question))
        or bool(_REFERRING.search(question))
        or len(terms(question)) < 2
    )


def rule_condense(history: Sequence[Message], question: str) -> str:
    """Deterministic: a follow-up borrows the words of the previous user question."""
    previous = [m.content for m in history if m.role == "user"]
    if not previous or not is_follow_up(question):
        return question
    return f"{question.strip()} ({previous[-1].strip()})"


class Condenser:
    def __init__(self, model: ChatModel | None = None) -> None:
        self.model = model
        self.prompt = load_prompt("condense") if model else None

    def condense(self, history: Sequence[Message], question: str) -> str:
        if not any(m.role == "user" for m in history):
            return question
        if self.model is None or self.prompt is None:
            return rule_condense(history, question)
        transcript = "\n".join(f"{m.role}: {' '.join(m.content.split())}" for m in history[-6:])
        try:
            text = self.model.complete(
                self.prompt.render(history=transcript, question=question), max_tokens=96
            )
        except (LLMUnavailableError, LLMBadResponseError) as exc:
            logger.warning("condensing with the model failed (%s); using the rule", exc)
            return rule_condense(history, question)
        line = text.strip().splitlines()[0].strip() if text.strip() else ""
        return line if len(line) >= 3 else rule_condense(history, question)
