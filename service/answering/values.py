"""Do two answer spans name the same thing? Dates, numbers and names compared by meaning.

Documents that agree rarely agree in form: "Jan 5, 2024" and "5 January 2024" are one date,
"three" and "3" one number, "Hiroyuki Namazu" and "Namazu Hiroyuki" one person, and a list
that leaves a name out does not contradict the full list. Each comparison answers True
(the same), False (different) or None (they cannot be compared, such as "24 years" and
"3 missiles"): only False is a disagreement.
"""

from __future__ import annotations

import re
import unicodedata

from service.answering.scoring import terms

_MONTHS = {
    m[:3]: n
    for n, m in enumerate(
        ["january", "february", "march", "april", "may", "june", "july", "august",
         "september", "october", "november", "december"],
        start=1,
    )
}  # fmt: skip
_MONTH = re.compile(r"\b(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?", re.I)
_YEAR = re.compile(r"\b(1\d{3}|20\d{2})\b(?!s)")
_DAY = re.compile(r"\b([0-3]?\d)(?:st|nd|rd|th)?\b(?![.,]?\d)")
_ISO = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")

_UNITS = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13,
    "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18,
    "nineteen": 19, "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60,
    "seventy": 70, "eighty": 80, "ninety": 90, "a": 1, "an": 1, "dozen": 12,
}  # fmt: skip
_SCALES = {"hundred": 100, "thousand": 1e3, "million": 1e6, "billion": 1e9, "trillion": 1e12}
_DIGITS = re.compile(r"(\d+(?:\.\d+)?)")
_NUMBER_WORDS = re.compile(
    rf"\b(?:{'|'.join(sorted(_UNITS.keys() - {'a', 'an'}))})\b", re.IGNORECASE
)
_SEPARATORS = re.compile(r",\s*|\s+(?:and|&)\s+|\s*;\s*")

Date = tuple[int | None, int | None, int | None]


def date_parts(text: str) -> Date | None:
    """(year, month, day) as far as the text gives them; None when it names no date."""
    iso = _ISO.search(text)
    if iso:
        return int(iso.group(1)), int(iso.group(2)), int(iso.group(3))
    if re.search(r"\b\d{4}s\b", text):
        return None  # a decade is no date to compare
    month_m = _MONTH.search(text)
    year_m = _YEAR.search(text)
    month = _MONTHS[month_m.group(1).lower()] if month_m else None
    year = int(year_m.group(1)) if year_m else None
    day = None
    if month_m:
        rest = text.replace(year_m.group(0), " ") if year_m else text
        days = [int(d) for d in _DAY.findall(rest) if 1 <= int(d) <= 31]
        day = days[0] if days else None
    if year is None and month is None:
        return None
    return year, month, day


def same_date(a: str, b: str) -> bool | None:
    x, y = date_parts(a), date_parts(b)
    if x is None or y is None:
        return None
    shared = [(p, q) for p, q in zip(x, y, strict=True) if p is not None and q is not None]
    if not shared:
        return None  # "2024" and "June 5" say nothing about each other
    return all(p == q for p, q in shared)


def _words_value(words: list[str]) -> float | None:
    """ "twenty-four" -> 24, "three hundred" -> 300, "two million" -> 2e6."""
    total, current, seen = 0.0, 0.0, False
    for word in words:
        if word in _UNITS:
            current += _UNITS[word]
            seen = True
        elif word in _SCALES and seen:
            current = max(current, 1) * _SCALES[word]
            if _SCALES[word] >= 1e3:
                total, current = total + current, 0.0
        elif seen:
            break
    return total + current if seen else None


def number_value(text: str) -> tuple[float, str | None] | None:
    """The quantity and its unit: "$4.5 million" -> (4500000, None), "24 years" -> (24, "year")."""
    low = text.lower().replace(",", "")
    m = _DIGITS.search(low)
    if m:
        value, rest = float(m.group(1)), low[m.end() :]
    else:
        words = re.findall(r"[a-z]+", low)
        first = _NUMBER_WORDS.search(low)
        if first is None:
            return None
        start = len(re.findall(r"[a-z]+", low[: first.start()]))
        parsed = _words_value(words[start:])
        if parsed is None:
            return None
        value = parsed
        tail = words[start:]
        while tail and (tail[0] in _UNITS or tail[0] in _SCALES):
            tail = tail[1:]
        rest = " ".join(tail)
        return value, _unit(rest)
    rest_words = re.findall(r"[a-z%]+", rest)
    if rest_words and rest_words[0] in _SCALES:
        value *= _SCALES[rest_words[0]]
        rest = " ".join(rest_words[1:])
    return value, _unit(rest)


def _unit(rest: str) -> str | None:
    if rest.strip().startswith(("%", "percent")):
        return "%"
    words = terms(rest)
    return words[0] if words else None


def same_number(a: str, b: str) -> bool | None:
    x, y = number_value(a), number_value(b)
    if x is None or y is None:
        return None
    same = abs(x[0] - y[0]) <= 1e-9 * max(abs(x[0]), abs(y[0]), 1.0)
    if x[1] != y[1] and not same:
        return None  # "24 years" and "3 missiles", or "9" of what, count different things
    return same


def _plain(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def names_of(value: str) -> list[frozenset[str]]:
    """Each listed name as the set of its words: word order and hyphens do not matter."""
    out = []
    for part in _SEPARATORS.split(_plain(value)):
        words = frozenset(w.lower() for w in re.findall(r"[^\W\d_]+", part) if len(w) > 1)
        if words:
            out.append(words)
    return out


def same_people(a: str, b: str) -> bool | None:
    """A list agrees with another when every name of the shorter one is in the longer one."""
    x, y = names_of(a), names_of(b)
    if not x or not y:
        return None
    short, long = sorted((x, y), key=len)
    return all(any(n <= m or m <= n for m in long) for n in short)


def same_text(a: str, b: str) -> bool | None:
    x, y = set(terms(_plain(a))), set(terms(_plain(b)))
    if not x or not y:
        return None
    return x <= y or y <= x


def same_value(kind: str, a: str, b: str) -> bool | None:
    """Compare two spans of one asked-for kind: person, date, number, or a field's text."""
    if kind == "person":
        return same_people(a, b)
    if kind == "date":
        return same_date(a, b)
    if kind == "number":
        return same_number(a, b)
    both_dates = date_parts(a) and date_parts(b)
    return same_date(a, b) if both_dates else same_text(a, b)
