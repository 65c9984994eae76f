"""Extract text and metadata from formats whose text is not the file: HTML, Word, e-mail.

Each extractor returns an `Extracted`: the text Sitrep indexes (one block per paragraph,
separated by blank lines; headings as `# ` lines, list items as `- ` lines, which
`rag.ingest.documents` lays out as Markdown), the metadata keys front matter would give (`title`,
`source`, `date`, plus `author`, `url`, `byline`, `dateline`, `attachments`, ... when known)
and a title. Citation offsets index this text, which the product serves
(`GET /api/documents/{id}/text`, `python -m rag docs --text DOC`).

- HTML: trafilatura finds the main text and the metadata (`<meta name="author">`,
  `<meta name="date">`, `og:` and `article:` tags, via htmldate for the date) and drops
  navigation and footers. Bylines ("By Staff Reporter, Gulf Shipping Daily, 12 March 2025"),
  date lines and a leading dateline ("ADEN, 12 March (GSD) — ") become metadata, never
  sentences. Nothing is fetched: no URL is ever passed, so neither trafilatura nor htmldate
  goes to the network.
- `.docx` (python-docx): core properties title/author/created → title/source/date; headings
  (styles "Title", "Heading N") are sections; list styles are bullets; table cells are blocks.
- `.eml` (the standard library's `email`): Subject → title, From → source, Date → date; the
  text/plain body (hard-wrapped lines rejoined into paragraphs), else the HTML part through the
  HTML extractor; attachments are listed in `attachments`, not indexed.

Extractors raise `ValueError` with a message; `rag.ingest.documents` prefixes the path.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

# Boilerplate that a page's extractor may let through, and that is never evidence.
_FOOTER = re.compile(r"©|\(c\)\s*\d{4}|\ball rights reserved\b|\bsubscribe to (?:our|the)\b"
                     r"|\bsign up for (?:our|the)\b.*\bnewsletter\b|\bcookie (?:policy|settings)\b",
                     re.I)
_BYLINE = re.compile(r"^(?:by|written by|reporting by|words by|from)\s+\S", re.I)
_DATE_LINE = re.compile(r"^(?:published|updated|posted|last updated|first published)\b", re.I)
_DATE_WORDS = re.compile(
    r"\b\d{1,2}\s+(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s+\d{4}\b|"
    r"\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s+\d{1,2},?\s+\d{4}\b|"
    r"\b\d{4}-\d{2}-\d{2}\b|\b\d{1,2}/\d{1,2}/\d{2,4}\b", re.I)
# "ADEN, 12 March (GSD) — ", "WASHINGTON — ", "LONDON (Reuters) - ": a place in capitals, an
# optional date and agency, a dash, then the sentence (which must start with a capital).
_DATELINE = re.compile(
    r"^(?P<dateline>[A-Z][A-Z'’.\-]+(?:\s[A-Z][A-Z'’.\-]+){0,3}"
    r"(?:,[^—–\n]{1,40}?)?(?:\s\([^()\n]{1,30}\))?)\s+(?:—|–|--|-)\s+(?=[A-Z“\"‘'])")
_MAX_BYLINE_WORDS = 25


@dataclass
class Extracted:
    """Text to index (Markdown-like layout), metadata and a title ("" when unknown)."""

    text: str
    metadata: dict[str, Any] = field(default_factory=dict)
    title: str = ""


def _clean(text: str) -> str:
    return " ".join(text.split())


def _join(blocks: list[str]) -> str:
    return "\n\n".join(b for b in blocks if b)


# ---- HTML ----------------------------------------------------------------------------------


def _inline(element: Any) -> str:
    """An extracted element's text, with `<lb/>` line breaks as newlines."""
    parts = [element.text or ""]
    for child in element:
        parts.append("\n" if child.tag == "lb" else _inline(child))
        parts.append(child.tail or "")
    return "".join(parts)


def _html_blocks(element: Any) -> Iterator[tuple[str, str]]:
    """(kind, text) blocks of trafilatura's output tree: kind is h1..h6, bullet or p."""
    for child in element:
        tag = child.tag
        if tag == "head":
            level = (child.get("rend") or "h2")[-1]
            text = _clean(_inline(child))
            if text:
                yield f"h{level if level.isdigit() else 2}", text
        elif tag == "list":
            for item in child.iter("item"):
                own = [item.text or ""] + [
                    ("\n" if c.tag == "lb" else (_inline(c) if c.tag != "list" else "")) +
                    (c.tail or "") for c in item]
                text = _clean("".join(own))
                if text:
                    yield "bullet", text
        elif tag == "table":
            for cell in child.iter("cell"):
                text = _clean(_inline(cell))
                if text:
                    yield "p", text
        elif tag in ("graphic", "ref") and not len(child):
            continue
        else:  # p, quote, code, div, ...: one block per line
            for line in _inline(child).split("\n"):
                text = _clean(line)
                if text:
                    yield "p", text


def _is_byline(text: str, names: list[str]) -> bool:
    """A byline or date line: "By Staff Reporter, Gulf Shipping Daily, 12 March 2025"."""
    words = len(text.split())
    if words > _MAX_BYLINE_WORDS:
        return False
    if _BYLINE.match(text) and (words <= 12 or any(n.lower() in text.lower() for n in names)
                                or _DATE_WORDS.search(text)):
        return True
    if _DATE_LINE.match(text) and words <= 15:
        return True
    bare = _DATE_WORDS.sub("", text)
    for name in names:
        bare = re.sub(re.escape(name), "", bare, flags=re.I)
    return not re.sub(r"[\W_]+|\b(?:and|at|on|updated|gmt|utc|am|pm)\b", "", bare, flags=re.I)


def _parse_date(text: str) -> str | None:
    """The first date written out in `text` ("12 March 2025", "March 12, 2025"), ISO."""
    from datetime import datetime

    match = _DATE_WORDS.search(text)
    if not match:
        return None
    value = " ".join(match.group(0).replace(".", "").replace(",", " ").split())
    for form in ("%d %B %Y", "%d %b %Y", "%B %d %Y", "%b %d %Y", "%Y-%m-%d"):
        try:
            return datetime.strptime(value, form).date().isoformat()
        except ValueError:
            continue
    return None


def html_extract(raw: str, recall: bool = False) -> Extracted:
    """Main text and metadata of an HTML page (`recall`: keep more, for e-mail bodies)."""
    import trafilatura

    result = trafilatura.bare_extraction(
        raw, url=None, with_metadata=True, include_comments=False, include_tables=True,
        include_images=False, include_links=False, favor_recall=recall, deduplicate=False,
        # Markup dates only: htmldate's extensive search turns a footer's "© 2025" into
        # 2025-01-01. A byline's date is read below instead.
        date_extraction_params={"extensive_search": False, "original_date": True})
    # A Document, not a dict: as_dict is left False.
    if result is None or isinstance(result, dict) or result.body is None:
        return Extracted("")
    author = _clean(result.author or "")
    sitename = _clean(result.sitename or "")
    metadata: dict[str, Any] = {
        "title": _clean(result.title or "") or None, "source": sitename or author or None,
        "author": author or None,
        "date": result.date or None, "url": result.url or None,
        "description": _clean(result.description or "") or None}
    names = [n for n in (author, sitename, *author.split(";")) if n.strip()]
    blocks: list[str] = []
    bylines: list[str] = []
    dropped: list[str] = []
    seen_body = False
    for kind, text in _html_blocks(result.body):
        if kind.startswith("h"):
            blocks.append("#" * int(kind[1]) + " " + text)
            continue
        if _FOOTER.search(text) and len(text.split()) <= 40:
            dropped.append(text)
            continue
        if not seen_body and _is_byline(text, names):
            bylines.append(text)
            continue
        if not seen_body and kind == "p":
            match = _DATELINE.match(text)
            if match:
                metadata["dateline"] = match.group("dateline").strip()
                text = text[match.end():]
        seen_body = True
        blocks.append(("- " if kind == "bullet" else "") + text)
    if bylines:
        metadata["byline"] = " | ".join(bylines)
    if not metadata["date"]:
        metadata["date"] = next(filter(None, map(_parse_date, [*bylines, metadata.get(
            "dateline", "")])), None)
    if dropped:
        metadata["boilerplate_dropped"] = len(dropped)
    metadata = {k: v for k, v in metadata.items() if v is not None}
    return Extracted(_join(blocks), metadata, _clean(result.title or ""))


# ---- Word ----------------------------------------------------------------------------------


def _check_zip(path: Any, max_bytes: int) -> None:
    """Refuse a .docx that is not a zip or whose parts inflate far past the size limit."""
    try:
        with zipfile.ZipFile(path) as archive:
            inflated = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, OSError) as exc:
        raise ValueError(f"cannot read Word document ({exc})") from None
    if inflated > 10 * max_bytes:
        raise ValueError(f"Word document inflates to {inflated / 1e6:.0f} MB, over the "
                         f"{10 * max_bytes / 1e6:.0f} MB limit")


def docx_extract(path: Any, max_bytes: int) -> Extracted:
    """Paragraphs, headings, list items and table cells of a .docx, and its core properties."""
    import docx
    from docx.table import Table

    _check_zip(path, max_bytes)
    try:
        document = docx.Document(str(path))
    except Exception as exc:  # python-docx raises KeyError, ValueError, lxml errors...
        raise ValueError(f"cannot read Word document ({type(exc).__name__}: {exc})") from None
    blocks: list[str] = []
    for item in document.iter_inner_content():
        if isinstance(item, Table):
            seen: set[int] = set()
            for row in item.rows:
                for cell in row.cells:
                    if id(cell._tc) in seen:  # merged cells repeat
                        continue
                    seen.add(id(cell._tc))
                    blocks.extend(_clean(p.text) for p in cell.paragraphs)
            continue
        text = _clean(item.text)
        if not text:
            continue
        style = (item.style.name if item.style is not None else "") or ""
        heading = re.match(r"heading\s*(\d)", style, re.I)
        if style.lower() == "title":
            blocks.append("# " + text)
        elif heading:
            blocks.append("#" * min(6, int(heading.group(1)) + 1) + " " + text)
        elif style.lower().startswith("list"):
            blocks.append("- " + text)
        else:
            blocks.append(text)
    props = document.core_properties
    # python-docx's own defaults (its template's author and 2013 date; "Word Document" for a
    # file without core properties) say nothing about the document.
    template = props.author == "python-docx"
    author = "" if template else _clean(props.author or "")
    title = _clean(props.title or "")
    if title == "Word Document" and props.last_modified_by == "python-docx":
        title = ""
    created = None if template and props.created and props.created.year == 2013 else \
        props.created
    metadata = {"title": title or None, "source": author or None, "author": author or None,
                "date": created.date().isoformat() if created else None}
    metadata = {k: v for k, v in metadata.items() if v is not None}
    return Extracted(_join(blocks), metadata, title)


# ---- e-mail --------------------------------------------------------------------------------


def _unwrap(body: str) -> str:
    """Plain-text mail: rejoin hard-wrapped lines into one line per paragraph or bullet."""
    from rag.ingest.documents import _BULLET

    blocks: list[str] = []
    current: list[str] = []
    for line in body.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        if line.rstrip() == "--":  # the signature separator: the rest is not the message
            break
        stripped = line.strip()
        if not stripped or stripped.startswith(">"):
            if current:
                blocks.append(" ".join(current))
                current = []
            continue
        if _BULLET.match(line) and current:
            blocks.append(" ".join(current))
            current = []
        current.append(_clean(stripped))
    if current:
        blocks.append(" ".join(current))
    return _join(blocks)


def eml_extract(raw: bytes) -> Extracted:
    """Subject, From, Date and the body of one e-mail message; attachments listed only."""
    from email import policy
    from email.parser import BytesParser
    from email.utils import parseaddr, parsedate_to_datetime

    message = BytesParser(policy=policy.default).parsebytes(raw)
    if not any(message.get(h) for h in ("From", "Subject", "Date", "To")):
        raise ValueError("not an e-mail message (no From, To, Subject or Date header)")
    metadata: dict[str, Any] = {}
    subject = _clean(str(message.get("Subject", "") or ""))
    sender = _clean(str(message.get("From", "") or ""))
    if sender:
        name, address = parseaddr(sender)
        metadata["source"] = name or address or sender
        metadata["from"] = sender
    for header in ("To", "Cc"):
        if message.get(header):
            metadata[header.lower()] = _clean(str(message[header]))
    if message.get("Date"):
        try:
            metadata["date"] = parsedate_to_datetime(str(message["Date"])).date().isoformat()
        except (TypeError, ValueError):
            metadata["date"] = _clean(str(message["Date"]))
    if subject:
        metadata["title"] = subject
    attachments = [part.get_filename() or part.get_content_type()
                   for part in message.iter_attachments()]
    if attachments:
        metadata["attachments"] = attachments
    text = ""
    body = message.get_body(preferencelist=("plain", "html"))
    if body is not None:
        try:
            content = body.get_content()
        except (LookupError, ValueError):  # unknown charset: decode leniently
            payload = body.get_payload(decode=True)  # bytes for a part that is not multipart
            content = (payload if isinstance(payload, bytes) else b"").decode("utf-8",
                                                                               "replace")
        if body.get_content_type() == "text/html":
            extracted = html_extract(content, recall=True)
            text = extracted.text
            for key in ("byline", "dateline"):
                if key in extracted.metadata:
                    metadata[key] = extracted.metadata[key]
        else:
            text = _unwrap(content)
    return Extracted(text, metadata, subject)


# ---- where a sentence stands in the raw file -----------------------------------------------


def raw_span(raw: str, extracted: str, start: int, end: int) -> tuple[int, int] | None:
    """Where `extracted[start:end]` stands contiguously in `raw` (an HTML file's text).

    The n-th occurrence in the extracted text maps to the n-th occurrence after `<body` in the
    raw file (the head's `<meta>` descriptions often repeat the first sentence). None when the
    sentence is not there verbatim (entities, inline tags or line breaks inside it).
    """
    sentence = extracted[start:end]
    if not sentence:
        return None
    nth = extracted.count(sentence, 0, start)  # non-overlapping occurrences before it
    body = raw.lower().find("<body")
    at = max(body, 0) - 1
    for _ in range(nth + 1):
        at = raw.find(sentence, at + 1)
        if at < 0:
            return None
    return at, at + len(sentence)
