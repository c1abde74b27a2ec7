from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Query, UploadFile, status
from starlette.concurrency import run_in_threadpool

from ingest.docstore import DocumentRecord
from ingest.index import check_collection
from ingest.uploads import delete_document as delete_stored_document
from ingest.uploads import store_upload
from service.api.deps import ComponentsDep, MetricsDep, SettingsDep
from service.errors import NotFoundError
from service.schemas import (
    DocumentDetail,
    DocumentInfo,
    DocumentList,
    ErrorResponse,
    UploadResponse,
)

router = APIRouter(prefix="/v1", tags=["documents"])
CollectionQuery = Query(None, description="default: RAGCHAT_COLLECTION")


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


@router.get("/documents", response_model=DocumentList)
def list_documents(
    components: ComponentsDep, settings: SettingsDep, collection: str | None = CollectionQuery
) -> DocumentList:
    name = collection or settings.collection
    return DocumentList(
        collection=name, documents=[_info(r) for r in components.index.documents(name)]
    )


@router.get(
    "/documents/{document_id}",
    response_model=DocumentDetail,
    responses={404: {"model": ErrorResponse}},
)
def get_document(
    document_id: str,
    components: ComponentsDep,
    settings: SettingsDep,
    collection: str | None = CollectionQuery,
) -> DocumentDetail:
    name = check_collection(collection or settings.collection)
    record = components.index.docs.get(name, document_id)
    text = components.index.document_text(name, document_id)
    if record is None or text is None:
        raise NotFoundError(f"no document {document_id!r} in collection {name!r}")
    return DocumentDetail(**_info(record).model_dump(), collection=name, text=text.text)


@router.post(
    "/documents",
    response_model=UploadResponse,
    status_code=status.HTTP_201_CREATED,
    responses={
        413: {"model": ErrorResponse},
        415: {"model": ErrorResponse},
        422: {"model": ErrorResponse},
    },
)
async def upload_document(
    file: UploadFile,
    components: ComponentsDep,
    settings: SettingsDep,
    metrics: MetricsDep,
    collection: str | None = CollectionQuery,
    tags: Annotated[
        list[str] | None, Form(description="tags for filters; repeat the field or use commas")
    ] = None,
) -> UploadResponse:
    data = await file.read(settings.ingest.max_file_bytes + 1)
    tag_list = [t.strip() for field in tags or [] for t in field.split(",") if t.strip()]
    result = await run_in_threadpool(
        store_upload,
        data=data,
        filename=file.filename or "",
        collection=collection or settings.collection,
        ingestor=components.ingestor,
        uploads_dir=settings.data_dir / "uploads",
        tags=tag_list or None,
    )
    metrics.uploaded(status=result.status, chunks=result.chunks)
    return UploadResponse(**result.__dict__, collection=collection or settings.collection)


@router.delete(
    "/documents/{document_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses={404: {"model": ErrorResponse}},
)
def delete_document(
    document_id: str,
    components: ComponentsDep,
    settings: SettingsDep,
    metrics: MetricsDep,
    collection: str | None = CollectionQuery,
) -> None:
    name = collection or settings.collection
    deleted = delete_stored_document(
        index=components.index,
        collection=name,
        document_id=document_id,
        uploads_dir=settings.data_dir / "uploads",
    )
    if deleted is None:
        raise NotFoundError(f"no document {document_id!r} in collection {name!r}")
    metrics.document_deleted()
