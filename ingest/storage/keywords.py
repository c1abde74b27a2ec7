"""The words of a question that a keyword index is asked for, the same on every backend."""

from __future__ import annotations

import re

# Words that match nearly every chunk only add noise to the ranking and slow the OR query down.
_STOPWORDS_TEXT = """
a about above after again against all am an and any are as at be because been before
being below between both but by can could did do does doing down during each few for from
further had has have having he her here hers herself him himself his how i if in into is it
its itself just me more most my myself no nor not now of off on once only or other our ours
ourselves out over own same she should so some such than that the their theirs them
themselves then there these they this those through to too under until up very was we were
what when where which while who whom why will with would you your yours yourself
"""
STOPWORDS = frozenset(_STOPWORDS_TEXT.split())
_WORD = re.compile(r"\w+", re.UNICODE)
MAX_QUERY_TERMS = 32


def query_terms(query: str) -> list[str]:
    """The question's distinct content words, lowercased (all its words if it has none)."""
    words = [w.lower() for w in _WORD.findall(query)]
    terms = [w for w in words if w not in STOPWORDS] or words
    return list(dict.fromkeys(terms))[:MAX_QUERY_TERMS]
