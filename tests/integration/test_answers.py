from __future__ import annotations

import pytest

from evals.formats import load
from evals.runner import InProcessTarget, run
from service.components import Components
from service.schemas import ChatResponse, Message
from tests.conftest import ROOT, assert_citations_exact

# Runs again on PostgreSQL and a Chroma server (make test, second pass).
pytestmark = pytest.mark.backends

EVAL_SET = ROOT / "evals" / "datasets" / "joint-statement.jsonl"
SIGNATORIES = ("Jung Pak", "Cho Koo-rae", "Namazu Hiroyuki")


def ask(comps: Components, question: str) -> ChatResponse:
    return comps.chat.chat(messages=[Message(role="user", content=question)], collection="default")


def test_who_signed_names_all_three_with_a_quote_naming_them(
    article_components: Components,
) -> None:
    response = ask(article_components, "Who signed the joint statement?")
    assert not response.refused
    for name in SIGNATORIES:
        assert name in response.answer
    assert any(all(n in c.quote for n in SIGNATORIES) for c in response.citations)
    assert all(
        c.source == "dprk-russia-joint-statement.txt" and c.supported for c in response.citations
    )
    assert_citations_exact(article_components, response)
    assert response.model == "extractive"
    assert {"retrieve", "generate", "total", "first_token"} == set(response.timings_ms)


def test_unrelated_question_is_refused_without_citations(article_components: Components) -> None:
    response = ask(article_components, "What is the boiling point of mercury?")
    assert response.refused
    assert response.citations == []
    assert "do not contain" in response.answer


def test_answers_are_deterministic(article_components: Components) -> None:
    a = ask(article_components, "When did Putin visit Pyongyang?")
    b = ask(article_components, "When did Putin visit Pyongyang?")
    assert a.answer == b.answer
    assert a.citations == b.citations


def test_joint_statement_eval_set_scores_at_least_90_percent(
    article_components: Components,
) -> None:
    evalset = load(EVAL_SET)
    items = evalset.items
    assert len(items) >= 15
    assert sum(i.unanswerable for i in items) >= 3
    target = InProcessTarget(evalset, article_components.settings, article_components.embedder)
    try:
        results = list(run(target, items))
        for r in results:
            for c in r.citations:
                stored = target.comps.index.document_text("eval", c["document_id"])
                assert stored is not None
                assert stored.text[c["start"] : c["end"]] == c["quote"]
    finally:
        target.close()
    # The first questions, written before the answerability gate, must stay at 90%; the
    # near misses written for it (topic in the article, fact not) are scored on their own.
    first = [r for r in results if r.item.kind != "near-miss"]
    wrong = [r.item.id for r in first if not r.correct]
    accuracy = 1 - len(wrong) / len(first)
    near = [r for r in results if r.item.kind == "near-miss"]
    refused = sum(r.refused for r in near)
    print(
        f"joint-statement eval: {accuracy:.1%} correct; wrong: {wrong}; near misses refused: "
        f"{refused}/{len(near)}"
    )
    assert accuracy >= 0.9, wrong
    assert len(near) >= 5
    assert refused >= 2, [r.answer for r in near]
