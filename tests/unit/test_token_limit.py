"""Which request field carries the answer-length cap to an OpenAI-compatible server."""

from __future__ import annotations

import pytest

from service.llm.openai_chat import token_limit
from service.settings import Settings


@pytest.mark.parametrize(
    ("base_url", "field", "sent"),
    [
        ("http://127.0.0.1:8080/v1", "auto", {"extra_body": {"max_tokens": 64}}),
        ("", "auto", {"max_tokens": 64}),  # langchain-openai: max_completion_tokens
        ("https://proxy.example/v1", "max_completion_tokens", {"max_tokens": 64}),
        ("", "max_tokens", {"extra_body": {"max_tokens": 64}}),
    ],
)
def test_the_field_follows_the_server_unless_set(base_url: str, field: str, sent: dict) -> None:
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        openai_base_url=base_url,
        generation={"token_limit_field": field},
    )
    assert token_limit(settings, 64) == sent
