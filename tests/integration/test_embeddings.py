"""The ONNX backend: exported once per machine, close to torch, never importing torch."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from ingest.embeddings import OnnxEmbedder, SentenceTransformerEmbedder, bundled_model_path

TEXTS = [
    "Who signed the joint statement?",
    "The foreign ministers of the United States, Japan and the Republic of Korea signed it.",
    "Rain is expected in the north on Tuesday.",
    "The Normans gave their name to Normandy, a region in France. " * 8,
]


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("onnx-cache")


def test_export_happens_once_and_is_reused(cache: Path) -> None:
    first = OnnxEmbedder(cache_dir=cache)
    first.embed(TEXTS)
    exports = [p for p in cache.iterdir() if not p.name.startswith(".")]
    assert len(exports) == 1
    files = {p.name: p.stat().st_mtime_ns for p in exports[0].iterdir()}
    assert {"model.onnx", "model_int8.onnx"} <= set(files)

    again = OnnxEmbedder(cache_dir=cache)
    again.embed(TEXTS)
    assert {p.name: p.stat().st_mtime_ns for p in exports[0].iterdir()} == files
    assert not [p for p in cache.iterdir() if p.name.startswith(".export-")]


def test_onnx_vectors_agree_with_torch(cache: Path) -> None:
    reference = np.array(SentenceTransformerEmbedder().embed(TEXTS))
    float32 = np.array(OnnxEmbedder(cache_dir=cache, quantized=False).embed(TEXTS))
    int8 = np.array(OnnxEmbedder(cache_dir=cache).embed(TEXTS))
    assert np.allclose(np.linalg.norm(int8, axis=1), 1.0, atol=1e-4)
    assert (float32 * reference).sum(axis=1).min() > 0.9999
    assert (int8 * reference).sum(axis=1).min() > 0.97
    # What retrieval depends on: the question is still nearest the sentence answering it.
    assert int(np.argmax(int8[1:] @ int8[0])) == 0


def test_onnx_and_torch_name_their_vectors_apart(cache: Path) -> None:
    names = {
        SentenceTransformerEmbedder().name,
        OnnxEmbedder(cache_dir=cache).name,
        OnnxEmbedder(cache_dir=cache, quantized=False).name,
    }
    assert len(names) == 3  # the ingest fingerprint re-embeds when the backend changes


def test_a_model_that_does_not_pool_by_mean_is_refused(tmp_path: Path) -> None:
    model = tmp_path / "cls-model"
    shutil.copytree(bundled_model_path(), model)
    pooling = model / "1_Pooling" / "config.json"
    config = json.loads(pooling.read_text())
    pooling.write_text(
        json.dumps({**config, "pooling_mode_mean_tokens": False, "pooling_mode_cls_token": True})
    )
    with pytest.raises(RuntimeError, match="RAGCHAT_EMBEDDINGS__BACKEND=torch"):
        OnnxEmbedder(str(model), cache_dir=tmp_path / "cache").embed_one("hello")


def test_embedding_on_the_default_backend_imports_no_torch(cache: Path) -> None:
    probe = (
        "import sys\n"
        "from pathlib import Path\n"
        "from service.components import default_embedder\n"
        "from service.settings import Settings\n"
        f"s = Settings(_env_file=None, embeddings={{'cache_dir': Path({str(cache)!r})}})\n"
        "assert len(default_embedder(s).embed_one('hello')) == 384\n"
        "print(sorted(m for m in ('torch', 'sentence_transformers') if m in sys.modules))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=120
    )
    assert out.stdout.strip() == "[]"
