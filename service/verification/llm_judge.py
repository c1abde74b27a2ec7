"""Ask the configured model whether a passage supports a claim (prompts/judge.md)."""

from __future__ import annotations

from collections.abc import Sequence

from prompts import load as load_prompt
from service.llm.base import ChatModel, LLMBadResponseError, LLMUnavailableError
from service.verification.judge import Judge, Verdict


class LLMJudge(Judge):
    """Only the best passage by the offline judge goes to the model: one call per claim."""

    def __init__(self, model: ChatModel, *, fallback: Judge) -> None:
        self.model = model
        self.fallback = fallback
        self.prompt = load_prompt("judge")

    def judge(self, claim: str, passages: Sequence[str]) -> list[Verdict]:
        verdicts = self.fallback.judge(claim, passages)
        if not verdicts:
            return verdicts
        best = max(range(len(verdicts)), key=lambda i: verdicts[i].score)
        try:
            reply = self.model.complete(
                self.prompt.render(passage=passages[best], claim=claim), max_tokens=3
            )
        except (LLMUnavailableError, LLMBadResponseError):
            return verdicts
        word = reply.strip().lower()
        if word.startswith(("yes", "no")):
            supported = word.startswith("yes")
            verdicts[best] = Verdict(score=verdicts[best].score, supported=supported)
        return verdicts
