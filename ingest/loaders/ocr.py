"""Text for PDF pages that have none: their images, read by Tesseract.

A scanned PDF's pages are images without a text layer. Each such page's images come out of
the PDF with pypdf (no rendering), and Tesseract reads them through pytesseract: the
optional extra `ocr` plus the `tesseract` program (Debian: tesseract-ocr). OCR runs inside
the bounded parse worker, so it spends the same budget as any parse: each Tesseract call
gets the time left before the worker's deadline, and inherits its memory and CPU caps.
"""

from __future__ import annotations

import os
import shutil
import time
from typing import Any

from ingest.loaders.base import ParseLimitError

INSTALL = "pip install 'ragchat[ocr]' and Tesseract (Debian: apt-get install tesseract-ocr)"
# OCR may use this share of the parse time limit: the worker's own alarm started earlier
# (before the file arrived), and Tesseract must stop, killed by pytesseract, before it.
BUDGET_SHARE = 0.8
# Images smaller than this are rules, bullets or logos, not a scanned page.
_MIN_SIDE = 32


def unavailable(language: str = "eng") -> str | None:
    """Why OCR cannot run here, or None when it can."""
    try:
        import pytesseract
    except ImportError:
        return "pytesseract is not installed"
    if shutil.which(pytesseract.pytesseract.tesseract_cmd) is None:
        return "the tesseract program is not installed"
    try:
        have = set(pytesseract.get_languages(config=""))
    except Exception as exc:  # a broken install says so here rather than on every page
        return f"tesseract does not run ({exc})"
    missing = [code for code in language.split("+") if code not in have]
    if missing:
        packages = " ".join(f"tesseract-ocr-{code}" for code in missing)
        return (
            f"Tesseract has no data for {', '.join(missing)} (RAGCHAT_PARSE__OCR_LANGUAGE); "
            f"Debian: apt-get install {packages}"
        )
    return None


def page_text(page: Any, *, name: str, number: int, language: str, deadline: float) -> str:
    """The text Tesseract reads in the page's images, in the order the page holds them."""
    import pytesseract

    # One thread per Tesseract: parse workers already run side by side.
    os.environ.setdefault("OMP_THREAD_LIMIT", "1")
    texts = []
    for found in page.images:
        image = found.image
        if image is None or min(image.width, image.height) < _MIN_SIDE:
            continue
        left = deadline - time.monotonic()
        if left < 1:
            raise _too_slow(name, number)
        try:
            text = pytesseract.image_to_string(image, lang=language, timeout=left - 0.5)
        except RuntimeError as exc:  # pytesseract's timeout
            if "timeout" in str(exc).lower():
                raise _too_slow(name, number) from None
            raise
        if text.strip():
            texts.append(text)
    return "\n".join(texts)


def _too_slow(name: str, number: int) -> ParseLimitError:
    return ParseLimitError(
        f"{name}: reading page {number} by OCR ran out of the parse time limit "
        "(RAGCHAT_PARSE__TIMEOUT_S)"
    )
