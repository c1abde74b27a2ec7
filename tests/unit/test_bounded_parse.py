"""Hostile files cost a bounded worker seconds and megabytes, never the calling process."""

from __future__ import annotations

import copy
import io
import os
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from ingest.loaders import (
    EmptyDocumentError,
    LoadedDocument,
    ParseLimitError,
    ParseLimits,
    UnsupportedFileError,
    UnsupportedTypeError,
    load_bytes,
)
from ingest.loaders.bounded import BoundedParser
from service.settings import Settings
from tests.unit.test_loaders import NEWS_PAGE, make_docx, make_pdf

RSS_BOUND_MB = 50


def rss_mb() -> float:
    with open("/proc/self/status") as fh:
        line = next(line for line in fh if line.startswith("VmRSS:"))
    return int(line.split()[1]) / 1024


def descendants(pid: int) -> set[int]:
    """Every process below `pid`, from /proc."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            status = (entry / "status").read_text()
        except OSError:
            continue
        ppid = int(next(ln for ln in status.splitlines() if ln.startswith("PPid:")).split()[1])
        children.setdefault(ppid, []).append(int(entry.name))
    found: set[int] = set()
    todo = [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.add(child)
            todo.append(child)
    return found


@pytest.fixture(scope="module")
def parser() -> Iterator[BoundedParser]:
    bounded = BoundedParser()
    bounded.warm_up()
    yield bounded
    bounded.close()


def base_docx() -> zipfile.ZipFile:
    out = io.BytesIO()
    import docx

    docx.Document().save(out)
    return zipfile.ZipFile(out)


def docx_with_body(path: Path, chunks: Iterator[bytes], *, zip64: bool = True) -> None:
    """A real DOCX whose word/document.xml body is streamed in, never held in memory."""
    src = base_docx()
    head = src.read("word/document.xml")
    start = head[: head.index(b"<w:body>") + len(b"<w:body>")]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        for info in src.infolist():
            if info.filename != "word/document.xml":
                zf.writestr(info.filename, src.read(info.filename))
        with zf.open("word/document.xml", "w", force_zip64=zip64) as fh:
            fh.write(start)
            for chunk in chunks:
                fh.write(chunk)
            fh.write(b"</w:body></w:document>")


def spaces(total: int) -> Iterator[bytes]:
    chunk = b" " * (1 << 20)
    for _ in range(total >> 20):
        yield chunk


def many_pages_pdf(pages: int, *, declared: int | None = None) -> bytes:
    """A valid PDF whose pages share one content stream, so 20,000 pages take 2 MB."""
    content = b"BT /F1 12 Tf 72 720 Td (Every page says the same thing.) Tj ET"
    kids = b" ".join(b"%d 0 R" % (5 + i) for i in range(pages))
    page = b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 3 0 R "
    page += b"/Resources << /Font << /F1 4 0 R >> >> >>"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Count %d /Kids [%s] >>" % (declared or pages, kids),
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(content), content),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        *[page] * pages,
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\n" % (len(objects) + 1)
    out += b"startxref\n%d\n%%%%EOF\n" % xref
    return bytes(out)


def test_zip_bomb_is_refused_before_it_expands(parser: BoundedParser, tmp_path: Path) -> None:
    bomb = tmp_path / "bomb.docx"
    docx_with_body(bomb, spaces(1 << 30))  # 1 GiB of XML in about 5 MB
    data = bomb.read_bytes()
    for parse in (parser.parse, load_bytes):
        before, started = rss_mb(), time.monotonic()
        with pytest.raises(ParseLimitError, match=r"bomb\.docx: \d+ bytes unzipped exceeds .*"):
            parse(data, "bomb.docx")
        assert time.monotonic() - started < 2
        assert rss_mb() - before < RSS_BOUND_MB
    with pytest.raises(ParseLimitError, match="RAGCHAT_PARSE__MAX_UNZIPPED_BYTES"):
        parser.parse(data, "bomb.docx")


def test_zip_sizes_that_lie_are_caught_while_unpacking(tmp_path: Path) -> None:
    """The central directory says 1 KB, the entry inflates to 64 MiB: never read past it."""
    path = tmp_path / "liar.docx"
    docx_with_body(path, spaces(64 << 20), zip64=False)
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as archive:
        local = archive.getinfo("word/document.xml").header_offset
    central = data.rindex(b"word/document.xml") - 46  # the central directory comes last
    lie = (1024).to_bytes(4, "little")
    data[local + 22 : local + 26] = data[central + 24 : central + 28] = lie
    before = rss_mb()
    with pytest.raises(UnsupportedFileError, match=r"liar\.docx: not a readable DOCX file"):
        load_bytes(bytes(data), "liar.docx")
    assert rss_mb() - before < RSS_BOUND_MB


def test_zip_with_100k_entries_is_refused_before_listing(parser: BoundedParser) -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as zf:
        for number in range(100_000):
            zf.writestr(zipfile.ZipInfo(f"{number:x}"), b"")
    data = out.getvalue()
    before, started = rss_mb(), time.monotonic()
    with pytest.raises(ParseLimitError, match=r"100000 zip entries .*MAX_ZIP_ENTRIES"):
        parser.parse(data, "entries.docx")
    assert time.monotonic() - started < 2
    assert rss_mb() - before < RSS_BOUND_MB


def paragraph_bomb() -> bytes:
    """A 38 KB DOCX: a "Letters" heading and 20,000 paragraphs of one letter each."""
    import docx

    document = docx.Document()
    document.add_heading("Letters", level=1)
    letter = document.add_paragraph("a")._p
    for _ in range(19_999):
        letter.addnext(copy.deepcopy(letter))
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def test_20k_paragraph_docx_parses_in_well_under_two_seconds() -> None:
    """python-docx's `Paragraph.style` scanned every style per paragraph: 20 to 50 s before."""
    data = paragraph_bomb()
    started = time.monotonic()
    doc = load_bytes(data, "letters.docx")
    assert time.monotonic() - started < 4  # 0.7 s measured; loose for a busy machine
    assert doc.text == "Letters\n\n" + "\n\n".join(["a"] * 20_000)
    assert [r.metadata for r in doc.regions] == [{"section": "Letters"}]


def test_html_with_millions_of_elements_is_refused(parser: BoundedParser) -> None:
    data = b"<html><body>" + b"<b>x</b>" * 2_000_000 + b"</body></html>"
    before, started = rss_mb(), time.monotonic()
    with pytest.raises(ParseLimitError, match=r"2000002 HTML elements .*MAX_HTML_NODES"):
        parser.parse(data, "nodes.html")
    assert time.monotonic() - started < 3
    assert rss_mb() - before < RSS_BOUND_MB


@pytest.mark.parametrize(
    ("pages", "declared"), [(20_000, None), (6_000, 1)], ids=["true-count", "lying-count"]
)
def test_pdf_with_many_pages_is_refused(
    parser: BoundedParser, pages: int, declared: int | None
) -> None:
    data = many_pages_pdf(pages, declared=declared)
    started = time.monotonic()
    with pytest.raises(ParseLimitError, match=rf"{pages} pages .*MAX_PDF_PAGES"):
        parser.parse(data, "pages.pdf")
    assert time.monotonic() - started < 5


def test_extracted_text_is_limited_in_every_format() -> None:
    limits = ParseLimits(max_text_chars=100)
    long_text = "A sentence of about fifty characters in length. " * 4
    for name, data in [
        ("long.txt", long_text.encode()),
        ("long.pdf", make_pdf([long_text])),
        ("long.docx", make_docx()),
        ("long.html", NEWS_PAGE.encode()),
    ]:
        with pytest.raises(ParseLimitError, match=rf"{name}: \d+ characters .*MAX_TEXT_CHARS"):
            load_bytes(data, name, limits=limits)


def test_a_slow_parse_is_ended_at_the_timeout() -> None:
    slow = b"<html><body>" + b"<p>Some words of text here.</p>" * 100_000 + b"</body></html>"
    parser = BoundedParser(ParseLimits(timeout_s=1.0))
    try:
        started = time.monotonic()
        with pytest.raises(ParseLimitError, match=r"longer than .* 1\.0 s .*TIMEOUT_S"):
            parser.parse(slow, "slow.html")  # 8 s unbounded
        assert time.monotonic() - started < 3
    finally:
        parser.close()


def test_a_parse_that_needs_too_much_memory_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "big.docx"
    para = b"<w:p><w:r><w:t>" + b"word " * 12 + b"</w:t></w:r></w:p>"
    docx_with_body(path, iter([para * 100_000]))  # 11 MB of XML: python-docx needs ~100 MB
    data = path.read_bytes()
    parser = BoundedParser(ParseLimits(memory_mb=32))
    try:
        before = rss_mb()
        with pytest.raises(ParseLimitError, match=r"more memory than .* 32 MB .*MEMORY_MB"):
            parser.parse(data, "big.docx")
        assert rss_mb() - before < RSS_BOUND_MB
    finally:
        parser.close()


def test_a_worker_answers_as_load_bytes_does(parser: BoundedParser) -> None:
    samples = {
        "notes.md": b"# Notes\n\nSome text.\n\n## More\n\nOther text.\n",
        "handbook.docx": make_docx(),
        "report.pdf": make_pdf(["Page one text.", "Page two text."], title="Report"),
        "news.html": NEWS_PAGE.encode(),
    }
    for name, data in samples.items():
        doc = parser.parse(data, name)
        assert isinstance(doc, LoadedDocument)
        assert doc == load_bytes(data, name)
    with pytest.raises(EmptyDocumentError, match=r"blank\.html: empty document"):
        parser.parse(b"<html><body><img src='x.png'></body></html>", "blank.html")
    with pytest.raises(UnsupportedFileError, match=r"bad\.docx: not a readable DOCX"):
        parser.parse(make_docx()[:500], "bad.docx")
    with pytest.raises(UnsupportedTypeError, match=r"unsupported file type \.png"):
        parser.parse(b"\x89PNG", "x.png")


def test_small_files_pay_little_for_the_worker(parser: BoundedParser) -> None:
    data = b"A short note.\n\nIt has two paragraphs.\n"
    started = time.monotonic()
    for _ in range(10):
        parser.parse(data, "note.txt")
    assert (time.monotonic() - started) / 10 < 0.1  # about 5 ms measured


def settled(expected: int, before: set[int]) -> set[int]:
    """Our new processes once exactly `expected` remain (a worker exits just after it answers)."""
    deadline = time.monotonic() + 3
    while len(ours := descendants(os.getpid()) - before) != expected:
        if time.monotonic() > deadline:
            break
        time.sleep(0.05)
    return ours


def test_workers_never_outlive_their_parse() -> None:
    before = descendants(os.getpid())
    parser = BoundedParser(ParseLimits(timeout_s=1.0))
    slow = b"<html><body>" + b"<p>Some words of text here.</p>" * 100_000 + b"</body></html>"
    try:
        parser.parse(b"warm up", "a.txt")
        helper = settled(1, before)
        assert len(helper) == 1
        with pytest.raises(ParseLimitError):
            parser.parse(slow, "slow.html")
        for number in range(5):
            parser.parse(b"again", f"{number}.txt")
        assert settled(1, before) == helper  # the helper alone: every worker has ended
    finally:
        parser.close()
    assert settled(0, before) == set()


def test_parse_settings_give_the_limits(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RAGCHAT_PARSE__MAX_PDF_PAGES", "7")
    monkeypatch.setenv("RAGCHAT_PARSE__TIMEOUT_S", "2.5")
    limits = Settings(_env_file=None).parse.limits()  # type: ignore[call-arg]
    assert limits == ParseLimits(max_pdf_pages=7, timeout_s=2.5)
