"""`POST /v1/search` and retrieval filters on a real index (embedded or server Chroma)."""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from service.components import Components
from service.main import create_app
from service.schemas import Message
from service.settings import IngestSettings
from tests.conftest import ARTICLE
from tests.unit.test_loaders import make_pdf

# Runs again on PostgreSQL and a Chroma server (make test, second pass).
pytestmark = pytest.mark.backends

PUTIN = "When did Putin visit Pyongyang?"


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    folder = tmp_path / "corpus"
    folder.mkdir()
    shutil.copy(ARTICLE, folder / ARTICLE.name)
    (folder / "kimchi.md").write_text(
        "# Kimchi\n\n## Making it\n\nKimchi is fermented napa cabbage with gochugaru, "
        "garlic and fish sauce. It ferments for three days at room temperature.\n",
        encoding="utf-8",
    )
    (folder / "old-news.txt").write_text(
        "Putin visited Pyongyang in July 2000, the first Russian leader to do so. "
        "He met Kim Jong Il at the airport.\n",
        encoding="utf-8",
    )
    old = time.mktime((2000, 7, 20, 12, 0, 0, 0, 0, -1))
    os.utime(folder / "old-news.txt", (old, old))
    return folder


@pytest.fixture
def comps(make_components: Callable[..., Components], corpus: Path) -> Components:
    c = make_components()
    c.ingestor.ingest([corpus], collection="default")
    c.ingestor.ingest([corpus / "kimchi.md"], collection="default", tags=["food"])
    return c


@pytest.fixture
def client(comps: Components) -> Iterator[TestClient]:
    with TestClient(create_app(components=comps)) as c:
        yield c


def search(client: TestClient, query: str, **extra: object) -> list[dict]:
    r = client.post("/v1/search", json={"query": query, **extra})
    assert r.status_code == 200, r.text
    return list(r.json()["results"])


def test_search_returns_ranked_chunks_with_exact_offsets(
    client: TestClient, comps: Components
) -> None:
    results = search(client, "Who signed the joint statement?", top_k=3)
    assert [r["rank"] for r in results] == [1, 2, 3]
    first = results[0]
    assert first["source"] == ARTICLE.name
    text = comps.index.document_text("default", first["document_id"])
    assert text is not None
    assert text.text[first["start"] : first["end"]].split() == first["text"].split()
    assert first["context_start"] <= first["start"]
    assert first["end"] <= first["context_end"]
    assert first["text"].strip()[:40] in first["context"]
    assert {"chunk_id", "title", "score", "keyword_score", "fused_score", "metadata"} <= set(first)
    fused = [r["fused_score"] for r in results]
    assert fused == sorted(fused, reverse=True)


def test_keyword_side_finds_exact_terms_dense_ranks_lower(client: TestClient) -> None:
    # A rare exact word: bm25 puts its chunk first; the answer must come from the keyword side.
    results = search(client, "gochugaru", mode="keyword", top_k=1)
    assert results[0]["source"] == "kimchi.md"
    assert results[0]["keyword_score"] > 0
    hybrid = search(client, "gochugaru", top_k=1)
    assert hybrid[0]["source"] == "kimchi.md"


def test_source_filter_limits_both_sides(client: TestClient) -> None:
    results = search(client, PUTIN, filters={"source": "old-news.txt"})
    assert results
    assert {r["source"] for r in results} == {"old-news.txt"}
    results = search(client, PUTIN, filters={"source": ["kimchi.md", "old-news.txt"]})
    assert {r["source"] for r in results} <= {"kimchi.md", "old-news.txt"}


def test_tag_and_date_filters(client: TestClient) -> None:
    tagged = search(client, PUTIN, filters={"tags": ["food"]})
    assert {r["source"] for r in tagged} == {"kimchi.md"}
    old = search(client, PUTIN, filters={"date_to": "2000-12-31"})
    assert {r["source"] for r in old} == {"old-news.txt"}
    recent = search(client, PUTIN, filters={"date_from": "2001-01-01"})
    assert "old-news.txt" not in {r["source"] for r in recent}
    assert search(client, PUTIN, filters={"tags": "no-such-tag"}) == []


def test_chat_honours_filters(client: TestClient) -> None:
    body = {"messages": [{"role": "user", "content": PUTIN}]}
    r = client.post("/v1/chat", json={**body, "filters": {"source": "old-news.txt"}})
    assert r.status_code == 200
    cited = {c["source"] for c in r.json()["citations"]}
    assert cited == {"old-news.txt"}
    r = client.post("/v1/chat", json={**body, "filters": {"source": ARTICLE.name}})
    assert {c["source"] for c in r.json()["citations"]} == {ARTICLE.name}


@pytest.mark.parametrize(
    ("body", "status", "needle"),
    [
        ({"query": "x", "filters": {"date_from": "last week"}}, 422, "ISO 8601"),
        ({"query": "x", "filters": {"colour": "red"}}, 422, "colour"),
        ({"query": ""}, 422, "query"),
        ({"query": "x", "top_k": 0}, 422, "top_k"),
        ({"query": "x", "mode": "magic"}, 422, "mode"),
        ({"query": "x", "collection": "nope"}, 404, "nope"),
        ({"query": "x", "collection": "../etc"}, 400, "invalid collection"),
    ],
)
def test_search_rejects_bad_input_clearly(
    client: TestClient, body: dict, status: int, needle: str
) -> None:
    r = client.post("/v1/search", json=body)
    assert r.status_code == status
    assert needle in r.json()["error"]["message"]


def test_hostile_query_syntax_is_searched_as_words(client: TestClient) -> None:
    results = search(client, 'kimchi" OR NEAR(cabbage) AND -* ^ {col}:x', mode="keyword")
    assert results[0]["source"] == "kimchi.md"


def test_keyword_index_follows_reingest_and_delete(
    comps: Components, corpus: Path, client: TestClient
) -> None:
    target = corpus / "kimchi.md"
    target.write_text("# Bibimbap\n\nBibimbap is rice with namul and gochujang.\n")
    comps.ingestor.ingest([corpus], collection="default")
    assert search(client, "gochugaru", mode="keyword") == []
    assert search(client, "namul", mode="keyword")[0]["source"] == "kimchi.md"
    doc_id = search(client, "namul", mode="keyword")[0]["document_id"]
    assert client.delete(f"/v1/documents/{doc_id}").status_code in (200, 204)
    assert search(client, "namul", mode="keyword") == []


def test_near_duplicates_are_dropped_from_top_k(
    make_components: Callable[..., Components], tmp_path: Path
) -> None:
    folder = tmp_path / "dupes"
    folder.mkdir()
    text = ARTICLE.read_text(encoding="utf-8")
    for name in ("copy-a.txt", "copy-b.txt"):
        (folder / name).write_text(text, encoding="utf-8")
    comps = make_components()
    comps.ingestor.ingest([folder], collection="default")
    hits = comps.retriever.search("Who signed the joint statement?", collection="default").hits
    texts = [h.text for h in hits]
    assert len(texts) == len(set(texts)), "the same chunk from two files came back twice"
    loose = comps.settings.retrieval.model_copy(update={"duplicate_similarity": 1.01})
    comps.retriever.settings = loose
    again = comps.retriever.search("Who signed the joint statement?", collection="default").hits
    assert len({h.text for h in again}) < len(again)


def test_pdf_citations_carry_the_page(
    make_components: Callable[..., Components], tmp_path: Path
) -> None:
    folder = tmp_path / "pdf"
    folder.mkdir()
    pdf = make_pdf(
        [
            "Quarterly report. Revenue was flat in the first quarter.",
            "The board approved the merger with Acme Corporation on 3 March.",
        ]
    )
    (folder / "report.pdf").write_bytes(pdf)
    comps = make_components()
    comps.ingestor.ingest([folder], collection="default")
    hits = comps.retriever.search("When was the merger approved?", collection="default").hits
    assert hits[0].metadata.get("page") in (1, 2)
    response = comps.chat.chat(
        messages=[Message(role="user", content="When did the board approve the merger?")],
        collection="default",
    )
    assert not response.refused
    assert response.citations[0].page == 2
    assert "Acme" in response.citations[0].quote


def test_uploaded_tags_filter_search_and_show_in_listing(client: TestClient) -> None:
    files = {"file": ("bulgogi.txt", b"Bulgogi is grilled marinated beef with pear and soy.")}
    r = client.post("/v1/documents", files=files, data={"tags": "food, recipes"})
    assert r.status_code == 201, r.text
    listed = {d["source"]: d for d in client.get("/v1/documents").json()["documents"]}
    assert listed["bulgogi.txt"]["tags"] == ["food", "recipes"]
    assert listed["kimchi.md"]["tags"] == ["food"]
    results = search(client, "grilled beef", filters={"tags": ["recipes"]})
    assert {r["source"] for r in results} == {"bulgogi.txt"}


def test_document_title_gives_body_chunks_their_subject(
    make_components: Callable[..., Components], tmp_path: Path
) -> None:
    folder = tmp_path / "titled"
    folder.mkdir()
    filler = " ".join(f"Paragraph {i} talks about weather, roads and schools." for i in range(60))
    (folder / "beavers.md").write_text(
        f"# Beavers return to Hampshire after 400 years\n\n{filler}\n\n"
        "The animals were released into a fenced wetland last week.\n",
        encoding="utf-8",
    )
    for i in range(12):  # a title word in half the chunks would carry no bm25 weight
        (folder / f"note-{i}.md").write_text(f"# Note {i}\n\nRoadworks on street {i}.\n")

    def body_hits(comps: Components, mode: str) -> list[str]:
        hits = comps.retriever.search(
            "Hampshire wetland release", collection="default", mode=mode, top_k=3
        ).hits
        return [h.text for h in hits if "released" in h.text]

    titled = make_components(ingest=IngestSettings(title_context=True))
    titled.ingestor.ingest([folder], collection="default")
    assert body_hits(titled, "keyword"), "the body chunk matches Hampshire through its title"
    untitled = make_components(ingest=IngestSettings(title_context=False), data_dir=tmp_path / "u")
    untitled.ingestor.ingest([folder], collection="default")
    keyword = untitled.index.store.keyword_search(
        "default", "Hampshire", limit=10, document_ids=None
    )
    assert all("released" not in chunk.text for chunk, _ in keyword)
