from ingest.cleaning import keep_spans
from tests.conftest import ARTICLE


def kept_text(text: str) -> list[str]:
    return [text[s.start : s.end] for s in keep_spans(text)]


def test_article_loses_ads_newsletter_and_teasers() -> None:
    text = ARTICLE.read_text(encoding="utf-8")
    kept = "\n".join(kept_text(text))
    assert "Advertisement" not in kept
    assert "Subscribe to our newsletter" not in kept
    assert "Libya" not in kept
    assert "Balkan Economic Forum" not in kept
    assert "Watering down" not in kept
    assert "The signatories were U.S. Senior Official for the DPRK Jung Pak" in kept
    assert kept.rstrip().endswith("return to negotiations.”")


def test_real_paragraphs_survive_untouched() -> None:
    text = (
        "A title\n\nFirst real paragraph. It has two sentences.\n\n"
        "Second paragraph ends with a colon:\n\nThird one, quoting someone..."
        " and going on to finish properly."
    )
    assert kept_text(text) == [
        "A title",
        "First real paragraph. It has two sentences.",
        "Second paragraph ends with a colon:",
        "Third one, quoting someone... and going on to finish properly.",
    ]


def test_spans_point_into_the_original_text() -> None:
    text = "Intro line.\n\n- Advertisement -\n\nBody text here.\n"
    spans = keep_spans(text)
    assert [text[s.start : s.end] for s in spans] == ["Intro line.", "Body text here."]


def test_repeated_blocks_are_kept_once() -> None:
    text = "Same paragraph here.\n\nOther.\n\nSame paragraph here."
    assert kept_text(text) == ["Same paragraph here.", "Other."]


def test_teaser_headline_and_truncated_blurb_are_dropped() -> None:
    text = (
        "Real content sentence.\n\nAnother story headline here\n\n"
        "The opening words of another story that trail off..."
    )
    assert kept_text(text) == ["Real content sentence."]
