from __future__ import annotations

from evals.runner import DATASETS, load_jsonl, run
from service.components import Components
from service.schemas import ChatResponse, Message
from tests.conftest import assert_citations_exact

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
    items = load_jsonl(DATASETS / "joint-statement.jsonl")
    assert len(items) >= 15
    assert sum(i.unanswerable for i in items) >= 3
    verdicts = run(items, chat=article_components.chat, collection="default")
    for v in verdicts:
        assert_citations_exact(article_components, v.response)
    wrong = [(v.item.id, v.reason) for v in verdicts if not v.correct]
    accuracy = 1 - len(wrong) / len(verdicts)
    print(f"joint-statement eval: {accuracy:.1%} correct; wrong: {wrong}")
    assert accuracy >= 0.9, wrong
