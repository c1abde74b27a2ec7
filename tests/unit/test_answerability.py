from __future__ import annotations

from ingest.cleaning import Span
from service.answering.answerability import (
    FEATURES,
    AnswerabilityGate,
    GateModel,
    bundled_model,
    explain,
    features,
    question_terms,
)
from service.answering.evidence import Candidate, Evidence
from service.retrieval.hits import ChunkHit


def evidence(question: str, sentences: list[str], scores: list[float]) -> Evidence:
    hit = ChunkHit("c1", "d1", "doc.txt", "", " ".join(sentences), 0, 1000, 0.6)
    cands, pos = [], 0
    for i, s in enumerate(sentences):
        cands.append(Candidate(hit, Span(pos, pos + len(s)), s, s, i))
        pos += len(s) + 1
    n = len(sentences)
    return Evidence(
        question=question,
        cands=cands,
        scores=scores,
        own=scores,
        context=scores,
        lexical=scores,
        weights={},
        retrieval_score=0.6,
        corpus_size=n,
        ranked=sorted(range(n), key=lambda i: -scores[i]),
    )


def test_question_terms_mark_names_and_numbers() -> None:
    qt = question_terms("Who wrote RFC 9110 for the IETF in Geneva?")
    assert {"rfc", "9110", "ietf", "geneva"} <= set(qt.all)
    assert "9110" in qt.numbers
    assert {"rfc", "ietf", "geneva"} <= qt.entities
    assert "who" not in qt.all


def test_features_see_a_name_the_evidence_lacks() -> None:
    sentences = ["Paris is the capital of France.", "It has about two million people."]
    present = features(evidence("What is the capital of France?", sentences, [0.8, 0.3]))
    absent = features(evidence("What is the capital of Belgium?", sentences, [0.8, 0.3]))
    assert present["missing_entity_evidence"] == 0.0
    assert absent["missing_entity_evidence"] == 1.0
    assert absent["cov_evidence"] < present["cov_evidence"]
    assert set(present) == set(FEATURES)


def test_features_see_a_negation_the_evidence_lacks() -> None:
    sentences = ["The treaty was signed in 1951 by six countries."]
    f = features(evidence("Which country did not sign the treaty?", sentences, [0.7]))
    assert f["question_negated"] == 1.0
    assert f["negation_unmatched"] == 1.0


def test_gate_refuses_below_its_threshold_and_says_what_is_missing() -> None:
    names = ("cov_evidence",)
    model = GateModel(names, (0.5,), (0.25,), (4.0,), 0.0, threshold=0.6)
    gate = AnswerabilityGate(model)
    sentences = ["Paris is the capital of France."]
    assert gate.decide(evidence("What is the capital of France?", sentences, [0.8])).answerable
    refused = gate.decide(evidence("What is the capital of Belgium?", sentences, [0.8]))
    assert not refused.answerable
    assert "mention capital" in refused.reason
    assert "nothing about Belgium" in refused.reason


def test_explain_names_the_asked_for_kind_when_every_word_is_there() -> None:
    text = explain(evidence("When was Paris founded?", ["Paris was founded by the Parisii."], [1]))
    assert "do not say when" in text


def test_bundled_model_is_complete_and_calibrated() -> None:
    model = bundled_model()
    assert model.names == FEATURES
    assert 0.0 < model.threshold < 1.0
    assert len(model.coef) == len(FEATURES)
