"""Run an eval set: index its documents, ask every question, score each answer."""

from __future__ import annotations

import re
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from evals.formats import EvalItem, EvalSet
from evals.metrics.answer import answers_all, best_sentence_f1, normalize
from ingest.loaders import supported_extensions
from service.components import Components
from service.errors import RagchatError
from service.schemas import ChatResponse, Message
from service.settings import Settings
from service.verification.judge import Judge
from service.verification.verify import answer_sentences

MARKERS = re.compile(r"\s*\[\d+\]")
RETRIEVAL_DEPTH = 10


@dataclass
class Result:
    item: EvalItem
    answer: str = ""
    refused: bool = False
    citations: list[dict[str, Any]] = field(default_factory=list)
    relevant: list[bool] | None = None
    latency_ms: float = 0.0
    em: float = 0.0
    f1: float = 0.0
    correct: bool = False
    error: str | None = None


def statements(answer: str, citations: list[dict[str, Any]]) -> list[tuple[str, list[str]]]:
    """Answer sentences with the quotes their markers cite."""
    quotes = {c["index"]: c["quote"] for c in citations}
    out = []
    for span in answer_sentences(answer):
        sentence = answer[span.start : span.end]
        cited = [quotes[int(n)] for n in re.findall(r"\[(\d+)\]", sentence) if int(n) in quotes]
        text = MARKERS.sub("", sentence).strip()
        if text:
            out.append((text, cited))
    return out


def score(result: Result) -> Result:
    item = result.item
    if item.unanswerable:
        result.correct = result.refused
        return result
    if result.refused or result.error or not item.answers:
        return result
    aliases = [a for group in item.answers for a in group]
    result.em = 1.0 if answers_all(result.answer, item.answers) else 0.0
    sentences = [t for t, _ in statements(result.answer, result.citations)] or [result.answer]
    result.f1 = best_sentence_f1(sentences, aliases)
    result.correct = bool(result.em)
    return result


def relevance(item: EvalItem, hits: list[tuple[str, str]]) -> list[bool] | None:
    """Per retrieved (gold-doc id, chunk text): does it hold the gold answer or support?"""
    if item.unanswerable or not item.answers:
        return None
    needles = [normalize(a) for g in item.answers for a in g] + (
        [normalize(item.support)] if item.support else []
    )
    out = []
    for doc_id, text in hits:
        in_doc = not item.gold_docs or doc_id in item.gold_docs
        haystack = f" {normalize(text)} "
        out.append(in_doc and any(n and f" {n} " in haystack for n in needles))
    return out


class InProcessTarget:
    """A fresh index of the set's documents in a temp dir, answered in this process."""

    def __init__(self, evalset: EvalSet, settings: Settings, embedder: Any = None) -> None:
        self.tmp = Path(tempfile.mkdtemp(prefix="ragchat-eval-"))
        # Always embedded Chroma in the temp dir: an eval never writes into a shared server.
        local = settings.model_copy(update={"data_dir": self.tmp / "data", "chroma_url": ""})
        self.comps = Components(local)
        try:
            self._index(evalset, embedder)
        except BaseException:
            self.close()
            raise

    def _index(self, evalset: EvalSet, embedder: Any) -> None:
        if embedder is not None:
            self.comps.__dict__["embedder"] = embedder
        corpus = self.tmp / "corpus"
        corpus.mkdir()
        self.by_name: dict[str, str] = {}
        for doc in evalset.documents:
            (corpus / doc.name).write_text(doc.text, encoding="utf-8")
            self.by_name[doc.name] = doc.id
        paths = [corpus, *evalset.corpus_paths]
        report = self.comps.ingestor.ingest(paths, collection="eval")
        if not (report.added or report.updated or report.unchanged):
            raise ValueError("the eval set has no documents that could be indexed")
        self.comps.warm_up()

    @property
    def judge(self) -> Judge:
        from service.verification.judge import EmbeddingJudge

        return EmbeddingJudge(self.comps.embedder, self.comps.settings.verify)

    def ask(self, item: EvalItem) -> tuple[ChatResponse, list[tuple[str, str]]]:
        embedding = self.comps.embedder.embed_one(item.question)
        hits = self.comps.index.search("eval", embedding=embedding, top_k=RETRIEVAL_DEPTH)
        ranked = [(self.by_name.get(h.source, h.source), h.text) for h in hits]
        history = [Message(**m) for m in item.messages]  # type: ignore[arg-type]
        response = self.comps.chat.chat(
            messages=[*history, Message(role="user", content=item.question)], collection="eval"
        )
        return response, ranked

    def close(self) -> None:
        self.comps.close()
        shutil.rmtree(self.tmp, ignore_errors=True)


class HttpTarget:
    """A running ragchat: documents are uploaded to a collection, questions go to /v1/chat."""

    def __init__(self, evalset: EvalSet, url: str, collection: str) -> None:
        self.client = httpx.Client(base_url=url.rstrip("/"), timeout=300)
        self.collection = collection
        self.by_name: dict[str, str] = {}
        for doc in evalset.documents:
            r = self.client.post(
                "/v1/documents",
                params={"collection": collection},
                files={"file": (doc.name, doc.text.encode())},
            )
            r.raise_for_status()
            self.by_name[doc.name] = doc.id
        exts = set(supported_extensions())
        for path in evalset.corpus_paths:
            for f in [path] if path.is_file() else sorted(path.rglob("*")):
                if f.is_file() and f.suffix.lower() in exts:
                    self.client.post(
                        "/v1/documents",
                        params={"collection": collection},
                        files={"file": (f.name, f.read_bytes())},
                    ).raise_for_status()
        self.judge = None

    def ask(self, item: EvalItem) -> tuple[ChatResponse, None]:
        messages = [*item.messages, {"role": "user", "content": item.question}]
        r = self.client.post("/v1/chat", json={"messages": messages, "collection": self.collection})
        r.raise_for_status()
        return ChatResponse.model_validate(r.json()), None

    def close(self) -> None:
        self.client.close()


def run(
    target: InProcessTarget | HttpTarget,
    items: list[EvalItem],
    *,
    on_result: Callable[[Result], None] | None = None,
) -> Iterator[Result]:
    for item in items:
        t0 = time.perf_counter()
        result = Result(item=item)
        try:
            response, ranked = target.ask(item)
            result.answer, result.refused = response.answer, response.refused
            result.citations = [c.model_dump() for c in response.citations]
            result.relevant = relevance(item, ranked) if ranked is not None else None
            result.latency_ms = response.timings_ms.get("total", 0.0)
        except (httpx.HTTPError, ValueError, RagchatError) as exc:
            result.error = str(exc)
            result.latency_ms = (time.perf_counter() - t0) * 1000
        score(result)
        if on_result:
            on_result(result)
        yield result


@contextmanager
def target_for(
    evalset: EvalSet, *, settings: Settings, url: str | None, embedder: Any = None
) -> Iterator[InProcessTarget | HttpTarget]:
    target: InProcessTarget | HttpTarget
    if url:
        name = re.sub(r"[^A-Za-z0-9._-]+", "-", evalset.name)[:50].strip("-._") or "set"
        target = HttpTarget(evalset, url, collection=f"eval-{name}")
    else:
        target = InProcessTarget(evalset, settings, embedder)
    try:
        yield target
    finally:
        target.close()
