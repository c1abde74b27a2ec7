"""Does the evidence hold what the question asks? Decided before any answer is written.

The decision is a logistic model over signals of the evidence (see `features`), trained by
`python -m evals.answerability.train` on the tuning halves only and shipped as
`gate_model.json`. Its weights are readable: docs/answerability.md lists what carries it.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources

from service.answering.evidence import Evidence
from service.answering.scoring import (
    QUESTION_WORDS,
    STOPWORDS,
    WORD,
    answer_type_match,
    expected_type,
    stem,
    terms,
    words_match,
)

_NEGATION = re.compile(
    r"\b(?:not|never|no|none|nothing|neither|nor|without|cannot)\b|n[’']t\b", re.I
)
_NUMERIC = re.compile(r"\d")
# Question words, auxiliaries and prepositions: capitalized at a question's start, no names.
_QUESTION_WORDS = QUESTION_WORDS | {
    "is", "are", "was", "were", "do", "does", "did", "can", "could",
    "in", "on", "at", "for", "of", "by", "from", "to", "the", "a", "an",
}  # fmt: skip


@dataclass(frozen=True)
class QuestionTerms:
    """The question's content terms (stems) and which of them are names or numbers."""

    all: dict[str, str]  # stem -> the word as the question wrote it
    entities: frozenset[str]
    numbers: frozenset[str]


def question_terms(question: str) -> QuestionTerms:
    words: dict[str, str] = {}
    entities: set[str] = set()
    numbers: set[str] = set()
    for n, word in enumerate(WORD.findall(question)):
        low = word.lower()
        if low in STOPWORDS:
            continue
        t = stem(word)
        words.setdefault(t, word)
        if _NUMERIC.search(word):
            numbers.add(t)
        elif word[0].isupper() and ((n > 0 and low not in _QUESTION_WORDS) or word.isupper()):
            entities.add(t)
    return QuestionTerms(all=words, entities=frozenset(entities), numbers=frozenset(numbers))


def _coverage(q: dict[str, float], words: set[str]) -> float:
    total = sum(q.values())
    return sum(w for t, w in q.items() if words_match(t, words)) / total if total else 0.0


def _missing(q: set[str], words: set[str]) -> set[str]:
    return {t for t in q if not words_match(t, words)}


FEATURES = (
    "score",
    "own",
    "context",
    "lexical",
    "cov_sentence",
    "cov_context",
    "cov_top3",
    "cov_evidence",
    "max_cov_sentence",
    "missing_idf_context",
    "missing_idf_evidence",
    "missing_evidence",
    "missing_entity_context",
    "missing_entity_evidence",
    "missing_number_context",
    "type_person",
    "type_date",
    "type_number",
    "type_match",
    "question_negated",
    "negation_unmatched",
    "margin",
    "retrieval",
    "question_terms",
    "novel",
)


def features(ev: Evidence) -> dict[str, float]:
    """Signals of how well the best evidence covers what the question constrains."""
    b = ev.best
    if b is None:
        return dict.fromkeys(FEATURES, 0.0)
    qt = question_terms(ev.question)
    q_stems = set(terms(ev.question)) | set(qt.all)
    top_idf = math.log(2 + max(ev.corpus_size, 1))
    weight = {t: ev.weights.get(t, top_idf) / top_idf for t in q_stems}
    best = ev.cands[b]
    s_words = set(terms(best.text))
    c_words = set(terms(best.context))
    top3 = {w for i in ev.ranked[:3] for w in terms(ev.cands[i].context)}
    bags = [set(terms(c.text)) for c in ev.cands]
    e_words = set().union(*bags) if bags else set()
    miss_c = _missing(q_stems, c_words)
    miss_e = _missing(q_stems, e_words)
    kind = expected_type(ev.question)
    q_neg = bool(_NEGATION.search(ev.question))
    second = ev.scores[ev.ranked[1]] if len(ev.ranked) > 1 else 0.0
    return {
        "score": ev.scores[b],
        "own": ev.own[b],
        "context": ev.context[b],
        "lexical": ev.lexical[b],
        "cov_sentence": _coverage(weight, s_words),
        "cov_context": _coverage(weight, c_words),
        "cov_top3": _coverage(weight, top3),
        "cov_evidence": _coverage(weight, e_words),
        "max_cov_sentence": max(_coverage(weight, bag) for bag in bags),
        "missing_idf_context": max((weight[t] for t in miss_c), default=0.0),
        "missing_idf_evidence": max((weight[t] for t in miss_e), default=0.0),
        "missing_evidence": float(len(miss_e)),
        "missing_entity_context": float(bool(qt.entities & miss_c)),
        "missing_entity_evidence": float(bool(qt.entities & miss_e)),
        "missing_number_context": float(bool(qt.numbers & miss_c)),
        "type_person": float(kind == "person"),
        "type_date": float(kind == "date"),
        "type_number": float(kind == "number"),
        "type_match": answer_type_match(ev.question, best.text),
        "question_negated": float(q_neg),
        "negation_unmatched": float(q_neg and not _NEGATION.search(best.context)),
        "margin": ev.scores[b] - second,
        "retrieval": ev.retrieval_score,
        "question_terms": float(len(q_stems)),
        "novel": len(s_words - q_stems) / max(len(s_words), 1),
    }


@dataclass(frozen=True)
class GateModel:
    names: tuple[str, ...]
    mean: tuple[float, ...]
    scale: tuple[float, ...]
    coef: tuple[float, ...]
    intercept: float
    threshold: float

    def probability(self, values: dict[str, float]) -> float:
        z = self.intercept + sum(
            c * (values.get(n, 0.0) - m) / s
            for n, m, s, c in zip(self.names, self.mean, self.scale, self.coef, strict=True)
        )
        return 1 / (1 + math.exp(-max(min(z, 50.0), -50.0)))

    @classmethod
    def from_json(cls, data: dict[str, object]) -> GateModel:
        return cls(
            names=tuple(data["features"]),  # type: ignore[arg-type]
            mean=tuple(data["mean"]),  # type: ignore[arg-type]
            scale=tuple(data["scale"]),  # type: ignore[arg-type]
            coef=tuple(data["coef"]),  # type: ignore[arg-type]
            intercept=float(data["intercept"]),  # type: ignore[arg-type]
            threshold=float(data["threshold"]),  # type: ignore[arg-type]
        )


@cache
def bundled_model() -> GateModel:
    text = resources.files("service.answering").joinpath("gate_model.json").read_text()
    return GateModel.from_json(json.loads(text))


@dataclass(frozen=True)
class Decision:
    answerable: bool
    probability: float
    reason: str


_ASKS = {
    "person": "who",
    "date": "when",
    "number": "how many or how much",
}


def explain(ev: Evidence) -> str:
    """What the documents hold and what they lack, in the question's own words."""
    qt = question_terms(ev.question)
    found_words: list[str] = []
    missing_words: list[str] = []
    bags = set().union(*(set(terms(c.text)) for c in ev.cands)) if ev.cands else set()
    for t, word in qt.all.items():
        (found_words if words_match(t, bags) else missing_words).append(word)
    if not found_words:
        return "The indexed documents do not contain an answer to this question."
    topic = ", ".join(found_words[:4])
    if missing_words:
        return (
            f"The indexed documents mention {topic} but say nothing about "
            f"{', '.join(missing_words[:4])}, so they do not answer this question."
        )
    asked = _ASKS.get(expected_type(ev.question) or "", "what this question asks")
    return f"The indexed documents mention {topic} but do not say {asked}: no passage answers it."


class AnswerabilityGate:
    def __init__(self, model: GateModel | None = None, threshold: float | None = None) -> None:
        self.model = model or bundled_model()
        self.threshold = self.model.threshold if threshold is None else threshold

    @classmethod
    def bundled(cls, threshold: float | None = None) -> AnswerabilityGate:
        return cls(bundled_model(), threshold)

    def decide(self, ev: Evidence) -> Decision:
        if ev.best is None:
            return Decision(False, 0.0, explain(ev))
        p = self.model.probability(features(ev))
        if p >= self.threshold:
            return Decision(True, p, "")
        return Decision(False, p, explain(ev))
