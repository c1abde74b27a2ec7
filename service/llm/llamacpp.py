"""A local GGUF model through llama-cpp-python (the `local` extra), loaded once."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from service.errors import ConfigurationError
from service.llm.base import ChatMessages, ChatModel, LLMBadResponseError, register
from service.settings import Settings


class LlamaCppChatModel(ChatModel):
    def __init__(self, settings: Settings) -> None:
        path = Path(settings.llamacpp_model)
        if not settings.llamacpp_model or not path.is_file():
            raise ConfigurationError(
                f"RAGCHAT_LLAMACPP_MODEL must name a GGUF file; got {settings.llamacpp_model!r}"
            )
        try:
            from llama_cpp import Llama
        except ImportError as exc:
            raise ConfigurationError(
                "the llamacpp answerer needs llama-cpp-python: pip install 'ragchat[local]'"
            ) from exc
        gen = settings.generation
        self.name = path.stem
        self.temperature = gen.temperature
        self._lock = threading.Lock()
        self._llm: Any = Llama(
            model_path=str(path),
            n_ctx=gen.context_tokens,
            n_threads=gen.llamacpp_threads or os.cpu_count() or 1,
            verbose=False,
        )

    def stream(self, messages: ChatMessages, *, max_tokens: int) -> Iterator[str]:
        # One generation at a time: a llama.cpp context is not thread-safe.
        with self._lock:
            try:
                chunks = self._llm.create_chat_completion(
                    messages=messages,
                    max_tokens=max_tokens,
                    temperature=self.temperature,
                    stream=True,
                )
                for chunk in chunks:
                    text = chunk["choices"][0].get("delta", {}).get("content")
                    if text:
                        yield text
            except (ValueError, RuntimeError, KeyError) as exc:
                raise LLMBadResponseError(f"llama.cpp failed: {exc}") from exc


@register("llamacpp")
def _factory(settings: Settings) -> ChatModel:
    return LlamaCppChatModel(settings)
