from ingest.cleaning import keep_spans
from ingest.sentences import sentence_spans


def sentences(text: str) -> list[str]:
    return [text[s.start : s.end] for s in sentence_spans(text, keep_spans(text))]


def test_abbreviations_do_not_end_sentences() -> None:
    text = "The U.S. Senior Official Dr. Smith met Mr. Lee. They signed it."
    assert sentences(text) == ["The U.S. Senior Official Dr. Smith met Mr. Lee.", "They signed it."]


def test_quotes_and_question_marks_end_sentences() -> None:
    text = "He said “no.” Then what? Nothing happened!"
    assert sentences(text) == ["He said “no.”", "Then what?", "Nothing happened!"]


def test_markdown_headings_and_list_items_are_units_anywhere() -> None:
    text = "Intro paragraph.\n\n## Ingesting files\n\n- First item\n- Second item\n1. Numbered one"
    assert sentences(text) == [
        "Intro paragraph.",
        "Ingesting files",
        "First item",
        "Second item",
        "Numbered one",
    ]


def test_caption_lines_split_from_prose() -> None:
    text = "Primary concern is support\nOffice of the President\nThe visit was long. It ended."
    assert sentences(text) == [
        "Primary concern is support",
        "Office of the President",
        "The visit was long.",
        "It ended.",
    ]


def test_fenced_code_lines_are_units_of_their_own() -> None:
    text = 'Run this:\n\n```bash\nragchat ask "How?"\n\nmore code\n```\n\nThen read. Done.'
    assert sentences(text) == [
        "Run this:",
        'ragchat ask "How?"',
        "more code",
        "Then read.",
        "Done.",
    ]
