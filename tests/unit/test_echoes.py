"""Sentences that ask, or quote the question, are no answer to it."""

from __future__ import annotations

import pytest

from service.answering.evidence import asks_or_echoes

QUESTION = "How do I ingest PDF files?"


@pytest.mark.parametrize(
    "sentence",
    [
        'ragchat ask "How do I ingest PDF files?" --json',
        "How do I ingest PDF files?",
        "What did the ministers agree on?",
        'He asked: "why now?"',
        "Is it safe? )",
    ],
)
def test_questions_and_quotes_of_the_question_are_not_answers(sentence: str) -> None:
    assert asks_or_echoes(sentence, QUESTION)


@pytest.mark.parametrize(
    "sentence",
    [
        "To ingest PDF files, run `ragchat ingest` on the files or on their folder.",
        'The film "Who Framed Roger Rabbit?" earned $150 million in its first year.',
        "PDF files are ingested page by page.",
    ],
)
def test_statements_stay_candidates(sentence: str) -> None:
    assert not asks_or_echoes(sentence, QUESTION)


def test_a_short_question_is_not_matched_as_a_quote() -> None:
    assert not asks_or_echoes("The answer is Paris, as everyone knows.", "Paris?")
