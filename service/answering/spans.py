"""The shortest span of a cited sentence that answers the question's type.

Names for who, the date for when, the number (with its unit) for how many or how much, and
the value of a `Key: value` field whose key the question names. None when nothing fits:
the answer then leads with the sentence itself.
"""

from __future__ import annotations

import re

from service.answering.scoring import (
    MONTHS,
    QUESTION_WORDS,
    STOPWORDS,
    expected_type,
    terms,
    words_match,
)

_NAME_WORD = r"(?:[A-Z][a-z]+(?:-[A-Z]?[a-z]+)?|[A-Z]\.|[A-Z]{2,}|de|van|von|der|da|bin|al-)"
_NAME = re.compile(
    rf"\b[A-Z][a-z]+(?:-[A-Z]?[a-z]+)?(?:\s+{_NAME_WORD})*\s+[A-Z][a-z]+(?:-[A-Z]?[a-z]+)?\b"
)
_MONTH = (
    r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|"
    r"Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)\.?"
)
_DATE = re.compile(
    rf"\b(?:{_MONTH}\s+\d{{1,2}}(?:st|nd|rd|th)?(?:,?\s+\d{{4}})?"
    rf"|\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?{_MONTH}(?:,?\s+\d{{4}})?"
    rf"|{_MONTH},?\s+\d{{4}}"
    r"|\d{4}-\d{2}-\d{2}"
    r"|(?:1[0-9]|20)\d{2}s?(?:\s*(?:BC|AD|BCE|CE))?)\b"
)
_NUMBER = re.compile(
    r"(?:[$€£]\s?)?\b\d[\d,]*(?:\.\d+)?(?:\s*%|\s+(?:percent|million|billion|thousand|hundred))?"
    r"(?:\s+(?!(?:and|or|of|the|in|on|at|to|by|for)\b)[a-z][a-z-]+)?"
    r"|\b(?:(?:twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety)"
    r"(?:-(?:one|two|three|four|five|six|seven|eight|nine))?"
    r"|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve"
    r"|hundred|thousand|dozen)\b(?:\s+(?!(?:and|or|of|the)\b)[a-z][a-z-]+)?",
)
_FIELD = re.compile(r"^\s*(?:[-*]\s+)?([A-Za-z][\w .()/-]{0,40}?)\s*[:=]\s+(\S.*?)\s*$", re.DOTALL)
_MONTH_WORDS = MONTHS | {"the", "a", "an", "in", "on", "at"}


# Capitalized words that are roles, bodies or nationalities, not parts of a person's name.
_ROLES = frozenset(
    [
        "official",
        "officials",
        "minister",
        "ministry",
        "secretary",
        "president",
        "vice",
        "deputy",
        "director",
        "senior",
        "assistant",
        "foreign",
        "affairs",
        "general",
        "chief",
        "executive",
        "officer",
        "chairman",
        "chairwoman",
        "chair",
        "head",
        "department",
        "strategy",
        "intelligence",
        "national",
        "security",
        "state",
        "prime",
        "ambassador",
        "representative",
        "spokesperson",
        "spokesman",
        "governor",
        "mayor",
        "senator",
        "professor",
        "dr",
        "mr",
        "mrs",
        "ms",
        "sir",
        "lord",
        "king",
        "queen",
        "prince",
        "princess",
        "pope",
        "saint",
        "university",
        "college",
        "school",
        "church",
        "company",
        "council",
        "committee",
        "agency",
        "office",
        "bureau",
        "institute",
        "association",
        "party",
        "government",
        "republic",
        "kingdom",
        "united",
        "states",
        "nations",
        "federal",
        "central",
        "north",
        "south",
        "east",
        "west",
        "northern",
        "southern",
        "eastern",
        "western",
        "new",
        "great",
        "international",
        "world",
        "royal",
    ]
)
_NATIONALITY = re.compile(r"^[A-Z][a-z]{3,}(?:ese|ian|ean|ish)$")


def _is_role(word: str) -> bool:
    return word.lower().strip(".") in _ROLES or bool(_NATIONALITY.match(word))


def _names(question: str, sentence: str) -> list[str]:
    asked = {w.lower() for w in re.findall(r"\w+", question)}
    out: list[str] = []
    for m in _NAME.finditer(sentence):
        part: list[str] = []
        for word in [*m.group(0).split(), ""]:
            if word and not _is_role(word):
                part.append(word)
                continue
            if (
                len(part) >= 2
                and part[0].lower() not in _MONTH_WORDS
                and not {w.lower() for w in part} <= asked
                and " ".join(part) not in out
            ):
                out.append(" ".join(part))
            part = []
    return out


# Keys that name what a question asks without sharing its words ("who wrote" -> author).
_PERSON_KEYS = frozenset(["author", "maintainer", "owner", "editor", "creator", "contact"])
_DATE_KEYS = frozenset(["date", "published", "released", "updated", "created", "modified"])
_WROTE = frozenset(["wrote", "written", "write", "writ", "wrot"])


_ASKING = QUESTION_WORDS | {"many", "much"}
_LINKING = frozenset(["is", "are", "was", "were", "do", "does", "did", "the", "a", "an", "s"])


def focus(question: str) -> set[str]:
    """The words a question asks about: "What is the minimum Ruby version required by X?"
    -> {minimum, ruby, version, required}; "How many stars does X have?" -> {stars}.
    """
    words = re.findall(r"[\w][\w'’-]*", question.lower())
    i = 0
    while i < len(words) and (words[i] in _ASKING or words[i] in _LINKING):
        i += 1
    run: list[str] = []
    for word in words[i:]:
        if word in STOPWORDS:
            break
        run.append(word)
    return set(terms(" ".join(run)))


_GENERIC_FOCUS = frozenset(["list", "listed", "call", "called", "named"])
_DATE_VERBS = frozenset(["publish", "published", "releas", "released", "creat", "updat", "writ"])


def _key_asked(key: list[str], question: str) -> bool:
    """Does the question ask for this field? Its key must be what the question is about.

    "How many stars does the repository have?" does not ask for `Repository:`; "Who was the
    release manager?" does not ask for `author:`; "who wrote it?" and "when was it published?"
    ask for `author:` and `date:` without naming them.
    """
    if not key:
        return False
    q = set(terms(question))
    f = {t for t in focus(question) if t not in _GENERIC_FOCUS}
    named = all(words_match(t, q) or any(words_match(x, {t}) for x in q) for t in key)
    if named and (not f or any(words_match(t, f) for t in key)):
        return True
    head = key[-1]
    kind = expected_type(question)
    if kind == "person" and any(head.startswith(k) for k in _PERSON_KEYS):
        return not f - _WROTE
    if kind == "date" and any(head.startswith(k) for k in _DATE_KEYS):
        return not f - _DATE_VERBS
    return False


def field_value(question: str, sentence: str) -> str | None:
    """`Authors: A, B` answers "who are the authors?" (or "who wrote it?") by its value.

    A value continued on indented lines (an RFC 822 author list) is read as one line.
    """
    m = _FIELD.match(sentence)
    if not m or not _key_asked(terms(m.group(1)), question):
        return None
    return " ".join(m.group(2).split()).rstrip(" .;") or None


def answer_span(question: str, sentence: str) -> str | None:
    value = field_value(question, sentence)
    if value:
        return value
    found = typed_values(question, sentence)
    if expected_type(question) == "person" and len(found) > 1:
        return ", ".join(found[:-1]) + " and " + found[-1]
    return found[0] if found else None


def typed_values(question: str, sentence: str) -> list[str]:
    """Every span of the asked-for type in the sentence, in order: its names, dates or numbers."""
    kind = expected_type(question)
    if kind == "person":
        return _names(question, sentence)
    pattern = {"date": _DATE, "number": _NUMBER}.get(kind or "")
    if pattern is None:
        return []
    asked = set(terms(question))
    dates = [d.span() for d in _DATE.finditer(sentence)] if kind == "number" else []
    out = []
    for m in pattern.finditer(sentence):
        if any(a <= m.start() < b for a, b in dates):
            continue  # the 27 of "June 27" counts no things
        text = _trim_unit(m.group(0).strip())
        if text and (not terms(text) or not set(terms(text)) <= asked):
            out.append(text)
    return out


def _trim_unit(text: str) -> str:
    """Drop a trailing function word the number pattern took for a unit ("27 that")."""
    head, _, last = text.rpartition(" ")
    return head if head and last.lower() in STOPWORDS else text
