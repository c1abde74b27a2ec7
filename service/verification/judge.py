"""Support judges: does this passage back this claim? Each returns a score and a verdict."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ingest.embeddings import Embedder, EmbeddingCache
from service.answering.scoring import lexical_overlap
from service.settings import VerifySettings

_TOKEN = re.compile(r"[A-Za-z][\w'’.-]*|\d[\d,.:/-]*")


def key_tokens(claim: str) -> list[str]:
    """Names and numbers: what a passage must contain for a claim to be about it."""
    out = []
    for i, m in enumerate(_TOKEN.finditer(claim)):
        tok = m.group().rstrip(".,:;-")
        if tok[:1].isdigit() or (i > 0 and tok[:1].isupper()):
            out.append(tok)
    return out


def missing_share(claim: str, passage: str) -> float:
    """Share of the claim's names and numbers the passage lacks (0 when it has none)."""
    keys = key_tokens(claim)
    if not keys:
        return 0.0
    haystack = passage.casefold()
    return sum(k.casefold() not in haystack for k in keys) / len(keys)


@dataclass(frozen=True)
class Verdict:
    score: float
    supported: bool


class Judge:
    def judge(self, claim: str, passages: Sequence[str]) -> list[Verdict]:
        raise NotImplementedError


class EmbeddingJudge(Judge):
    """Cosine similarity of claim and passage, how much of the claim's wording the passage
    contains, and whether it names the same people, places and numbers; no model call."""

    def __init__(self, embedder: Embedder | EmbeddingCache, settings: VerifySettings) -> None:
        self.embedder = embedder
        self.settings = settings

    def judge(self, claim: str, passages: Sequence[str]) -> list[Verdict]:
        if not passages:
            return []
        vectors = np.asarray(self.embedder.embed([claim, *passages]))
        sims = vectors[1:] @ vectors[0]
        out = []
        for sim, passage in zip(sims, passages, strict=True):
            overlap = lexical_overlap(claim, passage)
            missing = missing_share(claim, passage)
            combined = (float(sim) + overlap) / 2 * (1 - missing)
            s = self.settings
            ok = missing <= s.max_missing_names and (
                (sim >= s.min_similarity and overlap >= s.min_overlap) or combined >= s.min_combined
            )
            out.append(Verdict(score=round(combined, 4), supported=bool(ok)))
        return out
