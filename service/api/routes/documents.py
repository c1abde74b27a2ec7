from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, UploadFile, status
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from ingest.index import check_collection
from ingest.storage import DocumentRecord
from ingest.uploads import check_upload, store_upload
from ingest.uploads import delete_document as delete_stored_document
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
from service.api.routes.jobs import accepted
from service.errors import NotFoundError
from service.schemas import (
    DocumentDetail,
    DocumentInfo,
    DocumentList,
    ErrorResponse,
    JobResponse,
    UploadResponse,
)

router = APIRouter(prefix="/v1", tags=["documents"])


def _info(r: DocumentRecord) -> DocumentInfo:
    return DocumentInfo(
        document_id=r.document_id,
        source=r.source,
        title=r.title,
        path=r.path,
        chunks=r.chunk_count,
        size_bytes=r.size_bytes,
        content_hash=r.content_hash,
        updated_at=r.updated_at,
        tags=r.tags,
        date=r.doc_date,
    )


@router.get("/documents", response_model=DocumentList, responses=REFUSALS)
def list_documents(
    access: ReadAccess, components: ComponentsDep, collection: str | None = CollectionQuery
) -> DocumentList:
    name = access.collection(collection)
    return DocumentList(
        collection=name, documents=[_info(r) for r in components.index.documents(name)]
    )


@router.get(
    "/documents/{document_id}",
    response_model=DocumentDetail,
    responses={**REFUSALS, 404: {"model": ErrorResponse}},
)
def get_document(
    document_id: str,
    access: ReadAccess,
    components: ComponentsDep,
    collection: str | None = CollectionQuery,
) -> DocumentDetail:
    name = check_collection(access.collection(collection))
    record = components.index.get(name, document_id)
    text = components.index.document_text(name, document_id)
    if record is None or text is None:
        raise NotFoundError(f"no document {document_id!r} in collection {name!r}")
    return DocumentDetail(**_info(record).model_dump(), collection=name, text=text.text)


@router.post(
    "/documents",
    response_model=UploadResponse,
    status_code=status.HTTP_201_CREATED,
    responses={
        **REFUSALS,
        409: {"model": ErrorResponse, "description": "a document of that name exists"},
        202: {"model": JobResponse, "description": "queued (`?wait=false`); poll Location"},
        413: {"model": ErrorResponse},
        415: {"model": ErrorResponse},
        422: {"model": ErrorResponse},
        503: {"model": ErrorResponse, "description": "the document is being written"},
    },
)
async def upload_document(
    file: UploadFile,
    access: WriteAccess,
    components: ComponentsDep,
    settings: SettingsDep,
    metrics: MetricsDep,
    collection: str | None = CollectionQuery,
    tags: TagsForm = None,
    replace: ReplaceQuery = False,
    document_id: Annotated[
        str | None, Query(description="replace this document (it must have the same name)")
    ] = None,
    wait: WaitQuery = True,
) -> UploadResponse | JSONResponse:
    name = access.collection(collection)
    data = await file.read(settings.ingest.max_file_bytes + 1)
    tagged = tag_list(tags)
    if not wait:
        filename = file.filename or ""
        # A wrong type or size is refused now, as with wait=true; parsing happens in the job.
        check_upload(filename, len(data), max_bytes=settings.ingest.max_file_bytes)
        options = {"tags": tagged, "replace": replace, "document_id": document_id}
        job = await run_in_threadpool(
            components.enqueue_uploads, collection=name, uploads=[(filename, data, options)]
        )
        metrics.job_queued()
        return accepted(job)
    result = await run_in_threadpool(
        store_upload,
        data=data,
        filename=file.filename or "",
        collection=name,
        ingestor=components.ingestor,
        tags=tagged,
        replace=replace,
        document_id=document_id,
    )
    metrics.uploaded(status=result.status, chunks=result.chunks)
    return UploadResponse(**result.__dict__, collection=name)


@router.delete(
    "/documents/{document_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses={**REFUSALS, 404: {"model": ErrorResponse}},
)
def delete_document(
    document_id: str,
    access: WriteAccess,
    components: ComponentsDep,
    metrics: MetricsDep,
    collection: str | None = CollectionQuery,
) -> None:
    name = access.collection(collection)
    deleted = delete_stored_document(
        index=components.index,
        collection=name,
        document_id=document_id,
    )
    if deleted is None:
        raise NotFoundError(f"no document {document_id!r} in collection {name!r}")
    metrics.document_deleted()
