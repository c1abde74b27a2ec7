"""How a rating becomes a ragchat eval row (`ragchat feedback export`)."""

from __future__ import annotations

from ingest.storage import Feedback
from service.cli_feedback import case

CITED = [
    {"index": 1, "quote": "Nine.", "source": "hours.md", "version": "v1"},
    {"index": 2, "quote": "Ads.", "source": "teaser.html", "version": "v9"},
]


def rated(**kw: object) -> Feedback:
    fields: dict = {
        "conversation_id": "c1",
        "turn": 3,
        "owner": "",
        "collection": "handbook",
        "rating": "down",
        "comment": "",
        "expected_answer": None,
        "unanswerable": False,
        "wrong_citations": [],
        "question": "When does it open?",
        "answer": "Nine. [1] Ads. [2]",
        "citations": CITED,
        "settings": {},
        "model": "extractive",
    }
    return Feedback(**{**fields, **kw})


def test_an_expected_answer_is_the_one_alias_group_and_wrong_citations_are_no_gold() -> None:
    row = case(rated(expected_answer="eight in the morning", wrong_citations=[2]))
    assert row["answers"] == [["eight in the morning"]]
    assert row["documents"] == ["hours.md"]
    assert row["collection"] == "handbook"
    assert row["id"] == "feedback-c1-3"
    assert "unanswerable" not in row
    assert row["feedback"]["wrong_citations"] == [CITED[1]]


def test_said_not_in_the_documents_makes_an_unanswerable_case() -> None:
    row = case(rated(unanswerable=True, expected_answer="ignored"))
    assert row["unanswerable"] is True
    assert "answers" not in row
    assert "documents" not in row


def test_a_rating_without_expectations_only_asks_for_an_answer() -> None:
    row = case(rated(rating="up"))
    assert "answers" not in row
    assert "unanswerable" not in row
    assert row["documents"] == ["hours.md", "teaser.html"]
    assert row["kind"] == "feedback-up"
