from service.named import Named, NameIndex, identifiers

DOCS = NameIndex(
    [
        Named("d1", "rfc9110.txt", "HTTP Semantics"),
        Named("d2", "rfc9111.txt", "HTTP Caching"),
        Named("d3", "notes.md", "Reading notes on RFC 9110 and friends"),
        Named("d4", "2022-10-20-jekyll-4-3-0-released.md", "Jekyll 4.3.0 Released"),
        Named("d5", "install.md", "Installation"),
    ]
)


def test_identifiers_are_squashed() -> None:
    assert identifiers("Who wrote RFC 9110 and ISO-8601?") == {"rfc9110", "iso8601"}


def test_a_file_name_names_its_document() -> None:
    assert DOCS.named("What does rfc9111.txt say about caching?") == ["d2"]


def test_an_identifier_names_the_document_whose_name_holds_it() -> None:
    # d3 only cites RFC 9110 in its title's words; d1 is RFC 9110 by its file name.
    assert DOCS.named("Who wrote RFC 9110?")[0] == "d1"


def test_every_title_word_names_a_document() -> None:
    assert DOCS.named("What does the HTTP semantics spec define?") == ["d1"]
    assert DOCS.named("When was Jekyll 4.3.0 released?") == ["d4"]


def test_one_word_titles_and_plain_questions_name_nothing() -> None:
    assert DOCS.named("How do I install it?") == []
    assert DOCS.named("What is a cache?") == []
