import io
import socket
from pathlib import Path

import pytest

from ingest.loaders import (
    EmptyDocumentError,
    LoadedDocument,
    Region,
    UnsupportedFileError,
    UnsupportedTypeError,
    load_file,
    metadata_at,
)
from ingest.uploads import display_name, storage_key

PAGE_ONE = "The harbour of Tromsø reopened on Tuesday after the storm."
PAGE_TWO = "The breakwater repair will cost about four million kroner."

NEWS_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>Harbour reopens after storm | Daily Coast</title></head><body>
<header><nav><ul><li><a href="/">Home</a></li><li><a href="/world">World news menu</a></li>
<li><a href="/sport">Sport section</a></li></ul></nav></header>
<div class="ad banner">ADVERTISEMENT: Buy cheap flights today with SkyDeals</div>
<main><article>
<h1>Harbour reopens after storm</h1>
<p>The harbour of Tromsø reopened on Tuesday after a <b>three-day</b> closure.</p>
<p>Harbour master Ingrid Solberg said that all forty berths had been inspected by divers.</p>
<h2>Damage to the breakwater</h2>
<p>Engineers found a crack of twelve metres in the northern breakwater.</p>
<p>The repair is expected to cost about four million kroner, according to the port authority.</p>
</article>
<aside class="related"><h3>Related stories</h3><ul>
<li><a href="/a">Celebrity chef opens floating restaurant</a></li>
<li><a href="/b">Ten things you never knew about ferries</a></li></ul></aside>
<div class="advert">Sponsored: Win a luxury cruise now</div></main>
<footer><p>Copyright 2024 Daily Coast Media. All rights reserved.</p></footer>
</body></html>"""


def make_pdf(pages: list[str], title: str | None = None, password: str | None = None) -> bytes:
    """A real PDF; an empty string makes a page holding only a filled rectangle.

    `password=""` encrypts (AES-128) with an owner password only, as print-restricted PDFs are.
    """
    from fpdf import FPDF
    from fpdf.enums import EncryptionMethod

    pdf = FPDF()
    if title:
        pdf.set_title(title)
    if password is not None:
        pdf.set_encryption(
            owner_password="owner",
            user_password=password or None,
            encryption_method=EncryptionMethod.AES_128,
        )
    pdf.set_font("helvetica", size=12)
    for text in pages:
        pdf.add_page()
        if text:
            pdf.multi_cell(0, 10, text)
        else:
            pdf.rect(20, 20, 120, 80, style="F")
    return bytes(pdf.output())


def make_docx() -> bytes:
    import docx

    document = docx.Document()
    document.add_heading("Ferry Handbook", level=0)
    document.add_paragraph("This handbook is for the crews of the coastal ferries.")
    document.add_heading("Safety", level=1)
    document.add_paragraph("Life jackets are stored under every seat on the upper deck.")
    document.add_heading("Drills", level=2)
    document.add_paragraph("A fire drill is held every Monday at nine in the morning.")
    table = document.add_table(rows=2, cols=2)
    for cell, value in zip(
        [*table.rows[0].cells, *table.rows[1].cells],
        ["Role", "Name", "Harbour master", "Ingrid Solberg"],
        strict=True,
    ):
        cell.text = value
    document.add_heading("Tickets", level=1)
    document.add_paragraph("Tickets are sold on board with card only.")
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def load(tmp_path: Path, name: str, data: bytes) -> LoadedDocument:
    p = tmp_path / name
    p.write_bytes(data)
    return load_file(p, max_bytes=1_000_000)


def test_text_title_and_newlines(tmp_path: Path) -> None:
    p = tmp_path / "a.txt"
    p.write_bytes(b"\r\nMy Title\r\nBody.\r\n")
    doc = load_file(p, max_bytes=1000)
    assert doc.title == "My Title"
    assert "\r" not in doc.text


def test_markdown_title_from_heading(tmp_path: Path) -> None:
    p = tmp_path / "a.md"
    p.write_text("intro\n\n# Real Title\n\ntext", encoding="utf-8")
    assert load_file(p, max_bytes=1000).title == "Real Title"


def test_markdown_sections_are_heading_paths_outside_code(tmp_path: Path) -> None:
    md = (
        "intro\n\n# Guide\n\nWelcome.\n\n```bash\n# install it\npip install x\n```\n\n"
        "## Setup ##\n\nRun it.\n\n### Linux\n\nUse apt.\n\n~~~\n# not a heading\n~~~\n\n"
        "## Usage\n\nAsk away.\n"
    )
    p = tmp_path / "guide.md"
    p.write_text(md, encoding="utf-8")
    doc = load_file(p, max_bytes=10_000)
    assert doc.text == md
    sections = [r.metadata["section"] for r in doc.regions]
    assert sections == ["Guide", "Guide > Setup", "Guide > Setup > Linux", "Guide > Usage"]
    assert [md[r.start : r.start + 2] for r in doc.regions] == ["# ", "##", "##", "##"]

    def section(needle: str) -> object:
        return metadata_at(doc.regions, md.index(needle)).get("section")

    assert section("intro") is None
    assert section("pip install") == "Guide"
    assert section("Use apt.") == section("# not a heading") == "Guide > Setup > Linux"
    assert section("Ask away.") == "Guide > Usage"


def test_metadata_at_falls_back_to_the_region_before() -> None:
    regions = [Region(0, 10, {"page": 1}), Region(12, 20, {"page": 2})]
    assert metadata_at(regions, 5) == {"page": 1}
    assert metadata_at(regions, 11) == {"page": 1}
    assert metadata_at(regions, 12) == {"page": 2}
    assert metadata_at(regions, 99) == {"page": 2}
    assert metadata_at([Region(5, 9, {"page": 1})], 2) == {}
    assert metadata_at([], 0) == {}


def test_utf16_with_bom_is_text(tmp_path: Path) -> None:
    p = tmp_path / "u.txt"
    p.write_bytes("Hello UTF-16 world.".encode("utf-16"))
    assert load_file(p, max_bytes=1000).text == "Hello UTF-16 world."


@pytest.mark.parametrize(
    ("text", "encoding"),
    [
        ("Café – déjà vu.", "cp1252"),
        ("Le garçon a mangé une crème brûlée à Noël. Ça coûte cher!", "latin-1"),
        ("Größere Äpfel schmecken süß, sagte der Bäcker aus Köln.", "latin-1"),
        ("東京は日本の首都です。人口は約千四百万人です。", "shift_jis"),
        ("Съешь же ещё этих мягких французских булок, да выпей чаю.", "cp1251"),
        ("Hello UTF-16 without a byte-order mark.\nSecond line.", "utf-16-le"),
    ],
)
def test_legacy_encodings_are_detected(tmp_path: Path, text: str, encoding: str) -> None:
    assert load(tmp_path, "legacy.txt", text.encode(encoding)).text == text


def test_pdf_pages_become_regions(tmp_path: Path) -> None:
    doc = load(tmp_path, "report.pdf", make_pdf([PAGE_ONE, PAGE_TWO], title="Harbour Report"))
    assert doc.title == "Harbour Report"
    text = doc.text
    assert text == f"{PAGE_ONE}\n\n{PAGE_TWO}"
    assert [r.metadata for r in doc.regions] == [{"page": 1}, {"page": 2}]
    assert metadata_at(doc.regions, text.index("breakwater")) == {"page": 2}
    assert metadata_at(doc.regions, text.index("Tromsø")) == {"page": 1}


def test_pdf_title_falls_back_to_first_line(tmp_path: Path) -> None:
    assert load(tmp_path, "r.pdf", make_pdf([PAGE_ONE])).title == PAGE_ONE


def test_image_only_pdf_is_reported_as_scanned(tmp_path: Path) -> None:
    said = r"scan\.pdf: no (extractable text|text layer).*OCR"  # OCR installed or not
    with pytest.raises(EmptyDocumentError, match=said):
        load(tmp_path, "scan.pdf", make_pdf(["", ""]))


def test_encrypted_pdfs(tmp_path: Path) -> None:
    assert load(tmp_path, "locked.pdf", make_pdf([PAGE_ONE], password="")).text == PAGE_ONE
    with pytest.raises(UnsupportedFileError, match=r"secret\.pdf: encrypted PDF needs a password"):
        load(tmp_path, "secret.pdf", make_pdf([PAGE_ONE], password="pw"))


@pytest.mark.parametrize(
    "data",
    [b"%PDF-1.4", b"%PDF-1.4\ngarbage\n%%EOF", make_pdf([PAGE_ONE])[:300], b"not a pdf"],
)
def test_corrupt_pdf_is_unreadable(tmp_path: Path, data: bytes) -> None:
    with pytest.raises(UnsupportedFileError, match=r"bad\.pdf: not a readable PDF"):
        load(tmp_path, "bad.pdf", data)


def test_html_keeps_the_article_and_drops_the_page_furniture(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_network(*args: object, **kwargs: object) -> None:
        raise AssertionError("the HTML loader tried to use the network")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    doc = load(tmp_path, "news.html", NEWS_PAGE.encode())
    text = doc.text
    assert doc.title == "Harbour reopens after storm"
    assert "reopened on Tuesday after a three-day closure." in text
    assert "forty berths had been inspected by divers." in text
    assert "about four million kroner, according to the port authority." in text
    for junk in ("World news menu", "SkyDeals", "Related stories", "Celebrity chef", "cruise"):
        assert junk not in text
    assert "Copyright" not in text
    assert "\n\n" in text  # paragraphs stay apart
    assert metadata_at(doc.regions, text.index("four million")) == {
        "section": "Harbour reopens after storm > Damage to the breakwater"
    }


def test_html_legacy_charset_and_short_pages(tmp_path: Path) -> None:
    page = '<html><head><meta charset="iso-8859-1"><title>Caf&eacute;</title></head>'
    page += "<body><p>Crème brûlée à volonté.</p></body></html>"
    doc = load(tmp_path, "menu.htm", page.encode("latin-1"))
    assert doc.text == "Crème brûlée à volonté."
    assert doc.title == "Café"


def test_html_without_text_is_empty(tmp_path: Path) -> None:
    with pytest.raises(EmptyDocumentError, match="empty document"):
        load(tmp_path, "blank.html", b"<html><body><img src='x.png'></body></html>")


def test_docx_paragraphs_tables_and_heading_sections(tmp_path: Path) -> None:
    doc = load(tmp_path, "handbook.docx", make_docx())
    text = doc.text
    assert doc.title == "Ferry Handbook"
    assert "Life jackets are stored under every seat on the upper deck.\n\nDrills" in text
    assert "| Harbour master | Ingrid Solberg |" in text

    def section(needle: str) -> object:
        return metadata_at(doc.regions, text.index(needle)).get("section")

    assert section("crews of the coastal") == "Ferry Handbook"
    assert section("Life jackets") == "Ferry Handbook > Safety"
    assert section("Ingrid Solberg") == "Ferry Handbook > Safety > Drills"
    assert section("card only") == "Ferry Handbook > Tickets"


def test_corrupt_docx_is_unreadable(tmp_path: Path) -> None:
    with pytest.raises(UnsupportedFileError, match=r"bad\.docx: not a readable DOCX"):
        load(tmp_path, "bad.docx", make_docx()[:500])


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("empty.txt", b""),
        ("blank.md", b"\n  \n\t\n"),
        ("bom.txt", "  \n".encode("utf-16")),
        ("empty.pdf", b""),
        ("empty.docx", b""),
        ("empty.html", b"   "),
    ],
)
def test_empty_files_are_reported_not_indexed(tmp_path: Path, name: str, data: bytes) -> None:
    with pytest.raises(EmptyDocumentError, match=rf"{name}: empty document"):
        load(tmp_path, name, data)


@pytest.mark.parametrize(
    ("name", "data", "error", "message"),
    [
        ("x.png", b"\x89PNG\r\n", UnsupportedTypeError, r"unsupported file type \.png.*\.pdf"),
        ("bin.txt", b"\x00\x01\x02binary", UnsupportedFileError, "binary"),
        ("ctl.md", b"\x01\x02\x03\x04\x05 data", UnsupportedFileError, "binary"),
        ("blob.html", bytes(range(256)) * 4, UnsupportedFileError, "binary"),
        ("big.txt", b"a" * 2000, UnsupportedFileError, "exceeds the limit"),
    ],
)
def test_bad_files_are_rejected_clearly(
    tmp_path: Path, name: str, data: bytes, error: type[Exception], message: str
) -> None:
    p = tmp_path / name
    p.write_bytes(data)
    with pytest.raises(error, match=message):
        load_file(p, max_bytes=1100)


def test_front_matter_and_header_fields_give_the_title() -> None:
    from ingest.loaders.base import load_bytes
    from ingest.loaders.fields import leading_fields

    md = b'---\nlayout: post\ntitle: "Jekyll 4.3.0 Released"\nauthor: ashmaroli\n---\n\nBody.\n'
    assert load_bytes(md, "post.md").title == "Jekyll 4.3.0 Released"
    txt = b"Name: libfoo\nTitle: The libfoo manual\nAuthors: A. One,\n  B. Two\n\nBody text.\n"
    assert load_bytes(txt, "card.txt").title == "The libfoo manual"
    assert leading_fields(txt.decode())["authors"] == "A. One,"
    assert leading_fields("Just a sentence: with a colon inside it.\nAnd more prose.") == {}


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("报告.txt", "报告.txt"),
        ("re\u0301sume\u0301.md", "résumé.md"),  # NFC
        ("../../etc/passwd.txt", "passwd.txt"),
        ("C:\\Users\\me\\notes.txt", "notes.txt"),
        ("bell\x07and\x00nul.txt", "bellandnul.txt"),
        ("  .hidden.txt ", "hidden.txt"),
    ],
)
def test_upload_display_names_keep_the_users_name(raw: str, shown: str) -> None:
    assert display_name(raw) == shown


def test_upload_storage_keys_never_collide_and_stay_short() -> None:
    names = ["报告.txt", "提案.txt", "a+b.txt", "a&b.txt", "a%2Bb.txt", "a_b.txt", "A_b.txt"]
    long_names = [f"{'x' * 300}{i}.pdf" for i in range(3)]
    keys = [storage_key(display_name(n)) for n in names + long_names]
    assert len(set(keys)) == len(keys)
    assert all(len(k.encode()) <= 200 and "/" not in k for k in keys)
    assert all(k.endswith(".pdf") for k in keys[len(names) :])
    assert storage_key("plain name.txt") == "plain name.txt"


def test_an_unusable_upload_name_is_refused() -> None:
    with pytest.raises(UnsupportedFileError):
        display_name("\x00\x01 ..")
