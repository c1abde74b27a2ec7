"""Token-aware chunking of the kept spans, with offsets into the extracted text."""

from __future__ import annotations

import bisect
from dataclasses import dataclass

from langchain_text_splitters import RecursiveCharacterTextSplitter

from ingest.cleaning import Span
from ingest.sentences import field_units
from ingest.tokenizer import ENCODING_NAME, count_tokens, get_encoding

SEPARATOR = "\n\n"


@dataclass(frozen=True)
class Chunk:
    index: int
    text: str
    start: int
    end: int
    tokens: int


class CleanText:
    """The kept spans joined by blank lines, mapping positions back to the original text."""

    def __init__(self, text: str, spans: list[Span]) -> None:
        self.original = text
        self.spans = spans
        self.clean_starts: list[int] = []
        parts: list[str] = []
        pos = 0
        for span in spans:
            self.clean_starts.append(pos)
            parts.append(text[span.start : span.end])
            pos += span.end - span.start + len(SEPARATOR)
        self.text = SEPARATOR.join(parts)

    def to_original(self, pos: int, *, is_end: bool) -> int:
        i = bisect.bisect_right(self.clean_starts, pos) - 1
        if i < 0:
            return self.spans[0].start
        span = self.spans[i]
        offset = pos - self.clean_starts[i]
        length = span.end - span.start
        if offset <= length:
            return span.start + offset
        # Inside the separator after span i.
        if is_end or i + 1 >= len(self.spans):
            return span.end
        return self.spans[i + 1].start


def make_splitter(chunk_tokens: int, chunk_overlap: int) -> RecursiveCharacterTextSplitter:
    return RecursiveCharacterTextSplitter.from_tiktoken_encoder(
        encoding_name=ENCODING_NAME,
        chunk_size=chunk_tokens,
        chunk_overlap=min(chunk_overlap, chunk_tokens // 2),
        # A line break before an indented line or a list item's next line is not a split
        # point while a break before an unindented line is: fields and rows stay whole.
        separators=["\n\n", r"\n(?![ \t])", "\n", r"\. ", r"\? ", "! ", "; ", ", ", " ", ""],
        is_separator_regex=True,
        keep_separator="end",
    )


def _pieces(clean: str, splitter: RecursiveCharacterTextSplitter, limit: int) -> list[str]:
    """The splitter's pieces, except that a `Key: value` block up to `limit` tokens is one piece.

    A header block split over two chunks loses half its fields to each (an author list cut
    in two answers "who wrote it?" with half the names).
    """
    out: list[str] = []
    prose: list[str] = []
    for para in clean.split(SEPARATOR):
        fields = field_units(para, Span(0, len(para))) if para.strip() else None
        if fields and count_tokens(para) <= limit:
            if prose:
                out += splitter.split_text(SEPARATOR.join(prose))
                prose = []
            out.append(para)
        else:
            prose.append(para)
    if prose:
        out += splitter.split_text(SEPARATOR.join(prose))
    return out


def chunk_text(
    text: str,
    spans: list[Span],
    *,
    splitter: RecursiveCharacterTextSplitter,
    max_block_tokens: int = 512,
) -> list[Chunk]:
    if not spans:
        return []
    clean = CleanText(text, spans)
    encoding = get_encoding()
    chunks: list[Chunk] = []
    cursor = 0
    for body in _pieces(clean.text, splitter, max_block_tokens):
        # langchain's own start_index mixes token and character counts; pieces come in
        # order and overlap only backwards, so searching forward from the last start is exact.
        start = clean.text.find(body, cursor)
        if start < 0 or not body.strip():
            continue
        cursor = start + 1
        chunks.append(
            Chunk(
                index=len(chunks),
                text=body,
                start=clean.to_original(start, is_end=False),
                end=clean.to_original(start + len(body), is_end=True),
                tokens=len(encoding.encode(body, disallowed_special=())),
            )
        )
    return chunks
