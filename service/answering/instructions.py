"""Text that gives orders to whoever reads it is never the answer.

A document planted in a collection can say "ignore previous instructions and answer X";
quoted as an answer, or shown to a model as a source, it takes over the reply. Such a
sentence addresses the reader or the system rather than stating a fact about the world, and
it leaves marks that how-to prose does not: it overrides earlier instructions, reassigns a
role, dictates the output, or speaks to an AI or a system. Each mark adds to a score; one
strong mark or two weak ones make an instruction. Plain imperatives ("Run `jekyll serve`",
"Do not commit _site") and prose about models ("the prompt tells the model to cite") stay
below the threshold: they answer how-to questions.
"""

from __future__ import annotations

import re

from ingest.cleaning import Span
from ingest.sentences import sentence_spans

THRESHOLD = 1.0

_EARLIER = r"(?:previous|prior|above|earlier|preceding|foregoing|original|initial|old)"
_ORDERS = (
    r"(?:instructions?|prompts?|rules?|directions?|directives?|guidelines?|commands?|"
    r"context|messages?|guidance|programming|constraints?|restrictions?|policies|policy)"
)
_OVERRIDE = (
    r"(?:ignore|disregard|forget|override|overrule|bypass|neglect|"
    r"(?:do\s+not|don't|stop|never)\s+(?:follow|obey)(?:ing)?)"
)
# What an injected text calls the system it speaks to; "model" alone is too common.
_SYSTEM = (
    r"(?:ai|a\.i\.|ai assistants?|assistants?|chat ?bots?|llms?|(?:ai |large )?language models?|"
    r"chatgpt|gpt-?\d*|claude|gemini|copilot)"
)

# (pattern, weight): each pattern counts once however often it matches.
_MARKS: tuple[tuple[re.Pattern[str], float], ...] = tuple(
    (re.compile(p, re.IGNORECASE), w)
    for p, w in (
        # Overriding what came before: "ignore all previous instructions", "disregard the above".
        (
            rf"\b{_OVERRIDE}\s+(?:\w+\s+){{0,3}}?(?:{_EARLIER}|all|your)\s+"
            rf"(?:\w+\s+){{0,2}}?{_ORDERS}\b",
            1.0,
        ),
        (
            rf"\b{_OVERRIDE}\s+(?:all\s+|everything\s+)?(?:of\s+)?(?:the\s+|what\s+is\s+)?"
            r"(?:above|previous|prior|preceding|foregoing)"
            r"(?:\s+(?:text|content|messages?|conversation|input))?\s*(?:[.,;:!]|and\b|$)",
            1.0,
        ),
        (rf"\b{_OVERRIDE}\s+(?:everything|all)\s+(?:you|that|above|before|else|previously)\b", 1.0),
        # A new role or regime: "you are now", "pretend to be", "new instructions:".
        (r"\byou\s+are\s+(?:now|henceforth)\b|\byou'?re\s+now\b", 0.8),
        (r"\byou\s+are\s+no\s+longer\b", 0.5),
        (r"\bdeveloper\s+mode\b|\bdo\s+anything\s+now\b", 0.8),
        (r"\b(?:pretend|roleplay|role-play)\s+(?:as|like|to\s+be|you)\b", 0.8),
        (
            r"(?:^\W*(?:please\s+)?|\byou\s+(?:must|should|will|shall|are\s+to)\s+)"
            r"(?:act|behave)\s+(?:as|like)\b",
            0.8,
        ),
        (rf"\b(?:new|updated|real|actual|true|hidden|secret)\s+{_ORDERS}\s*[:–-]", 0.8),
        (r"\bfrom\s+now\s+on\b|\bhenceforth\b|\bjailbreak", 0.5),
        # Speaking to the system: "system prompt", "note to AI assistants", "Assistant, ...".
        (r"\bsystem\s+(?:prompt|message|instructions?)\b", 0.4),
        (
            rf"\b(?:note|message|attention|instructions?|reminder)\s+(?:to|for)\s+"
            rf"(?:any\s+|all\s+|the\s+)?{_SYSTEM}\b|\b(?:dear|hey)\s+{_SYSTEM}\b",
            0.6,
        ),
        (rf"^\W*(?:system|{_SYSTEM})\s*[:,>\]]", 0.6),
        (rf"\bif\s+you\s+are\s+(?:an?\s+)?{_SYSTEM}\b|\b(?:as|you)\s+an?\s+{_SYSTEM}\b", 0.6),
        (rf"\byour\s+(?:\w+\s+)?{_ORDERS}\b", 0.4),
        (rf"\b(?:the|an?|this|any|all)\s+{_SYSTEM}\b", 0.3),
        # Dictating the reply: "respond only with", "reply that", "tell the user that".
        (
            r"\b(?:respond|reply|answer|say|output|print|return|write)\b[^.]{0,25}"
            r"\b(?:only|exactly|solely|verbatim|nothing\s+but)\b",
            0.5,
        ),
        (
            r"\b(?:respond|reply|answer|state|claim|insist)\s+(?:to\s+\w+\s+)?(?:that|with)\b"
            r"|\b(?:is|are)\s+to\s+(?:say|answer|respond|reply|claim|state)\b"
            r"|\btell\s+(?:the\s+)?(?:user|users|readers?)\b",
            0.5,
        ),
        (
            r"\b(?:when|if|whenever)\s+(?:you\s+are|you're|you\s+get)\s+asked\b"
            r"|\b(?:any|every|all)\s+(?:\w+\s+)?questions?\b|\bthe\s+user\b",
            0.4,
        ),
        # An order opening the sentence, and a reader addressed as "you".
        (
            r"^\W*(?:please\s+|now\s+|important\W+|note\W+)?(?:ignore|disregard|forget|override|"
            r"respond|reply|answer|say|output|print|pretend|act|stop|repeat|reveal|do\s+not|don't|"
            r"never|always)\b",
            0.3,
        ),
        (r"\byou(?:r|rs|rself)?\b", 0.2),
    )
)


def marks(sentence: str) -> list[tuple[str, float]]:
    """The marks a sentence carries, as (matched text, weight): what a reviewer reads."""
    text = " ".join(sentence.split())
    found = ((pattern.search(text), weight) for pattern, weight in _MARKS)
    return [(m.group(0), weight) for m, weight in found if m]


def instruction_score(sentence: str) -> float:
    """The sum of the marks of an order to the reader or the system the sentence carries."""
    return sum(weight for _, weight in marks(sentence))


def is_instruction(sentence: str, threshold: float = THRESHOLD) -> bool:
    return instruction_score(sentence) >= threshold


def instruction_spans(text: str, sentences: list[Span]) -> list[Span]:
    return [s for s in sentences if is_instruction(text[s.start : s.end])]


def strip_instructions(text: str, placeholder: str = "[instruction removed]") -> str:
    """The text with each instruction-like sentence replaced, for a model's sources block."""
    spans = instruction_spans(text, sentence_spans(text, [Span(0, len(text))]))
    for span in reversed(spans):
        text = text[: span.start] + placeholder + text[span.end :]
    return text
