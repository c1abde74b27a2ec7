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


class OpenAIChatModel(ChatModel):
    def __init__(self, settings: Settings) -> None:
        from langchain_openai import ChatOpenAI

        gen = settings.generation
        key = settings.openai_api_key.get_secret_value() if settings.openai_api_key else ""
        self.name = settings.openai_model
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
            for chunk in self._llm.stream(messages, max_tokens=max_tokens):
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
