"""Bad input through the CLI, as a user meets it: each file or question gets a clear message,
never a traceback, and the index does not change (same document hashes, same vector counts).

Unit-level checks of the same readers live in test_documents.py; here every bad file goes
through `python -m rag ingest` against a real index, and every odd question through
`python -m rag ask --batch`.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

from rag.ingest.store import Index

from .conftest import DOCS, make_settings
from .proc import Site, cli, index_state

ARTICLE = "russia-north-korea.txt"
MB = 1_000_000


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Site:
    root = tmp_path_factory.mktemp("bad-input")
    shutil.copytree(DOCS, root / "docs")
    index = Index(make_settings(root / "idx"))
    assert index.ingest([root / "docs"]).added
    return Site(root, index)


def _pdf_without_text(path: Path) -> None:
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(612, 792)  # what a scan without OCR looks like to a text extractor
    writer.write(str(path))


def _fifty_megabytes(path: Path) -> None:
    line = b"The convoy moved north at dawn and reached the river by noon.\n"
    with open(path, "wb") as out:
        out.write(line * (50 * MB // len(line) + 1))


def _yaml_alias_bomb() -> str:
    levels = ["a: &a [x, x, x, x, x, x, x, x, x]"]
    for prev, name in zip("abcdefgh", "bcdefghi"):
        levels.append(f"{name}: &{name} [{', '.join([f'*{prev}'] * 9)}]")
    return "---\n" + "\n".join(levels) + "\n---\nBody text here.\n"


@dataclass(frozen=True)
class BadFile:
    """A file to create (name, writer of its content) and the message the CLI must print."""

    name: str
    write: Callable[[Path], None]
    message: str


def _bytes(data: bytes) -> Callable[[Path], None]:
    return lambda path: path.write_bytes(data)


def _text(data: str) -> Callable[[Path], None]:
    return lambda path: path.write_text(data, encoding="utf-8")


BAD_FILES = {
    "empty": BadFile("empty.txt", _bytes(b""), "file is empty"),
    "binary": BadFile("photo.txt", _bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" * 50),
                      "looks like a binary file"),
    "non-utf8": BadFile("latin1.txt", _bytes("Le café était fermé à midi.".encode("latin-1")),
                        "not valid UTF-8"),
    "50MB": BadFile("huge.txt", _fifty_megabytes, "over the 20.0 MB limit"),
    "yaml-unclosed": BadFile("unclosed.md", _text("---\ntitle: [oops\n---\nBody text.\n"),
                             "malformed YAML front matter"),
    "yaml-bad-date": BadFile("bad-date.md", _text("---\ndate: 2025-13-45\n---\nBody text.\n"),
                             "malformed YAML front matter"),
    "yaml-python-tag": BadFile(
        "tag.md", _text("---\nx: !!python/object/apply:os.system ['echo hi']\n---\nBody.\n"),
        "malformed YAML front matter"),
    "yaml-recursive-alias": BadFile("loop.md", _text("---\na: &a [*a]\n---\nBody text.\n"),
                                    "aliases"),
    "yaml-alias-bomb": BadFile("bomb.md", _text(_yaml_alias_bomb()), "aliases"),
    "pdf-no-text": BadFile("scan.pdf", _pdf_without_text, "PDF has no text layer"),
    "pdf-corrupt": BadFile("broken.pdf", _bytes(b"%PDF-1.4\n" + bytes(range(256)) * 8),
                           "cannot read PDF"),
    "headings-only": BadFile("outline.md", _text("# Report\n\n## Background\n\n## Outlook\n"),
                             "no sentences found"),
    "html-scripts-only": BadFile("page.html", _text("<html><script>alert(1)</script></html>"),
                                 "no sentences found"),
    "same-content-other-name": BadFile(
        "copy-of-article.txt", lambda p: shutil.copy(DOCS / ARTICLE, p), "same content as"),
}


@pytest.fixture(scope="module")
def refusals(site: Site) -> dict[str, subprocess.CompletedProcess]:
    """`python -m rag ingest BAD_FILE` per case, each on its own copy of the site's index.

    The copies let the processes run in parallel (on one index they would refuse each other
    as second writers); each copy starts equal to the site's index.
    """
    def ingest(case: str) -> subprocess.CompletedProcess:
        folder = site.root / "bad" / case
        folder.mkdir(parents=True)
        BAD_FILES[case].write(folder / BAD_FILES[case].name)
        shutil.copytree(site.root / "idx", folder / "idx")
        return cli(["ingest", str(folder / BAD_FILES[case].name), "--index",
                    str(folder / "idx")], site.root)

    with ThreadPoolExecutor(4) as pool:
        return dict(zip(BAD_FILES, pool.map(ingest, BAD_FILES)))


@pytest.mark.slow
@pytest.mark.integration
@pytest.mark.parametrize("case", list(BAD_FILES))
def test_bad_file_is_refused_with_a_message_and_changes_nothing(case: str, site: Site,
                                                                 refusals):
    result = refusals[case]
    assert result.returncode == 1, result.stdout + result.stderr
    assert BAD_FILES[case].message in result.stderr, result.stderr
    assert "Traceback" not in result.stderr, result.stderr
    after = Index(make_settings(site.root / "bad" / case / "idx"))
    assert index_state(after) == index_state(site.index)


@pytest.mark.integration
def test_same_file_by_symlink_is_the_same_document(site: Site, tmp_path: Path):
    link = tmp_path / "alias.txt"
    link.symlink_to(site.root / "docs" / ARTICLE)
    before = index_state(site.index)
    report = site.index.ingest([link, site.root / "docs"])
    assert report.unchanged and not report.changed and not report.errors
    assert index_state(site.index) == before


@pytest.mark.integration
def test_renamed_file_keeps_its_document(tmp_path: Path):
    folder = tmp_path / "docs"
    shutil.copytree(DOCS, folder)
    index = Index(make_settings(tmp_path / "idx"))
    index.ingest([folder])
    (folder / ARTICLE).rename(folder / "renamed.txt")
    report = index.ingest([folder])
    assert [Path(r.source).name for r in index.documents()] == ["renamed.txt"], report
    assert index.sentences.count() == index.documents()[0].sentences


@pytest.mark.integration
def test_ingest_from_another_working_directory_loses_nothing(tmp_path: Path, monkeypatch):
    work = tmp_path / "work"
    shutil.copytree(DOCS, work / "docs")
    index = Index(make_settings(tmp_path / "idx"))
    monkeypatch.chdir(work)
    index.ingest([Path("docs")])  # sources are recorded relative to this folder
    monkeypatch.chdir(tmp_path)
    report = index.ingest([work / "docs"])
    assert not report.removed and len(index.documents()) == 1, report


def test_utf8_bom_is_not_part_of_a_sentence_or_the_front_matter(tmp_path: Path):
    from rag.ingest.documents import load_document

    path = tmp_path / "windows.md"
    path.write_bytes("\ufeff---\ntitle: Saved on Windows\n---\nThe convoy left at dawn.\n"
                     .encode("utf-8"))
    doc = load_document(path)
    assert doc.title == "Saved on Windows"
    assert [s.text for s in doc.sentences] == ["The convoy left at dawn."]
    assert path.read_text(encoding="utf-8")[doc.sentences[0].start:doc.sentences[0].end] \
        == "The convoy left at dawn."


# ---- questions ------------------------------------------------------------------------------

TEN_THOUSAND = ("how many troops " * 700)[:9_999] + "?"
QUESTIONS = {
    "empty": "",
    "whitespace": " \t\n ",
    "10000-chars": TEN_THOUSAND,
    "control-chars": "how many\x00 troops\x1b[31m\x07 are\x7f involved?",
    "only-control-chars": "\x00\x01\x1b\x7f",
    "cyrillic": "Сколько северокорейских войск?",
    "chinese": "有多少朝鲜士兵？",
    "arabic": "كم عدد الجنود الكوريين الشماليين؟",
    "mixed-scripts": "how many войск 士兵?",
    "emoji-only": "🪖🪖🪖❓",
    "right-to-left-override": "how many \u202etroops\u202c?",
}
ERRORS = {"empty": "question is empty", "whitespace": "question is empty",
          "10000-chars": "10000 characters, over the 2000-character limit",
          "only-control-chars": "question is empty", "emoji-only": "no words"}


@pytest.fixture(scope="module")
def batch_answers(site: Site) -> dict[str, dict]:
    """All odd questions through one `python -m rag ask --batch` process, by name."""
    lines = [json.dumps({"id": name, "question": q}) for name, q in QUESTIONS.items()]
    (site.root / "odd.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = cli(["ask", "--batch", "odd.jsonl", "--index", "idx", "--json"], site.root)
    assert result.returncode == 0 and "Traceback" not in result.stderr, result.stderr
    out = [json.loads(line) for line in result.stdout.splitlines()]
    assert [o["id"] for o in out] == list(QUESTIONS)
    return {o["id"]: o for o in out}


@pytest.mark.slow
@pytest.mark.integration
@pytest.mark.parametrize("name", list(QUESTIONS))
def test_odd_question_gets_an_answer_or_a_clear_error(name: str, batch_answers, site: Site):
    out = batch_answers[name]
    if name in ERRORS:
        assert ERRORS[name] in out["error"] and "answer" not in out, out
        return
    assert "error" not in out and isinstance(out["abstained"], bool), out
    assert out["answer"].strip()
    assert not any(ord(ch) < 32 or 0x7f <= ord(ch) <= 0x9f for ch in out["question"])
    for c in out["citations"]:  # whatever is cited is verbatim
        text = (site.root / c["source"]).read_text(encoding="utf-8")
        assert text[c["start"]:c["end"]] == c["sentence"]
    if name == "control-chars":
        assert "12,000" in out["answer"]


@pytest.mark.integration
def test_ten_thousand_character_question_on_the_command_line(site: Site):
    result = cli(["ask", TEN_THOUSAND, "--index", "idx"], site.root)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "over the 2000-character limit" in result.stderr
    assert len(result.stderr) < 300  # the message does not echo the question back
