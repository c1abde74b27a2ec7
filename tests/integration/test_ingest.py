from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from ingest.embeddings import Embedder
from ingest.pipeline import document_id_for
from service.components import Components, Overrides
from service.errors import NotFoundError
from service.schemas import Message
from tests.conftest import ARTICLE

# Runs again on PostgreSQL and a Chroma server (make test, second pass).
pytestmark = pytest.mark.backends


def chroma_ids(comps: Components, collection: str = "default") -> list[str]:
    coll = comps.index.vectors._collection(collection)
    return sorted(coll.get(include=[])["ids"])


def test_ingest_stores_chunks_whose_offsets_point_at_their_text(
    article_components: Components,
) -> None:
    comps = article_components
    [doc] = comps.index.documents("default")
    stored = comps.index.document_text("default", doc.document_id)
    assert stored is not None
    assert stored.text == ARTICLE.read_text(encoding="utf-8")
    got = comps.index.vectors._collection("default").get(include=["documents", "metadatas"])
    assert len(got["ids"]) == doc.chunk_count > 3
    for text, meta in zip(got["documents"], got["metadatas"], strict=True):
        span = stored.text[meta["start"] : meta["end"]]
        for paragraph in text.split("\n\n"):
            assert paragraph in span
    for s in stored.sentences:
        assert stored.text[s.start : s.end].strip() == stored.text[s.start : s.end]


def test_reingesting_unchanged_files_embeds_nothing(
    article_components: Components, article_dir: Path
) -> None:
    before = chroma_ids(article_components)
    report = article_components.ingestor.ingest([article_dir], collection="default")
    assert (report.added, report.updated, report.unchanged, report.chunks) == (0, 0, 1, 0)
    assert chroma_ids(article_components) == before


def test_changed_file_replaces_its_chunks(
    article_components: Components, article_dir: Path
) -> None:
    comps = article_components
    path = article_dir / ARTICLE.name
    old_ids = set(chroma_ids(comps))
    path.write_text(
        "Revised notice\n\nThe statement was withdrawn on Monday by the ministry.\n",
        encoding="utf-8",
    )
    report = comps.ingestor.ingest([article_dir], collection="default")
    assert (report.added, report.updated) == (0, 1)
    new_ids = set(chroma_ids(comps))
    assert new_ids.isdisjoint(old_ids)
    [doc] = comps.index.documents("default")
    assert len(new_ids) == doc.chunk_count == 1
    answer = comps.chat.chat(
        messages=[Message(role="user", content="When was the statement withdrawn?")],
        collection="default",
    )
    assert "Monday" in answer.answer
    assert all("Jung Pak" not in c.quote for c in answer.citations)


def test_crash_mid_write_leaves_old_version_live_then_cleans_up(
    article_components: Components, article_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    comps = article_components
    path = article_dir / ARTICLE.name
    old_ids = set(chroma_ids(comps))
    path.write_text("Replacement text about budgets and taxes.\n", encoding="utf-8")

    def die(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt("killed between writing chunks and switching versions")

    monkeypatch.setattr(comps.index.store, "commit_version", die)
    with pytest.raises(KeyboardInterrupt):
        comps.ingestor.ingest([article_dir], collection="default")
    monkeypatch.undo()
    # The new chunks are in Chroma but invisible: search still sees only the old version.
    assert len(set(chroma_ids(comps)) - old_ids) == 1
    hits = comps.retriever.retrieve("Who signed the joint statement?", collection="default").hits
    assert hits
    assert all(h.chunk_id in old_ids for h in hits)
    # The next run finishes the job with no duplicates left behind.
    report = comps.ingestor.ingest([article_dir], collection="default")
    assert report.updated == 1
    [doc] = comps.index.documents("default")
    assert len(chroma_ids(comps)) == doc.chunk_count == 1


def test_prune_removes_documents_whose_files_are_gone(
    article_components: Components, article_dir: Path
) -> None:
    comps = article_components
    elsewhere = article_dir.parent / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "kept.md").write_text("# Kept\n\nThis file was ingested from another folder.\n")
    comps.ingestor.ingest([elsewhere], collection="default")
    (elsewhere / "kept.md").unlink()  # gone too, but not under the folder pruned below
    (article_dir / ARTICLE.name).unlink()
    report = comps.ingestor.ingest([article_dir], collection="default", prune=True)
    assert report.deleted == 1
    assert [d.source for d in comps.index.documents("default")] == ["kept.md"]


def test_bad_files_are_reported_and_good_ones_still_ingested(
    make_components: Callable[..., Components], tmp_path: Path
) -> None:
    folder = tmp_path / "mixed"
    folder.mkdir()
    (folder / "good.md").write_text("# Guide\n\nInstall with pip install ragchat.\n")
    (folder / "binary.txt").write_bytes(b"\x00\x01\x02\x03" * 100)
    (folder / "empty.txt").write_text("\n\n  \n")
    (folder / "image.png").write_bytes(b"\x89PNG")
    comps = make_components()
    report = comps.ingestor.ingest([folder], collection="docs")
    assert report.added == 1
    failed = dict(report.failed)
    assert "binary" in failed[str((folder / "binary.txt").resolve())]
    assert "no text" in failed[str((folder / "empty.txt").resolve())]
    assert any("image.png" in p for p, _ in report.skipped)
    assert [d.source for d in comps.index.documents("docs")] == ["good.md"]


def test_collections_are_isolated(
    make_components: Callable[..., Components], article_dir: Path
) -> None:
    comps = make_components()
    comps.ingestor.ingest([article_dir], collection="news")
    assert comps.index.documents("default") == []
    with pytest.raises(NotFoundError, match="collection 'default' has no documents"):
        comps.chat.chat(
            messages=[Message(role="user", content="Who signed the joint statement?")],
            collection="default",
        )
    answered = comps.chat.chat(
        messages=[Message(role="user", content="Who signed the joint statement?")],
        collection="news",
    )
    assert "Jung Pak" in answered.answer


def test_document_ids_are_stable_across_spellings(tmp_path: Path) -> None:
    p = tmp_path / "a.txt"
    p.write_text("x")
    assert document_id_for(p) == document_id_for(tmp_path / "." / "a.txt")


def test_pdf_docx_and_html_are_ingested_and_empty_files_reported(
    make_components: Callable[..., Components], tmp_path: Path
) -> None:
    from tests.unit.test_loaders import NEWS_PAGE, PAGE_ONE, PAGE_TWO, make_docx, make_pdf

    folder = tmp_path / "formats"
    folder.mkdir()
    (folder / "report.pdf").write_bytes(make_pdf([PAGE_ONE, PAGE_TWO], title="Harbour Report"))
    (folder / "handbook.docx").write_bytes(make_docx())
    (folder / "news.html").write_bytes(NEWS_PAGE.encode())
    (folder / "empty.txt").write_bytes(b"")
    comps = make_components()
    report = comps.ingestor.ingest([folder], collection="default")
    assert (report.added, report.skipped) == (3, [])
    failed = dict(report.failed)
    assert failed == {
        str((folder / "empty.txt").resolve()): "empty.txt: empty document, no text content to index"
    }
    stored = {d.source: d for d in comps.index.documents("default")}
    assert sorted(stored) == ["handbook.docx", "news.html", "report.pdf"]
    assert stored["report.pdf"].title == "Harbour Report"
    pdf_text = comps.index.document_text("default", stored["report.pdf"].document_id)
    assert pdf_text is not None
    assert PAGE_TWO in pdf_text.text
    html_text = comps.index.document_text("default", stored["news.html"].document_id)
    assert html_text is not None
    assert "forty berths" in html_text.text
    assert "SkyDeals" not in html_text.text


class CountingEmbedder(Embedder):
    """The real embedder, counting the texts it is asked to embed."""

    def __init__(self, inner: Embedder) -> None:
        self.inner = inner
        self.name = inner.name
        self.texts = 0

    def embed_batch(self, texts: Sequence[str]) -> list[list[float]]:
        self.texts += len(texts)
        return self.inner.embed_batch(texts)


def test_sentence_vectors_are_stored_at_ingest_and_answering_embeds_only_the_question(
    make_components: Callable[..., Components], article_dir: Path, embedder: Embedder
) -> None:
    counting = CountingEmbedder(embedder)
    comps = make_components(Overrides(embedder=counting))
    comps.ingestor.ingest([article_dir], collection="default")
    [doc] = comps.index.documents("default")
    stored = comps.index.document_text("default", doc.document_id)
    assert stored is not None
    assert stored.vectors is not None
    assert stored.vectors.shape == (len(stored.sentences), 384)
    before = counting.texts
    r = comps.chat.chat(
        messages=[Message(role="user", content="Who signed the joint statement?")],
        collection="default",
    )
    assert not r.refused
    assert counting.texts - before == 1  # the question, nothing else


def test_many_files_go_to_the_vector_store_in_few_calls_and_all_go_live(
    make_components: Callable[..., Components], tmp_path: Path
) -> None:
    folder = tmp_path / "many"
    folder.mkdir()
    for n in range(30):
        (folder / f"note-{n}.txt").write_text(f"Note {n}: the pump at station {n} was serviced.")
    comps = make_components()
    calls: list[int] = []
    upsert = comps.index.vectors.upsert

    def counting(collection: str, **kwargs: Any) -> None:
        calls.append(len(kwargs["ids"]))
        upsert(collection, **kwargs)

    comps.index.vectors.upsert = counting  # type: ignore[method-assign]
    report = comps.ingestor.ingest([folder], collection="notes")
    assert (report.added, report.chunks) == (30, 30)
    assert len(calls) == 1
    assert len(comps.index.documents("notes")) == 30
    hits = comps.retriever.search("station 17 pump", collection="notes", top_k=1).hits
    assert hits[0].source == "note-17.txt"


def test_writers_taking_overlapping_leases_in_any_order_never_deadlock(
    make_components: Callable[..., Components],
) -> None:
    index = make_components().index
    ids = [f"doc-{n}" for n in range(12)]

    def hold(order: list[str]) -> None:
        for _ in range(20):
            with index.writing_many("c", order, wait=30) as owners:
                assert set(owners) == set(order)

    with ThreadPoolExecutor(2) as pool:
        done = [pool.submit(hold, ids), pool.submit(hold, ids[::-1])]
        for f in done:
            f.result(timeout=60)
