"""OpenAI and any OpenAI-compatible server (vLLM, Ollama, llama.cpp) through langchain-openai."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

from service.llm.base import (
    ChatMessages,
    ChatModel,
    LLMBadResponseError,
    LLMUnavailableError,
    register,
)
from service.settings import Settings

logger = logging.getLogger(__name__)


def token_limit(settings: Settings, tokens: int) -> dict[str, Any]:
    """The request field that caps an answer's length, as the server at hand reads it.

    langchain-openai sends OpenAI's `max_completion_tokens`, which OpenAI's own models
    need; llama.cpp's server ignores it and generates until its context is full. So a
    server named by `OPENAI_BASE_URL` gets `max_tokens`, which llama.cpp, vLLM, Ollama and
    LM Studio all read, unless RAGCHAT_GENERATION__TOKEN_LIMIT_FIELD names the field (a
    proxy in front of OpenAI's reasoning models needs max_completion_tokens).
    """
    field = settings.generation.token_limit_field
    if field == "auto":
        field = "max_tokens" if settings.openai_base_url else "max_completion_tokens"
    if field == "max_tokens":
        return {"extra_body": {"max_tokens": tokens}}
    return {"max_tokens": tokens}  # langchain-openai sends it as max_completion_tokens


class OpenAIChatModel(ChatModel):
    def __init__(self, settings: Settings) -> None:
        from langchain_openai import ChatOpenAI

        gen = settings.generation
        key = settings.openai_api_key.get_secret_value() if settings.openai_api_key else ""
        self.name = settings.openai_model
        self._settings = settings
        self._llm: Any = ChatOpenAI(
            model=settings.openai_model,
            # Local OpenAI-compatible servers need no key, but the client insists on one.
            api_key=key or "not-needed",
            base_url=settings.openai_base_url or None,
            timeout=gen.timeout_s,
            max_retries=gen.max_retries,
            temperature=gen.temperature,
        )

    def stream(self, messages: ChatMessages, *, max_tokens: int) -> Iterator[str]:
        import openai

        try:
            limit = token_limit(self._settings, max_tokens)
            for chunk in self._llm.stream(messages, **limit):
                text = chunk.content if isinstance(chunk.content, str) else ""
                if text:
                    yield text
        except (openai.APIConnectionError, openai.APITimeoutError) as exc:
            raise LLMUnavailableError(f"model server unreachable: {exc}") from exc
        except openai.APIStatusError as exc:
            if exc.status_code >= 500 or exc.status_code == 429:
                raise LLMUnavailableError(
                    f"model server error {exc.status_code}: {exc.message}"
                ) from exc
            raise LLMBadResponseError(
                f"model server refused the request ({exc.status_code}): {exc.message}"
            ) from exc
        except (openai.OpenAIError, ValueError) as exc:
            # langchain raises ValueError when a stream ends without a single parsable chunk.
            raise LLMBadResponseError(f"model server answered garbage: {exc}") from exc


@register("openai")
def _factory(settings: Settings) -> ChatModel:
    return OpenAIChatModel(settings)
