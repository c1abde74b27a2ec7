"""Documents a question names: by file name, by an identifier such as "RFC 9110", or by title.

A named document is searched first, so "who wrote RFC 9110?" is answered from RFC 9110 and
not from a document that only cites it. Body text never makes a document "named".
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import PurePath

from service.answering.scoring import terms

_IDENTIFIER = re.compile(r"\b([A-Z][A-Za-z]{1,10})[ -]?(\d[\d.]*\d|\d)\b")
_FILE_NAME = re.compile(r"\b[\w.-]+\.[A-Za-z]{2,5}\b")


@dataclass(frozen=True)
class Named:
    document_id: str
    source: str
    title: str


def _squash(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.lower())


def identifiers(question: str) -> set[str]:
    """ "RFC 9110", "ISO-8601", "PEP 8" -> {"rfc9110", "iso8601", "pep8"}."""
    return {_squash(a + b) for a, b in _IDENTIFIER.findall(question)}


@dataclass(frozen=True)
class _Entry:
    document_id: str
    file: str
    stem: str
    distinctive: bool
    label: str
    title_terms: frozenset[str]


class NameIndex:
    """Each document's file name, squashed title and title terms, computed once."""

    def __init__(self, documents: Iterable[Named]) -> None:
        self.entries = []
        for doc in documents:
            file = PurePath(doc.source).name.lower()
            raw = PurePath(file).stem
            stem = _squash(raw)
            # "install" is a word any question may use; "getting-started" or "rfc9110" is a name.
            distinctive = len(stem) >= 6 and bool(re.search(r"[-_ .]|\d", raw))
            self.entries.append(
                _Entry(
                    doc.document_id,
                    file,
                    stem,
                    distinctive,
                    _squash(doc.title) + " " + stem,
                    frozenset(terms(doc.title)),
                )
            )

    def named(self, question: str, *, most: int = 3) -> list[str]:
        """Ids of the documents the question names, most specific kind first.

        More than `most` documents named the same way name nothing in particular.
        """
        q_squashed = _squash(question)
        ids = identifiers(question)
        files = {m.lower() for m in _FILE_NAME.findall(question)}
        q_terms = set(terms(question))
        kinds: list[list[str]] = [[], [], [], []]
        for e in self.entries:
            if e.file in files:
                kinds[0].append(e.document_id)
            elif ids and any(i in e.label for i in ids):
                kinds[1].append(e.document_id)
            elif e.distinctive and e.stem in q_squashed:
                kinds[2].append(e.document_id)
            elif len(e.title_terms) >= 2 and e.title_terms <= q_terms:
                kinds[3].append(e.document_id)
        for found in kinds:
            if 0 < len(found) <= most:
                return found
        return []
