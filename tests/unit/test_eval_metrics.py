import json
from collections.abc import Sequence
from pathlib import Path

import pytest

from evals.aggregate import metrics as aggregate
from evals.cli import failed_gates, parse_gates, report_dir
from evals.formats import DatasetError, EvalItem, load
from evals.metrics.answer import best_sentence_f1, em_recall, token_f1
from evals.metrics.citation import citation_scores
from evals.metrics.judge import clean_score, judge_metrics
from evals.metrics.latency import percentile
from evals.metrics.refusal import false_refusal_rate, refusal_accuracy
from evals.metrics.retrieval import mrr, ndcg_at, recall_at
from evals.runner import Result
from evals.targets import QueryMemo
from ingest.embeddings import Embedder


def test_retrieval_metrics() -> None:
    ranks = [False, True, False]
    assert recall_at(ranks, 1) == 0.0
    assert recall_at(ranks, 5) == 1.0
    assert mrr(ranks) == 0.5
    assert ndcg_at(ranks, 10) == pytest.approx(1 / 1.5849625, rel=1e-6)
    assert ndcg_at([True], 10) == 1.0
    assert mrr([False, False]) == 0.0


def test_answer_metrics() -> None:
    assert em_recall("It opened in 1932.", ["1932"]) == 1.0
    assert em_recall("It opened in 1933.", ["1932"]) == 0.0
    assert token_f1("the Golden Gate Bridge", "Golden Gate") == pytest.approx(0.8)
    assert best_sentence_f1(["No.", "Golden Gate it is"], ["Golden Gate"]) == pytest.approx(2 / 3)


def test_citation_scores_follow_alce() -> None:
    def supports(text: str, quotes: object) -> bool:
        joined = " ".join(quotes)  # type: ignore[call-overload]
        return all(word in joined for word in text.split())

    statements = [
        ("alpha beta", ["alpha beta gamma", "unrelated"]),  # 1 relevant of 2
        ("delta", []),  # uncited: not recalled
    ]
    recall, precision, n = citation_scores(statements, supports)
    assert (recall, precision, n) == (0.5, 0.5, 2)


def test_refusal_and_latency() -> None:
    assert refusal_accuracy([True, False]) == 0.5
    assert refusal_accuracy([]) is None
    assert false_refusal_rate([False, False, True, False]) == 0.25
    assert percentile([10, 20, 30, 40], 50) == 20
    assert percentile([10, 20, 30, 40], 95) == 40


def test_gates() -> None:
    gates = parse_gates(["answer.em_recall=0.7", "refusal.false_rate=0.1"])
    assert failed_gates({"answer.em_recall": 0.8, "refusal.false_rate": 0.05}, gates) == []
    failures = failed_gates({"answer.em_recall": 0.6, "refusal.false_rate": 0.2}, gates)
    assert len(failures) == 2
    assert failed_gates({}, {"retrieval.mrr": 0.5}) == ["retrieval.mrr: no value (floor 0.5)"]


def test_formats_are_detected(tmp_path: Path) -> None:
    squad = tmp_path / "s.json"
    squad.write_text(
        json.dumps(
            {
                "data": [
                    {
                        "title": "T",
                        "paragraphs": [
                            {
                                "context": "C is 1.",
                                "qas": [
                                    {
                                        "id": "q1",
                                        "question": "What is C?",
                                        "answers": [{"text": "1"}],
                                    },
                                    {
                                        "id": "q2",
                                        "question": "X?",
                                        "answers": [],
                                        "is_impossible": True,
                                    },
                                ],
                            }
                        ],
                    }
                ]
            }
        )
    )
    s = load(squad)
    assert (s.format, len(s.documents), len(s.items)) == ("squad", 1, 2)
    assert s.items[1].unanswerable
    rgb = tmp_path / "r.json"
    rgb.write_text(
        json.dumps(
            {
                "id": 1,
                "query": "Q?",
                "answer": ["A", "a1"],
                "positive": ["p1", "p2"],
                "negative": ["n1", "n2", "n3"],
            }
        )
        + "\n"
    )
    r = load(rgb, noise_rate=0.4, passages=5)
    assert (r.format, len(r.documents), len(r.items[0].gold_docs)) == ("rgb", 4, 2)
    all_noise = load(rgb, noise_rate=1.0, passages=3)
    assert all_noise.items[0].unanswerable
    own = tmp_path / "own.jsonl"
    own.write_text('{"question": "Q?", "answers": [["A", "alias"]]}\n')
    assert load(own).items[0].answers == [["A", "alias"]]
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"nope": 1}\n')
    with pytest.raises(DatasetError, match="unknown dataset format"):
        load(bad)


def test_realtimeqa_needs_its_articles(tmp_path: Path) -> None:
    qa = tmp_path / "2023_qa.jsonl"
    qa.write_text(
        json.dumps(
            {
                "question_id": "q",
                "question_sentence": "Who?",
                "choices": ["A", "B"],
                "answer": ["1"],
            }
        )
        + "\n"
    )
    with pytest.raises(DatasetError, match=r"2023_gcs\.jsonl"):
        load(qa)
    (tmp_path / "2023_gcs.jsonl").write_text(
        json.dumps(
            {"question_id": "q", "search_result": [{"url": "u", "title": "T", "text": "B did it."}]}
        )
        + "\n"
    )
    s = load(qa)
    assert s.items[0].answers == [["B"]]
    assert s.items[0].gold_docs == (s.documents[0].id,)


def test_judge_scores_are_cleaned_and_failures_counted() -> None:
    assert clean_score(float("nan")) is None
    assert clean_score(None) is None
    assert clean_score(True) is None
    assert clean_score(1.2) == 1.0
    assert clean_score(0.25) == 0.25
    scores = [
        {"judge.faithfulness": 1.0, "judge.answer_relevancy": 0.5},
        {"judge.faithfulness": None, "judge.answer_relevancy": 0.7},
        {},  # no contexts: both failed
    ]
    assert judge_metrics(scores) == {
        "judge.n": 3,
        "judge.faithfulness": 1.0,
        "judge.answer_relevancy": 0.6,
        "judge.failed": 2,
    }
    assert judge_metrics([])["judge.faithfulness"] is None


def test_judge_metrics_join_the_report_only_when_judged() -> None:
    item = EvalItem(id="1", question="Q?", answers=[["A"]])
    judged = Result(item=item, answer="A.", judge={"judge.faithfulness": 0.5})
    plain = aggregate([judged], None)
    assert not any(k.startswith("judge.") for k in plain)
    m = aggregate([judged, Result(item=item, error="boom")], None, judged=True)
    assert (m["judge.faithfulness"], m["judge.answer_relevancy"]) == (0.5, None)
    assert (m["judge.n"], m["judge.failed"]) == (1, 1)


def test_same_named_datasets_get_their_own_report_folders(tmp_path: Path) -> None:
    used: set[str] = set()
    a = report_dir(tmp_path, "en", Path("/data/xquad/en.json"), used)
    b = report_dir(tmp_path, "en", Path("/data/squad/en.json"), used)
    c = report_dir(tmp_path, "en", Path("/other/squad/en.json"), used)
    assert [p.name for p in (a, b, c)] == ["en", "squad-en", "squad-en-2"]


def test_rgb_noise_rounds_up_and_keeps_each_questions_passages(tmp_path: Path) -> None:
    rgb = tmp_path / "r.json"
    row = {
        "id": 7,
        "query": "Q?",
        "answer": "A",
        "positive": ["A is here ...", "p2", "p3", "p4", "p5"],
        "negative": ["n1", "n2", "n3", "n4", "n5"],
    }
    rgb.write_text(json.dumps(row) + "\n")
    half = load(rgb, noise_rate=0.5)  # RGB: ceil(5 * 0.5) = 3 negatives
    assert len(half.items[0].gold_docs) == 2
    assert len(half.items[0].passages) == 5
    assert {d.id for d in half.documents} == set(half.items[0].passages)
    assert half.documents[0].text == "A is here"  # a snippet's trailing "..." would be dropped
    assert len(load(rgb, noise_rate=0.1).items[0].gold_docs) == 4
    assert load(rgb, noise_rate=0.9).items[0].unanswerable


def test_query_memo_embeds_a_repeated_question_once() -> None:
    class Counting(Embedder):
        calls = 0

        def embed_batch(self, texts: Sequence[str]) -> list[list[float]]:
            Counting.calls += len(texts)
            return [[float(len(t))] for t in texts]

    memo = QueryMemo(Counting(), size=2)
    assert memo.embed_one("who?") == memo.embed_one("who?") == [4.0]
    assert Counting.calls == 1
    memo.embed_one("a")
    memo.embed_one("b")
    memo.embed_one("who?")  # evicted by then
    assert Counting.calls == 4


def test_breakdown_groups_by_split_and_kind() -> None:
    from evals.breakdown import breakdown
    from evals.formats import EvalItem
    from evals.runner import Result

    def result(split: str, kind: str, *, unanswerable: bool, correct: bool) -> Result:
        item = EvalItem(
            id=f"{split}-{kind}",
            question="q",
            answers=[] if unanswerable else [["a"]],
            unanswerable=unanswerable,
            split=split,
            kind=kind,
        )
        return Result(item=item, refused=unanswerable and correct, correct=correct)

    groups = breakdown(
        [
            result("tune", "fact", unanswerable=False, correct=True),
            result("held-out", "fact", unanswerable=False, correct=False),
            result("held-out", "near-miss", unanswerable=True, correct=True),
        ]
    )
    assert groups["held-out/all"]["n"] == 2
    assert groups["held-out/all"]["answerable_correct"] == 0.0
    assert groups["held-out/near-miss"]["unanswerable_refused"] == 1.0
    assert groups["all/fact"]["correct"] == 0.5
    assert breakdown([Result(item=EvalItem(id="x", question="q", answers=[]))]) == {}
