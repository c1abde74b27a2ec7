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


def _named_by_scan(index: NameIndex, question: str, most: int = 3) -> list[str]:
    """The definition `named` indexes: every entry checked against every kind in turn."""
    from service.answering.scoring import terms
    from service.named import _FILE_NAME, _squash

    q_squashed = _squash(question)
    ids = identifiers(question)
    files = {m.lower() for m in _FILE_NAME.findall(question)}
    q_terms = set(terms(question))
    kinds: list[list[str]] = [[], [], [], []]
    for e in index.entries:
        if e.file in files:
            kinds[0].append(e.document_id)
        elif ids and any(i in e.label for i in ids):
            kinds[1].append(e.document_id)
        elif e.distinctive and e.stem in q_squashed:
            kinds[2].append(e.document_id)
        elif len(e.title_terms) >= 2 and e.title_terms <= q_terms:
            kinds[3].append(e.document_id)
    return next((found for found in kinds if 0 < len(found) <= most), [])


def test_the_index_answers_as_a_scan_of_every_document_would() -> None:
    import random

    from service.named import _squash

    rng = random.Random(7)
    words = ["http", "cache", "semantics", "rfc", "9110", "notes", "release", "guide", "api"]
    words += ["install", "getting", "started", "iso", "8601", "jekyll", "4.3.0", "pep", "8"]
    docs = []
    for n in range(300):
        name = rng.choice("-_").join(rng.sample(words, rng.randint(1, 3)))
        title = " ".join(rng.sample(words, rng.randint(1, 4)))
        docs.append(Named(f"d{n}", f"{name}.{rng.choice(['md', 'txt', 'pdf'])}", title))
    index = NameIndex(docs)
    for _ in range(400):
        question = " ".join(rng.sample(words, rng.randint(1, 5)))
        if rng.random() < 0.3:
            question += " in " + rng.choice(docs).source
        assert index.named(question) == _named_by_scan(index, question), question
        squashed = _squash(question)
        assert index._stems_by_scan(squashed) == index._stems_by_substrings(squashed)
