import pytest

from service.answering.scoring import (
    answer_type_match,
    combine,
    expected_type,
    form_factor,
    idf_weights,
    lexical_overlap,
    stem,
)


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("files", "file"),
        ("countries", "country"),
        ("signed", "sign"),
        ("press", "press"),
        ("matches", "match"),
        ("attacked", "attack"),
    ],
)
def test_stem(word: str, expected: str) -> None:
    assert stem(word) == expected


def test_lexical_overlap_matches_derived_words() -> None:
    assert lexical_overlap("Who signed it?", "The signatories were Pak and Cho.") == 1.0
    assert lexical_overlap("capital of France", "Paris is lovely") == 0.0


def test_phrases_tell_south_from_north() -> None:
    q = "How did South Korea react?"
    assert lexical_overlap(q, "South Korea dismissed it.") > lexical_overlap(
        q, "North Korea said it tested a missile, unlike the south."
    )


def test_rare_terms_weigh_more() -> None:
    corpus = ["Korea one.", "Korea two.", "Korea three.", "They urge Korea to stop."]
    w = idf_weights("urge Korea", corpus)
    assert w["urge"] > w["korea"]


def test_expected_types() -> None:
    assert expected_type("Who signed the statement?") == "person"
    assert expected_type("When did he visit?") == "date"
    assert expected_type("How many years passed?") == "number"
    assert expected_type("What is the treaty about?") is None


def test_answer_type_match_needs_a_new_name() -> None:
    q = "Who met Kim Jong Un?"
    assert answer_type_match(q, "Vladimir Putin met Kim Jong Un.") == 1.0
    assert answer_type_match(q, "Kim Jong Un met nobody.") == 0.0
    assert answer_type_match(q, "It happened in June last year.") == 0.0


def test_labels_and_fragments_score_lower() -> None:
    assert form_factor("Text of joint statement:") < 0.5
    assert form_factor("The summit marked his first visit in 24 years.") == 1.0
    assert form_factor("How do I ingest PDF files today?") < 0.5


def test_echo_of_the_question_scores_lower() -> None:
    q = "How do I ingest PDF files?"
    assert form_factor("Ingesting PDF files", q) <= 0.2
    assert form_factor('The section "PDF files" below shows how to ingest them.', q) == 0.5
    assert form_factor("Convert a PDF file with pdftotext, then ingest the text.", q) == 1.0


def test_combine_weights() -> None:
    score = combine(
        own=1.0,
        context=0.0,
        lexical=0.0,
        type_match=0.0,
        form=1.0,
        context_weight=0.5,
        lexical_weight=0.0,
        type_weight=0.0,
    )
    assert score == pytest.approx(0.5)
