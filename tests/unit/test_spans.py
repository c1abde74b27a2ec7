import pytest

from service.answering.spans import answer_span, field_value

SIGNED = (
    "The signatories were U.S. Senior Official for the DPRK Jung Pak, ROK Vice Foreign "
    "Minister for Strategy and Intelligence Cho Koo-rae, and Japanese Ministry of Foreign "
    "Affairs Assistant Minister for Asian and Oceanian Affairs Namazu Hiroyuki."
)


def test_who_gets_every_name_and_nothing_else() -> None:
    span = answer_span("Who signed the joint statement?", SIGNED)
    assert span is not None
    for name in ("Jung Pak", "Cho Koo-rae", "Namazu Hiroyuki"):
        assert name in span
    assert "Minister" not in span


@pytest.mark.parametrize(
    ("question", "sentence", "expected"),
    [
        (
            "When did the war end?",
            "The war ended on 2 September 1945 in Tokyo Bay.",
            "2 September 1945",
        ),
        ("When was it founded?", "Founded in March 1636, it is the oldest.", "March 1636"),
        ("In what year was the treaty signed?", "The treaty was signed in 1951.", "1951"),
        (
            "How many students attend?",
            "About 21,000 students attend the school.",
            "21,000 students",
        ),
        ("How much did it cost?", "The bridge cost $4.5 million to build.", "$4.5 million"),
    ],
)
def test_typed_questions_lead_with_the_span(question: str, sentence: str, expected: str) -> None:
    assert answer_span(question, sentence) == expected


def test_a_field_answers_when_the_question_names_its_key() -> None:
    assert field_value(
        "Who are the authors of RFC 9110?", "Authors: R. Fielding, M. Nottingham"
    ) == ("R. Fielding, M. Nottingham")
    assert field_value("What license does it use?", "License: MIT") == "MIT"
    assert field_value("What license does it use?", "Homepage: https://example.org") is None


def test_no_span_when_the_type_is_absent_or_unknown() -> None:
    assert answer_span("Who signed it?", "It was signed in haste.") is None
    assert answer_span("What is steam?", "Steam is water vapour.") is None


def test_a_field_continued_on_indented_lines_is_read_whole() -> None:
    field = "Authors: R. Fielding, Ed.,\n  M. Nottingham, Ed.,\n  J. Reschke, Ed."
    assert field_value("Who are the authors?", field) == (
        "R. Fielding, Ed., M. Nottingham, Ed., J. Reschke, Ed"
    )


def test_a_day_of_a_date_is_no_count() -> None:
    sentence = "North Korea said on June 27 that it had tested a missile."
    assert answer_span("How many shells has it shipped?", sentence) is None


def test_keys_answer_who_wrote_and_when_without_sharing_words() -> None:
    assert field_value("Who wrote the release post?", "author: ashmaroli") == "ashmaroli"
    assert field_value("When was it published?", "date: 2022-10-20 10:20:22 -0500") == (
        "2022-10-20 10:20:22 -0500"
    )
    assert field_value("When was it published?", "author: ashmaroli") is None


def test_a_field_answers_only_what_the_question_is_about() -> None:
    assert field_value("How many stars does the repository have?", "Repository: x/y") is None
    assert field_value("Who was the release manager?", "author: ashmaroli") is None
    assert field_value("Who wrote the post?", "author: ashmaroli") == "ashmaroli"
