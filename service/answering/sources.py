"""The numbered sources block of the answer prompt, cut to a token budget."""

from __future__ import annotations

from ingest.tokenizer import count_tokens, get_encoding
from service.answering.instructions import strip_instructions
from service.retrieval.hits import ChunkHit

MIN_TAIL_TOKENS = 48


def format_source(n: int, hit: ChunkHit, text: str) -> str:
    """One numbered source; sentences that give orders to the model are not shown to it."""
    return f"[{n}] ({hit.source}) {' '.join(strip_instructions(text).split())}"


def build_sources(hits: list[ChunkHit], *, budget_tokens: int) -> tuple[str, list[ChunkHit]]:
    """Sources in rank order until the budget is spent; the last may be cut to fit."""
    encoding = get_encoding()
    blocks: list[str] = []
    used: list[ChunkHit] = []
    left = budget_tokens
    for hit in hits:
        block = format_source(len(used) + 1, hit, hit.text)
        cost = count_tokens(block) + 2
        if cost > left:
            if left >= MIN_TAIL_TOKENS:
                tokens = encoding.encode(block, disallowed_special=())[: left - 2]
                blocks.append(encoding.decode(tokens) + " …")
                used.append(hit)
            break
        blocks.append(block)
        used.append(hit)
        left -= cost
    return "\n\n".join(blocks), used
