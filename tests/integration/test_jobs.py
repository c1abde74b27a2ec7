"""Ingestion jobs through the HTTP API: queued, followed, and reported file by file."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import pytest
from fastapi.testclient import TestClient

from service.components import Components
from service.main import create_app
from service.settings import IngestSettings, JobSettings

# Runs again on PostgreSQL and a Chroma server (make test, second pass).
pytestmark = pytest.mark.backends

NOTE = "The harbour master of Vardø, Ingrid Solberg, approved the new quay in 2021.\n".encode()


@pytest.fixture
def client(make_components: Callable[..., Components]) -> Iterator[TestClient]:
    comps = make_components(
        jobs=JobSettings(run_in_server="true", max_files=3),
        ingest=IngestSettings(max_file_bytes=4096),
    )
    with TestClient(create_app(components=comps)) as c:
        yield c


def follow(client: TestClient, job_id: str, timeout: float = 120) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = client.get(f"/v1/jobs/{job_id}").json()
        if job["state"] in ("succeeded", "failed"):
            return job
        time.sleep(0.1)
    raise AssertionError(f"job {job_id} never finished")


def test_a_batch_is_indexed_with_a_result_per_file(client: TestClient) -> None:
    files = [
        ("files", ("quay.txt", NOTE, "text/plain")),
        ("files", ("program.exe", b"MZ\x90\x00", "application/octet-stream")),
        ("files", ("huge.txt", b"word " * 2000, "text/plain")),
    ]
    r = client.post("/v1/ingest", files=files, data={"tags": "harbour"})
    assert r.status_code == 200, r.text
    job = r.json()
    assert job["state"] == "succeeded"
    assert job["progress"] == {"done": 3, "total": 3, "failed": 2}
    by_name = {f["filename"]: f for f in job["results"]}
    assert by_name["quay.txt"]["status"] == "added"
    assert by_name["quay.txt"]["chunks"] >= 1
    assert by_name["program.exe"]["error"]["type"] == "unsupported_media_type"
    assert by_name["huge.txt"]["error"]["type"] == "request_too_large"
    docs = client.get("/v1/documents").json()["documents"]
    assert [(d["source"], d["tags"]) for d in docs] == [("quay.txt", ["harbour"])]
    answer = client.post(
        "/v1/chat", json={"messages": [{"role": "user", "content": "Who approved the quay?"}]}
    ).json()
    assert "Ingrid Solberg" in answer["answer"]


def test_wait_false_answers_202_and_the_job_is_followed_to_its_end(client: TestClient) -> None:
    r = client.post(
        "/v1/documents", params={"wait": "false"}, files={"file": ("quay.txt", NOTE, "text/plain")}
    )
    assert r.status_code == 202, r.text
    job = r.json()
    assert r.headers["location"] == f"/v1/jobs/{job['id']}?collection=default"
    assert job["progress"]["total"] == 1
    done = follow(client, job["id"])
    assert done["state"] == "succeeded"
    assert done["results"][0]["status"] == "added"
    assert done["attempts"] == 1
    assert [j["id"] for j in client.get("/v1/jobs").json()["jobs"]] == [job["id"]]
    # The same name again, without consent to replace: the file's result is the 409.
    again = client.post(
        "/v1/documents", params={"wait": "false"}, files={"file": ("quay.txt", b"New.\n")}
    ).json()
    refused = follow(client, again["id"])
    assert refused["state"] == "failed"
    error = refused["results"][0]["error"]
    assert error["type"] == "document_exists"
    assert error["document_id"] == done["results"][0]["document_id"]


def test_bad_requests_are_refused_before_anything_is_queued(client: TestClient) -> None:
    wrong = client.post("/v1/documents", params={"wait": "false"}, files={"file": ("x.exe", b"MZ")})
    assert wrong.status_code == 415
    assert client.post("/v1/ingest").status_code == 422
    many = [("files", (f"n{i}.txt", NOTE, "text/plain")) for i in range(4)]
    too_many = client.post("/v1/ingest", files=many)
    assert too_many.status_code == 400
    assert "RAGCHAT_JOBS__MAX_FILES" in too_many.json()["error"]["message"]
    assert client.get("/v1/jobs/does-not-exist").status_code == 404
    assert client.post("/v1/ingest?collection=../x", files=many[:1]).status_code == 400
    assert client.get("/v1/jobs").json()["jobs"] == []
