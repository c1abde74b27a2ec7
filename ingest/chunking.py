"""Token-aware chunking of the kept spans, with offsets into the extracted text."""

from __future__ import annotations

import bisect
from dataclasses import dataclass

from langchain_text_splitters import RecursiveCharacterTextSplitter

from ingest.cleaning import Span
from ingest.tokenizer import ENCODING_NAME, get_encoding

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
        separators=["\n\n", "\n", ". ", "? ", "! ", "; ", ", ", " ", ""],
        keep_separator="end",
    )


def chunk_text(
    text: str, spans: list[Span], *, splitter: RecursiveCharacterTextSplitter
) -> list[Chunk]:
    if not spans:
        return []
    clean = CleanText(text, spans)
    encoding = get_encoding()
    chunks: list[Chunk] = []
    cursor = 0
    for body in splitter.split_text(clean.text):
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
