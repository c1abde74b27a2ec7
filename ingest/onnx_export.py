"""A sentence-transformers model as ONNX, exported once on this machine and cached.

The export needs torch and transformers (both installed for the torch path); running the
result needs only onnxruntime and tokenizers, so embedding never imports torch.

Measured on the bundled MiniLM, 2 cores with AVX-512 VNNI (`benchmarks/bench_embeddings.py`):
- attention exported `eager` so onnxruntime fuses it; the default SDPA graph runs 25% slower;
- int8 weights per output channel keep cosine 0.994 on average to the float model, where
  one scale per tensor falls to 0.95 (and held-out recall with it).
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import tempfile
import warnings
from pathlib import Path

logger = logging.getLogger(__name__)

# Bump when the export or quantization changes: older caches are then left unused.
RECIPE = "1"
OPSET = 17
INPUTS = ("input_ids", "attention_mask", "token_type_ids")


def default_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "ragchat" / "onnx"


def weights_file(model_dir: Path) -> Path:
    for name in ("model.safetensors", "pytorch_model.bin"):
        if (model_dir / name).exists():
            return model_dir / name
    raise RuntimeError(f"no model weights (model.safetensors) in {model_dir}")


def cache_key(model_dir: Path) -> str:
    """The weights' digest: a changed model never reuses another model's export."""
    digest = hashlib.sha256(f"recipe {RECIPE}\n".encode())
    with weights_file(model_dir).open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()[:16]


def exported_model(model_dir: Path, *, cache_dir: Path, quantized: bool) -> Path:
    """The ONNX file for `model_dir`, exporting it first if this machine has none yet.

    Two processes may export at once: each writes its own temp dir and renames it into
    place; the loser's copy is discarded, never half-read.
    """
    target = cache_dir / f"{model_dir.name}-{cache_key(model_dir)}"
    name = "model_int8.onnx" if quantized else "model.onnx"
    if (target / name).exists():
        return target / name
    cache_dir.mkdir(parents=True, exist_ok=True)
    logger.info("exporting the embedding model to ONNX, once: %s", target)
    work = Path(tempfile.mkdtemp(prefix=".export-", dir=cache_dir))
    try:
        export(model_dir, work / "model.onnx")
        quantize(work / "model.onnx", work / "model_int8.onnx")
        try:
            work.rename(target)
        except OSError:  # another process got there first
            if not (target / name).exists():
                raise
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return target / name


def export(model_dir: Path, out: Path) -> None:
    import torch
    from transformers import AutoModel

    model = AutoModel.from_pretrained(str(model_dir), attn_implementation="eager").eval()

    class LastHiddenState(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.model = model

        def forward(self, input_ids: object, attention_mask: object, token_type_ids: object):  # type: ignore[no-untyped-def]
            return self.model(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            ).last_hidden_state

    sample = torch.ones((2, 8), dtype=torch.long)
    axes = {"batch": 0, "tokens": 1}
    dynamic = {name: {i: n for n, i in axes.items()} for name in (*INPUTS, "last_hidden_state")}
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            LastHiddenState(),
            (sample, sample, torch.zeros_like(sample)),
            str(out),
            input_names=list(INPUTS),
            output_names=["last_hidden_state"],
            dynamic_axes=dynamic,
            opset_version=OPSET,
            dynamo=False,
        )


def quantize(model: Path, out: Path) -> None:
    from onnxruntime.quantization import QuantType, quantize_dynamic

    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.ERROR)  # its advice to pre-process is for static quantization
    try:
        quantize_dynamic(str(model), str(out), weight_type=QuantType.QInt8, per_channel=True)
    finally:
        root.setLevel(level)
