"""Verify the `[n]` markers of a model's answer against the numbered sources it was shown.

Each cited sentence is checked against the best sentence window of its source. A supported
citation gets that window as its exact quote; an unsupported one is moved to a source that
does support the sentence, or kept and marked `supported: false`. Markers that point at no
source are removed. Citations are renumbered in order of first appearance.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ingest.cleaning import Span
from ingest.sentences import sentence_spans
from service.answering.scoring import terms
from service.retrieval.hits import ChunkHit
from service.schemas import Citation
from service.verification.judge import Judge, Verdict

MARKER = re.compile(r"\s?\[(\d+(?:\s*[,;]\s*\d+)*)\]")
# Where a marker goes in a sentence that had none: before its final punctuation.
_END = re.compile(r"(?=[.!?…]*[\"”’)]*\s*$)")


@dataclass(frozen=True)
class Window:
    start: int
    end: int
    text: str


@dataclass(frozen=True)
class Source:
    """One numbered source as the model saw it, with the quotable windows of its chunk."""

    index: int
    hit: ChunkHit
    windows: list[Window]


@dataclass(frozen=True)
class Verified:
    answer: str
    citations: list[Citation]
    unsupported_sentences: int
    removed_markers: int


def windows_of(hit: ChunkHit, text: str, sentences: list[Span], *, width: int = 2) -> list[Window]:
    """Runs of 1..width consecutive sentences whose middle lies inside the chunk."""
    inside = [s for s in sentences if hit.start <= (s.start + s.end) // 2 < hit.end]
    out = []
    for i in range(len(inside)):
        for w in range(1, width + 1):
            if i + w <= len(inside):
                start, end = inside[i].start, inside[i + w - 1].end
                out.append(Window(start, end, text[start:end]))
    return out


def _numbers(group: str) -> list[int]:
    return [int(x) for x in re.split(r"\s*[,;]\s*", group)]


def answer_sentences(answer: str) -> list[Span]:
    spans = sentence_spans(answer, [Span(0, len(answer))])
    # A marker placed after the full stop ("... in 1932. [1] Next") belongs to the sentence before.
    fixed: list[Span] = []
    for span in spans:
        lead = re.match(r"(?:\[\d+(?:\s*[,;]\s*\d+)*\]\s*)+", answer[span.start : span.end])
        if lead and fixed:
            fixed[-1] = Span(fixed[-1].start, span.start + lead.end())
            span = Span(span.start + lead.end(), span.end)
            if span.end - span.start < 2:
                continue
        fixed.append(span)
    return fixed


class Verifier:
    def __init__(self, judge: Judge) -> None:
        self.judge = judge

    def _best(self, claim: str, source: Source) -> tuple[Window, Verdict] | None:
        if not source.windows:
            return None
        verdicts = self.judge.judge(claim, [w.text for w in source.windows])
        i = max(range(len(verdicts)), key=lambda k: (verdicts[k].supported, verdicts[k].score))
        return source.windows[i], verdicts[i]

    def verify(self, answer: str, sources: list[Source]) -> Verified:
        by_index = {s.index: s for s in sources}
        keys: dict[tuple[str, int, int], Citation] = {}
        pieces: list[str] = []
        cursor = 0
        unsupported = removed = 0
        for span in answer_sentences(answer):
            sentence = answer[span.start : span.end]
            matches = list(MARKER.finditer(sentence))
            cited = [n for m in matches for n in _numbers(m.group(1))]
            claim = " ".join(MARKER.sub("", sentence).split())
            new_numbers: list[int] = []
            any_supported = False
            found: list[tuple[Source, Window, Verdict]] = []
            for n in dict.fromkeys(cited):
                source = by_index.get(n)
                if source is None:
                    removed += 1
                    continue
                cite = self._cite(claim, source, sources)
                if cite is not None:
                    found.append(cite)
            if not cited and len(terms(claim)) >= 4:
                # An uncited claim gets a citation if some retrieved source supports it.
                auto = self._support_anywhere(claim, sources)
                if auto is not None:
                    found.append(auto)
                    matches = [_END.search(sentence)]  # type: ignore[list-item]
            for source_used, window, verdict in found:
                key = (source_used.hit.chunk_id, window.start, window.end)
                if key not in keys:
                    keys[key] = self._citation(len(keys) + 1, source_used, window, verdict)
                elif verdict.supported and not keys[key].supported:
                    keys[key] = keys[key].model_copy(update={"supported": True})
                any_supported = any_supported or verdict.supported
                if keys[key].index not in new_numbers:
                    new_numbers.append(keys[key].index)
            if len(terms(claim)) >= 2 and not any_supported:
                unsupported += 1
            pieces.append(answer[cursor : span.start])
            pieces.append(self._rewrite(sentence, matches, new_numbers))
            cursor = span.end
        pieces.append(MARKER.sub("", answer[cursor:]))
        return Verified(
            answer="".join(pieces).strip(),
            citations=list(keys.values()),
            unsupported_sentences=unsupported,
            removed_markers=removed,
        )

    def _support_anywhere(
        self, claim: str, sources: list[Source], *, skip: Source | None = None
    ) -> tuple[Source, Window, Verdict] | None:
        best: tuple[Source, Window, Verdict] | None = None
        for other in sources:
            if other is skip:
                continue
            found = self._best(claim, other)
            if found and found[1].supported and (best is None or found[1].score > best[2].score):
                best = (other, found[0], found[1])
        return best

    def _cite(
        self, claim: str, source: Source, sources: list[Source]
    ) -> tuple[Source, Window, Verdict] | None:
        own = self._best(claim, source)
        if own and own[1].supported:
            return source, own[0], own[1]
        # Re-attribute to the retrieved source that does support the sentence, if any.
        moved = self._support_anywhere(claim, sources, skip=source)
        if moved:
            return moved
        return (source, own[0], own[1]) if own else None

    @staticmethod
    def _citation(index: int, source: Source, window: Window, verdict: Verdict) -> Citation:
        hit = source.hit
        return Citation(
            index=index,
            chunk_id=hit.chunk_id,
            document_id=hit.document_id,
            source=hit.source,
            title=hit.title,
            quote=window.text,
            start=window.start,
            end=window.end,
            score=verdict.score,
            supported=verdict.supported,
        )

    @staticmethod
    def _rewrite(sentence: str, matches: list[re.Match[str]], numbers: list[int]) -> str:
        if not matches:
            return sentence
        group = " " + "".join(f"[{n}]" for n in numbers) if numbers else ""
        first = matches[0]
        out = sentence[: first.start()] + group
        tail = sentence[first.end() :]
        return out + MARKER.sub("", tail)
