"""The official openai client, unchanged, against a live `ragchat serve`."""

from __future__ import annotations

import httpx
import openai
import pytest
from openai import OpenAI

from tests.conftest import API_KEY


@pytest.fixture(scope="module")
def client(served_article: str) -> OpenAI:
    return OpenAI(base_url=f"{served_article}/v1", api_key="unused", max_retries=0)


def test_models_lists_collections(client: OpenAI) -> None:
    assert [m.id for m in client.models.list().data] == ["default"]


def test_plain_completion_carries_citations_and_search_results(client: OpenAI) -> None:
    r = client.chat.completions.create(
        model="default",
        messages=[{"role": "user", "content": "Who signed the joint statement?"}],
    )
    content = r.choices[0].message.content or ""
    assert "Namazu Hiroyuki" in content
    assert r.choices[0].finish_reason == "stop"
    assert r.usage is not None
    assert r.usage.completion_tokens > 0
    extra = r.model_extra or {}
    assert extra["citations"] == ["dprk-russia-joint-statement.txt"] * len(extra["search_results"])
    assert any("Jung Pak" in s["quote"] for s in extra["search_results"])


def test_streaming_ends_with_citations_then_done(client: OpenAI, served_article: str) -> None:
    stream = client.chat.completions.create(
        model="default",
        messages=[{"role": "user", "content": "Who signed the joint statement?"}],
        stream=True,
    )
    chunks = list(stream)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert "Cho Koo-rae" in text
    last = chunks[-1]
    assert last.choices[0].finish_reason == "stop"
    assert (last.model_extra or {})["search_results"]
    raw = httpx.post(
        f"{served_article}/v1/chat/completions",
        timeout=60,
        json={
            "model": "default",
            "stream": True,
            "messages": [{"role": "user", "content": "When did Putin visit Pyongyang?"}],
        },
    ).text
    assert raw.rstrip().endswith("data: [DONE]")


def test_unknown_model_is_an_openai_style_error(client: OpenAI) -> None:
    with pytest.raises(openai.NotFoundError) as info:
        client.chat.completions.create(
            model="no-such-collection", messages=[{"role": "user", "content": "hi"}]
        )
    assert "no-such-collection" in str(info.value)


def test_unknown_fields_are_ignored(client: OpenAI) -> None:
    r = client.chat.completions.create(
        model="default",
        messages=[
            {"role": "system", "content": "Be terse."},
            {"role": "user", "content": "When did Putin visit Pyongyang?"},
        ],
        temperature=0.2,
        top_p=0.9,
        extra_body={"frobnicate": True},
    )
    assert "June" in (r.choices[0].message.content or "")


def test_langchain_chat_openai_works_unchanged(served_article: str) -> None:
    from langchain_openai import ChatOpenAI

    llm = ChatOpenAI(model="default", base_url=f"{served_article}/v1", api_key="unused")
    reply = llm.invoke("Who signed the joint statement?")
    assert "Jung Pak" in str(reply.content)
    streamed = "".join(str(c.content) for c in llm.stream("When did Putin visit Pyongyang?"))
    assert "June 19-20" in streamed


def test_api_keys_work_with_the_official_client(served_article_with_key: str) -> None:
    base = f"{served_article_with_key}/v1"
    question = [{"role": "user", "content": "Who signed the joint statement?"}]
    client = OpenAI(base_url=base, api_key=API_KEY, max_retries=0)
    r = client.chat.completions.create(model="default", messages=question)
    assert "Namazu Hiroyuki" in (r.choices[0].message.content or "")
    streamed = client.chat.completions.create(model="default", messages=question, stream=True)
    assert "Jung Pak" in "".join(c.choices[0].delta.content or "" for c in streamed if c.choices)
    for key in ("wrong-key", f"{API_KEY}-x"):
        wrong = OpenAI(base_url=base, api_key=key, max_retries=0)
        with pytest.raises(openai.AuthenticationError) as info:
            wrong.chat.completions.create(model="default", messages=question)
        assert info.value.status_code == 401
        assert "not valid" in str(info.value)
        with pytest.raises(openai.AuthenticationError):
            wrong.models.list()
