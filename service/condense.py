"""Turn a follow-up ("And which ministry is he from?") into a standalone question."""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence

from prompts import load as load_prompt
from service.answering.scoring import QUESTION_WORDS, STOPWORDS, expected_type, terms
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


_PRONOUN = re.compile(
    r"\b(?:it|its|they|them|their|he|him|his|she|her|this|that|these|those)\b"
    r"(?:\s+(?:ones?|files?|pages?|ones))?",
    re.IGNORECASE,
)
_POSSESSIVE = frozenset({"its", "their", "his", "her"})
_MARKERS = re.compile(r"\s*\[\d+\]")
_LEADING = re.compile(
    r"^(?:(?:it|they) (?:was|were) \w+ by|(?:it|that|this|they)(?:'s| is| was| are| were)"
    r"|yes|no|the|a|an)\b[\s,]*",
    re.IGNORECASE,
)


def topic_of(question: str) -> str:
    """The trailing run of content words: "Who maintains libfoo?" -> "libfoo"."""
    words = re.findall(r"[\w][\w.'’/-]*", question)
    run: list[str] = []
    k = len(words)
    for k in range(len(words) - 1, -1, -1):
        if words[k].lower() in STOPWORDS:
            if run:
                break
            continue
        run.insert(0, words[k])
    if len(run) > 1 and k >= 0 and words[k].lower() in QUESTION_WORDS:
        run = run[1:]  # "Who maintains libfoo": the word after the question word is its verb
    return " ".join(run)


def short_answer(answer: str) -> str:
    """The lead of a short answer ("Kramdown.", "The jekyll-paginate plugin."), else ""."""
    plain = _MARKERS.sub("", answer).strip()
    first = re.split(r"(?<=[.!?])\s", plain, maxsplit=1)[0].rstrip(".!? ")
    first = _LEADING.sub("", first).strip()
    return first if first and len(first.split()) <= 8 else ""


_PERSONAL = frozenset(["he", "him", "his", "she", "her", "they", "them", "their"])


def referent(history: Sequence[Message], pronoun: str = "it") -> str:
    """Who or what a pronoun points back to.

    After a who-question, "he"/"she" is the person answered and "it" the question's topic
    ("Who wrote the post?" ... "When was it published?": the post); otherwise a short
    previous answer ("Kramdown.") is the referent, else the previous question's topic.
    """
    users = [m.content for m in history if m.role == "user"]
    answers = [m.content for m in history if m.role == "assistant"]
    asked_person = bool(users) and expected_type(users[-1]) == "person"
    if asked_person and pronoun not in _PERSONAL:
        return topic_of(users[-1])
    if answers and users and history[-1].role == "assistant":
        lead = short_answer(answers[-1])
        if lead:
            return lead
    return topic_of(users[-1]) if users else ""


def rule_condense(history: Sequence[Message], question: str) -> str:
    """Deterministic: a pronoun takes the previous turn's subject, or the question borrows it.

    "When was it released?" after "Who maintains libfoo?" becomes "When was libfoo released?";
    a short previous answer ("Kramdown.") is the subject when there is one.
    """
    previous = [m.content for m in history if m.role == "user"]
    if not previous or not is_follow_up(question):
        return question
    match = _PRONOUN.search(question)
    word = match.group(0).split()[0].lower() if match else "it"
    subject = referent(history, word)
    if subject and match:
        filler = f"{subject}'s" if word in _POSSESSIVE else subject
        return f"{question[: match.start()]}{filler}{question[match.end() :]}".strip()
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
