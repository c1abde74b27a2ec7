from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from ingest.embeddings import SentenceTransformerEmbedder
from service.components import Components
from service.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
ARTICLE = SHARED / "corpus" / "dprk-russia-joint-statement.txt"


@pytest.fixture(scope="session")
def embedder() -> SentenceTransformerEmbedder:
    """The real bundled model, loaded once for the whole run."""
    e = SentenceTransformerEmbedder()
    e.load()
    return e


@pytest.fixture
def make_components(
    tmp_path: Path, embedder: SentenceTransformerEmbedder
) -> Iterator[Callable[..., Components]]:
    made: list[Components] = []

    def make(**overrides: object) -> Components:
        settings = Settings(_env_file=None, data_dir=tmp_path / "data", **overrides)  # type: ignore[call-arg]
        comps = Components(settings)
        comps.__dict__["embedder"] = embedder
        made.append(comps)
        return comps

    yield make
    for c in made:
        c.close()


@pytest.fixture
def article_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "corpus"
    folder.mkdir()
    shutil.copy(ARTICLE, folder / ARTICLE.name)
    return folder


@pytest.fixture
def article_components(make_components: Callable[..., Components], article_dir: Path) -> Components:
    comps = make_components()
    comps.ingestor.ingest([article_dir], collection="default")
    return comps
