"""A document's text as safe HTML for the Document pane, its cited sentences marked at their
offsets.

Citation offsets index the document's text exactly (for Markdown: the file itself, front matter
included), so the renderer never rewrites the text: it walks it once, turning Markdown syntax
(front matter, `#` headings, list markers, `>` quotes, fences, `**`, `*`, backticks, links)
into tags and hiding the syntax characters, and emits every other character escaped, in order.
Cited spans are then wrapped in `<mark>` around exactly the characters they cover; a span that
crosses a paragraph or list item is marked in each part. Nothing in the text becomes markup of
its own: raw HTML shows as text, a link shows its label (its address as a tooltip, never an
anchor), an image shows its alt text (nothing is loaded, from any origin).

Plain text (`.txt`, `.pdf`) is shown as it is, line breaks kept; Markdown (`.md`, `.markdown`)
and the extracted text of HTML, Word and e-mail documents (`# ` headings, `- ` items: see
`rag.ingest.formats`) are rendered.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Literal

from rag.ingest.documents import _BULLET, _FRONT_MATTER, _MD_HEADING, EXTRACTED_SUFFIXES

# Gradio's HTML component fills its template with JS-template and Handlebars syntax, so "$",
# "{", "}" and "`" in document text must not survive as themselves.
_TEMPLATE_CHARS = str.maketrans({"$": "&#36;", "{": "&#123;", "}": "&#125;", "`": "&#96;"})

MARKDOWN_SUFFIXES = (".md", ".markdown")
# Extracted text is Markdown-like (headings, items), except a PDF's text layer.
RENDERED_SUFFIXES = (*MARKDOWN_SUFFIXES, *(s for s in EXTRACTED_SUFFIXES if s != ".pdf"))

_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_RULE = re.compile(r"^ {0,3}([-*_])(?:[ \t]*\1){2,}[ \t]*$")
_QUOTE = re.compile(r"^ {0,3}>[ \t]?")
_INLINE = re.compile(
    r"(?P<code>(?P<ticks>`+)(?P<code_in>.+?)(?P=ticks))"
    r"|(?P<img>!\[(?P<alt>[^\]\n]*)\]\((?P<src>[^()\s]*)(?:[ \t]+\"[^\"\n]*\")?\))"
    r"|(?P<link>\[(?P<label>[^\]\n]+)\]\((?P<href>[^()\s]*)(?:[ \t]+\"[^\"\n]*\")?\))"
    r"|(?P<strong>\*\*(?=\S)(?P<strong_in>.+?)(?<=\S)\*\*"
    r"|(?<!\w)__(?=\S)(?P<strong_in2>.+?)(?<=\S)__(?!\w))"
    r"|(?P<em>\*(?=[^\s*])(?P<em_in>.+?)(?<=[^\s*])\*"
    r"|(?<!\w)_(?=[^\s_])(?P<em_in2>.+?)(?<=[^\s_])_(?!\w))"
    r"|(?P<escaped>\\[\\`*_{}\[\]()#+\-.!>|~])",
    re.S)
# Inline syntax is looked for in blocks up to this long (longer ones show as text: the search
# is quadratic in the worst case), nested this deep.
_MAX_INLINE = 20_000
_MAX_DEPTH = 4
_BLOCK_TAGS = {"p", "ul", "ol", "li", "blockquote", "pre", "h3", "h4", "h5", "h6"}

# Events: ("open", name, html) | ("close", name) | ("text", start, end) | ("html", markup),
# where markup is a constant of this module, never text from the document.
Event = (tuple[Literal["open"], str, str] | tuple[Literal["close"], str]
         | tuple[Literal["text"], int, int] | tuple[Literal["html"], str])


def escape(value: object) -> str:
    """Text → HTML that displays exactly that text (quotes and template syntax included)."""
    return html.escape(str(value), quote=True).translate(_TEMPLATE_CHARS)


def same_words(a: str, b: str) -> bool:
    """Do two labels say the same (case, spacing, apostrophes, a final colon aside)?"""
    def plain(text: str) -> str:
        return " ".join(str(text).casefold().replace("’", "'").split()).rstrip(":.").strip()
    return plain(a) == plain(b)


def is_rendered(source: str) -> bool:
    """Is a document with this source path shown as rendered Markdown (else as plain text)?"""
    return Path(source or "").suffix.lower() in RENDERED_SUFFIXES


def body_start(text: str, source: str) -> int:
    """Where a document's shown text starts: after a Markdown file's front matter."""
    start = 0
    if Path(source or "").suffix.lower() in MARKDOWN_SUFFIXES:
        match = _FRONT_MATTER.match(text)
        start = match.end() if match else 0
    return start + 1 if text.startswith("\ufeff", start) else start


def _lines(text: str, start: int) -> list[tuple[int, int]]:
    """(start, end) of each line from `start`, line breaks excluded."""
    spans, pos = [], start
    for raw in text[start:].splitlines(keepends=True):
        spans.append((pos, pos + len(raw.rstrip("\r\n"))))
        pos += len(raw)
    return spans


def _inline(text: str, start: int, end: int, depth: int = 0) -> list[Event]:
    """Events for inline Markdown in text[start:end]: emphasis, code, links, images, escapes."""
    if depth >= _MAX_DEPTH or end - start > _MAX_INLINE:
        return [("text", start, end)]
    events: list[Event] = []
    pos = start
    while pos < end:
        m = _INLINE.search(text, pos, end)
        if not m:
            break
        if m.start() > pos:
            events.append(("text", pos, m.start()))
        kind = next(k for k in ("code", "img", "link", "strong", "em", "escaped")
                    if m.group(k) is not None)
        if kind == "code":
            events += [("open", "code", "<code>"), ("text", *m.span("code_in")),
                       ("close", "code")]
        elif kind == "img":
            events.append(("open", "span", '<span class="sitrep-doc-image">'))
            events += [("text", *m.span("alt"))] if m.group("alt") else [("html", "[image]")]
            events.append(("close", "span"))
        elif kind == "link":
            events.append(("open", "span", f'<span class="sitrep-doc-link" '
                                           f'title="{escape(m.group("href"))}">'))
            events += _inline(text, *m.span("label"), depth + 1)
            events.append(("close", "span"))
        elif kind in ("strong", "em"):
            inner = "strong_in" if m.group("strong_in") is not None else "strong_in2"
            if kind == "em":
                inner = "em_in" if m.group("em_in") is not None else "em_in2"
            events.append(("open", kind, f"<{kind}>"))
            events += _inline(text, *m.span(inner), depth + 1)
            events.append(("close", kind))
        else:  # a backslash escape: the backslash is syntax, the character is text
            events.append(("text", m.start() + 1, m.end()))
        pos = m.end()
    if pos < end:
        events.append(("text", pos, end))
    return events


def _starts_block(line: str) -> bool:
    """Does this line begin a block of its own (ending a paragraph or list item before it)?"""
    return bool(_MD_HEADING.match(line) or _FENCE.match(line) or _RULE.match(line)
                or _QUOTE.match(line) or _BULLET.match(line))


def _markdown(text: str, start: int, title: str = "") -> list[Event]:
    """Block structure of Markdown from `start`: headings, lists, quotes, code, rules,
    paragraphs (lines wrapped within a paragraph stay one paragraph). A first heading that
    is `title` is left out (the pane's heading shows the title already)."""
    lines = _lines(text, start)
    events: list[Event] = []
    i = _after_title(text, lines, title)
    while i < len(lines):
        s, e = lines[i]
        line = text[s:e]
        if not line.strip():
            i += 1
        elif fence := _FENCE.match(line):
            i = _code_block(text, lines, i, fence.group(1), events)
        elif heading := _MD_HEADING.match(line):
            tag = f"h{min(len(heading.group(1)) + 2, 6)}"
            events.append(("open", tag, f'<{tag} class="sitrep-doc-heading">'))
            events += _inline(text, s + heading.start(2), s + heading.end(2))
            events.append(("close", tag))
            i += 1
        elif _RULE.match(line):
            events.append(("html", "<hr>"))
            i += 1
        elif _QUOTE.match(line):
            i = _blockquote(text, lines, i, events)
        elif bullet := _BULLET.match(line):
            i = _list(text, lines, i, bullet.group(0).strip()[0].isdigit(), events)
        else:
            i = _paragraph(text, lines, i, events)
    return events


def _after_title(text: str, lines: list[tuple[int, int]], title: str) -> int:
    """The first line to render: past leading blank lines, and past a first heading that is
    the document's `title`."""
    i = 0
    while i < len(lines) and not text[lines[i][0]:lines[i][1]].strip():
        i += 1
    if i < len(lines) and title:
        heading = _MD_HEADING.match(text[lines[i][0]:lines[i][1]])
        if heading and same_words(heading.group(2), title):
            i += 1
    return i


def _code_block(text: str, lines: list[tuple[int, int]], i: int, mark: str,
                events: list[Event]) -> int:
    """A fenced code block opened at line i by `mark`, up to its closing fence (or the end);
    returns the line after it."""
    j = i + 1
    while j < len(lines) and not text[lines[j][0]:lines[j][1]].lstrip().startswith(mark):
        j += 1
    events += [("open", "pre", '<pre class="sitrep-doc-code">'), ("open", "code", "<code>")]
    if j > i + 1:
        events.append(("text", lines[i + 1][0], lines[j - 1][1]))
    events += [("close", "code"), ("close", "pre")]
    return j + 1


def _blockquote(text: str, lines: list[tuple[int, int]], i: int, events: list[Event]) -> int:
    """The `>` lines from line i as one quoted paragraph; returns the line after them."""
    events += [("open", "blockquote", "<blockquote>"), ("open", "p", "<p>")]
    first = True
    while i < len(lines) and (quote := _QUOTE.match(text[lines[i][0]:lines[i][1]])):
        if not first:
            events.append(("html", "\n"))
        events += _inline(text, lines[i][0] + quote.end(), lines[i][1])
        first = False
        i += 1
    events += [("close", "p"), ("close", "blockquote")]
    return i


def _list(text: str, lines: list[tuple[int, int]], i: int, ordered: bool,
          events: list[Event]) -> int:
    """The list starting at line i (items of the same kind, ordered or not; an item's wrapped
    lines stay in it); returns the line after it."""
    tag = "ol" if ordered else "ul"
    events.append(("open", tag, f"<{tag}>"))
    while i < len(lines):
        s, e = lines[i]
        bullet = _BULLET.match(text[s:e])
        if not bullet or bullet.group(0).strip()[0].isdigit() != ordered:
            break
        last = e
        i += 1
        while (i < len(lines) and text[lines[i][0]:lines[i][1]].strip()
               and not _starts_block(text[lines[i][0]:lines[i][1]])):
            last = lines[i][1]
            i += 1
        events.append(("open", "li", "<li>"))
        events += _inline(text, s + bullet.end(), last)
        events.append(("close", "li"))
        j = i  # blank lines between items keep the list going
        while j < len(lines) and not text[lines[j][0]:lines[j][1]].strip():
            j += 1
        if j < len(lines) and _BULLET.match(text[lines[j][0]:lines[j][1]]):
            i = j
    events.append(("close", tag))
    return i


def _paragraph(text: str, lines: list[tuple[int, int]], i: int, events: list[Event]) -> int:
    """The paragraph from line i to the next blank line or block; returns the line after it."""
    s, e = lines[i]
    line = text[s:e]
    first, last = s + len(line) - len(line.lstrip()), e
    i += 1
    while (i < len(lines) and text[lines[i][0]:lines[i][1]].strip()
           and not _starts_block(text[lines[i][0]:lines[i][1]])):
        last = lines[i][1]
        i += 1
    events += [("open", "p", "<p>"), *_inline(text, first, last), ("close", "p")]
    return i


def _visible_spans(spans: Iterable[tuple[int, int, int]], events: list[Event],
                   length: int) -> list[tuple[int, int, int]]:
    """The spans to mark, each ending at its last shown character (a span may end in hidden
    syntax, e.g. a closing `**`); overlapping, out-of-range or wholly hidden spans are left out."""
    shown = [(e[1], e[2]) for e in events if e[0] == "text"]
    kept, last = [], 0
    for start, end, n in sorted(spans):
        if start < last or not 0 <= start < end <= length:
            continue
        ends = [min(b, end) for a, b in shown if a < end and b > start]
        if ends:
            kept.append((start, max(ends), n))
            last = end
    return kept


class _Writer:
    """Emit events as HTML, wrapping the shown characters of each span in <mark>. A mark is
    closed before a block starts or ends (and opened again inside the next one); inline
    elements may sit inside a mark, or a mark inside them."""

    def __init__(self, text: str, spans: list[tuple[int, int, int]], selected: int):
        self.text, self.spans, self.selected = text, spans, selected
        self.out: list[str] = []
        self.stack: list[tuple[str, str]] = []  # open elements: (name, opening html)
        self.current = 0  # index of the span being (or next to be) marked
        self.marked = False  # is a <mark> open? (it is on the stack as "mark")
        self.selected_shown = False

    def _open_mark(self) -> None:
        n = self.spans[self.current][2]
        cls = "sitrep-mark sitrep-mark-selected" if n == self.selected else "sitrep-mark"
        extra = ""
        if n == self.selected and not self.selected_shown:
            extra = ' id="sitrep-selected" tabindex="-1"'
            self.selected_shown = True
        html_ = f'<mark class="{cls}" data-n="{n}"{extra}>'
        self.out.append(html_)
        self.stack.append(("mark", html_))
        self.marked = True

    def _close_mark(self, final: bool) -> None:
        """Close the open <mark>; elements opened inside it close before and open again after
        it. `final` ends the span, with its number."""
        at = max(i for i, (name, _) in enumerate(self.stack) if name == "mark")
        inside = self.stack[at + 1:]
        for name, _ in reversed(inside):
            self.out.append(f"</{name}>")
        if final:
            self.out.append(f'<sup class="sitrep-mark-n">[{self.spans[self.current][2]}]</sup>')
            self.current += 1
        self.out.append("</mark>")
        del self.stack[at:]
        self.marked = False
        for name, html_ in inside:
            self.out.append(html_)
            self.stack.append((name, html_))

    def _text(self, start: int, end: int) -> None:
        pos = start
        while pos < end:
            span = self.spans[self.current] if self.current < len(self.spans) else None
            if span and not self.marked and span[0] <= pos:
                self._open_mark()
            if self.marked:
                assert span is not None  # a mark is open only within a span
                stop = min(end, span[1])
            else:
                stop = min(end, span[0]) if span else end
            self.out.append(escape(self.text[pos:stop]))
            pos = stop
            if self.marked and span is not None and pos >= span[1]:
                self._close_mark(final=True)

    def _close(self, name: str) -> None:
        if self.stack[-1][0] == name and self.out[-1] == self.stack[-1][1]:
            self.out.pop()  # opened again after a mark but left empty: drop it
            self.stack.pop()
            return
        if self.marked and (name in _BLOCK_TAGS or self.stack[-1][0] != name):
            self._close_mark(final=False)  # opened again at the next shown character
        at = max(i for i, (open_name, _) in enumerate(self.stack) if open_name == name)
        inside = self.stack[at + 1:]  # (only inline elements: blocks nest properly)
        for open_name, _ in reversed(inside):
            self.out.append(f"</{open_name}>")
        self.out.append(f"</{name}>")
        del self.stack[at:]
        if name not in _BLOCK_TAGS:
            for open_name, html_ in inside:
                self.out.append(html_)
                self.stack.append((open_name, html_))

    def write(self, events: Iterable[Event]) -> str:
        for event in events:
            if event[0] == "text":
                self._text(event[1], event[2])
            elif event[0] == "open":
                if self.marked and event[1] in _BLOCK_TAGS:
                    self._close_mark(final=False)
                self.out.append(event[2])
                self.stack.append((event[1], event[2]))
            elif event[0] == "close":
                self._close(event[1])
            else:
                self.out.append(event[1])
        if self.marked:
            self._close_mark(final=False)
        for name, _ in reversed(self.stack):
            self.out.append(f"</{name}>")
        return "".join(self.out)


def inline_html(text: str, source: str) -> str:
    """One sentence of a document as HTML: its inline Markdown (bold, emphasis, code, links)
    rendered when the document is, escaped text otherwise."""
    plain: list[Event] = [("text", 0, len(text))]
    return _Writer(text, [], 0).write(_inline(text, 0, len(text)) if is_rendered(source)
                                      else plain)


def render(text: str, source: str, spans: Iterable[tuple[int, int, int]], selected: int,
           title: str = "") -> str:
    """HTML for the document `text` (of the file `source`, titled `title`), each (start, end,
    n) span marked; the first part of span `selected` gets id="sitrep-selected". Overlapping
    or out-of-range spans are left unmarked."""
    if is_rendered(source):
        events = _markdown(text, body_start(text, source), title)
    else:
        events = [("text", 0, len(text))]
    return _Writer(text, _visible_spans(spans, events, len(text)), selected).write(events)
