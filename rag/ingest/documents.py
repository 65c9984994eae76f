"""Read files into documents: text, metadata, sections, and sentences with exact offsets.

`load_document(path)` takes a `.txt`, `.md`, `.html`, `.pdf`, `.docx` or `.eml` file and returns a
`Document` whose `sentences` each carry `start`/`end` such that `document.text[start:end] ==
sentence.text`. For `.txt` and `.md`, `document.text` is the file's exact UTF-8 content (front
matter included), so the offsets also slice the file on disk. For the other formats it is the
extracted text (`rag.ingest.formats`: main text of a web page, Word paragraphs, an e-mail's body),
stored in the index and served by `GET /api/documents/{id}/text`; their metadata (title, source,
date, ...) comes from the file as front matter's would. Layout comes first (headings, bullets, blank
lines), then pysbd splits each block into sentences; headings label sections and are not sentences.
A paragraph hard-wrapped over several lines is one block, and a sentence that runs on over a line
break is one sentence whose text keeps that line break (it is still the exact slice of the file). A
`.txt` file whose first line is a short title followed by a blank line takes it as its title, as a
Markdown file does its first heading.
Bad input raises `DocumentError` with a message that says what is wrong.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

SUPPORTED_SUFFIXES = (".txt", ".md", ".markdown", ".html", ".htm", ".pdf", ".docx", ".eml")
HTML_SUFFIXES = (".html", ".htm")
# Formats whose indexed text is extracted, not the file itself: offsets index that text.
EXTRACTED_SUFFIXES = (*HTML_SUFFIXES, ".pdf", ".docx", ".eml")
# Sentences one document may hold (SITREP_MAX_DOC_SENTENCES). File bytes do not bound a PDF's
# text: a 3 KB PDF can draw 20,000 lines, each sentence embedded and stored.
MAX_DOC_SENTENCES = 10_000

_MD_HEADING = re.compile(r"^(#{1,6})[ \t]+(.+?)[ \t#]*$")
_BULLET = re.compile(r"^[ \t]*(?:[-*+•●▪◦‣]|\d{1,3}[.)])[ \t]+")
_FRONT_MATTER = re.compile(r"\A\ufeff?---[ \t]*\r?\n(.*?)\r?\n---[ \t]*(?:\r?\n|\Z)", re.S)
_SENTENCE_END = (".", "!", "?", "…", '"', "”", "’", "'", ";", ",")
# How a line that ends a sentence ends (a closing quote or bracket may follow the mark).
_ENDS_SENTENCE = re.compile(r"[.!?…:][\"”’')\]]*$")
# Plain text wrapped at a fixed column (72, 80, ...) keeps its lines this short.
MAX_WRAP_WIDTH = 100
# A line wraps into the next when it and the next line's first word pass this share of the width.
_WRAP_FILL = 0.85


class DocumentError(ValueError):
    """A file cannot be turned into a document; the message says why and what to do."""


@dataclass(frozen=True)
class Sentence:
    """One citable sentence: `text == document.text[start:end]`."""

    index: int
    start: int
    end: int
    text: str
    section: str
    kind: str  # "paragraph" or "bullet"
    block: int  # sentences of one paragraph or bullet share a block number


@dataclass
class Document:
    """A parsed source file."""

    source: str  # the path as given (relative to the working directory when it was)
    doc_id: str  # stable id derived from the resolved path
    title: str
    text: str
    sha256: str
    metadata: dict[str, Any] = field(default_factory=dict)
    sentences: list[Sentence] = field(default_factory=list)
    sections: list[str] = field(default_factory=list)


def doc_id_for(path: Path) -> str:
    """A stable 16-hex id for a file, from its resolved path."""
    return hashlib.sha1(str(path.resolve()).encode("utf-8")).hexdigest()[:16]


def display_source(path: Path) -> str:
    """The path as citations show it: relative to the working directory when inside it."""
    resolved = path.resolve()
    try:
        return str(resolved.relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(resolved)


@lru_cache(maxsize=1)
def _segmenter():
    import pysbd

    return pysbd.Segmenter(language="en", clean=False, char_span=True)


# How a paragraph is split into sentences: (text, base) → (start, end) spans shifted by `base`.
# `split_sentences` is the one the product uses; `load_document` and ingest take another only
# from the benchmark (rag/tools/bench.py segments each repeated paragraph once, same spans).
Splitter = Callable[[str, int], list[tuple[int, int]]]


def split_sentences(text: str, base: int = 0) -> list[tuple[int, int]]:
    """Return (start, end) spans of the sentences in `text`, trimmed, shifted by `base`.

    pysbd keeps trailing whitespace in its spans; we trim both ends so each span slices a
    sentence exactly. pysbd ends a sentence at every line break.
    """
    spans: list[tuple[int, int]] = []
    for span in _segmenter().segment(text):
        start, end = span.start, span.end
        while start < end and text[start].isspace():
            start += 1
        while end > start and text[end - 1].isspace():
            end -= 1
        if end > start:
            spans.append((base + start, base + end))
    return spans


def max_doc_sentences(env: dict[str, str] | None = None) -> int:
    """SITREP_MAX_DOC_SENTENCES (default 10,000): the most sentences one document may hold."""
    from rag.config import _number

    return _number(dict(os.environ if env is None else env), "SITREP_MAX_DOC_SENTENCES",
                   MAX_DOC_SENTENCES, 1, 10_000_000)


def _too_many_sentences(path: Path, count: str, limit: int) -> DocumentError:
    return DocumentError(f"{path}: {count} sentences, over the {limit:,}-sentence limit per "
                         "document (raise SITREP_MAX_DOC_SENTENCES or split the file)")


def _check_size(path: Path, max_bytes: int) -> None:
    """Refuse missing, empty and oversized files before reading them."""
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise DocumentError(f"{path}: cannot read file ({exc.strerror})") from None
    if size == 0:
        raise DocumentError(f"{path}: file is empty")
    if size > max_bytes:
        raise DocumentError(
            f"{path}: file is {size / 1e6:.1f} MB, over the {max_bytes / 1e6:.1f} MB limit "
            "(raise SITREP_MAX_FILE_MB or split the file)"
        )


def _read_text(path: Path, max_bytes: int) -> str:
    _check_size(path, max_bytes)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise DocumentError(f"{path}: cannot read file ({exc.strerror})") from None
    if b"\x00" in raw[:8192]:
        raise DocumentError(f"{path}: looks like a binary file, not text")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise DocumentError(
            f"{path}: not valid UTF-8 (byte {exc.start}); re-save the file as UTF-8"
        ) from None


def _front_matter(path: Path, text: str) -> tuple[dict[str, Any], int]:
    """Parse YAML front matter; return (metadata, offset where the body starts)."""
    match = _FRONT_MATTER.match(text)
    if not match:
        return {}, 0
    try:
        # Aliases can nest a value in itself or expand a few lines into gigabytes when the
        # metadata is stored as JSON; front matter never needs them.
        if any(isinstance(e, yaml.AliasEvent) for e in yaml.parse(match.group(1))):
            raise DocumentError(f"{path}: YAML aliases (*name) are not allowed in front "
                                "matter; write the values out")
        data = yaml.safe_load(match.group(1)) or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 2}" if mark is not None else ""
        raise DocumentError(f"{path}: malformed YAML front matter{where}") from None
    except DocumentError:
        raise
    except (ValueError, RecursionError) as exc:  # e.g. `date: 2025-13-45`, or deep nesting
        raise DocumentError(f"{path}: malformed YAML front matter ({exc})") from None
    if not isinstance(data, dict):
        raise DocumentError(f"{path}: YAML front matter must be a mapping of key: value")
    clean = {str(k): (v if isinstance(v, (str, int, float, bool, list)) else str(v))
             for k, v in data.items()}
    return clean, match.end()


def _is_plain_heading(line: str, next_line: str | None) -> bool:
    """A short line with no sentence punctuation, followed by text, reads as a heading."""
    stripped = line.strip()
    if not stripped or next_line is None or not next_line.strip():
        return stripped.endswith(":") and len(stripped) <= 60
    if stripped.endswith(":") and len(stripped) <= 60:
        return True
    words = stripped.split()
    return (
        len(words) <= 12
        and len(stripped) <= 100
        and not stripped.endswith(_SENTENCE_END)
        and stripped[0].isupper()
    )


def _wrap_width(lines: list[tuple[int, str]]) -> int:
    """The column a hard-wrapped file is wrapped at (its longest line), or 0 when it is not
    hard-wrapped: more than a tenth of its lines run past `MAX_WRAP_WIDTH` (one paragraph a
    line, as the shipped article). A long URL or table row alone does not count."""
    lengths = [len(line.rstrip()) for _, line in lines if line.strip()]
    short = [n for n in lengths if n <= MAX_WRAP_WIDTH]
    if len(short) < 2 or len(short) < 0.9 * len(lengths):
        return 0
    return max(short)


def _wraps(line: str, next_line: str | None, width: int) -> bool:
    """Does `line` run on into `next_line` (one paragraph, hard-wrapped)?

    Yes when the next line starts in lower case, or when `line` ends mid-sentence and fills the
    wrap width (the next line's first word would not have fitted on it) and the next line starts
    with a word. A heading or the last line of a paragraph stops short, and a bullet or a blank
    line starts something new.
    """
    if next_line is None or not next_line.strip() or _BULLET.match(next_line) \
            or _MD_HEADING.match(next_line):
        return False
    following = next_line.strip()
    if following[0].islower():
        return True
    if not (following[0].isalnum() or following[0] in "\"'“‘(["):
        return False  # a table row, a rule, a quoted e-mail line: not running text
    stripped = line.rstrip()
    if not width or _ENDS_SENTENCE.search(stripped):
        return False
    return len(stripped) + 1 + len(following.split()[0]) > _WRAP_FILL * width


def plain_title(text: str, body_start: int = 0) -> tuple[str, int] | None:
    """A plain-text file's title line and its offset: the first line, when it is short (under
    100 characters), does not end like a sentence, a clause or a label (`.`, `,`, `;`, `:`), is
    no bullet, and a blank line and more text follow it. None otherwise."""
    first, _, rest = text[body_start:].lstrip("\r\n").partition("\n")
    line = first.strip()
    offset = text.index(first, body_start) if first else body_start
    if (not line or len(line) >= 100 or line.endswith((".", ",", ";", ":", "…"))
            or _BULLET.match(first) or not rest.strip() or rest.split("\n", 1)[0].strip()):
        return None
    return line, offset


@dataclass
class _Block:
    start: int
    end: int
    kind: str
    section: str


def _layout(text: str, body_start: int, markdown: bool,
            heading_at: int | None = None) -> tuple[list[_Block], list[str]]:
    """Split the body into paragraph and bullet blocks, tracking the current section heading.

    Markdown joins a paragraph's lines; plain text joins a line to the next where it wraps
    (`_wraps`), else each line is a paragraph of its own. `heading_at` is the offset of a line
    that is a heading whatever it looks like (a plain-text title)."""
    blocks: list[_Block] = []
    sections: list[str] = []
    section = ""
    lines: list[tuple[int, str]] = []
    pos = body_start
    for raw in text[body_start:].splitlines(keepends=True):
        lines.append((pos, raw.rstrip("\r\n")))
        pos += len(raw)
    width = _wrap_width(lines)
    para: _Block | None = None
    joined = False  # the previous line runs on into this one
    for i, (start, line) in enumerate(lines):
        stripped = line.strip()
        if not stripped:
            para, joined = None, False
            continue
        next_line = lines[i + 1][1] if i + 1 < len(lines) else None
        wraps = _wraps(line, next_line, width)
        if joined and para is not None and not markdown:
            para.end = start + len(line.rstrip())  # a hard-wrapped plain-text paragraph
            joined = wraps
            continue
        heading = _MD_HEADING.match(line) if markdown else None
        if heading or start == heading_at or (
                (para is None or not markdown) and not _BULLET.match(line) and not wraps
                and _is_plain_heading(line, next_line)):
            section = (heading.group(2) if heading else stripped).strip().rstrip(":").strip()
            sections.append(section)
            para, joined = None, False
            continue
        bullet = _BULLET.match(line)
        lead = len(line) - len(line.lstrip())
        if bullet:
            para = _Block(start + bullet.end(), start + len(line.rstrip()), "bullet", section)
            blocks.append(para)
        elif para is not None and markdown:
            para.end = start + len(line.rstrip())  # markdown wraps paragraphs over lines
        else:
            para = _Block(start + lead, start + len(line.rstrip()), "paragraph", section)
            blocks.append(para)
        if not markdown:
            joined = wraps  # in plain text a line is its own paragraph unless it wraps
    return blocks, sections


def _sentences(text: str, blocks: list[_Block], split: Splitter) -> list[Sentence]:
    """The sentences of each block. A block's line breaks are where its paragraph was wrapped,
    not sentence ends (pysbd ends a sentence at each): pysbd reads them as spaces, one character
    for one, so the spans still index `text` and a sentence keeps its line break verbatim."""
    sentences: list[Sentence] = []
    for number, block in enumerate(blocks):
        flat = text[block.start:block.end].replace("\r", " ").replace("\n", " ")
        for start, end in split(flat, block.start):
            sentences.append(Sentence(len(sentences), start, end, text[start:end],
                                      block.section, block.kind, number))
    return sentences


def _pdf_text(path: Path, max_chars: int) -> str:
    """The text layer of a PDF, at most `max_chars` characters (a text file's size limit).

    Any pypdf error (all derive from `PyPdfError`; `LimitReachedError`, a stream inflating past
    pypdf's limits, is not a `PdfReadError`) refuses this file only.
    """
    from pypdf import PdfReader
    from pypdf.errors import LimitReachedError, PyPdfError

    pages: list[str] = []
    size = 0
    try:
        reader = PdfReader(str(path))
        for page in reader.pages:
            pages.append((page.extract_text() or "").strip())
            size += len(pages[-1])
            if size > max_chars:  # stop extracting: the rest would only be thrown away
                raise DocumentError(
                    f"{path}: the PDF's text runs past {max_chars:,} characters, the size "
                    "limit of a text file (raise SITREP_MAX_FILE_MB or split the file)")
    except DocumentError:
        raise
    except LimitReachedError as exc:
        raise DocumentError(f"{path}: cannot read PDF: its content inflates past pypdf's "
                            f"safety limit ({exc})") from None
    except (PyPdfError, ValueError, KeyError, OSError) as exc:
        raise DocumentError(f"{path}: cannot read PDF ({exc})") from None
    text = "\n\n".join(p for p in pages if p)
    if not text.strip():
        raise DocumentError(
            f"{path}: PDF has no text layer (scanned image?); run OCR first and add the text"
        )
    return text


def _extract_binary(path: Path, suffix: str, max_bytes: int) -> tuple[str, dict[str, Any], str]:
    """Text, metadata and title of a `.docx` or `.eml` file (`rag.ingest.formats`)."""
    from rag.ingest import formats

    _check_size(path, max_bytes)
    try:
        if suffix == ".docx":
            extracted = formats.docx_extract(path, max_bytes)
        else:
            extracted = formats.eml_extract(path.read_bytes())
    except OSError as exc:
        raise DocumentError(f"{path}: cannot read file ({exc.strerror})") from None
    except ValueError as exc:
        raise DocumentError(f"{path}: {exc}") from None
    if len(extracted.text) > max_bytes:
        raise DocumentError(f"{path}: the extracted text runs past {max_bytes:,} characters, "
                            "the size limit of a text file (raise SITREP_MAX_FILE_MB or split "
                            "the file)")
    return extracted.text, extracted.metadata, extracted.title


def _default_title(path: Path) -> str:
    return re.sub(r"[-_]+", " ", path.stem).strip().title() or path.name


def load_document(path: str | Path, max_bytes: int = 20_000_000,
                  max_sentences: int = MAX_DOC_SENTENCES,
                  name: str | Path | None = None,
                  split: Splitter = split_sentences) -> Document:
    """Read one file into a `Document`; raise `DocumentError` on anything unusable, including
    text of more than `max_sentences` sentences. `name` is the path the document is recorded
    under (its id, source and default title) when it is read from somewhere else first, as an
    upload staged before it moves into the docs folder; default: `path`. `split` finds the
    sentences of a paragraph (default: `split_sentences`)."""
    path = Path(path)
    named = path if name is None else Path(name)
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise DocumentError(
            f"{path}: unsupported file type {suffix or '(none)'}; "
            f"use one of {', '.join(SUPPORTED_SUFFIXES)}"
        )
    metadata: dict[str, Any] = {}
    title = ""
    heading_at: int | None = None
    if suffix == ".pdf":
        _check_size(path, max_bytes)
        text, body_start, markdown = _pdf_text(path, max_bytes), 0, False
    elif suffix in (".docx", ".eml"):
        text, metadata, title = _extract_binary(path, suffix, max_bytes)
        body_start, markdown = 0, True
    else:
        raw = _read_text(path, max_bytes)
        if suffix in HTML_SUFFIXES:
            from rag.ingest.formats import html_extract

            extracted = html_extract(raw)
            text, metadata, title = extracted.text, extracted.metadata, extracted.title
            body_start, markdown = 0, True
        else:
            text = raw
            markdown = suffix in (".md", ".markdown")
            metadata, body_start = _front_matter(path, text) if markdown else ({}, 0)
            if text.startswith("\ufeff", body_start):
                body_start += 1  # a byte-order mark (Windows editors) is not text
            titled = None if markdown else plain_title(text, body_start)
            if titled:
                title, heading_at = titled
    blocks, sections = _layout(text, body_start, markdown, heading_at)
    if len(blocks) > max_sentences:  # each block holds a sentence or more: refuse before pysbd
        raise _too_many_sentences(path, f"{len(blocks):,}+", max_sentences)
    sentences = _sentences(text, blocks, split)
    if len(sentences) > max_sentences:
        raise _too_many_sentences(path, f"{len(sentences):,}", max_sentences)
    if not sentences:
        raise DocumentError(f"{path}: no sentences found (only headings or blank lines?)")
    title = str(metadata.get("title") or title or
                (sections[0] if markdown and sections else "") or _default_title(named))
    return Document(
        source=display_source(named),
        doc_id=doc_id_for(named),
        title=title,
        text=text,
        sha256=hashlib.sha256(text.encode("utf-8")).hexdigest(),
        metadata=metadata,
        sentences=sentences,
        sections=sections,
    )


def find_files(paths: list[Path]) -> list[Path]:
    """Expand folders into the supported files below them, sorted; files pass through."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found.extend(sorted(p for p in path.rglob("*")
                                if p.is_file() and p.suffix.lower() in SUPPORTED_SUFFIXES
                                and not any(part.startswith(".") for part in p.parts)))
        else:
            found.append(path)
    return found


def add_source_spans(citations: list[dict[str, Any]],
                     text_of: Callable[[str], str | None]) -> None:
    """Give each citation of an HTML page `source_start`/`source_end`, which slice the raw file
    (`Path(source).read_text(encoding="utf-8")[source_start:source_end] == sentence`) wherever
    the sentence stands there contiguously; otherwise leave them out. `text_of(doc_id)` is the
    extracted text the citation's `start`/`end` index."""
    from rag.ingest.formats import raw_span

    texts: dict[str, str | None] = {}
    raws: dict[str, str | None] = {}
    for citation in citations:
        source = str(citation.get("source") or "")
        if Path(source).suffix.lower() not in HTML_SUFFIXES:
            continue
        doc_id = str(citation.get("doc_id"))
        if doc_id not in texts:
            texts[doc_id] = text_of(doc_id)
        if source not in raws:
            try:
                raws[source] = Path(source).read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError):
                raws[source] = None
        text, raw = texts[doc_id], raws[source]
        if text is None or raw is None or text[citation["start"]:citation["end"]] != \
                citation.get("sentence"):
            continue
        span = raw_span(raw, text, citation["start"], citation["end"])
        if span is not None:
            citation["source_start"], citation["source_end"] = span
