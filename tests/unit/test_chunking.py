import itertools

from ingest.chunking import CleanText, chunk_text, make_splitter
from ingest.cleaning import Span, keep_spans
from ingest.tokenizer import count_tokens
from tests.conftest import ARTICLE


def test_chunk_offsets_round_trip_on_the_sample_article() -> None:
    text = ARTICLE.read_text(encoding="utf-8")
    spans = keep_spans(text)
    chunks = chunk_text(text, spans, splitter=make_splitter(64, 16))
    assert len(chunks) > 5
    for chunk in chunks:
        # Every kept paragraph inside the chunk's span appears verbatim in the chunk text.
        original = text[chunk.start : chunk.end]
        assert original.startswith(chunk.text[:40])
        assert original.endswith(chunk.text[-40:])
        assert chunk.tokens <= 64
        assert chunk.tokens == count_tokens(chunk.text)
    assert [c.start for c in chunks] == sorted(c.start for c in chunks)
    covered = "".join(c.text for c in chunks)
    assert "Jung Pak" in covered
    assert "Advertisement" not in covered


def test_chunks_overlap_by_tokens() -> None:
    text = " ".join(f"Sentence number {i} is here." for i in range(200))
    chunks = chunk_text(text, [Span(0, len(text))], splitter=make_splitter(50, 10))
    assert len(chunks) > 3
    assert all(a.end > b.start for a, b in itertools.pairwise(chunks))


def test_clean_text_maps_positions_across_dropped_blocks() -> None:
    text = "Alpha.\n\n- Advertisement -\n\nBeta."
    clean = CleanText(text, keep_spans(text))
    assert clean.text == "Alpha.\n\nBeta."
    beta = clean.text.index("Beta")
    assert text[clean.to_original(beta, is_end=False) :].startswith("Beta")
    assert clean.to_original(len(clean.text), is_end=True) == len(text)


def test_empty_input_gives_no_chunks() -> None:
    assert chunk_text("", [], splitter=make_splitter(64, 16)) == []


HEADER = (
    "Title: A Very Long Specification of Things\n"
    "Authors: Alice Example,\n  Bob Example,\n  Carol Example,\n  Dave Example\n"
    "Status: Informational\nCategory: Experimental\nDate: March 2021\n"
    "Obsoletes: 1234, 2345, 3456\nKeywords: one, two, three, four, five, six\n\n"
)


def test_a_header_block_is_one_chunk_even_past_the_chunk_size() -> None:
    body = " ".join(f"Sentence number {i} is here." for i in range(60))
    text = HEADER + body
    chunks = chunk_text(text, keep_spans(text), splitter=make_splitter(32, 8))
    header = [c for c in chunks if "Authors:" in c.text]
    assert len(header) == 1
    assert count_tokens(HEADER) > 32
    assert "Dave Example" in header[0].text
    assert header[0].text.startswith("Title:")
    assert text[header[0].start : header[0].end] == header[0].text


def test_continuation_lines_stay_with_their_field() -> None:
    items = "\n".join(f"- item {i} starts here,\n  more of item {i}" for i in range(40))
    text = "A list that is no header block follows.\n" + items
    chunks = chunk_text(text, [Span(0, len(text))], splitter=make_splitter(24, 0))
    assert len(chunks) > 3
    for c in chunks:
        assert not c.text.lstrip().startswith("more of item")
