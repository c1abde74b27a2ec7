"""Leases and `ragchat doctor` on a real Chroma: cleanup touches only a gone writer's debris."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from ingest.doctor import diagnose, repair
from ingest.pipeline import document_id_of
from ingest.storage.files import FileBlobStore
from ingest.storage.leases import HOST
from ingest.uploads import store_upload
from service.components import Components
from tests.chroma_server import ragchat_env
from tests.conftest import ARTICLE, ROOT
from tests.integration.test_ingest import chroma_ids

# Runs again on PostgreSQL and a Chroma server (make test, second pass).
pytestmark = pytest.mark.backends

NOTE = "The harbour master approved the new quay on Friday after a long debate.\n"


def upload(comps: Components, name: str, text: str, **kwargs: object) -> str:
    return store_upload(
        data=text.encode(),
        filename=name,
        collection="default",
        ingestor=comps.ingestor,
        **kwargs,  # type: ignore[arg-type]
    ).document_id


def kinds(comps: Components) -> set[str]:
    return {p.kind for p in diagnose(comps.index)}


def stored(comps: Components) -> set[str]:
    return {locator for _, locator in comps.index.blobs.entries()}


def test_cleanup_leaves_a_live_writers_unfinished_chunks_alone(
    article_components: Components, article_dir: Path
) -> None:
    """The race that lost vectors: one ingest's cleanup ran during another's write."""
    comps = article_components
    ingestor = comps.ingestor
    written = threading.Event()
    go_on = threading.Event()
    upsert = comps.index.vectors.upsert

    def slow_upsert(*args: object, **kwargs: object) -> None:
        upsert(*args, **kwargs)  # type: ignore[arg-type]
        written.set()
        assert go_on.wait(60)

    comps.index.vectors.upsert = slow_upsert  # type: ignore[method-assign]
    writer = threading.Thread(target=upload, args=(comps, "quay.txt", NOTE))
    writer.start()
    assert written.wait(120)
    comps.index.vectors.upsert = upsert  # type: ignore[method-assign]
    # Another ingest starts, and with it a cleanup, while the upload sits between its
    # vectors and its version flip.
    ingestor.ingest([article_dir], collection="default")
    go_on.set()
    writer.join(120)
    doc_id = document_id_of(comps.index.blobs.locator("default", "quay.txt"))
    record = comps.index.get("default", doc_id)
    assert record is not None
    assert record.version
    assert sum(cid.startswith(f"{doc_id}:{record.version}:") for cid in chroma_ids(comps)) == (
        record.chunk_count
    )
    assert kinds(comps) == set()


def test_a_dead_writers_lease_is_taken_over_and_a_live_ones_is_not(
    article_components: Components,
) -> None:
    comps = article_components
    docs = comps.index.store
    [record] = comps.index.documents("default")
    doc = record.document_id
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    parent = os.getppid()  # alive for as long as this test runs
    assert docs.acquire_lease("default", doc, f"{HOST}:{parent}:other", ttl=600)
    assert not docs.acquire_lease("default", doc, f"{HOST}:{os.getpid()}:mine", ttl=600)
    assert docs.is_leased("default", doc)
    docs.release_lease("default", doc, f"{HOST}:{parent}:other")
    assert docs.acquire_lease("default", doc, f"{HOST}:{dead.pid}:gone", ttl=600)
    assert not docs.is_leased("default", doc)
    assert docs.acquire_lease("default", doc, f"{HOST}:{os.getpid()}:mine", ttl=600)
    docs.release_lease("default", doc, f"{HOST}:{os.getpid()}:mine")
    # Another host's lease lasts until it expires.
    assert docs.acquire_lease("default", doc, "elsewhere:1:x", ttl=600)
    assert not docs.acquire_lease("default", doc, f"{HOST}:{os.getpid()}:mine", ttl=600)
    assert docs.acquire_lease("default", doc, "elsewhere:1:x", ttl=-1)
    assert docs.acquire_lease("default", doc, f"{HOST}:{os.getpid()}:mine", ttl=600)
    docs.release_lease("default", doc, f"{HOST}:{os.getpid()}:mine")


def test_doctor_finds_and_repairs_lost_vectors_stale_vectors_and_files(
    make_components: object,
) -> None:
    comps: Components = make_components()  # type: ignore[operator]
    kept = upload(comps, "kept.txt", NOTE)
    lost = upload(comps, "lost.txt", "The lighthouse keeper retired in 1988 after forty years.\n")
    changed = upload(comps, "changed.txt", "The ferry to Vardø leaves at seven each morning.\n")
    assert kinds(comps) == set()
    comps.index.vectors.delete_stale("default", document_id=lost, keep_version=None)
    comps.index.vectors.upsert(
        "default",
        ids=[f"{kept}:oldversion:0"],
        embeddings=[comps.embedder.embed_one("stale")],
        texts=["stale"],
        metadatas=[{"document_id": kept, "version": "oldversion"}],
    )
    comps.index.blobs.put("default", "changed.txt", b"Rewritten behind our back.\n")
    orphan = comps.index.blobs.put("default", "orphan.txt", b"Nobody owns this file.\n")
    problems = diagnose(comps.index)
    found = {(p.kind, p.document_id or p.source) for p in problems}
    assert found == {
        ("missing_vectors", lost),
        ("stale_vectors", kept),
        ("file_differs", changed),
        ("orphan_file", "orphan.txt"),
    }
    assert comps.consistency.count() == 4
    left = repair(comps.ingestor, diagnose(comps.index))
    assert left == []
    assert kinds(comps) == set()
    assert orphan not in stored(comps)
    text = comps.index.document_text("default", changed)
    assert text is not None
    assert text.text == "Rewritten behind our back.\n"


def test_doctor_cli_reports_then_fixes(tmp_path: Path, make_components: object) -> None:
    env = ragchat_env(tmp_path / "data")
    run = lambda *args: subprocess.run(  # noqa: E731
        [sys.executable, "-m", "service.cli", *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert run("ingest", str(ARTICLE)).returncode == 0
    clean = run("doctor", "--json")
    assert clean.returncode == 0, clean.stderr
    assert json.loads(clean.stdout)["problems"] == []
    # What a killed upload leaves: an original whose document never went live.
    same = make_components(data_dir=Path(env["RAGCHAT_DATA_DIR"]))  # type: ignore[operator]
    left_behind = same.index.blobs.put("default", "left-behind.txt", b"A killed upload.\n")
    sick = run("doctor")
    assert sick.returncode == 1
    assert "orphan_file" in sick.stdout
    fixed = run("doctor", "--fix", "--json")
    assert fixed.returncode == 0, fixed.stdout + fixed.stderr
    assert json.loads(fixed.stdout)["remaining"] == []
    assert left_behind not in stored(same)


@pytest.mark.parametrize("replace", [False, True])
def test_replacing_by_upload_needs_consent(make_components: object, replace: bool) -> None:
    comps: Components = make_components()  # type: ignore[operator]
    first = upload(comps, "quay.txt", NOTE)
    if not replace:
        from ingest.uploads import DocumentExistsError

        with pytest.raises(DocumentExistsError) as exc:
            upload(comps, "quay.txt", "Something else entirely.\n")
        assert exc.value.document_id == first
        assert comps.index.document_text("default", first).text == NOTE  # type: ignore[union-attr]
    else:
        assert upload(comps, "quay.txt", "Something else.\n", replace=True) == first


def test_start_up_removes_what_a_killed_upload_left(make_components: object) -> None:
    comps: Components = make_components()  # type: ignore[operator]
    kept = upload(comps, "kept.txt", NOTE)
    blobs = comps.index.blobs
    never_indexed = blobs.put("default", "killed.txt", b"Killed before it went live.\n")
    temp_files: list[Path] = []
    if isinstance(blobs, FileBlobStore):  # a blob in a database is written in one transaction
        folder = blobs.root / "default"
        dead = subprocess.Popen([sys.executable, "-c", "pass"])
        dead.wait()
        temp_files = [folder / f".upload-{dead.pid}-abc123", folder / f".upload-{os.getpid()}-d"]
        for path in temp_files:
            path.write_bytes(b"partial")
    comps.recover()
    assert never_indexed not in stored(comps)
    if temp_files:
        half_written, in_flight = temp_files  # a dead writer's file, and a live one's
        assert not half_written.exists()
        assert in_flight.exists()
    record = comps.index.get("default", kept)
    assert record is not None
    assert record.path in stored(comps)
