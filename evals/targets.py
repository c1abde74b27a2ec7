"""Where eval questions are answered: a fresh in-process index, or a running ragchat."""

from __future__ import annotations

import re
import shutil
import tempfile
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from evals.formats import EvalItem, EvalSet
from ingest.embeddings import Embedder
from ingest.loaders import supported_extensions
from ingest.storage.filters import SearchFilters
from service.components import Components, Overrides, default_embedder
from service.schemas import ChatResponse, Message
from service.settings import Settings
from service.verification.judge import Judge

RETRIEVAL_DEPTH = 10


class QueryMemo(Embedder):
    """Remembers the last few single texts, so the ranking reuses the chat's question vector."""

    def __init__(self, inner: Embedder, size: int = 8) -> None:
        self.inner = inner
        self.name = inner.name
        self.size = size
        self._memo: OrderedDict[str, list[float]] = OrderedDict()

    def embed_batch(self, texts: Sequence[str]) -> list[list[float]]:
        return self.inner.embed_batch(texts)

    def embed_one(self, text: str) -> list[float]:
        if text in self._memo:
            self._memo.move_to_end(text)
            return self._memo[text]
        vector = self.inner.embed_one(text)
        self._memo[text] = vector
        while len(self._memo) > self.size:
            self._memo.popitem(last=False)
        return vector


class InProcessTarget:
    """A fresh index of the set's documents in a temp dir, answered in this process.

    isolated: a question that lists its own passages (RGB) is answered and ranked against
    those passages only, through a source filter on the one shared collection.
    """

    def __init__(
        self, evalset: EvalSet, settings: Settings, embedder: Any = None, *, isolated: bool = False
    ) -> None:
        self.isolated = isolated
        self.tmp = Path(tempfile.mkdtemp(prefix="ragchat-eval-"))
        # Always embedded Chroma in the temp dir: an eval never writes into a shared server.
        local = settings.model_copy(update={"data_dir": self.tmp / "data", "chroma_url": ""})
        memo = QueryMemo(embedder or default_embedder(local))
        self.comps = Components(local, Overrides(embedder=memo))
        try:
            self._index(evalset)
        except BaseException:
            self.close()
            raise

    def _index(self, evalset: EvalSet) -> None:
        corpus = self.tmp / "corpus"
        corpus.mkdir()
        self.by_name: dict[str, str] = {}
        self.name_of: dict[str, str] = {}
        for doc in evalset.documents:
            (corpus / doc.name).write_text(doc.text, encoding="utf-8")
            self.by_name[doc.name] = doc.id
            self.name_of[doc.id] = doc.name
        paths = [corpus, *evalset.corpus_paths]
        report = self.comps.ingestor.ingest(paths, collection="eval")
        if not (report.added or report.updated or report.unchanged):
            raise ValueError("the eval set has no documents that could be indexed")
        self.comps.warm_up()

    @property
    def judge(self) -> Judge:
        from service.verification.judge import EmbeddingJudge

        return EmbeddingJudge(self.comps.embedder, self.comps.settings.verify)

    @property
    def embedder(self) -> Embedder:
        return self.comps.embedder

    def filters(self, item: EvalItem) -> SearchFilters | None:
        if not (self.isolated and item.passages):
            return None
        return SearchFilters(sources=[self.name_of[p] for p in item.passages])

    def ask(self, item: EvalItem) -> tuple[ChatResponse, list[tuple[str, str]]]:
        """The chat answer first, so its timing includes embedding the question once."""
        filters = self.filters(item)
        history = [Message(**m) for m in item.messages]  # type: ignore[arg-type]
        response = self.comps.chat.chat(
            messages=[*history, Message(role="user", content=item.question)],
            collection="eval",
            filters=filters,
        )
        found = self.comps.retriever.search(
            item.question, collection="eval", top_k=RETRIEVAL_DEPTH, filters=filters
        )
        ranked = [(self.by_name.get(h.source, h.source), h.text) for h in found.hits]
        return response, ranked

    def contexts(self, item: EvalItem, response: ChatResponse) -> list[str]:
        """The chunks the answerer was given (same retrieval, same floor) for the judge."""
        query = response.standalone_question or item.question
        found = self.comps.retriever.retrieve(query, collection="eval", filters=self.filters(item))
        return [h.text for h in found.hits]

    def close(self) -> None:
        self.comps.close()
        shutil.rmtree(self.tmp, ignore_errors=True)


class TargetAuthError(RuntimeError):
    """The service wants an API key that was not given, or refused the one given."""


class HttpTarget:
    """A running ragchat: documents are uploaded to a collection, questions go to /v1/chat
    and /v1/search; citations are judged here with the offline embedding judge."""

    def __init__(
        self,
        evalset: EvalSet,
        url: str,
        collection: str,
        *,
        settings: Settings,
        embedder: Any = None,
        isolated: bool = False,
        api_key: str | None = None,
    ) -> None:
        self.settings = settings
        self._embedder = embedder
        self.url = url
        self.api_key = api_key
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self.client = httpx.Client(base_url=url.rstrip("/"), timeout=300, headers=headers)
        self.collection = collection
        self.isolated = isolated
        self.by_name: dict[str, str] = {}
        self.name_of: dict[str, str] = {}
        for doc in evalset.documents:
            self._post(
                "/v1/documents",
                params={"collection": collection, "replace": "true"},
                files={"file": (doc.name, doc.text.encode())},
            )
            self.by_name[doc.name] = doc.id
            self.name_of[doc.id] = doc.name
        exts = set(supported_extensions())
        for path in evalset.corpus_paths:
            for f in [path] if path.is_file() else sorted(path.rglob("*")):
                if f.is_file() and f.suffix.lower() in exts:
                    self._post(
                        "/v1/documents",
                        params={"collection": collection, "replace": "true"},
                        files={"file": (f.name, f.read_bytes())},
                    )

    def _post(self, path: str, **kwargs: Any) -> httpx.Response:
        r = self.client.post(path, **kwargs)
        if r.status_code == 401:
            problem = "refused the API key" if self.api_key else "needs an API key"
            raise TargetAuthError(
                f"{self.url} {problem}: pass --api-key or set RAGCHAT_API_KEY "
                "to one of the server's RAGCHAT_API_KEYS"
            )
        r.raise_for_status()
        return r

    @property
    def embedder(self) -> Embedder:
        """The bundled model, loaded here only when citations need judging."""
        if self._embedder is None:
            self._embedder = default_embedder(self.settings)
        return self._embedder  # type: ignore[no-any-return]

    @property
    def judge(self) -> Judge:
        from service.verification.judge import EmbeddingJudge

        return EmbeddingJudge(self.embedder, self.settings.verify)

    def ask(self, item: EvalItem) -> tuple[ChatResponse, list[tuple[str, str]]]:
        """In the item's own collection when it names one (a case from feedback, asked of the
        live collection as it is), else in the collection the documents went to."""
        collection = item.collection or self.collection
        messages = [*item.messages, {"role": "user", "content": item.question}]
        body: dict[str, Any] = {"messages": messages, "collection": collection}
        if self.isolated and item.passages:
            body["filters"] = {"source": [self.name_of[p] for p in item.passages]}
        response = ChatResponse.model_validate(self._post("/v1/chat", json=body).json())
        query = {"query": item.question, "collection": collection, "top_k": RETRIEVAL_DEPTH}
        if "filters" in body:
            query["filters"] = body["filters"]
        found = self._post("/v1/search", json=query)
        ranked = [
            (self.by_name.get(hit["source"], hit["source"]), hit["text"])
            for hit in found.json()["results"]
        ]
        return response, ranked

    def contexts(self, item: EvalItem, response: ChatResponse) -> list[str]:
        """Over HTTP only the cited quotes are known."""
        return [c.quote for c in response.citations]

    def close(self) -> None:
        self.client.close()


@contextmanager
def target_for(
    evalset: EvalSet,
    *,
    settings: Settings,
    url: str | None,
    embedder: Any = None,
    isolated: bool = False,
    api_key: str | None = None,
) -> Iterator[InProcessTarget | HttpTarget]:
    target: InProcessTarget | HttpTarget
    if url:
        name = re.sub(r"[^A-Za-z0-9._-]+", "-", evalset.name)[:50].strip("-._") or "set"
        target = HttpTarget(
            evalset,
            url,
            collection=f"eval-{name}",
            settings=settings,
            embedder=embedder,
            isolated=isolated,
            api_key=api_key,
        )
    else:
        target = InProcessTarget(evalset, settings, embedder, isolated=isolated)
    try:
        yield target
    finally:
        target.close()
