"""Ingestion jobs: `POST /v1/ingest` queues a batch of uploads; `GET /v1/jobs/{id}` follows it."""

from __future__ import annotations

import asyncio
import time
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Query, UploadFile, status
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from ingest.storage import Job
from service.api.deps import (
    REFUSALS,
    CollectionQuery,
    ComponentsDep,
    MetricsDep,
    ReadAccess,
    ReplaceQuery,
    SettingsDep,
    TagsForm,
    WaitQuery,
    WriteAccess,
    tag_list,
)
from service.components import Components
from service.errors import BadRequestError, NotFoundError
from service.schemas import ErrorResponse, JobFileResult, JobList, JobProgress, JobResponse

router = APIRouter(prefix="/v1", tags=["jobs"])
# How long `?wait=true` waits for a job another worker took, before answering 202 anyway.
WAIT_S = 300.0


def job_response(job: Job) -> JobResponse:
    results = [JobFileResult(**{k: v for k, v in r.items() if k != "seq"}) for r in job.results]
    return JobResponse(
        id=job.id,
        kind=job.kind,
        collection=job.collection,
        state=job.state,  # type: ignore[arg-type]
        progress=JobProgress(
            done=len(results),
            total=job.total,
            failed=sum(r.status == "failed" for r in results),
        ),
        results=results,
        error=job.error,
        attempts=job.attempts,
        created_at=job.created_at,
        updated_at=job.updated_at,
    )


def location(job: Job) -> str:
    return f"/v1/jobs/{job.id}?{urlencode({'collection': job.collection})}"


def accepted(job: Job) -> JSONResponse:
    """202 with the job, and where to poll it."""
    return JSONResponse(
        status_code=status.HTTP_202_ACCEPTED,
        content=job_response(job).model_dump(mode="json"),
        headers={"Location": location(job)},
    )


async def wait_for(components: Components, job: Job) -> Job:
    """Run the job here if no worker took it yet, else wait (without a thread) for the one
    that did. A job run here that ended unfinished (its run failed; it will be retried)
    is answered at once, as is one still running after WAIT_S."""
    ran = await run_in_threadpool(components.job_runner.run_one, job.id)
    if ran is not None:
        return ran
    deadline = time.monotonic() + WAIT_S
    current = job
    while not current.finished and time.monotonic() < deadline:
        await asyncio.sleep(0.25)
        found: Job | None = await run_in_threadpool(components.jobs.get, job.id)
        current = found or current
    return current


@router.post(
    "/ingest",
    response_model=JobResponse,
    responses={
        **REFUSALS,
        202: {"model": JobResponse, "description": "queued (`?wait=false`); poll Location"},
        413: {"model": ErrorResponse},
        422: {"model": ErrorResponse},
    },
)
async def ingest_batch(
    files: list[UploadFile],
    access: WriteAccess,
    components: ComponentsDep,
    settings: SettingsDep,
    metrics: MetricsDep,
    collection: str | None = CollectionQuery,
    tags: TagsForm = None,
    replace: ReplaceQuery = False,
    wait: WaitQuery = True,
) -> JobResponse | JSONResponse:
    """Index a batch of uploads as one job; per-file results and errors are in `results`."""
    name = access.collection(collection)
    if not files:
        raise BadRequestError("send at least one file in the `files` field")
    if len(files) > settings.jobs.max_files:
        raise BadRequestError(
            f"{len(files)} files in one request; the limit is {settings.jobs.max_files} "
            "(RAGCHAT_JOBS__MAX_FILES)"
        )
    options = {"tags": tag_list(tags), "replace": replace}
    uploads = [
        (f.filename or "", await f.read(settings.ingest.max_file_bytes + 1), options) for f in files
    ]
    job = await run_in_threadpool(components.enqueue_uploads, collection=name, uploads=uploads)
    metrics.job_queued()
    if not wait:
        return accepted(job)
    done = await wait_for(components, job)
    if not done.finished:
        return accepted(done)
    return job_response(done)


@router.get(
    "/jobs/{job_id}",
    response_model=JobResponse,
    responses={**REFUSALS, 404: {"model": ErrorResponse}},
)
def get_job(
    job_id: str,
    access: ReadAccess,
    components: ComponentsDep,
    collection: str | None = CollectionQuery,
) -> JobResponse:
    """A job of the collection (default: RAGCHAT_COLLECTION), as `Location` gave it."""
    name = access.collection(collection)
    job = components.jobs.get(job_id)
    if job is None or job.collection != name:
        raise NotFoundError(f"no job {job_id!r} in collection {name!r}")
    return job_response(job)


@router.get("/jobs", response_model=JobList, responses=REFUSALS)
def list_jobs(
    access: ReadAccess,
    components: ComponentsDep,
    collection: str | None = CollectionQuery,
    limit: Annotated[int, Query(ge=1, le=200)] = 20,
) -> JobList:
    """The newest jobs of a collection (default: RAGCHAT_COLLECTION), newest first."""
    name = access.collection(collection)
    return JobList(jobs=[job_response(j) for j in components.jobs.recent([name], limit=limit)])
