"""The chat page: static files shipped inside the package, no build step, no CDN.

The page is served with two facts filled in: the collection it opens (RAGCHAT_COLLECTION)
and the file types the upload field takes (every type ingest reads).
"""

from __future__ import annotations

import html
from functools import cache
from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

from ingest.loaders import supported_extensions
from service.api.deps import SettingsDep

STATIC_DIR = Path(__file__).resolve().parents[2] / "static"
router = APIRouter(include_in_schema=False)


@cache
def _template() -> str:
    return (STATIC_DIR / "index.html").read_text(encoding="utf-8")


def page(collection: str) -> str:
    return (
        _template()
        .replace("{{collection}}", html.escape(collection, quote=True))
        .replace("{{accept}}", html.escape(",".join(supported_extensions()), quote=True))
    )


@router.get("/")
def index(settings: SettingsDep) -> HTMLResponse:
    return HTMLResponse(page(settings.collection))
