"""ragchat against the pipeline LangChain's RAG tutorial builds: same corpus, model and machine.

- tutorial: RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=200),
  HuggingFaceEmbeddings on the bundled all-MiniLM-L6-v2, Chroma.from_documents into a
  temporary directory, then as_retriever(search_kwargs={"k": 5}).
- ragchat: the in-process pipeline (its own chunking, SQLite + Chroma), searched the way
  `POST /v1/search` searches (Retriever.search in the configured mode, hybrid by default).

Corpus: the 240 XQuAD paragraphs, one file each; questions: the held-out half (articles
24-47) as bench_search_xquad.py defines it. A hit is a retrieved chunk of the question's
paragraph file. Each round builds both sides afresh, the side going first alternating, so
the noise between rounds shows; every figure is also given as the ratio ragchat/tutorial.

With --bound, a third side shows how fast ragchat's first ingest could be without the
sentence pass: it embeds the chunks only and gives every sentence a chunk's vector, so its
answers would be useless; its ingest time is the bound for any way of getting sentence vectors
without a second pass (such as pooling each sentence's token states from its chunk's pass).

Needs the `bench` extra (langchain-huggingface, langchain-chroma) besides `dev`.
Usage: python benchmarks/bench_tutorial.py [--rounds 2] [--limit N] [--bound]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench_search_xquad import write_corpus  # noqa: E402
from chromadb.config import Settings as ChromaSettings  # noqa: E402
from langchain_chroma import Chroma  # noqa: E402
from langchain_core.documents import Document  # noqa: E402
from langchain_core.vectorstores import VectorStoreRetriever  # noqa: E402
from langchain_huggingface import HuggingFaceEmbeddings  # noqa: E402
from langchain_text_splitters import RecursiveCharacterTextSplitter  # noqa: E402

from ingest.embeddings import Embedder, bundled_model_path  # noqa: E402
from service.components import Components, Overrides, default_embedder  # noqa: E402
from service.settings import Settings  # noqa: E402

COLLECTION = "xq"
TOP_K = 5


class Side(Protocol):
    name: str

    def ingest(self, data: Path) -> int:
        """Index the corpus from scratch under `data`; returns the chunk count."""
        ...

    def reingest(self) -> None: ...

    def search(self, question: str) -> list[str]:
        """Source file names of the top chunks, best first."""
        ...

    def close(self) -> None: ...


class Tutorial:
    """The tutorial's pipeline, files read into Documents as TextLoader would."""

    name = "tutorial"

    def __init__(self, corpus: Path, embeddings: HuggingFaceEmbeddings) -> None:
        self.corpus = corpus
        self.embeddings = embeddings
        self.data = Path()
        self.retriever: VectorStoreRetriever | None = None

    def _build(self, persist: Path) -> int:
        docs = [
            Document(page_content=p.read_text(encoding="utf-8"), metadata={"source": p.name})
            for p in sorted(self.corpus.iterdir())
        ]
        splitter = RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=200)
        splits = splitter.split_documents(docs)
        store = Chroma.from_documents(
            splits,
            self.embeddings,
            persist_directory=str(persist),
            # As ragchat's own client: no telemetry thread on either side.
            client_settings=ChromaSettings(anonymized_telemetry=False),
        )
        self.retriever = store.as_retriever(search_kwargs={"k": TOP_K})
        return len(splits)

    def ingest(self, data: Path) -> int:
        self.data = data
        return self._build(data / "chroma")

    def reingest(self) -> None:
        """The tutorial knows no unchanged files: a re-run rebuilds (a fresh directory, as
        the same one would gain a duplicate of every chunk)."""
        self._build(self.data / "chroma-again")

    def search(self, question: str) -> list[str]:
        assert self.retriever is not None
        return [d.metadata["source"] for d in self.retriever.invoke(question)]

    def close(self) -> None:
        self.retriever = None


class Ragchat:
    name = "ragchat"

    def __init__(self, corpus: Path, embedder: Embedder) -> None:
        self.corpus = corpus
        self.embedder = embedder
        self.comps: Components | None = None

    def ingest(self, data: Path) -> int:
        settings = Settings(_env_file=None, data_dir=data)  # type: ignore[call-arg]
        self.comps = Components(settings, Overrides(embedder=self.embedder))
        return self.comps.ingestor.ingest([self.corpus], collection=COLLECTION).chunks

    def reingest(self) -> None:
        assert self.comps is not None
        report = self.comps.ingestor.ingest([self.corpus], collection=COLLECTION)
        assert report.chunks == 0, f"re-ingest embedded {report.chunks} chunks"

    def search(self, question: str) -> list[str]:
        assert self.comps is not None
        found = self.comps.retriever.search(
            question,
            collection=COLLECTION,
            top_k=TOP_K,
            mode=self.comps.settings.retrieval.mode,
        )
        return [hit.source for hit in found.hits]

    def close(self) -> None:
        if self.comps is not None:
            self.comps.close()
            self.comps = None


class ChunksOnly:
    """An embedder for the bound: the first `chunks` texts of a call are embedded, the rest
    (the sentences) get the first vector. Ingest tells it `chunks` per window."""

    def __init__(self, inner: Embedder) -> None:
        self.inner = inner
        self.chunks = 0

    def __getattr__(self, name: str) -> object:
        return getattr(self.inner, name)

    def embed(self, texts: list[str], batch_size: int | None = None) -> list[list[float]]:
        vectors = self.inner.embed(texts[: self.chunks], batch_size=batch_size)
        return vectors + [vectors[0]] * (len(texts) - self.chunks)


class RagchatWithoutSentencePass(Ragchat):
    name = "bound"

    def __init__(self, corpus: Path, embedder: Embedder) -> None:
        super().__init__(corpus, ChunksOnly(embedder))  # type: ignore[arg-type]

    def ingest(self, data: Path) -> int:
        from ingest.pipeline import Ingestor

        embedder = self.embedder
        assert isinstance(embedder, ChunksOnly)
        write = Ingestor._embed_and_write

        def counting(ingestor: Ingestor, window: list, *args: object) -> None:  # type: ignore[type-arg]
            embedder.chunks = sum(len(doc.chunks) for doc in window)
            write(ingestor, window, *args)  # type: ignore[arg-type]

        Ingestor._embed_and_write = counting  # type: ignore[method-assign]
        try:
            return super().ingest(data)
        finally:
            Ingestor._embed_and_write = write  # type: ignore[method-assign]


@dataclass(frozen=True)
class Figures:
    ingest_s: float
    bytes_per_s: float
    chunks: int
    reingest_s: float
    p50_ms: float
    p95_ms: float
    recall1: float
    recall5: float

    def line(self) -> str:
        return (
            f"ingest {self.ingest_s:6.2f} s ({self.bytes_per_s:7,.0f} bytes/s, "
            f"{self.chunks} chunks)  re-ingest {self.reingest_s:6.2f} s  "
            f"search p50 {self.p50_ms:6.1f} ms p95 {self.p95_ms:6.1f} ms  "
            f"recall@1 {self.recall1:.3f} @5 {self.recall5:.3f}"
        )


ROWS = [  # (label, short label, field, format)
    ("first ingest, s", "ingest", "ingest_s", ".2f"),
    ("first ingest, bytes/s", "bytes/s", "bytes_per_s", ",.0f"),
    ("chunks", "chunks", "chunks", ",.0f"),
    ("re-ingest unchanged, s", "re-ingest", "reingest_s", ".2f"),
    ("search p50, ms", "p50", "p50_ms", ".1f"),
    ("search p95, ms", "p95", "p95_ms", ".1f"),
    ("recall@1", "r@1", "recall1", ".3f"),
    ("recall@5", "r@5", "recall5", ".3f"),
]


def measure(
    side: Side, data: Path, source_bytes: int, questions: list[tuple[str, str]], warm: str
) -> Figures:
    t0 = time.perf_counter()
    chunks = side.ingest(data)
    ingest_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    side.reingest()
    reingest_s = time.perf_counter() - t0
    side.search(warm)
    latencies: list[float] = []
    at1 = at5 = 0
    for question, gold in questions:
        t0 = time.perf_counter()
        sources = side.search(question)
        latencies.append(1000 * (time.perf_counter() - t0))
        at1 += sources[:1] == [gold]
        at5 += gold in sources
    side.close()
    n = len(questions)
    return Figures(
        ingest_s=ingest_s,
        bytes_per_s=source_bytes / ingest_s,
        chunks=chunks,
        reingest_s=reingest_s,
        p50_ms=float(np.percentile(latencies, 50)),
        p95_ms=float(np.percentile(latencies, 95)),
        recall1=at1 / n,
        recall5=at5 / n,
    )


def ratios(ours: Figures, theirs: Figures) -> str:
    return "  ".join(
        f"{short} {getattr(ours, key) / getattr(theirs, key):.2f}" for _, short, key, _ in ROWS
    )


def table(found: dict[str, list[Figures]]) -> None:
    """Medians over the rounds (the mean, with two); each other side against the tutorial."""
    rounds = len(found["ragchat"])
    others = [name for name in found if name != "tutorial"]
    print(f"\nmedian of {rounds} round(s); ratio = side/tutorial")
    head = "".join(f" {name:>12s} {'ratio':>7s}" for name in others)
    print(f"{'':24s} {'tutorial':>12s}{head}")
    for label, _, key, fmt in ROWS:
        theirs = statistics.median(getattr(f, key) for f in found["tutorial"])
        line = f"{label:24s} {theirs:>12{fmt}}"
        for name in others:
            ours = statistics.median(getattr(f, key) for f in found[name])
            line += f" {ours:>12{fmt}} {ours / theirs:>7.2f}"
        print(line)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--limit", type=int, default=0, help="first N held-out questions only")
    parser.add_argument("--bound", action="store_true", help="add ragchat without sentence pass")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        corpus = tmp / "xquad"
        corpus.mkdir()
        halves = write_corpus(corpus)
        questions = halves["last"][: args.limit or None]
        warm = halves["first"][0][0]  # a tuning-half question, so no held-out one is seen twice
        source_bytes = sum(p.stat().st_size for p in corpus.iterdir())
        print(
            f"corpus: {len(list(corpus.iterdir()))} files, {source_bytes:,} bytes; "
            f"{len(questions)} held-out questions; top {TOP_K}"
        )

        # One model per side, loaded before any timing: ingest times exclude model load.
        model = str(bundled_model_path())
        embeddings = HuggingFaceEmbeddings(model_name=model)
        embeddings.embed_query("warm up")
        # ragchat as shipped: its default embedding backend (RAGCHAT_EMBEDDINGS__BACKEND).
        embedder = default_embedder(Settings(_env_file=None))  # type: ignore[call-arg]
        embedder.embed_one("warm up")
        print(f"ragchat embeds with {embedder.name}; the tutorial with sentence-transformers")
        sides: list[Side] = [Tutorial(corpus, embeddings), Ragchat(corpus, embedder)]
        if args.bound:
            sides.append(RagchatWithoutSentencePass(corpus, embedder))

        found: dict[str, list[Figures]] = {side.name: [] for side in sides}
        for r in range(args.rounds):
            print(f"\nround {r + 1}")
            for side in sides if r % 2 == 0 else sides[::-1]:
                figures = measure(side, tmp / f"{side.name}-{r}", source_bytes, questions, warm)
                found[side.name].append(figures)
                print(f"  {side.name:8s} {figures.line()}")
            for name in [n for n in found if n != "tutorial"]:
                print(f"  {name}/tutorial: {ratios(found[name][-1], found['tutorial'][-1])}")
        table(found)


if __name__ == "__main__":
    main()
