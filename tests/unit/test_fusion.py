from __future__ import annotations

import math
import random
import sqlite3

import pytest

from ingest.storage import StoredChunk
from ingest.storage.filters import InvalidFilterError, SearchFilters, parse_date
from ingest.storage.sqlite import chunks as chunkstore
from ingest.storage.sqlite.chunks import match_expression
from ingest.storage.sqlite.filters import compile_filters
from ingest.storage.sqlite.migrations import migrate
from service.retrieval.fusion import boost_by_group, convex, cosines, rrf, select_diverse
from service.retrieval.hybrid import _merge


def test_rrf_rewards_agreement_between_rankings() -> None:
    fused = rrf([["a", "b", "c"], ["b", "d"]], weights=[1.0, 1.0], k=60)
    assert max(fused, key=fused.__getitem__) == "b"
    assert fused["a"] == pytest.approx(1 / 61)
    assert set(fused) == {"a", "b", "c", "d"}


def test_rrf_weights_tip_the_balance() -> None:
    fused = rrf([["a"], ["b"]], weights=[1.0, 2.0], k=10)
    assert fused["b"] > fused["a"]


def test_convex_scales_each_side_by_its_best_score() -> None:
    fused = convex([{"a": 0.8, "b": 0.4}, {"b": 12.0, "c": 6.0}], weights=[0.5, 0.5])
    assert fused["a"] == pytest.approx(0.5)
    assert fused["b"] == pytest.approx(0.5 * 0.5 + 0.5)
    assert fused["c"] == pytest.approx(0.25)


def test_convex_ignores_a_side_with_no_positive_score() -> None:
    assert convex([{"a": 0.0}, {}], weights=[1.0, 1.0]) == {"a": 0.0}


def test_select_diverse_drops_near_duplicates_and_keeps_order() -> None:
    vectors = {"a": [1.0, 0.0], "a2": [0.999, 0.01], "b": [0.0, 1.0], "c": [0.7, 0.7]}
    relevance = {"a": 4.0, "a2": 3.0, "b": 2.0, "c": 1.0}
    chosen = select_diverse(
        ["a", "a2", "b", "c"],
        relevance,
        vectors,
        top_k=3,
        mmr_lambda=1.0,
        duplicate_similarity=0.95,
    )
    assert chosen == ["a", "b", "c"]


def test_select_diverse_with_low_lambda_prefers_the_dissimilar() -> None:
    vectors = {"a": [1.0, 0.0], "near": [0.9, 0.3], "far": [0.0, 1.0]}
    relevance = {"a": 3.0, "near": 2.9, "far": 2.0}
    order = ["a", "near", "far"]
    keep = select_diverse(
        order, relevance, vectors, top_k=2, mmr_lambda=1.0, duplicate_similarity=1.1
    )
    diverse = select_diverse(
        order, relevance, vectors, top_k=2, mmr_lambda=0.3, duplicate_similarity=1.1
    )
    assert keep == ["a", "near"]
    assert diverse == ["a", "far"]


def test_match_expression_quotes_words_and_drops_stopwords() -> None:
    assert (
        match_expression("Who signed the joint statement?") == '"signed" OR "joint" OR "statement"'
    )
    assert match_expression('what "OR" NEAR(x') == '"near" OR "x"'
    assert match_expression("the") == '"the"'
    assert match_expression("?!") == ""


def test_keyword_search_finds_stems_and_honours_document_filter() -> None:
    conn = sqlite3.connect(":memory:", isolation_level=None)
    migrate(conn)
    chunks = [
        StoredChunk("d1:v:0", "d1", 0, 0, 30, "The signatories were three officials."),
        StoredChunk("d2:v:0", "d2", 0, 0, 20, "Weather is sunny today."),
        StoredChunk("d3:v:0", "d3", 0, 0, 25, "An official signatory list."),
    ]
    chunkstore.insert(conn, "c", chunks)
    found = chunkstore.keyword_search(conn, "c", "who were the signatories", limit=5)
    # Porter stemming matches "signatory" too; the weather chunk shares no word.
    assert {c.chunk_id for c, _ in found} == {"d1:v:0", "d3:v:0"}
    assert all(score > 0 for _, score in found)
    only = chunkstore.keyword_search(conn, "c", "official", limit=5, document_ids=["d3"])
    assert [c.chunk_id for c, _ in only] == ["d3:v:0"]
    assert chunkstore.keyword_search(conn, "other", "official", limit=5) == []
    chunkstore.delete(conn, "c", "d1")
    assert chunkstore.keyword_search(conn, "c", "three", limit=5) == []


def test_merge_removes_the_overlap_of_consecutive_chunks() -> None:
    assert _merge(["one two three", "two three four"]) == "one two three four"
    assert _merge(["alpha", "beta"]) == "alpha\n\nbeta"


def test_parse_date_covers_whole_day_at_the_end() -> None:
    start = parse_date("2023-01-06")
    end = parse_date("2023-01-06", end_of_day=True)
    assert start is not None
    assert end is not None
    assert math.isclose(end - start, 86400 - 1e-6, abs_tol=1e-3)
    with pytest.raises(InvalidFilterError, match="ISO 8601"):
        parse_date("last tuesday")


def test_filters_build_sql_with_any_of_semantics() -> None:
    assert SearchFilters().is_empty()
    filters = SearchFilters(sources=["a.txt", "b.txt"], tags=["x"], date_from=1.0)
    where, args = compile_filters(filters)
    assert "source IN (?, ?)" in where
    assert "json_each" in where
    assert "doc_date >= ?" in where
    assert args == ["a.txt", "b.txt", "x", 1.0]


def test_select_diverse_caps_chunks_per_document_then_fills_up() -> None:
    order = ["a1", "a2", "a3", "b1", "c1"]
    relevance = {"a1": 5.0, "a2": 4.0, "a3": 3.0, "b1": 2.0, "c1": 1.0}
    groups = {"a1": "a", "a2": "a", "a3": "a", "b1": "b", "c1": "c"}
    common = {"mmr_lambda": 1.0, "duplicate_similarity": 1.1, "group_of": groups}
    assert select_diverse(order, relevance, {}, top_k=3, per_group=1, **common) == [
        "a1",
        "b1",
        "c1",
    ]
    # Fewer documents than slots: the cap gives way rather than leave slots empty.
    assert select_diverse(order, relevance, {}, top_k=4, per_group=1, **common) == [
        "a1",
        "b1",
        "c1",
        "a2",
    ]
    assert select_diverse(order, relevance, {}, top_k=3, per_group=0, **common) == [
        "a1",
        "a2",
        "a3",
    ]


def test_boost_by_group_lifts_documents_with_several_matches_and_keeps_their_order() -> None:
    scores = {"a1": 0.9, "b1": 0.8, "b2": 0.7, "b3": 0.6, "b4": 0.5}
    groups = {"a1": "a", "b1": "b", "b2": "b", "b3": "b", "b4": "b"}
    boosted = boost_by_group(scores, groups, weight=0.2)
    # a1 has no siblings; b1 gains 0.2 x (0.7 + 0.6): only the two best others count.
    assert boosted["a1"] == 0.9
    assert boosted["b1"] == pytest.approx(0.8 + 0.2 * (0.7 + 0.6))
    assert boosted["b4"] == pytest.approx(0.5 + 0.2 * (0.8 + 0.7))
    assert boosted["b1"] > boosted["a1"]
    b_order = sorted((k for k in boosted if k.startswith("b")), key=lambda k: -boosted[k])
    assert b_order == ["b1", "b2", "b3", "b4"]
    assert boost_by_group(scores, groups, weight=0.0) == scores


def naive_select_diverse(
    order: list[str],
    relevance: dict[str, float],
    vectors: dict[str, list[float]],
    *,
    top_k: int,
    mmr_lambda: float,
    duplicate_similarity: float,
    group_of: dict[str, str] | None = None,
    per_group: int = 0,
) -> list[str]:
    """The definition, item by item: the oracle for select_diverse (and its benchmark baseline)."""

    def closest(key: str, chosen: list[str]) -> float:
        if not vectors.get(key):
            return 0.0
        sims = [_cos(vectors[key], vectors[c]) for c in chosen if vectors.get(c)]
        return max(sims, default=0.0)

    if not order:
        return []
    low, top = min(relevance[k] for k in order), max(relevance[k] for k in order)
    spread = (top - low) or 1.0
    chosen: list[str] = []
    for cap in [per_group, 0] if per_group and group_of is not None else [0]:
        while len(chosen) < top_k:
            best, best_value = None, -math.inf
            for key in (k for k in order if k not in chosen):
                if cap and group_of and sum(group_of[c] == group_of[key] for c in chosen) >= cap:
                    continue
                sim = closest(key, chosen)
                if sim >= duplicate_similarity:
                    continue
                value = mmr_lambda * (relevance[key] - low) / spread - (1 - mmr_lambda) * sim
                if value > best_value:
                    best, best_value = key, value
            if best is None:
                break
            chosen.append(best)
    return chosen


def _cos(a: list[float], b: list[float]) -> float:
    dot = sum(x * y for x, y in zip(a, b, strict=True))
    na, nb = math.sqrt(sum(x * x for x in a)), math.sqrt(sum(y * y for y in b))
    return dot / (na * nb) if na and nb else 0.0


def random_case(rnd: random.Random) -> tuple[list[str], dict[str, float], dict, dict, dict]:
    keys = [f"k{i}" for i in range(rnd.randint(0, 30))]
    relevance = {k: rnd.choice([rnd.random(), 0.5, 1.0]) for k in keys}  # ties on purpose
    base = [rnd.gauss(0, 1) for _ in range(4)]
    vectors: dict[str, list[float]] = {}
    for k in keys:
        r = rnd.random()
        if r < 0.1:
            continue  # no vector at all
        if r < 0.15:
            vectors[k] = [0.0] * 4
        elif r < 0.4:
            vectors[k] = [b + rnd.gauss(0, 0.05) for b in base]  # near-duplicates
        else:
            vectors[k] = [rnd.gauss(0, 1) for _ in range(4)]
    groups = {k: f"g{rnd.randint(0, 4)}" for k in keys}
    options = {
        "top_k": rnd.randint(1, 12),
        "mmr_lambda": rnd.choice([1.0, 0.7, 0.3]),
        "duplicate_similarity": rnd.choice([0.95, 0.99, 1.01]),
        "group_of": rnd.choice([groups, None]),
        "per_group": rnd.choice([0, 1, 2]),
    }
    return sorted(keys, key=lambda k: -relevance[k]), relevance, vectors, groups, options


def test_select_diverse_agrees_with_the_item_by_item_definition() -> None:
    rnd = random.Random(7)
    for _ in range(500):
        order, relevance, vectors, _, options = random_case(rnd)
        assert select_diverse(order, relevance, vectors, **options) == naive_select_diverse(
            order, relevance, vectors, **options
        )


def test_cosines_agree_with_the_definition_and_give_zero_for_a_zero_vector() -> None:
    rng = random.Random(7)
    query = [rng.uniform(-1, 1) for _ in range(16)]
    vectors = {f"v{i}": [rng.uniform(-1, 1) for _ in range(16)] for i in range(5)}
    vectors["zero"] = [0.0] * 16

    def naive(a: list[float], b: list[float]) -> float:
        na, nb = math.hypot(*a), math.hypot(*b)
        return sum(x * y for x, y in zip(a, b, strict=True)) / (na * nb) if na and nb else 0.0

    got = cosines(query, vectors)
    assert list(got) == list(vectors)
    for key, vec in vectors.items():
        assert got[key] == pytest.approx(naive(query, vec), abs=1e-9)
    assert cosines(query, {}) == {}
