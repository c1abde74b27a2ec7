"""SQLite's keyword search takes FTS5's best matches first and filters after: the same
results as ranking inside the join, whatever share of the file's matches a collection holds."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from ingest.storage import StoredChunk
from ingest.storage.sqlite import chunks as fts
from ingest.storage.sqlite.database import FILENAME, Database

WORDS = ["harbour", "quay", "ferry", "tide", "river", "bridge"]
WORDS += ["market", "tower", "canal", "mill", "dock", "lock"]


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Database:
    """Collection "big" holds 2,000 chunks, "small" 40 and "tiny" 3, all of shared words."""
    rng = random.Random(3)
    database = Database(Path(tmp_path_factory.mktemp("fts")) / FILENAME)
    with database.tx() as conn:
        for collection, count in (("big", 2000), ("small", 40), ("tiny", 3)):
            rows = []
            for n in range(count):
                text = " ".join(rng.choices(WORDS, k=rng.randint(3, 30)))
                doc = f"{collection}-d{n // 4}"
                rows.append(StoredChunk(f"{doc}:{n}", doc, n % 4, 0, len(text), text, {}, ""))
            fts.insert(conn, collection, rows)
    return database


def joined(db: Database, collection: str, query: str, limit: int, ids=None):
    expression = fts.match_expression(query)
    return fts._search_joined(db.conn, collection, expression, limit, ids)


def same(a, b) -> bool:
    """Equal scores in the same order; chunks of tied score may come in either order."""
    return [round(s, 9) for _, s in a] == [round(s, 9) for _, s in b] and {
        c.chunk_id for c, _ in a
    } == {c.chunk_id for c, _ in b}


@pytest.mark.parametrize("collection", ["big", "small", "tiny"])
@pytest.mark.parametrize("limit", [1, 5, 40])
def test_results_match_ranking_inside_the_join(db: Database, collection: str, limit: int) -> None:
    for query in ("harbour ferry", "tower", "canal mill dock", "quay lock river"):
        got = fts.keyword_search(db.conn, collection, query, limit=limit)
        want = joined(db, collection, query, limit)
        assert got, (collection, query)
        assert same(got, want), (collection, query, limit)
        assert all(c.document_id.startswith(collection + "-") for c, _ in got)


def test_document_filters_few_and_many_match_the_join(db: Database) -> None:
    few = ["big-d3", "big-d77", "big-d400"]
    many = [f"big-d{n}" for n in range(0, 500, 5)]
    for ids in (few, many):
        got = fts.keyword_search(db.conn, "big", "harbour tide", limit=10, document_ids=ids)
        assert got
        assert same(got, joined(db, "big", "harbour tide", 10, ids))
        assert {c.document_id for c, _ in got} <= set(ids)


def test_nothing_to_match_finds_nothing(db: Database) -> None:
    assert fts.keyword_search(db.conn, "big", "zeppelin", limit=5) == []
    assert fts.keyword_search(db.conn, "big", "harbour", limit=5, document_ids=[]) == []
