"""Two `ragchat serve` replicas and `ragchat worker`s on separate data dirs, sharing one real
PostgreSQL and one real `chroma run` server: any replica serves any request.

Whatever `--database` and `--chroma` say, these start (or reuse) the suite's PostgreSQL and
Chroma servers: sharing state is what they test. `make test` runs them once, in the pass on
the scale-out backends.
"""

from __future__ import annotations

import json
import signal
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import psycopg
import pytest

from tests.cluster import Cluster, run_load, running_cluster, start_worker
from tests.conftest import ARTICLE, SHARED
from tests.postgres_server import DATABASE

# Runs again on PostgreSQL and a Chroma server (make test, second pass).
pytestmark = pytest.mark.backends

QUAY = (
    "Harbour notes\n\nThe harbour master of Vardø, Ingrid Solberg, approved the new quay "
    "on 3 March 2021.\n\nThe quay is 140 metres long and opened to fishing boats in May.\n"
)
QUAY_QUESTION = "Who approved the new quay in Vardø?"


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    with running_cluster(tmp_path_factory.mktemp("replicas")) as made:
        yield made


def wait_job(base: str, job_id: str, timeout: float = 240) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = httpx.get(f"{base}/v1/jobs/{job_id}", timeout=10).json()
        if job["state"] in ("succeeded", "failed"):
            return job
        time.sleep(0.3)
    raise AssertionError(f"job {job_id} did not finish in {timeout} s: {job}")


def ask(base: str, question: str, **body: object) -> dict:
    r = httpx.post(
        f"{base}/v1/chat",
        json={"messages": [{"role": "user", "content": question}], **body},
        timeout=60,
    )
    assert r.status_code == 200, r.text
    return r.json()


def upload(base: str, name: str, text: str, **params: str) -> httpx.Response:
    return httpx.post(
        f"{base}/v1/documents",
        params=params,
        files={"file": (name, text.encode(), "text/plain")},
        timeout=120,
    )


def test_upload_through_one_replica_is_indexed_by_the_worker_and_cited_by_the_other(
    cluster: Cluster,
) -> None:
    queued = upload(cluster.a, "quay.txt", QUAY, wait="false")
    assert queued.status_code == 202, queued.text
    job = queued.json()
    assert queued.headers["location"] == f"/v1/jobs/{job['id']}?collection=default"
    assert job["state"] in ("queued", "running")
    done = wait_job(cluster.b, job["id"])  # the other replica reports the worker's progress
    assert done["state"] == "succeeded", done
    [result] = done["results"]
    assert (result["status"], result["filename"]) == ("added", "quay.txt")
    assert done["progress"] == {"done": 1, "total": 1, "failed": 0}
    answer = ask(cluster.b, QUAY_QUESTION)
    assert "Ingrid Solberg" in answer["answer"]
    assert {c["source"] for c in answer["citations"]} == {"quay.txt"}
    assert "Ingrid Solberg" in answer["citations"][0]["quote"]
    listed_a = httpx.get(f"{cluster.a}/v1/documents", timeout=10).json()["documents"]
    listed_b = httpx.get(f"{cluster.b}/v1/documents", timeout=10).json()["documents"]
    assert listed_a == listed_b
    assert result["document_id"] in {d["document_id"] for d in listed_a}
    models = [httpx.get(f"{u}/v1/models", timeout=10).json() for u in (cluster.a, cluster.b)]
    assert models[0]["data"] == models[1]["data"]


def test_delete_through_one_replica_stops_citations_on_the_other(cluster: Cluster) -> None:
    kept = upload(cluster.b, "quay.txt", QUAY, replace="true")  # the collection stays
    assert kept.status_code == 201, kept.text
    made = upload(cluster.a, "ferry.txt", "The ferry to Kirkenes leaves at seven each morning.\n")
    assert made.status_code == 201, made.text
    doc = made.json()["document_id"]
    cited = ask(cluster.a, "When does the ferry to Kirkenes leave?")
    assert "ferry.txt" in {c["source"] for c in cited["citations"]}  # A has read it once
    gone = httpx.delete(f"{cluster.b}/v1/documents/{doc}", timeout=30)
    assert gone.status_code == 204, gone.text
    after = ask(cluster.a, "When does the ferry to Kirkenes leave?")
    assert "ferry.txt" not in {c["source"] for c in after["citations"]}
    assert httpx.get(f"{cluster.a}/v1/documents/{doc}", timeout=10).status_code == 404


def test_one_file_uploaded_through_both_at_once_is_one_document(cluster: Cluster) -> None:
    texts = [
        f"Version {i}: the lighthouse at Slettnes was painted red in 19{80 + i}.\n" for i in (1, 2)
    ]
    barrier = threading.Barrier(2)

    def send(base: str, text: str) -> httpx.Response:
        barrier.wait()
        return upload(base, "lighthouse.txt", text, replace="true")

    with ThreadPoolExecutor(2) as pool:
        replies = list(pool.map(send, (cluster.a, cluster.b), texts))
    assert [r.status_code for r in replies] == [201, 201], [r.text for r in replies]
    ids = {r.json()["document_id"] for r in replies}
    assert len(ids) == 1  # the same name is the same document on every replica
    [doc] = ids
    listed = httpx.get(f"{cluster.b}/v1/documents", timeout=10).json()["documents"]
    assert [d["source"] for d in listed].count("lighthouse.txt") == 1
    text = httpx.get(f"{cluster.a}/v1/documents/{doc}", timeout=10).json()["text"]
    assert text in texts  # one upload's text, whole
    doctor = cluster.ragchat("doctor", "--json")
    assert doctor.returncode == 0, doctor.stdout + doctor.stderr
    assert json.loads(doctor.stdout)["problems"] == []  # one live version, no stray chunks


def test_a_conversation_continues_on_the_other_replica(cluster: Cluster) -> None:
    first = ask(cluster.a, QUAY_QUESTION)
    cid = first["conversation_id"]
    second = ask(cluster.b, "How long is the quay?", conversation_id=cid)
    assert second["conversation_id"] == cid
    with psycopg.connect(DATABASE.url_for(cluster.shared)) as conn:
        turns = conn.execute(
            "SELECT role, content FROM turns WHERE conversation_id = %s ORDER BY seq", (cid,)
        ).fetchall()
    assert [r for r, _ in turns] == ["user", "assistant", "user", "assistant"]
    assert turns[2][1] == "How long is the quay?"


def paragraphs(count: int) -> list[str]:
    data = json.loads((SHARED / "datasets" / "squad2" / "dev-v2.0.json").read_text())
    return [p["context"] for art in data["data"] for p in art["paragraphs"]][:count]


def test_a_worker_killed_mid_job_leaves_no_half_document_and_another_finishes_it(
    cluster: Cluster,
) -> None:
    texts = paragraphs(100)
    files = [
        (
            "files",
            (f"part-{i}.txt", "\n\n".join(texts[i * 25 : (i + 1) * 25]).encode(), "text/plain"),
        )
        for i in range(4)
    ]
    queued = httpx.post(f"{cluster.a}/v1/ingest", params={"wait": "false"}, files=files, timeout=60)
    assert queued.status_code == 202, queued.text
    job_id = queued.json()["id"]
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline:
        job = httpx.get(f"{cluster.b}/v1/jobs/{job_id}", timeout=10).json()
        if job["state"] == "running" and job["progress"]["done"] >= 1:
            break
        time.sleep(0.2)
    else:
        raise AssertionError(f"the worker never got going: {job}")
    cluster.worker.send_signal(signal.SIGKILL)
    cluster.worker.wait(10)
    killed_at = job["progress"]["done"]
    assert killed_at < 4, "the job finished before the worker could be killed"
    # Nothing half-written is visible: every listed document has all its chunks. The killed
    # write may leave debris no reader sees (its stored original, its unfinished flag).
    doctor = cluster.ragchat("doctor", "--json")
    problems = json.loads(doctor.stdout)["problems"]
    assert {p["kind"] for p in problems} <= {"unfinished_write", "orphan_file"}, problems
    listed = httpx.get(f"{cluster.a}/v1/documents", timeout=10).json()["documents"]
    parts = [d for d in listed if d["source"].startswith("part-")]
    assert len(parts) == killed_at or len(parts) == killed_at + 1
    replacement = start_worker(cluster.env(cluster.tmp / "w2"), cluster.tmp / "worker2.log")
    cluster.worker = replacement  # stopped by the fixture
    done = wait_job(cluster.a, job_id)
    assert done["state"] == "succeeded", done
    assert done["attempts"] == 2
    assert [r["status"] for r in done["results"]] == ["added"] * 4
    listed = httpx.get(f"{cluster.b}/v1/documents", timeout=10).json()["documents"]
    assert sorted(d["source"] for d in listed if d["source"].startswith("part-")) == [
        f"part-{i}.txt" for i in range(4)
    ]
    doctor = cluster.ragchat("doctor", "--json")
    assert doctor.returncode == 0, doctor.stdout
    assert json.loads(doctor.stdout)["problems"] == []


def test_load_spread_over_two_replicas_has_no_errors(cluster: Cluster) -> None:
    """500 chat requests at concurrency 32 over both replicas; then one replica alone."""
    article = upload(cluster.a, ARTICLE.name, ARTICLE.read_text(encoding="utf-8"), replace="true")
    assert article.status_code == 201, article.text
    questions = [
        "Who signed the joint statement?",
        "When did the three countries hold their call?",
        "What did the statement say about Russia?",
        QUAY_QUESTION,
    ]

    both, codes = run_load([cluster.a, cluster.b], questions, n=500, concurrency=32)
    assert codes.count(200) == 500, {c: codes.count(c) for c in set(codes)}
    one, codes_one = run_load([cluster.a], questions, n=200, concurrency=32)
    assert codes_one.count(200) == 200
    print(f"\nload: 2 replicas {both:.1f} req/s, 1 replica {one:.1f} req/s, ratio {both / one:.2f}")
