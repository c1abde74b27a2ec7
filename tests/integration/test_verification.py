"""Hand-made model answers through the real retrieval, index and embedding judge."""

from __future__ import annotations

from service.answering.generative import GenerativeAnswerer
from service.chat import ChatService
from service.components import Components
from service.schemas import ChatResponse, Message
from service.verification.judge import EmbeddingJudge
from service.verification.verify import Verifier
from tests.fakes import ScriptedModel

QUESTION = "Who signed the joint statement?"


def answer_with(comps: Components, reply: str) -> ChatResponse:
    """A model that says `reply`; everything else is the real pipeline."""
    chat = ChatService(
        retriever=comps.retriever,
        answerer=GenerativeAnswerer(
            model=ScriptedModel(reply),
            index=comps.index,
            verifier=Verifier(EmbeddingJudge(comps.embedder, comps.settings.verify)),
            settings=comps.settings.generation,
        ),
        index=comps.index,
        condenser=comps.condenser,
        conversations=comps.conversations,
    )
    return chat.chat(messages=[Message(role="user", content=QUESTION)], collection="default")


def test_correct_citation_is_verified_with_the_exact_sentence(
    article_components: Components,
) -> None:
    comps = article_components
    hits = comps.retriever.retrieve(QUESTION, collection="default").hits
    n = next(i for i, h in enumerate(hits, 1) if "Jung Pak" in h.text)
    r = answer_with(
        comps, f"The statement was signed by Jung Pak, Cho Koo-rae and Namazu Hiroyuki [{n}]."
    )
    [c] = r.citations
    assert c.supported
    assert "The signatories were" in c.quote
    assert comps.index.document_text("default", c.document_id).text[c.start : c.end] == c.quote  # type: ignore[union-attr]
    assert r.unsupported_sentences == 0


def test_wrong_index_is_moved_to_the_right_source(article_components: Components) -> None:
    comps = article_components
    hits = comps.retriever.retrieve(QUESTION, collection="default").hits
    wrong = next(i for i, h in enumerate(hits, 1) if "Jung Pak" not in h.text)
    r = answer_with(
        comps, f"The signatories were Jung Pak, Cho Koo-rae and Namazu Hiroyuki [{wrong}]."
    )
    [c] = r.citations
    assert c.supported
    assert "Jung Pak" in c.quote
    assert c.chunk_id != hits[wrong - 1].chunk_id


def test_an_answer_with_no_supported_sentence_is_a_refusal(
    article_components: Components,
) -> None:
    r = answer_with(
        article_components,
        "The statement was signed by Yoshiaki Koyama and Yasuko Nakamura [1]. "
        "It was issued in Geneva [12].",
    )
    assert r.refused
    assert r.citations == []
    assert "[12]" not in r.answer
    assert "no sentence of the model's answer is backed by a source" in r.answer


def test_fabrication_beside_a_supported_claim_is_flagged_and_dangling_marker_removed(
    article_components: Components,
) -> None:
    r = answer_with(
        article_components,
        "Putin visited Pyongyang on June 19-20 [1]. It was issued in Geneva [12].",
    )
    assert "[12]" not in r.answer
    assert not r.refused
    assert any(c.supported for c in r.citations)
    assert r.unsupported_sentences == 1


def test_model_saying_it_cannot_answer_is_a_refusal(article_components: Components) -> None:
    r = answer_with(article_components, "The sources do not contain an answer to this question.")
    assert r.refused
    assert r.citations == []
