"""The chat-model seam: a backend implements `stream`; the rest lives here once."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

from service.errors import ConfigurationError, RagchatError

if TYPE_CHECKING:
    from service.settings import Settings

ChatMessages = list[dict[str, str]]


class LLMUnavailableError(RagchatError):
    """The model server cannot be reached or timed out; the service itself stays up."""

    status = 503
    type = "llm_unavailable"


class LLMBadResponseError(RagchatError):
    """The model server answered, but with an error or something unusable."""

    status = 502
    type = "llm_bad_response"


class ChatModel:
    name = "base"

    def stream(self, messages: ChatMessages, *, max_tokens: int) -> Iterator[str]:
        raise NotImplementedError

    def complete(self, messages: ChatMessages, *, max_tokens: int) -> str:
        return "".join(self.stream(messages, max_tokens=max_tokens))


Factory = Callable[["Settings"], ChatModel]
_REGISTRY: dict[str, Factory] = {}


def register(mode: str) -> Callable[[Factory], Factory]:
    def wrap(factory: Factory) -> Factory:
        _REGISTRY[mode] = factory
        return factory

    return wrap


def resolve_mode(settings: Settings) -> str:
    if settings.llm != "auto":
        return settings.llm
    key = settings.openai_api_key.get_secret_value() if settings.openai_api_key else ""
    if key or settings.openai_base_url:
        return "openai"
    if settings.llamacpp_model:
        return "llamacpp"
    return "extractive"


def build_chat_model(mode: str, settings: Settings) -> ChatModel:
    from service.llm import llamacpp, openai_chat  # noqa: F401  each registers itself

    if mode not in _REGISTRY:
        raise ConfigurationError(f"no chat model for mode {mode!r}; have: {sorted(_REGISTRY)}")
    return _REGISTRY[mode](settings)
