"""Pure scoring of candidate sentences against a question."""

from __future__ import annotations

import itertools
import math
import re

# Version numbers and decimals ("4.4.1", "2.5") are one word: "4.4.1" is not "4" and "1".
WORD = re.compile(r"\d+(?:\.\d+)+|[\w][\w'’-]*", re.UNICODE)
STOPWORDS = frozenset(
    [
        "a",
        "an",
        "the",
        "and",
        "or",
        "but",
        "if",
        "of",
        "in",
        "on",
        "at",
        "to",
        "for",
        "from",
        "by",
        "with",
        "about",
        "as",
        "into",
        "over",
        "after",
        "before",
        "between",
        "under",
        "again",
        "further",
        "then",
        "once",
        "here",
        "there",
        "when",
        "where",
        "why",
        "how",
        "what",
        "which",
        "who",
        "whom",
        "whose",
        "this",
        "that",
        "these",
        "those",
        "is",
        "are",
        "was",
        "were",
        "be",
        "been",
        "being",
        "have",
        "has",
        "had",
        "having",
        "do",
        "does",
        "did",
        "doing",
        "i",
        "me",
        "my",
        "we",
        "our",
        "you",
        "your",
        "he",
        "him",
        "his",
        "she",
        "her",
        "it",
        "its",
        "they",
        "them",
        "their",
        "not",
        "no",
        "nor",
        "so",
        "than",
        "too",
        "very",
        "can",
        "will",
        "just",
        "should",
        "would",
        "could",
        "may",
        "might",
        "must",
        "shall",
        "also",
        "any",
        "all",
        "both",
        "each",
        "few",
        "more",
        "most",
        "other",
        "some",
        "such",
        "only",
        "own",
        "same",
        "s",
        "t",
        "now",
        "tell",
        "please",
        "give",
        "list",
        "name",
        "many",
        "much",
        "according",
        "document",
        "documents",
        "text",
        "say",
        "says",
        "said",
    ]
)
# The words a question opens with to ask.
QUESTION_WORDS = frozenset(["who", "whom", "whose", "what", "which", "when", "where", "why", "how"])
MONTHS = frozenset(
    [
        "january",
        "february",
        "march",
        "april",
        "may",
        "june",
        "july",
        "august",
        "september",
        "october",
        "november",
        "december",
        "monday",
        "tuesday",
        "wednesday",
        "thursday",
        "friday",
        "saturday",
        "sunday",
    ]
)
_NAME = re.compile(r"\b[A-Z][a-z]+(?:[- ](?:[A-Z][a-z]+|[A-Z]{2,}))+\b")
_NUMBER = re.compile(
    r"\b(?:\d[\d,.]*|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|"
    r"thirty|forty|fifty|hundred|thousand|million|billion|dozen)\b",
    re.IGNORECASE,
)
_DATE = re.compile(
    r"\b(?:1[5-9]\d\d|20\d\d|(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s+\d)",
    re.IGNORECASE,
)


def stem(word: str) -> str:
    w = word.lower().replace("’", "'")
    if w.endswith("'s"):
        w = w[:-2]
    if len(w) >= 5 and w.endswith("ies"):
        return w[:-3] + "y"
    if len(w) >= 5 and w.endswith(("ches", "shes", "sses", "xes", "zes")):
        return w[:-2]
    for suffix, min_len in (("ing", 6), ("ed", 5), ("ly", 5), ("s", 4)):
        if w.endswith(suffix) and not w.endswith("ss") and len(w) >= min_len:
            return w[: -len(suffix)]
    return w


def terms(text: str) -> list[str]:
    return [stem(w) for w in WORD.findall(text) if w.lower() not in STOPWORDS]


def words_match(term: str, words: set[str]) -> bool:
    if term in words:
        return True
    # Derivations share a stem the suffix stripper cannot see: sign/signatories, elect/election.
    return len(term) >= 4 and any(w.startswith(term) for w in words)


def idf_weights(question: str, corpus: list[str]) -> dict[str, float]:
    """Rarer question terms count more: 'urge' outweighs 'Korea' in a text about Korea."""
    q = set(terms(question))
    bags = [set(terms(text)) for text in corpus]
    n = len(bags)
    return {t: math.log(1 + (n + 1) / (1 + sum(words_match(t, b) for b in bags))) for t in q}


def _bigrams(words: list[str]) -> set[tuple[str, str]]:
    return set(itertools.pairwise(words))


def lexical_overlap(question: str, sentence: str, weights: dict[str, float] | None = None) -> float:
    """IDF-weighted share of the question's terms in the sentence, with credit for phrases.

    Matching "South Korea" as a phrase tells the sentence about South Korea from the one
    about North Korea, which single words cannot.
    """
    q_words = terms(question)
    q = set(q_words)
    if not q:
        return 0.0
    w = weights or {}
    s_words = terms(sentence)
    s = set(s_words)
    total = sum(w.get(t, 1.0) for t in q)
    unigram = sum(w.get(t, 1.0) for t in q if words_match(t, s)) / total
    q_pairs = _bigrams(q_words)
    if not q_pairs:
        return unigram
    bigram = len(q_pairs & _bigrams(s_words)) / len(q_pairs)
    return 0.75 * unigram + 0.25 * bigram


def expected_type(question: str) -> str | None:
    q = question.lower().strip()
    if re.match(r"^(?:and\s+)?(?:who|whom|whose)\b", q) or re.search(
        r"\bwhich (?:person|people|official|leader)s?\b", q
    ):
        return "person"
    if re.match(r"^(?:and\s+)?when\b", q) or re.search(
        r"\b(?:what|which) (?:date|day|year|month)\b", q
    ):
        return "date"
    if re.search(r"\bhow (?:many|much|long|old|far)\b", q):
        return "number"
    return None


def answer_type_match(question: str, sentence: str) -> float:
    """1.0 when the sentence holds the kind of thing the question asks for, else 0."""
    kind = expected_type(question)
    if kind is None:
        return 0.0
    if kind == "person":
        q_words = {w.lower() for w in WORD.findall(question)}
        names = [
            n
            for n in _NAME.findall(sentence)
            if n.split()[0].lower() not in MONTHS and not set(n.lower().split()) <= q_words
        ]
        return 1.0 if names else 0.0
    if kind == "date":
        return 1.0 if _DATE.search(sentence) else 0.0
    return 1.0 if _NUMBER.search(sentence) else 0.0


_POINTER = re.compile(
    r"\b(?:sections?|pages?|chapters?|tables?|examples?)\b[^.]{0,60}\b(?:below|above)\b"
    r"|\b(?:see|read)\s+(?:the\s+)?(?:section|page|chapter|docs?)\b",
    re.IGNORECASE,
)


def form_factor(sentence: str, question: str = "") -> float:
    """Labels, fragments, questions and echoes of the question rarely answer anything."""
    words = len(sentence.split())
    factor = min(1.0, words / 6)
    end = sentence.rstrip()[-1:]
    if end == ":":
        factor *= 0.5
    elif end == "?":
        factor *= 0.4
    if question and set(terms(sentence)) <= set(terms(question)):
        factor *= 0.4
    if _POINTER.search(sentence):
        factor *= 0.5
    return factor


def combine(
    *,
    own: float,
    context: float,
    lexical: float,
    type_match: float,
    form: float,
    context_weight: float,
    lexical_weight: float,
    type_weight: float,
) -> float:
    semantic = (1 - context_weight) * own + context_weight * context
    base = (1 - lexical_weight) * semantic + lexical_weight * lexical
    return (base + type_weight * type_match) * form
