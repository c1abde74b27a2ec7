from pathlib import Path

import pytest

from ingest.loaders import UnsupportedFileError, load_file


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


def test_utf16_with_bom_is_text(tmp_path: Path) -> None:
    p = tmp_path / "u.txt"
    p.write_bytes("Hello UTF-16 world.".encode("utf-16"))
    assert load_file(p, max_bytes=1000).text == "Hello UTF-16 world."


def test_windows_1252_fallback(tmp_path: Path) -> None:
    p = tmp_path / "w.txt"
    p.write_bytes("Café – déjà vu.".encode("cp1252"))
    assert "Café" in load_file(p, max_bytes=1000).text


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("x.pdf", b"%PDF-1.4", "unsupported file type .pdf"),
        ("bin.txt", b"\x00\x01\x02binary", "binary"),
        ("big.txt", b"a" * 2000, "exceeds the limit"),
    ],
)
def test_bad_files_are_rejected_clearly(
    tmp_path: Path, name: str, data: bytes, message: str
) -> None:
    p = tmp_path / name
    p.write_bytes(data)
    with pytest.raises(UnsupportedFileError, match=message):
        load_file(p, max_bytes=1000)
