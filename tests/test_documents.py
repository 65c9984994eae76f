"""Reading files: layout, sentences with exact offsets, metadata, and clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from rag.documents import DocumentError, load_document

from .conftest import DOCS


def test_shipped_article_offsets_slice_the_file_exactly():
    path = DOCS / "russia-north-korea.txt"
    doc = load_document(path)
    raw = path.read_text(encoding="utf-8")
    assert len(doc.sentences) > 20
    for s in doc.sentences:
        assert raw[s.start:s.end] == s.text
        assert s.text == s.text.strip()


def test_headings_and_bullets_are_recognised():
    doc = load_document(DOCS / "russia-north-korea.txt")
    assert "At a glance" in doc.sections
    assert "North Korea’s Military Support for Russia" in doc.sections
    bullets = [s for s in doc.sentences if s.kind == "bullet"]
    assert len(bullets) == 5 and all(s.section == "At a glance" for s in bullets)
    assert not any(s.text.startswith(("•", "At a glance")) for s in doc.sentences)
    troops = next(s for s in doc.sentences if s.text.startswith("Intelligence reports"))
    assert troops.section == "North Korea’s Military Support for Russia"


def test_abbreviations_decimals_and_quotes(tmp_path: Path):
    text = ("---\ntitle: Field report\nsource: Desk A\ndate: 2025-03-01\nreliability: B\n---\n"
            "# Summary\n\n"
            "The U.S. envoy met Dr. Lee at 3.5 p.m. in Washington, D.C. on Monday. "
            "Output grew 3.5 percent. \"We will return,\" the envoy said. Talks end today.\n\n"
            "## Figures\n\n- Around 4,000 tons were shipped\n- Costs rose by 2.1 percent\n")
    path = tmp_path / "report.md"
    path.write_text(text, encoding="utf-8")
    doc = load_document(path)
    assert doc.title == "Field report"
    assert doc.metadata["reliability"] == "B" and str(doc.metadata["date"]) == "2025-03-01"
    texts = [s.text for s in doc.sentences]
    assert texts[0] == "The U.S. envoy met Dr. Lee at 3.5 p.m. in Washington, D.C. on Monday."
    assert "Output grew 3.5 percent." in texts
    assert '"We will return," the envoy said.' in texts
    assert "Around 4,000 tons were shipped" in texts
    assert [s.section for s in doc.sentences if s.kind == "bullet"] == ["Figures", "Figures"]
    for s in doc.sentences:
        assert text[s.start:s.end] == s.text


@pytest.mark.parametrize("content,message", [
    (b"", "empty"),
    (b"\x00\x01\x02binary\x00", "binary"),
    ("caf\u00e9 au lait. ".encode("latin-1"), "UTF-8"),
    (b"---\ntitle: [unclosed\n---\nBody text here.\n", "malformed YAML"),
    (b"# Only\n\n## Headings\n", "no sentences"),
])
def test_bad_files_raise_clear_errors(tmp_path: Path, content: bytes, message: str):
    path = tmp_path / "bad.md"
    path.write_bytes(content)
    with pytest.raises(DocumentError, match=message):
        load_document(path)


def test_oversized_and_unsupported_files(tmp_path: Path):
    big = tmp_path / "big.txt"
    big.write_text("A sentence. " * 2000, encoding="utf-8")
    with pytest.raises(DocumentError, match="limit"):
        load_document(big, max_bytes=1000)
    other = tmp_path / "sheet.xlsx"
    other.write_bytes(b"PK")
    with pytest.raises(DocumentError, match="unsupported"):
        load_document(other)
