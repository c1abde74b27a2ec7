"""Documents a question names: by file name, by an identifier such as "RFC 9110", or by title.

A named document is searched first, so "who wrote RFC 9110?" is answered from RFC 9110 and
not from a document that only cites it. Body text never makes a document "named".
"""

from __future__ import annotations

import bisect
import itertools
import re
from collections import Counter
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
    """Each document's file name, squashed title and title terms, indexed once.

    A question is matched through dictionaries and one substring search over all labels,
    so its cost follows the question, not the number of documents.
    """

    def __init__(self, documents: Iterable[Named]) -> None:
        self.entries: list[_Entry] = []
        self._by_file: dict[str, list[int]] = {}
        self._by_stem: dict[str, list[int]] = {}
        self._by_title_term: dict[str, list[int]] = {}
        for n, doc in enumerate(documents):
            file = PurePath(doc.source).name.lower()
            raw = PurePath(file).stem
            stem = _squash(raw)
            # "install" is a word any question may use; "getting-started" or "rfc9110" is a name.
            distinctive = len(stem) >= 6 and bool(re.search(r"[-_ .]|\d", raw))
            entry = _Entry(
                doc.document_id,
                file,
                stem,
                distinctive,
                _squash(doc.title) + " " + stem,
                frozenset(terms(doc.title)),
            )
            self.entries.append(entry)
            self._by_file.setdefault(file, []).append(n)
            if distinctive:
                self._by_stem.setdefault(stem, []).append(n)
            if len(entry.title_terms) >= 2:
                for term in entry.title_terms:
                    self._by_title_term.setdefault(term, []).append(n)
        # Labels never hold a newline (they are squashed), so one joined string finds them all.
        self._labels = "\n".join(e.label for e in self.entries)
        self._label_starts = list(
            itertools.accumulate((len(e.label) + 1 for e in self.entries), initial=0)
        )
        self._stem_lengths = sorted({len(s) for s in self._by_stem})

    def _with_identifier(self, ids: set[str]) -> set[int]:
        found: set[int] = set()
        for ident in ids:
            at = self._labels.find(ident)
            while at != -1:
                found.add(bisect.bisect_right(self._label_starts, at) - 1)
                at = self._labels.find(ident, at + 1)
        return found

    def _stems_in(self, squashed: str) -> set[int]:
        """Documents whose distinctive file stem the squashed question holds: by looking up
        each of its substrings of a stem's length, or, when that is more work (a long
        question against few names), by looking for each stem in it."""
        if len(squashed) * len(self._stem_lengths) > len(self._by_stem):
            return self._stems_by_scan(squashed)
        return self._stems_by_substrings(squashed)

    def _stems_by_scan(self, squashed: str) -> set[int]:
        return {n for stem, ns in self._by_stem.items() if stem in squashed for n in ns}

    def _stems_by_substrings(self, squashed: str) -> set[int]:
        found: set[int] = set()
        for size in self._stem_lengths:
            for i in range(len(squashed) - size + 1):
                found.update(self._by_stem.get(squashed[i : i + size], ()))
        return found

    def _titles_within(self, q_terms: set[str]) -> set[int]:
        hits: Counter[int] = Counter()
        for term in q_terms:
            hits.update(self._by_title_term.get(term, ()))
        return {n for n, count in hits.items() if count == len(self.entries[n].title_terms)}

    def named(self, question: str, *, most: int = 3) -> list[str]:
        """Ids of the documents the question names, most specific kind first.

        A document counts under the first kind that names it. More than `most` documents
        named the same way name nothing in particular.
        """
        files = {m.lower() for m in _FILE_NAME.findall(question)}
        ids = identifiers(question)
        kinds = [
            {n for f in files for n in self._by_file.get(f, ())},
            self._with_identifier(ids) if ids else set(),
            self._stems_in(_squash(question)),
            self._titles_within(set(terms(question))),
        ]
        taken: set[int] = set()
        for found in kinds:
            found -= taken
            taken |= found
            if 0 < len(found) <= most:
                return [self.entries[n].document_id for n in sorted(found)]
        return []
