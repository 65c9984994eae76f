"""Reading files: layout, sentences with exact offsets, metadata, and clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from rag.ingest.documents import DocumentError, load_document

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


WRAPPED = ("The task force will add four frigates to the escort rotation by the end\n"
           "of March, according to the deputy commander. Insurers said premiums had\n"
           "risen sharply, and underwriters at Lloyd's quoted a single transit of the\n"
           "Southern Red Sea at one per cent of a hull's value, ten times the rate\n"
           "of a year ago.\n")


@pytest.mark.parametrize("suffix", [".md", ".txt"])
def test_hard_wrapped_paragraphs_keep_sentences_whole(tmp_path: Path, suffix: str):
    """Issue 15: a paragraph wrapped at 72 columns is one paragraph; a sentence that runs on
    over a line break is one sentence, and its text is still the exact slice of the file (the
    line break included). A wrapped line that looks like a heading (short, capitalised, no final
    stop: "Houthi forces ... from") is not one; headings, bullets and blank lines still split."""
    text = (("# " if suffix == ".md" else "") + "Red Sea escorts\n\n" + WRAPPED + "\n"
            "Background:\n"
            "Houthi forces attacked merchant ships in the southern Red Sea from\n"
            "November and kept up the attacks through the winter.\n\n"
            "- A bullet that wraps onto a second line because it is long enough to\n"
            "  need one.\n"
            "- Another bullet.\n\n"
            "A closing paragraph on one line.\n")
    path = tmp_path / f"escorts{suffix}"
    path.write_bytes(text.encode("utf-8"))
    doc = load_document(path)
    raw = path.read_bytes().decode("utf-8")
    for s in doc.sentences:
        assert raw[s.start:s.end] == s.text
    texts = [" ".join(s.text.split()) for s in doc.sentences]
    assert texts == [
        "The task force will add four frigates to the escort rotation by the end of March, "
        "according to the deputy commander.",
        "Insurers said premiums had risen sharply, and underwriters at Lloyd's quoted a single "
        "transit of the Southern Red Sea at one per cent of a hull's value, ten times the rate "
        "of a year ago.",
        "Houthi forces attacked merchant ships in the southern Red Sea from November and kept "
        "up the attacks through the winter.",
        "A bullet that wraps onto a second line because it is long enough to need one.",
        "Another bullet.",
        "A closing paragraph on one line.",
    ]
    assert "end\nof March" in doc.sentences[0].text  # verbatim: the line break stays
    assert doc.title == "Red Sea escorts"
    assert doc.sections == ["Red Sea escorts", "Background"]
    assert [s.section for s in doc.sentences] == ["Red Sea escorts"] * 2 + ["Background"] * 4
    assert [s.kind for s in doc.sentences] == ["paragraph"] * 3 + ["bullet"] * 2 + ["paragraph"]
    assert doc.sentences[0].block == doc.sentences[1].block  # one paragraph
    assert len({s.block for s in doc.sentences}) == 5


def test_plain_text_with_one_paragraph_a_line_still_splits_at_each_line(tmp_path: Path):
    """Unwrapped plain text (the shipped article's layout: long lines, headings on lines of
    their own with no blank line around them) keeps one paragraph per line."""
    long = "The convoy was delayed by a day because the escort ships were refuelling. " * 3
    text = (f"{long.strip()}\nSecond Section Without A Stop\n{long.strip()}\n"
            "• A bullet without a stop that runs on past the width of a wrapped file, "
            "well past one hundred characters\n"
            "Third Section\n" + long)
    path = tmp_path / "convoy.txt"
    path.write_text(text, encoding="utf-8")
    doc = load_document(path)
    assert doc.sections == ["Second Section Without A Stop", "Third Section"]
    assert len({s.block for s in doc.sentences}) == 4
    assert [s.kind for s in doc.sentences].count("bullet") == 1
    assert not any("\n" in s.text for s in doc.sentences)


def test_plain_text_title_comes_from_its_first_line(tmp_path: Path):
    """Issue 15: a `.txt` file whose first line is a short title followed by a blank line
    takes it as its title (a heading, not a sentence); otherwise the file name gives it."""
    titled = tmp_path / "red-sea-report.txt"
    titled.write_text("Red Sea escorts to grow by four frigates\n\n"
                      "The task force will add four frigates by March.\n", encoding="utf-8")
    doc = load_document(titled)
    assert doc.title == "Red Sea escorts to grow by four frigates"
    assert [s.text for s in doc.sentences] == ["The task force will add four frigates by March."]
    assert doc.sentences[0].section == doc.title
    for first in ("The task force will add four frigates by March.",  # a sentence
                  "A" * 120):  # too long for a title
        plain = tmp_path / "red-sea-notes.txt"
        plain.write_text(f"{first}\n\nInsurers said premiums had risen.\n", encoding="utf-8")
        doc = load_document(plain)
        assert doc.title == "Red Sea Notes"
        assert doc.sentences[0].text == first
    run_on = tmp_path / "red-sea-memo.txt"  # no blank line after it: the first line of a text
    run_on.write_text("Insurers said premiums had risen\nsharply in March.\n", encoding="utf-8")
    assert load_document(run_on).title == "Red Sea Memo"


def test_plain_text_title_line_with_windows_line_ends(tmp_path: Path):
    path = tmp_path / "notes.txt"
    path.write_bytes(b"Convoy notes\r\n\r\nThe convoy left at dawn.\r\nIt reached Aden\r\n"
                     b"by noon.\r\n")
    doc = load_document(path)
    raw = path.read_bytes().decode("utf-8")
    assert doc.title == "Convoy notes"
    assert [" ".join(s.text.split()) for s in doc.sentences] == [
        "The convoy left at dawn.", "It reached Aden by noon."]
    assert all(raw[s.start:s.end] == s.text for s in doc.sentences)


def test_plain_text_table_rows_are_not_joined(tmp_path: Path):
    """Rows of a plain-text table in a wrapped file fill the width without a final stop; they
    do not run on into each other as wrapped prose does."""
    rows = ["| Ship            | Flag     | Hit on         | Damage reported            |",
            "| Rubymar         | Belize   | 18 February    | sank after two weeks       |",
            "| True Confidence | Barbados | 6 March        | three crew killed          |"]
    path = tmp_path / "ships.txt"
    path.write_text("Ships hit in the Red Sea this year were listed by the monitor below.\n\n"
                    + "\n".join(rows) + "\n", encoding="utf-8")
    doc = load_document(path)
    assert [s.text for s in doc.sentences][-3:] == rows
