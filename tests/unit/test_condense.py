from service.condense import Condenser, is_follow_up, rule_condense, topic_of
from service.schemas import Message
from tests.fakes import ScriptedModel

HISTORY = [
    Message(role="user", content="Who signed the joint statement?"),
    Message(role="assistant", content="Jung Pak, Cho Koo-rae and Namazu Hiroyuki [1]."),
]


def test_follow_ups_are_recognised() -> None:
    assert is_follow_up("And which ministry is the Japanese signatory from?")
    assert is_follow_up("When did they sign it?")
    assert not is_follow_up("What is the capital of Mongolia?")


def test_rule_borrows_the_previous_question() -> None:
    out = rule_condense(HISTORY, "And which ministry is the Japanese signatory from?")
    assert out.startswith("And which ministry is the Japanese signatory from?")
    assert "Who signed the joint statement?" in out


def test_standalone_questions_pass_through() -> None:
    assert rule_condense(HISTORY, "What is the capital of Mongolia?") == (
        "What is the capital of Mongolia?"
    )
    assert rule_condense([], "And what about it?") == "And what about it?"


def test_model_condenser_uses_the_prompt_and_first_line() -> None:
    model = ScriptedModel("Which ministry is Namazu Hiroyuki from?\nextra")
    out = Condenser(model).condense(HISTORY, "And which ministry is he from?")
    assert out == "Which ministry is Namazu Hiroyuki from?"
    prompt = model.calls[0][1]["content"]
    assert "Who signed the joint statement?" in prompt
    assert "he from?" in prompt


def test_a_pronoun_takes_the_previous_questions_subject() -> None:
    history = [Message(role="user", content="Who maintains libfoo?")]
    assert rule_condense(history, "When was it released?") == "When was libfoo released?"


def test_a_short_previous_answer_is_the_referent() -> None:
    history = [
        Message(role="user", content="Which plugin does Jekyll provide for pagination?"),
        Message(role="assistant", content="The jekyll-paginate plugin. [1]"),
    ]
    out = rule_condense(history, "Is there a newer alternative to it?")
    assert out == "Is there a newer alternative to jekyll-paginate plugin?"
    out = rule_condense(history, "Who wrote its documentation?")
    assert out == "Who wrote jekyll-paginate plugin's documentation?"


def test_topic_skips_the_verb_after_the_question_word() -> None:
    assert topic_of("Who maintains libfoo?") == "libfoo"
    assert topic_of("What is the default port of the Jekyll server?") == "Jekyll server"


def test_after_a_who_question_it_is_the_topic_and_he_is_the_person() -> None:
    history = [
        Message(role="user", content="Who wrote the release post?"),
        Message(role="assistant", content="Alice Example. [1]"),
    ]
    assert rule_condense(history, "When was it published?") == "When was release post published?"
    assert rule_condense(history, "Where does she work?") == "Where does Alice Example work?"
