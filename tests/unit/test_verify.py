from __future__ import annotations

from ingest.cleaning import keep_spans
from ingest.sentences import sentence_spans
from service.retrieval.hits import ChunkHit
from service.verification.verify import Source, Verifier, windows_of
from tests.fakes import LexicalJudge

DOC_A = (
    "The bridge opened in 1932 after six years of work. It was designed by Joseph Strauss.\n\n"
    "Its main span is 503 metres long."
)
DOC_B = "The river below is tidal. Ferries stopped running in 1940 once traffic moved."


def source(index: int, doc_id: str, text: str) -> Source:
    hit = ChunkHit(
        chunk_id=f"{doc_id}:v:0",
        document_id=doc_id,
        source=f"{doc_id}.txt",
        title=doc_id,
        text=text,
        start=0,
        end=len(text),
        score=0.8,
    )
    return Source(
        index=index, hit=hit, windows=windows_of(hit, text, sentence_spans(text, keep_spans(text)))
    )


SOURCES = [source(1, "a", DOC_A), source(2, "b", DOC_B)]
TEXTS = {"a": DOC_A, "b": DOC_B}


def verify(answer: str):  # type: ignore[no-untyped-def]
    return Verifier(LexicalJudge()).verify(answer, SOURCES)


def test_correct_citation_gets_the_exact_supporting_quote() -> None:
    v = verify("The bridge opened in 1932 [1].")
    assert v.answer == "The bridge opened in 1932 [1]."
    [c] = v.citations
    assert c.supported
    assert c.source == "a.txt"
    assert TEXTS[c.document_id][c.start : c.end] == c.quote
    assert "opened in 1932" in c.quote
    assert v.unsupported_sentences == 0


def test_wrong_index_is_reattributed_to_the_supporting_source() -> None:
    v = verify("Ferries stopped running in 1940 [1].")
    [c] = v.citations
    assert c.supported
    assert c.document_id == "b"
    assert v.answer == "Ferries stopped running in 1940 [1]."
    assert "Ferries stopped" in c.quote


def test_markers_pointing_at_nothing_are_removed() -> None:
    v = verify("Pigeons nest under the deck [7]. It was designed by Joseph Strauss [1].")
    assert "[7]" not in v.answer
    assert v.removed_markers == 1
    assert v.answer == "Pigeons nest under the deck. It was designed by Joseph Strauss [1]."
    assert v.unsupported_sentences == 1  # the first sentence lost its only marker


def test_fabricated_claim_is_kept_but_marked_unsupported() -> None:
    v = verify("The bridge was painted purple by aliens in 1999 [1].")
    [c] = v.citations
    assert not c.supported
    assert TEXTS["a"][c.start : c.end] == c.quote
    assert v.unsupported_sentences == 1


def test_uncited_sentence_without_support_counts_as_unsupported() -> None:
    v = verify("The bridge opened in 1932 [1]. Pigeons nest under the deck every spring.")
    assert len(v.citations) == 1
    assert v.unsupported_sentences == 1
    assert v.answer.endswith("Pigeons nest under the deck every spring.")


def test_uncited_sentence_with_support_gets_a_citation() -> None:
    v = verify("Its main span is 503 metres long. Ferries stopped running in 1940!")
    assert v.answer == "Its main span is 503 metres long [1]. Ferries stopped running in 1940 [2]!"
    assert [c.document_id for c in v.citations] == ["a", "b"]
    assert all(c.supported for c in v.citations)
    assert v.unsupported_sentences == 0


def test_citations_are_renumbered_in_order_and_shared() -> None:
    v = verify(
        "Ferries stopped running in 1940 [2]. The bridge opened in 1932 [1]. "
        "Ferries stopped in 1940 once traffic moved [2]."
    )
    assert [c.index for c in v.citations] == [1, 2]
    assert v.citations[0].document_id == "b"
    assert v.answer.count("[1]") == 2
    assert v.answer.count("[2]") == 1


def test_marker_after_the_full_stop_and_grouped_markers() -> None:
    v = verify("The bridge opened in 1932. [1] Its main span is 503 metres long [1, 2].")
    assert v.unsupported_sentences == 0
    assert all(c.supported for c in v.citations)
    assert "[1, 2]" not in v.answer


def test_names_and_numbers_must_be_in_the_passage() -> None:
    from service.verification.judge import key_tokens, missing_share

    assert key_tokens("The bridge opened in 1932 under Joseph Strauss.") == [
        "1932",
        "Joseph",
        "Strauss",
    ]
    passage = "The bridge opened in 1932, designed by Joseph Strauss."
    assert missing_share("It opened in 1932 under Joseph Strauss.", passage) == 0
    assert missing_share("It opened in 1937 under Yoshiaki Koyama.", passage) == 1


def test_an_answer_with_no_supported_sentence_is_a_refusal() -> None:
    from service.answering.generative import unsupported_throughout

    made_up = "The moon is made of cheese [1]. It was signed by Mickey Mouse."
    assert unsupported_throughout(made_up, verify(made_up))
    grounded = "The bridge opened in 1932 [1]. It was made of cheese."
    assert not unsupported_throughout(grounded, verify(grounded))
