"""Deterministic stand-ins for unit tests of pure logic only."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from service.answering.scoring import lexical_overlap
from service.llm.base import ChatMessages, ChatModel
from service.verification.judge import Judge, Verdict


class LexicalJudge(Judge):
    """Supported when most of the claim's words are in the passage."""

    def judge(self, claim: str, passages: Sequence[str]) -> list[Verdict]:
        out = []
        for p in passages:
            score = lexical_overlap(claim, p)
            out.append(Verdict(score=round(score, 4), supported=score >= 0.6))
        return out


class ScriptedModel(ChatModel):
    """Replies with fixed text, in small deltas, and records what it was asked."""

    name = "scripted"

    def __init__(self, reply: str) -> None:
        self.reply = reply
        self.calls: list[ChatMessages] = []

    def stream(self, messages: ChatMessages, *, max_tokens: int) -> Iterator[str]:
        self.calls.append(messages)
        for i in range(0, len(self.reply), 7):
            yield self.reply[i : i + 7]
