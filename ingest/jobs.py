"""Ingestion jobs: the uploads of one request, indexed by a worker while the client polls.

A worker claims a job, heartbeats it from a side thread while it indexes the job's files
one by one, and records each file's result as it finishes. Every file goes through
`store_upload`, under its document's lease, so a worker killed mid-file leaves what any
killed writer leaves: the old version live and cleanup to do, never half a document.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from ingest.index import check_collection
from ingest.pipeline import Ingestor
from ingest.storage import Job, JobFile, JobQueue
from ingest.storage.leases import new_lease_owner
from ingest.uploads import check_upload, store_upload

logger = logging.getLogger(__name__)

# How a failed file is described: (HTTP-like status, error type) for an exception.
Classify = Callable[[BaseException], tuple[int, str | None]]


def failed_file(seq: int, filename: str, exc: BaseException, kind: str | None) -> dict[str, Any]:
    """A file's result when it could not be indexed: the error a single upload would get."""
    error = {"type": kind or "invalid_request_error", "message": str(exc)}
    if getattr(exc, "document_id", None):
        error["document_id"] = exc.document_id  # type: ignore[attr-defined]
    return {"seq": seq, "filename": filename, "status": "failed", "error": error}


def enqueue_uploads(
    queue: JobQueue,
    *,
    collection: str,
    uploads: list[tuple[str, bytes, dict[str, Any]]],
    max_bytes: int,
    max_attempts: int,
    classify: Classify,
) -> Job:
    """Queue (filename, bytes, options) uploads; a wrong type or size is its file's result."""
    check_collection(collection)
    files: list[JobFile] = []
    refused: list[dict[str, Any]] = []
    for seq, (filename, data, options) in enumerate(uploads):
        try:
            check_upload(filename, len(data), max_bytes=max_bytes)
        except Exception as exc:
            status, kind = classify(exc)
            if status >= 500:
                raise
            refused.append(failed_file(seq, filename, exc, kind))
            continue
        files.append(JobFile(seq=seq, filename=filename, data=data, options=options))
    return queue.enqueue(
        kind="ingest",
        collection=collection,
        files=files,
        refused=refused,
        max_attempts=max_attempts,
    )


class JobRunner:
    def __init__(
        self,
        *,
        queue: JobQueue,
        ingestor: Ingestor,
        classify: Classify,
        visibility: float = 30.0,
        poll: float = 0.5,
    ) -> None:
        self.queue = queue
        self.ingestor = ingestor
        self.classify = classify
        self.visibility = visibility
        self.poll = poll
        self.owner = new_lease_owner()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def run_one(self, job_id: str | None = None) -> Job | None:
        """Claim one job (this one, if given and still queued) and run it; None if none."""
        job = self.queue.claim(self.owner, visibility=self.visibility, job_id=job_id)
        if job is None:
            return None
        self.run(job)
        return self.queue.get(job.id)

    def run(self, job: Job) -> None:
        """Run a claimed job; `job.owner` is the claim's token."""
        claim = str(job.owner)
        lost = threading.Event()
        done = threading.Event()

        def beat() -> None:
            """Keep the claim alive; a failed heartbeat is retried, a refused one ends it."""
            while not done.wait(self.visibility / 3):
                try:
                    if not self.queue.heartbeat(job.id, claim, visibility=self.visibility):
                        lost.set()
                        return
                except Exception:
                    logger.warning("job %s: heartbeat failed; retrying", job.id, exc_info=True)

        beater = threading.Thread(target=beat, name=f"job-{job.id[:8]}-heartbeat", daemon=True)
        beater.start()
        try:
            finished = {r["seq"] for r in job.results}
            results = list(job.results)
            for f in self.queue.files(job.id):
                if f.seq in finished:
                    continue  # done by an earlier attempt whose worker died
                if lost.is_set():
                    logger.warning("job %s: another worker took it over", job.id)
                    return
                result = self._one(job, f)
                results.append(result)
                if not self.queue.record(job.id, claim, result):
                    logger.warning("job %s: no longer ours; stopping", job.id)
                    return
            failed = all(r["status"] == "failed" for r in results) and bool(results)
            self.queue.finish(
                job.id,
                claim,
                state="failed" if failed else "succeeded",
                error="no file could be indexed" if failed else None,
            )
        except Exception as exc:  # the job's own failure, not one file's: retried
            logger.exception("job %s failed; it will be retried", job.id)
            if job.attempts >= job.max_attempts:
                self.queue.finish(job.id, claim, state="failed", error=str(exc))
        finally:
            done.set()

    def _one(self, job: Job, f: JobFile) -> dict[str, Any]:
        try:
            uploaded = store_upload(
                data=f.data,
                filename=f.filename,
                collection=job.collection,
                ingestor=self.ingestor,
                tags=f.options.get("tags"),
                replace=bool(f.options.get("replace")),
                document_id=f.options.get("document_id"),
            )
        except Exception as exc:
            status, kind = self.classify(exc)
            if status >= 500 and kind != "document_busy":
                raise
            return failed_file(f.seq, f.filename, exc, kind)
        return {
            "seq": f.seq,
            "filename": f.filename,
            "status": uploaded.status,
            "document_id": uploaded.document_id,
            "source": uploaded.source,
            "chunks": uploaded.chunks,
        }

    # Serving: a loop in a thread (in `ragchat serve`) or in the main thread (`ragchat worker`).

    def serve_forever(self, stop: threading.Event | None = None) -> None:
        stop = stop or self._stop
        while not stop.is_set():
            try:
                ran = self.run_one()
            except Exception:
                logger.exception("job worker: claiming or running a job failed")
                ran = None
            if ran is None:
                stop.wait(self.poll)

    def start(self) -> None:
        self._thread = threading.Thread(target=self.serve_forever, name="jobs", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 30.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
