"""Batching in the embedder base: similar lengths together, vectors back in input order."""

from __future__ import annotations

from collections.abc import Sequence

from ingest.embeddings import Embedder


class LengthEmbedder(Embedder):
    """A vector holding the text's length; records every batch it is given."""

    def __init__(self) -> None:
        self.batches: list[list[str]] = []

    def embed_batch(self, texts: Sequence[str]) -> list[list[float]]:
        self.batches.append(list(texts))
        return [[float(len(t))] for t in texts]


def test_vectors_come_back_in_the_order_asked_whatever_the_batches() -> None:
    texts = ["a" * n for n in (50, 3, 700, 3, 41, 12, 999, 0, 64)]
    e = LengthEmbedder()
    assert e.embed(texts, batch_size=2) == [[float(len(t))] for t in texts]


def test_a_batch_holds_texts_of_similar_length() -> None:
    texts = ["x" * n for n in (500, 2, 480, 3, 510, 1)]
    e = LengthEmbedder()
    e.embed(texts, batch_size=3)
    assert [sorted(len(t) for t in b) for b in e.batches] == [[1, 2, 3], [480, 500, 510]]


def test_progress_counts_every_text_once() -> None:
    seen: list[int] = []
    LengthEmbedder().embed(["a", "bb", "ccc", "dddd", "e"], batch_size=2, on_batch=seen.append)
    assert seen == [2, 2, 1]


def test_nothing_to_embed_asks_nothing() -> None:
    e = LengthEmbedder()
    assert e.embed([], batch_size=4) == []
    assert e.batches == []
