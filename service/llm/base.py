"""The chat-model seam: a backend implements `stream`; the rest lives here once."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

from service.errors import RagchatError
from service.registry import Registry

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
CHAT_MODELS: Registry[Factory] = Registry("chat model")
register = CHAT_MODELS.register


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

    return CHAT_MODELS.get(mode)(settings)
