"""Every storage interface, run against both backends: SQLite files and a real PostgreSQL.

These run whatever `--database` says: the contract is what lets the rest of ragchat ignore
which backend it has.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from ingest.cleaning import Span
from ingest.storage import (
    Feedback,
    JobFile,
    LeaseBusyError,
    NewVersion,
    SearchFilters,
    Storage,
    StoredChunk,
    Turn,
    open_storage,
)
from ingest.storage.chroma import ChromaVectorStore
from ingest.storage.errors import NotOwnedError
from ingest.storage.leases import HOST
from tests.postgres_server import DATABASE

ME = f"{HOST}:{os.getpid()}:me"


@pytest.fixture(params=["sqlite", "postgres"])
def storage(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Storage]:
    data = tmp_path / request.param
    url = DATABASE.url_for(data) if request.param == "postgres" else ""
    opened = open_storage(data_dir=data, database_url=url, vectors=ChromaVectorStore(data_dir=data))
    yield opened
    opened.close()


def version(doc: str, ver: str, texts: list[str], *, title: str = "", tags=()) -> NewVersion:
    text = " ".join(texts)
    chunks, pos = [], 0
    for i, t in enumerate(texts):
        chunks.append(
            StoredChunk(f"{doc}:{ver}:{i}", doc, i, pos, pos + len(t), t, {"n": i}, title)
        )
        pos += len(t) + 1
    return NewVersion(
        source=f"{doc}.txt",
        path=f"/files/{doc}.txt",
        title=title,
        content_hash=ver * 4,
        version=ver,
        text=text,
        sentences=[Span(c.start, c.end) for c in chunks],
        chunks=chunks,
        size_bytes=len(text),
        tags=list(tags),
        doc_date=1_700_000_000.0 if doc == "a" else 1_600_000_000.0,
        regions=[],
    )


def write(storage: Storage, doc: str, new: NewVersion, owner: str = ME) -> None:
    docs = storage.documents
    assert docs.acquire_lease("c", doc, owner, ttl=600)
    docs.begin_write("c", doc, owner=owner, source=new.source, path=new.path)
    docs.commit_version("c", doc, new, owner=owner)
    docs.finish_cleanup("c", doc)
    docs.release_lease("c", doc, owner)


CORPUS = {
    "a": ["The harbour master approved the new quay.", "Fishing boats moor at the quay."],
    "b": ["The lighthouse keeper retired in 1988.", "The lighthouse was automated later."],
    "c": ["The ferry leaves at seven.", "The ferry returns at nine in the evening."],
}


def fill(storage: Storage) -> None:
    for doc, texts in CORPUS.items():
        tags = ["port"] if doc != "b" else ["light"]
        write(storage, doc, version(doc, "v1", texts, title=f"{doc} notes", tags=tags))


def test_a_committed_version_is_read_back_whole(storage: Storage) -> None:
    fill(storage)
    docs = storage.documents
    assert docs.collections() == ["c"]
    assert [r.document_id for r in docs.records("c")] == ["a", "b", "c"]
    record = docs.get("c", "a")
    assert record is not None
    assert (record.version, record.chunk_count, record.tags) == ("v1", 2, ["port"])
    text = docs.text("c", "a")
    assert text is not None
    assert text.text.startswith("The harbour master")
    first = text.sentences[0]
    assert (first.start, first.end) == (0, len(CORPUS["a"][0]))
    live = docs.live_chunks("c", ["a:v1:1", "b:v1:0", "b:v0:0", "zz:v1:0"])
    assert sorted(live) == ["a:v1:1", "b:v1:0"]
    assert (live["a:v1:1"].document_id, live["a:v1:1"].chunk_index) == ("a", 1)
    chunks = docs.document_chunks("c", "b")
    assert [c.chunk_id for c in chunks] == ["b:v1:0", "b:v1:1"]
    assert chunks[1].metadata == {"n": 1}
    assert chunks[0].title == "b notes"
    assert [c.chunk_index for c in docs.neighbours("c", "b", 1, width=1)] == [0, 1]
    assert docs.chunk_ids_by_document("c")["c"] == {"c:v1:0", "c:v1:1"}


def test_keyword_search_ranks_rare_words_first_and_honours_documents(storage: Storage) -> None:
    fill(storage)
    docs = storage.documents
    hits = docs.keyword_search("c", "when did the keeper retire", limit=5, document_ids=None)
    assert hits[0][0].chunk_id == "b:v1:0"
    assert all(score > 0 for _, score in hits)
    # A document filter keeps the other document's matches out.
    only = docs.keyword_search("c", "quay ferry", limit=5, document_ids=["c"])
    assert {c.document_id for c, _ in only} == {"c"}
    assert docs.keyword_search("c", "quay", limit=5, document_ids=[]) == []
    assert docs.keyword_search("other", "quay", limit=5, document_ids=None) == []
    # Stems match: "moored" finds "moor", "retiring" finds "retired".
    assert docs.keyword_search("c", "moored", limit=5, document_ids=None)[0][0].chunk_id == "a:v1:1"
    assert docs.keyword_search("c", "retiring", limit=1, document_ids=None)[0][0].document_id == "b"
    # Quotes, operators and SQL in a question are words, never syntax.
    for hostile in ['"quay', "quay OR 1=1; DROP TABLE chunks", "a & b | !c", "'); --", "NEAR("]:
        docs.keyword_search("c", hostile, limit=5, document_ids=None)
    assert len(docs.chunk_ids_by_document("c")) == 3


def test_scores_depend_only_on_live_chunks(storage: Storage, tmp_path: Path) -> None:
    """Replacing and deleting documents leaves the ranking statistics as a fresh index's."""
    fill(storage)
    docs = storage.documents
    write(storage, "a", version("a", "v2", ["A new quay for ferries.", "It opens in May."]))
    assert docs.acquire_lease("c", "c", ME, ttl=600)
    docs.retire("c", "c", owner=ME)
    docs.finish_cleanup("c", "c")
    docs.release_lease("c", "c", ME)
    fresh_dir = tmp_path / f"fresh-{storage.backend}"
    url = DATABASE.url_for(fresh_dir) if storage.backend == "postgres" else ""
    fresh = open_storage(
        data_dir=fresh_dir, database_url=url, vectors=ChromaVectorStore(data_dir=fresh_dir)
    )
    try:
        write(fresh, "a", version("a", "v2", ["A new quay for ferries.", "It opens in May."]))
        write(fresh, "b", version("b", "v1", CORPUS["b"], title="b notes", tags=["light"]))
        for query in ("quay ferries", "lighthouse keeper", "ferry evening"):
            got = docs.keyword_search("c", query, limit=5, document_ids=None)
            want = fresh.documents.keyword_search("c", query, limit=5, document_ids=None)
            assert [c.chunk_id for c, _ in got] == [c.chunk_id for c, _ in want]
            assert [round(s, 6) for _, s in got] == [round(s, 6) for _, s in want]
    finally:
        fresh.close()


def test_filters_select_documents_by_source_tag_and_date(storage: Storage) -> None:
    fill(storage)
    docs = storage.documents
    match = lambda **kw: sorted(docs.matching_documents("c", SearchFilters(**kw)))  # noqa: E731
    assert match(tags=["port"]) == ["a", "c"]
    assert match(tags=["light", "nothing"]) == ["b"]
    assert match(sources=["b.txt", "c.txt"]) == ["b", "c"]
    assert match(document_ids=["a"], tags=["port"]) == ["a"]
    assert match(date_from=1_650_000_000.0) == ["a"]
    assert match(date_to=1_650_000_000.0) == ["b", "c"]
    docs.set_tags("c", "b", ["port", "light"])
    assert match(tags=["port"]) == ["a", "b", "c"]


def test_leases_exclude_live_writers_and_pass_from_dead_ones(storage: Storage) -> None:
    docs = storage.documents
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    parent = f"{HOST}:{os.getppid()}:other"
    assert docs.acquire_lease("c", "d", parent, ttl=600)
    assert not docs.acquire_lease("c", "d", ME, ttl=600)
    assert docs.get("c", "d") is None  # a bare lease is not a document
    assert docs.is_leased("c", "d")
    docs.release_lease("c", "d", parent)
    assert "d" not in docs.document_ids("c")
    assert docs.acquire_lease("c", "d", f"{HOST}:{dead.pid}:gone", ttl=600)
    assert not docs.is_leased("c", "d")
    assert docs.acquire_lease("c", "d", ME, ttl=600)
    docs.release_lease("c", "d", ME)
    assert docs.acquire_lease("c", "d", "elsewhere:1:x", ttl=600)
    assert not docs.acquire_lease("c", "d", ME, ttl=600)
    assert docs.acquire_lease("c", "d", "elsewhere:1:x", ttl=-1)
    assert docs.acquire_lease("c", "d", ME, ttl=600)
    # A holder renews its lease; an expired one passes, even from a live process here.
    assert docs.renew_lease("c", "d", ME, ttl=600)
    assert not docs.renew_lease("c", "d", parent, ttl=600)
    assert docs.acquire_lease("c", "d", ME, ttl=-1)
    assert docs.acquire_lease("c", "d", parent, ttl=600)
    assert docs.acquire_lease("c", "d", ME, ttl=600) is False
    docs.release_lease("c", "d", parent)
    assert docs.acquire_lease("c", "d", ME, ttl=600)
    new = version("d", "v1", ["Text."])
    with pytest.raises(LeaseBusyError):
        docs.commit_version("c", "d", new, owner="elsewhere:1:x")
    docs.release_lease("c", "d", ME)


def test_an_unfinished_write_is_left_for_cleanup_and_the_old_version_stays(
    storage: Storage,
) -> None:
    fill(storage)
    docs = storage.documents
    assert docs.acquire_lease("c", "a", "elsewhere:7:w", ttl=600)
    docs.begin_write("c", "a", owner="elsewhere:7:w", source="a.txt", path=None)
    assert docs.pending_cleanup("c") == []  # its writer's lease is live
    assert docs.acquire_lease("c", "a", "elsewhere:7:w", ttl=-1)  # ...until it expires
    assert docs.pending_cleanup("c") == ["a"]
    assert docs.live_version("c", "a") == "v1"
    assert docs.acquire_lease("c", "a", ME, ttl=600)
    docs.finish_cleanup("c", "a")
    docs.release_lease("c", "a", ME)
    assert docs.pending_cleanup("c") == []
    assert docs.get("c", "a").version == "v1"  # type: ignore[union-attr]
    assert docs.acquire_lease("c", "b", ME, ttl=600)
    docs.retire("c", "b", owner=ME)
    assert docs.text("c", "b") is None
    assert docs.keyword_search("c", "lighthouse", limit=5, document_ids=None) == []
    docs.finish_cleanup("c", "b")
    docs.release_lease("c", "b", ME)
    assert docs.get("c", "b") is None
    assert docs.all_collections() == ["c"]


def test_conversations_keep_turns_in_order(storage: Storage) -> None:
    talk = storage.conversations
    assert talk.history("x") == []
    talk.append("x", [Turn("user", "Who?"), Turn("assistant", "Jung Pak.")])
    talk.append("x", [Turn("user", "When?"), Turn("assistant", "In June.")])
    talk.append("y", [Turn("user", "Other")])
    assert [t.content for t in talk.history("x")] == ["Who?", "Jung Pak.", "When?", "In June."]
    assert [t.role for t in talk.history("y")] == ["user"]


def test_blobs_round_trip_and_list(storage: Storage) -> None:
    blobs = storage.blobs
    where = blobs.put("c", "notes%2Ftxt.txt", b"first")
    assert where == blobs.locator("c", "notes%2Ftxt.txt")
    assert blobs.owns(where)
    assert not blobs.owns("/somewhere/else.txt")
    assert not blobs.owns(None)
    assert blobs.read(where) == b"first"
    blobs.put("c", "notes%2Ftxt.txt", b"second")
    assert blobs.read(where) == b"second"
    other = blobs.put("d", "x.md", b"\x00binary\xff")
    assert sorted(blobs.entries()) == sorted([("c", where), ("d", other)])
    blobs.delete(where)
    assert blobs.read(where) is None
    assert blobs.entries() == [("d", other)]
    assert blobs.recover() == 0


def test_the_stamp_changes_with_every_document_change(storage: Storage) -> None:
    docs = storage.documents
    empty = docs.stamp("c")
    fill(storage)
    full = docs.stamp("c")
    assert full != empty
    assert docs.stamp("c") == full  # reading changes nothing
    write(storage, "a", version("a", "v2", ["The quay was rebuilt."]))
    replaced = docs.stamp("c")
    assert replaced != full
    assert docs.acquire_lease("c", "b", ME, ttl=600)
    docs.retire("c", "b", owner=ME)
    assert docs.stamp("c") != replaced
    docs.finish_cleanup("c", "b")
    docs.release_lease("c", "b", ME)


def test_conversations_have_owners_titles_pages_and_an_end(storage: Storage) -> None:
    talk = storage.conversations
    assert talk.get("a") is None
    talk.append(
        "a",
        [Turn("user", "Who  signed\nit?"), Turn("assistant", "Pak.", '{"x": 1}')],
        owner="k1",
        collection="c",
    )
    talk.append("b", [Turn("user", "q" * 200)], owner="k1", collection="c")
    talk.append("z", [Turn("user", "Theirs")], owner="k2", collection="c")
    talk.append("a", [Turn("user", "When?"), Turn("assistant", "June.")], owner="k1")
    a = talk.get("a")
    assert a is not None
    assert (a.owner, a.collection, a.title, a.turns) == ("k1", "c", "Who signed it?", 4)
    b = talk.get("b")
    assert b is not None
    assert len(b.title) == 80
    assert b.title.endswith("\u2026")
    # Newest activity first: "a" was answered last; a page ends where the next begins.
    assert [c.conversation_id for c in talk.recent("k1", limit=10)] == ["a", "b"]
    first = talk.recent("k1", limit=1)
    assert [c.conversation_id for c in first] == ["a"]
    after = talk.recent("k1", limit=1, before=(first[0].updated_at, "a"))
    assert [c.conversation_id for c in after] == ["b"]
    assert [c.conversation_id for c in talk.recent("k2", limit=10)] == ["z"]
    turns = talk.turns("a")
    assert [(t.seq, t.role, t.content) for t in turns] == [
        (0, "user", "Who  signed\nit?"),
        (1, "assistant", "Pak."),
        (2, "user", "When?"),
        (3, "assistant", "June."),
    ]
    assert turns[1].response == '{"x": 1}'
    assert turns[3].response is None
    # Another key can neither add to it (checked in the write), nor rename nor delete it.
    with pytest.raises(NotOwnedError):
        talk.append("a", [Turn("user", "Mine now?"), Turn("assistant", "No.")], owner="k2")
    assert talk.get("a").turns == 4  # type: ignore[union-attr]
    assert not talk.rename("a", "Stolen", owner="k2")
    assert not talk.delete("a", owner="k2")
    assert talk.rename("a", "Signatories", owner="k1")
    assert talk.get("a").title == "Signatories"  # type: ignore[union-attr]
    assert not talk.rename("nope", "x", owner="k1")
    assert talk.delete("a", owner="k1")
    assert not talk.delete("a", owner="k1")
    assert talk.get("a") is None
    assert talk.turns("a") == []
    assert talk.history("a") == []
    assert [c.conversation_id for c in talk.recent("k1", limit=10)] == ["b"]


def rating(conversation: str, turn: int, value: str, **kw: object) -> Feedback:
    fields: dict = {
        "conversation_id": conversation,
        "turn": turn,
        "owner": "k1",
        "collection": "c",
        "rating": value,
        "comment": "",
        "expected_answer": None,
        "unanswerable": False,
        "wrong_citations": [],
        "question": "Who?",
        "answer": "Pak. [1]",
        "citations": [{"index": 1, "quote": "Pak.", "source": "a.txt", "version": "v1"}],
        "settings": {"retrieval": {"top_k": 5}},
        "model": "extractive",
    }
    return Feedback(**{**fields, **kw})


def test_ratings_are_replaced_per_answer_and_filtered(storage: Storage) -> None:
    fb = storage.feedback
    assert fb.ratings() == []
    first = fb.put(rating("x", 1, "up"))
    assert first.created_at > 0
    fb.put(rating("x", 1, "down", comment="wrong", wrong_citations=[1], unanswerable=True))
    fb.put(rating("y", 3, "up", expected_answer="Jung Pak"))
    [x, y] = fb.ratings()
    assert (x.conversation_id, x.rating, x.comment, x.wrong_citations, x.unanswerable) == (
        "x",
        "down",
        "wrong",
        [1],
        True,
    )
    assert x.citations[0]["version"] == "v1"
    assert x.settings == {"retrieval": {"top_k": 5}}
    assert (y.expected_answer, y.unanswerable) == ("Jung Pak", False)
    assert [f.conversation_id for f in fb.ratings(rating="up")] == ["y"]
    assert [f.conversation_id for f in fb.ratings(since=y.created_at)] == ["y"]
    assert fb.ratings(since=y.created_at + 1) == []
    # The same id and turn in a later conversation (the first was deleted) is another answer.
    fb.put(rating("x", 1, "up", conversation_started=42.0))
    assert [(f.conversation_id, f.rating) for f in fb.ratings() if f.conversation_id == "x"] == [
        ("x", "down"),
        ("x", "up"),
    ]


def files(*names: str) -> list[JobFile]:
    return [JobFile(i, n, f"text of {n}".encode(), {"tags": ["t"]}) for i, n in enumerate(names)]


def test_a_job_is_claimed_once_heartbeats_and_finishes(storage: Storage) -> None:
    jobs = storage.jobs
    refused = [{"seq": 2, "filename": "x.exe", "status": "failed", "error": {"type": "t"}}]
    job = jobs.enqueue(kind="ingest", collection="c", files=files("a.txt", "b.md"), refused=refused)
    assert (job.state, job.total, job.done, job.attempts) == ("queued", 3, 1, 0)
    assert [(f.seq, f.filename, f.options) for f in jobs.files(job.id)] == [
        (0, "a.txt", {"tags": ["t"]}),
        (1, "b.md", {"tags": ["t"]}),
    ]
    claimed = jobs.claim("w1", visibility=60)
    assert claimed is not None
    w1 = str(claimed.owner)  # the claim's token: the worker's name and a random part
    assert (claimed.id, claimed.state, w1.split("/")[0], claimed.attempts) == (
        job.id,
        "running",
        "w1",
        1,
    )
    assert jobs.claim("w2", visibility=60) is None  # invisible while w1 heartbeats
    assert jobs.heartbeat(job.id, w1, visibility=60)
    assert not jobs.heartbeat(job.id, "w1", visibility=60)  # the name alone is not the claim
    assert jobs.record(job.id, w1, {"seq": 0, "filename": "a.txt", "status": "added"})
    assert not jobs.record(job.id, "w2", {"seq": 1, "filename": "b.md", "status": "added"})
    assert jobs.finish(job.id, w1, state="succeeded")
    done = jobs.get(job.id)
    assert done is not None
    assert (done.state, done.owner, [r["seq"] for r in done.results]) == ("succeeded", None, [0, 2])
    assert jobs.files(job.id) == []  # a finished job's bytes are dropped
    assert not jobs.finish(job.id, w1, state="failed")
    assert [j.id for j in jobs.recent(["c"], limit=5)] == [job.id]
    assert jobs.recent(["other"], limit=5) == []
    assert jobs.get("nope") is None


def test_a_job_whose_worker_stops_is_taken_again_then_given_up(storage: Storage) -> None:
    jobs = storage.jobs
    job = jobs.enqueue(kind="ingest", collection="c", files=files("a.txt"), max_attempts=2)
    first = jobs.claim("w", visibility=-1)  # its deadline has passed already
    assert first is not None
    again = jobs.claim("w", visibility=-1)  # the same worker, from another thread
    assert again is not None
    assert (again.id, again.attempts) == (job.id, 2)
    assert again.owner != first.owner
    # The lapsed claim can no longer write, though its worker's name is the same.
    assert not jobs.heartbeat(job.id, str(first.owner), visibility=60)
    assert not jobs.record(job.id, str(first.owner), {"seq": 0, "filename": "a", "status": "x"})
    assert jobs.claim("w3", visibility=60) is None  # two attempts made: it fails instead
    failed = jobs.get(job.id)
    assert failed is not None
    assert failed.state == "failed"
    assert "stopped 2 times" in (failed.error or "")


def test_a_named_job_is_claimed_only_while_queued(storage: Storage) -> None:
    jobs = storage.jobs
    first = jobs.enqueue(kind="ingest", collection="c", files=files("a.txt"))
    second = jobs.enqueue(kind="ingest", collection="c", files=files("b.txt"))
    got = jobs.claim("w", visibility=60, job_id=second.id)
    assert got is not None
    assert got.id == second.id
    assert jobs.claim("w", visibility=60, job_id=second.id) is None
    nxt = jobs.claim("w", visibility=60)
    assert nxt is not None
    assert nxt.id == first.id


def test_one_file_in_two_collections_keeps_two_sets_of_chunks(storage: Storage) -> None:
    docs = storage.documents
    new = version("a", "v1", CORPUS["a"])
    for collection in ("c", "d"):
        assert docs.acquire_lease(collection, "a", ME, ttl=600)
        docs.begin_write(collection, "a", owner=ME, source=new.source, path=new.path)
        docs.commit_version(collection, "a", new, owner=ME)
        docs.finish_cleanup(collection, "a")
        docs.release_lease(collection, "a", ME)
    for collection in ("c", "d"):
        hits = docs.keyword_search(collection, "quay", limit=5, document_ids=None)
        assert {c.chunk_id for c, _ in hits} == {"a:v1:0", "a:v1:1"}
    # Rewriting the same version (a repair) leaves exactly one row per chunk.
    write(storage, "a", new)
    assert len(docs.keyword_search("c", "quay", limit=5, document_ids=None)) == 2
    assert docs.chunk_ids_by_document("c") == {"a": {"a:v1:0", "a:v1:1"}}
