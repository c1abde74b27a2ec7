"""Do the retrieved documents disagree on the fact the question asks for?

A planted document of false claims otherwise wins quietly: its sentence scores like the true
one, and the answer cites it alone. Here each document gets a say: its best sentence that
addresses the question's slot (the asked-for kind of value, with the question's names,
numbers and most of its weighted words around it) and scores near the best sentence of all.
Two documents whose values differ once normalized (`values.same_value`) disagree, and the
answer then says so and cites both. A value that cannot be compared, or a document that
gives no value of the asked-for kind, is no disagreement: only who, when, how many and
`Key: value` questions are checked.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from service.answering.answerability import question_terms
from service.answering.evidence import Evidence, cite
from service.answering.scoring import expected_type, stem, terms, words_match
from service.answering.spans import answer_span, field_value, focus, typed_values
from service.answering.values import same_value
from service.schemas import Citation

# A side must score this share of the best sentence: a document the answer would not have
# drawn on anyway does not get to contradict it.
MIN_SHARE = 0.6
# Share of the question's IDF-weighted words in the sentence with its neighbours: the
# sentence is about what the question asks, not just of the asked-for kind. Answers
# paraphrase ("first visit to North Korea in 24 years" covers 0.37 of "how many years had
# passed since Putin's previous visit to North Korea?"), so the floor is low; the focus
# word, the score floor and the relative share below carry the rest. At 0.4 that planted
# "12 years" went unflagged; 0.3 costs 19 instead of 13 conflicts among the 580 typed
# answers of SQuAD 2.0 dev articles 0-7, whose paragraphs are indexed as documents.
MIN_COVERAGE = 0.3
# ... and at least this share of the best-covering side's coverage.
RELATIVE_COVERAGE = 0.75
MAX_SIDES = 3
_SAYS_SO = re.compile(r"\b(?:disagree|conflict|contradict|inconsistent|differ)", re.IGNORECASE)


@dataclass(frozen=True)
class Claim:
    """What one document says fills the slot: candidate `cand` of the evidence gives `value`.

    `compared` is what is compared: the value as a name list without the question's words,
    or the value followed by the other dates or numbers of its sentence and its document's
    retrieved sentences.
    """

    cand: int
    kind: str
    value: str
    compared: tuple[str, ...]


@dataclass(frozen=True)
class Conflict:
    """One claim per distinct value, best first; each from a different document."""

    claims: list[Claim]


def claim_of(question: str, sentence: str, cand: int = 0) -> Claim | None:
    """The value this sentence gives for the asked-for kind, if any."""
    field = field_value(question, sentence)
    if field:
        return Claim(cand, "field", field, (field,))
    kind = expected_type(question)
    found = typed_values(question, sentence) if kind else []
    if kind is None or not found:
        return None
    if kind == "person":
        names = _names_compared(question, sentence, found)
        shown = answer_span(question, sentence) or ""
        return Claim(cand, kind, _tidy(shown), (" and ".join(names),)) if names else None
    return Claim(cand, kind, _tidy(found[0]), tuple(found))


def _tidy(value: str) -> str:
    return " ".join(value.split()).rstrip(".")


def _names_compared(question: str, sentence: str, names: list[str]) -> list[str]:
    """Names without the question's words ("Vanguard CEO Tim Buckley" -> "Tim Buckley") and
    without the first word of a sentence ("While Meta bought ..."), which is capitalized
    anyway. A single word left of a longer name ("See" of "See Instagram photos") is none.
    """
    asked = set(terms(question))
    opening = sentence.lstrip(" \"'“‘([-*")
    out = []
    for name in names:
        words = name.split()
        first = opening.startswith(name) and len(words) > 1
        if first:
            words = words[1:]
        if any(w.lower().strip(".,") in _NOT_PEOPLE for w in words):
            continue
        kept = [w for w in words if not words_match(stem(w), asked)]
        if len(kept) >= 2 or (kept and (first or len(kept) == len(words))):
            out.append(" ".join(kept))
    return out


# Past forms the suffix stripper cannot reduce, for the question's focus word ("who won").
_IRREGULAR = {
    "won": "win", "wrote": "write", "written": "write", "led": "lead", "ran": "run",
    "began": "begin", "begun": "begin", "bought": "buy", "sold": "sell", "made": "make",
    "took": "take", "taken": "take", "gave": "give", "given": "give", "became": "become",
    "held": "hold", "met": "meet", "left": "leave", "built": "build", "found": "find",
    "chose": "choose", "chosen": "choose", "drew": "draw", "drawn": "draw", "sang": "sing",
    "sung": "sing", "spoke": "speak", "taught": "teach", "told": "tell", "paid": "pay",
    "sent": "send", "spent": "spend", "brought": "bring", "lost": "lose", "beaten": "beat",
    "fought": "fight", "caught": "catch", "drove": "drive", "driven": "drive", "rose": "rise",
    "grew": "grow", "knew": "know", "known": "know", "saw": "see", "seen": "see",
    "broke": "break", "broken": "break", "stole": "steal", "shot": "shoot", "struck": "strike",
}  # fmt: skip


# Words that make a capitalized run a place, body, event or title, not a person: "Canary
# Islands", "Lisbon Treaty", "UAE Team Emirates", "Crew List". Words that are also common
# surnames (Park, Hall, Law, Day) are left out.
_NOT_PEOPLE = frozenset(
    [
        "islands", "island", "treaty", "rights", "team", "teams", "open", "slam", "award",
        "awards", "prize", "list", "act", "court", "union", "church", "river", "cup",
        "championship", "championships", "museum", "library", "airport", "stadium", "sea",
        "mountains", "mountain", "valley", "peninsula", "asia", "europe", "africa", "america",
        "americas", "partnership", "agreement", "convention", "declaration", "constitution",
        "charter", "festival", "games", "olympics", "league", "club", "inc", "corp", "corporation",
        "ltd", "group", "studios", "pictures", "network", "project", "programme", "series",
        "edition", "war", "battle", "revolution", "empire", "province", "county", "district",
        "region", "coast", "desert", "forest", "canal", "hospital", "centre", "center", "square",
        "tower", "palace", "cathedral", "temple", "academy", "magazine", "journal", "report",
    ]
)  # fmt: skip
# Words that name the asked-for kind ("in what year", "how many"), not what it is about.
_TYPE_WORDS = frozenset(["year", "date", "day", "month", "time", "number", "long", "old", "far"])


def _bag(text: str) -> set[str]:
    """Stems of the text's words, with the parts of hyphenated ones ("DPRK-Russia") and the
    base of irregular past forms ("won" -> "win")."""
    words = set(terms(text))
    parts = {stem(p) for w in words if "-" in w for p in w.split("-") if p}
    return words | parts | {_IRREGULAR[w] for w in words if w in _IRREGULAR}


def slot_coverage(ev: Evidence, i: int) -> float:
    """How well candidate i speaks of what the question asks; 0 when it does not at all.

    The sentence itself holds a word of the question's focus ("signed" for "who signed the
    joint statement?": "The signatories were ..."), or of its other words when it has none
    ("in what year was the Edict of Nantes issued?"); with its neighbours it holds the
    question's names and numbers ("Wimbledon in 2019" is not "in 2018"). The coverage is
    then the IDF-weighted share of the question's words, bar those naming the asked-for
    kind ("year"), in the sentence with its neighbours.
    """
    qt = question_terms(ev.question)
    words = _bag(ev.cands[i].context)
    named = {t for t in qt.entities | qt.numbers if len(t) > 1}  # not the "u" of "U.S."
    if any(not words_match(t, words) for t in named):
        return 0.0
    asked = (set(terms(ev.question)) | set(qt.all)) - _TYPE_WORDS
    wanted = (focus(ev.question) - _TYPE_WORDS) or (asked - qt.entities - qt.numbers)
    own = _bag(ev.cands[i].text)
    if wanted and not any(words_match(_IRREGULAR.get(t, t), own) for t in wanted):
        return 0.0
    weight = {t: ev.weights.get(t, 1.0) for t in asked}
    total = sum(weight.values())
    return sum(w for t, w in weight.items() if words_match(t, words)) / total if total else 0.0


def claims(
    ev: Evidence,
    *,
    min_share: float = MIN_SHARE,
    min_coverage: float = MIN_COVERAGE,
    relative_coverage: float = RELATIVE_COVERAGE,
) -> list[Claim]:
    """Per document, its best sentence near the top that addresses the slot, with its value.

    Sides must address the slot about equally well: a sentence that covers much less of the
    question than the best-covering one is about something else (a treaty that Putin and
    Kim signed does not say who signed the joint statement).
    """
    if ev.best is None:
        return []
    floor = ev.scores[ev.best] * min_share
    found: list[tuple[Claim, float]] = []
    for i in ev.ranked:
        if ev.scores[i] < floor:
            break
        claim = claim_of(ev.question, ev.cands[i].text, i)
        coverage = slot_coverage(ev, i) if claim else 0.0
        if claim and coverage >= min_coverage:
            found.append((claim, coverage))
    top = max((coverage for _, coverage in found), default=0.0)
    out: list[Claim] = []
    seen: set[str] = set()
    for claim, coverage in found:
        doc = ev.cands[claim.cand].hit.document_id
        if doc not in seen and coverage >= relative_coverage * top:
            seen.add(doc)
            out.append(_with_mentions(ev, claim))
    return out


def _with_mentions(ev: Evidence, claim: Claim) -> Claim:
    """A date or number claim also carries every date or number its document's retrieved
    sentences give: a document that names the other date too is telling another story
    ("issued in 1598 ... revoked in 1685"), not contradicting it."""
    if claim.kind not in ("date", "number"):
        return claim
    doc = ev.cands[claim.cand].hit.document_id
    more = [
        v
        for c in ev.cands
        if c.hit.document_id == doc and c is not ev.cands[claim.cand]
        for v in typed_values(ev.question, c.text)
    ]
    return replace(claim, compared=claim.compared + tuple(more))


def _kind(a: Claim, b: Claim) -> str:
    return a.kind if a.kind == b.kind else next(k for k in (a.kind, b.kind) if k != "field")


def disagree(a: Claim, b: Claim) -> bool:
    """Different values, and neither sentence also gives the other's value.

    "Google announced the Pixel 5 in October 2020, adding the Pixel 5a in August 2021" does
    not contradict "The Pixel 5a was announced on August 17, 2021".
    """
    kind = _kind(a, b)
    if same_value(kind, a.compared[0], b.compared[0]) is not False:
        return False
    return not any(same_value(kind, a.compared[0], v) for v in b.compared[1:]) and not any(
        same_value(kind, b.compared[0], v) for v in a.compared[1:]
    )


def find_conflict(ev: Evidence, **limits: float) -> Conflict | None:
    """Two or more documents giving different values for the slot, or None."""
    distinct: list[Claim] = []
    for claim in claims(ev, **limits):
        if all(disagree(d, claim) for d in distinct):
            distinct.append(claim)
    return Conflict(distinct[:MAX_SIDES]) if len(distinct) >= 2 else None


def statement(conflict: Conflict, ev: Evidence, number: dict[int, int]) -> str:
    """The disagreement in words, "The sources disagree: a.txt says X [1]; b.txt says Y [2]."."""
    sides = [
        f"{ev.cands[c.cand].hit.source} says {c.value} [{number[c.cand]}]" for c in conflict.claims
    ]
    return f"The sources disagree: {'; '.join(sides)}."


def disclose(
    conflict: Conflict, ev: Evidence, answer: str, citations: list[Citation]
) -> tuple[str, list[Citation]]:
    """The statement to add to a model's answer, and its citations, so both sides are cited.

    Nothing is added when the answer already says the sources differ and cites each side.
    A side already cited keeps its marker; the others get new citations after the last one.
    """
    cited: dict[int, int] = {}
    for claim in conflict.claims:
        span = ev.cands[claim.cand].span
        doc = ev.cands[claim.cand].hit.document_id
        for c in citations:
            if c.document_id == doc and c.start < span.end and span.start < c.end:
                cited[claim.cand] = c.index
                break
    if _SAYS_SO.search(answer) and len(cited) == len(conflict.claims):
        return "", citations
    out = list(citations)
    for claim in conflict.claims:
        if claim.cand not in cited:
            n = len(out) + 1
            out.append(cite(ev.cands[claim.cand], index=n, score=ev.scores[claim.cand]))
            cited[claim.cand] = n
    return statement(conflict, ev, cited), out
