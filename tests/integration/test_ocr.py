"""Scanned PDF pages read by the real Tesseract: a PDF made from an image of known text."""

from __future__ import annotations

import io
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace

import pytest
from PIL import Image, ImageDraw, ImageFont

from ingest.loaders.base import EmptyDocumentError, ParseLimitError, ParseLimits
from ingest.loaders.bounded import BoundedParser
from service.components import Components
from service.schemas import Message
from tests.chroma_server import ragchat_env
from tests.integration.test_cli import run
from tests.unit.test_loaders import PAGE_ONE

FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
SCANNED = [
    "Annual inspection of the Vardo lighthouse.",
    "The lamp was replaced by the keeper Solveig Aas",
    "on the fourth of March, at a cost of 9400 kroner.",
]


def scan(lines: list[str]) -> Image.Image:
    """A page as a scanner sees it: black text on white, 150 dpi, no text layer."""
    font = ImageFont.truetype(str(FONT), 34) if FONT.exists() else ImageFont.load_default(34)
    image = Image.new("L", (1240, 700), 255)
    draw = ImageDraw.Draw(image)
    for n, line in enumerate(lines):
        draw.text((60, 80 + 60 * n), line, fill=0, font=font)
    return image


def scanned_pdf(*, text_page: bool) -> bytes:
    """Page 1 typed (when `text_page`), then a page that is only the image of SCANNED."""
    from fpdf import FPDF

    pdf = FPDF()
    if text_page:
        pdf.add_page()
        pdf.set_font("helvetica", size=12)
        pdf.multi_cell(0, 8, PAGE_ONE)
    pdf.add_page()
    buffer = io.BytesIO()
    scan(SCANNED).save(buffer, format="PNG")
    pdf.image(buffer, x=10, y=10, w=190)
    return bytes(pdf.output())


def test_an_image_only_page_is_read_by_ocr_and_marked() -> None:
    parser = BoundedParser()
    try:
        doc = parser.parse(scanned_pdf(text_page=True), "inspection.pdf")
    finally:
        parser.close()
    assert PAGE_ONE in doc.text
    assert "Solveig Aas" in doc.text
    assert "9400 kroner" in doc.text
    [typed, scanned] = doc.regions
    assert typed.metadata == {"page": 1}
    assert scanned.metadata == {"page": 2, "ocr": True}
    assert "Solveig Aas" in doc.text[scanned.start : scanned.end]
    assert doc.metadata["ocr_pages"] == "1"


def test_a_question_about_the_scanned_text_is_answered_with_its_page(
    make_components: Callable[..., Components], tmp_path: Path
) -> None:
    folder = tmp_path / "scans"
    folder.mkdir()
    (folder / "lighthouse-inspection.pdf").write_bytes(scanned_pdf(text_page=False))
    comps = make_components()
    report = comps.ingestor.ingest([folder], collection="default")
    assert report.failed == [], report.failed
    r = comps.chat.chat(
        messages=[Message(role="user", content="Who replaced the lamp of the lighthouse?")],
        collection="default",
    )
    assert not r.refused, r.answer
    assert "Solveig Aas" in r.answer
    [cited] = [c for c in r.citations if "Solveig Aas" in c.quote]
    assert (cited.page, cited.ocr, cited.source) == (1, True, "lighthouse-inspection.pdf")
    stored = comps.index.document_text("default", cited.document_id)
    assert stored is not None
    assert stored.text[cited.start : cited.end] == cited.quote
    hits = comps.retriever.search("lighthouse lamp keeper", collection="default").hits
    assert hits[0].metadata["ocr"] is True


def test_without_tesseract_a_scan_is_refused_with_the_fix(tmp_path: Path) -> None:
    pdf = tmp_path / "scan.pdf"
    pdf.write_bytes(scanned_pdf(text_page=False))
    env = ragchat_env(tmp_path / "data")
    env["PATH"] = str(Path(sys.executable).parent)  # the venv's programs only: no tesseract
    done = run(["ingest", str(pdf)], env)
    said = " ".join(done.stderr.split())
    assert "the tesseract program is not installed" in said, said
    assert "apt-get install tesseract-ocr" in said


def test_ocr_off_refuses_a_scan_and_says_so() -> None:
    parser = BoundedParser(ParseLimits(ocr=False))
    try:
        with pytest.raises(EmptyDocumentError, match="RAGCHAT_PARSE__OCR=false"):
            parser.parse(scanned_pdf(text_page=False), "scan.pdf")
    finally:
        parser.close()


def test_ocr_stops_at_the_parse_deadline() -> None:
    from ingest.loaders import ocr

    page = SimpleNamespace(images=[SimpleNamespace(image=scan(SCANNED))])
    with pytest.raises(ParseLimitError, match="RAGCHAT_PARSE__TIMEOUT_S"):
        ocr.page_text(page, name="scan.pdf", number=3, language="eng", deadline=time.monotonic())
    assert os.environ.get("OMP_THREAD_LIMIT") == "1"


def test_out_of_time_a_pdf_with_text_keeps_it_and_one_without_fails() -> None:
    from ingest.loaders.pdf import load_pdf

    hurried = ParseLimits(timeout_s=0.01)  # in process: no worker alarm, only OCR's deadline
    doc = load_pdf(scanned_pdf(text_page=True), "inspection.pdf", hurried)
    assert PAGE_ONE in doc.text
    assert "Solveig" not in doc.text
    with pytest.raises(ParseLimitError, match="page 1 by OCR"):
        load_pdf(scanned_pdf(text_page=False), "scan.pdf", hurried)


def test_a_language_without_its_data_is_named_with_its_package() -> None:
    from ingest.loaders.pdf import load_pdf

    with pytest.raises(EmptyDocumentError, match="apt-get install tesseract-ocr-zzz"):
        load_pdf(scanned_pdf(text_page=False), "scan.pdf", ParseLimits(ocr_language="eng+zzz"))
