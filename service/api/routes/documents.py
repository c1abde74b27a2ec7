from __future__ import annotations

from fastapi import APIRouter, Query

from service.api.deps import ComponentsDep, SettingsDep
from service.schemas import DocumentInfo, DocumentList

router = APIRouter(prefix="/v1", tags=["documents"])


@router.get("/documents", response_model=DocumentList)
def list_documents(
    components: ComponentsDep,
    settings: SettingsDep,
    collection: str | None = Query(None, description="default: RAGCHAT_COLLECTION"),
) -> DocumentList:
    collection = collection or settings.collection
    records = components.index.documents(collection)
    return DocumentList(
        collection=collection,
        documents=[
            DocumentInfo(
                document_id=r.document_id,
                source=r.source,
                title=r.title,
                path=r.path,
                chunks=r.chunk_count,
                size_bytes=r.size_bytes,
                content_hash=r.content_hash,
                updated_at=r.updated_at,
            )
            for r in records
        ],
    )
