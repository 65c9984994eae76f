"""HTML and text for the UI: the chat's answer, source cards, a document with its cited
sentences marked, the library table and the "copy answer with sources" text.

Everything here is pure (dicts and strings in, strings out) so it is tested without a browser.
Document text and citation fields are data, never markup: every value goes through `escape`.
Citation dicts are read with `.get()` because the answer object grows fields over time (date,
grade, claim type); whatever is present is shown. Answers are written from their fields by
`rag.answer.render`; nothing here reads a value or a citation number back out of answer text.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from rag.answer import render as answer_text
from rag.contracts import DocRecord

# `escape` is used here and by rag.serve.ui; it lives with the document renderer.
from rag.serve.ui_markdown import escape, inline_html, is_rendered, render, same_words
from rag.tradecraft import grade_label

_MARKER = re.compile(r"\[(\d+)\]")
# Marks a quotation may open with; such a sentence is shown as it is, not quoted again.
_OPENING_QUOTES = "\"'“‘«„‚‹"
# A quotation the answer wrapped in “…” although it opens with a quote mark of its own: “"…”
# before " — title" or a [n] marker (the answer's and the brief's quote lines).
_DOUBLE_QUOTED = re.compile(r"“([\"“‘'«„][^\n]*?)”(?=[ \t]*(?:—|\[\d+\]|$))", re.M)


def grade_of(fields: dict[str, Any]) -> str:
    """The Admiralty grade of a citation: its `grade` field (the answer object's, made by
    `tradecraft.grade_label`), else `tradecraft.grade_label` of its `reliability` and
    `credibility` ("B2" or "ungraded"); "" when it has none of the three (nothing to show)."""
    if fields.get("grade"):
        return str(fields["grade"])
    if all(fields.get(key) in (None, "") for key in ("reliability", "credibility")):
        return ""
    return grade_label(fields)


def citation_facts(citation: dict[str, Any]) -> list[tuple[str, str]]:
    """(label, value) pairs worth showing for a citation, in reading order, empty ones left out."""
    claim = citation.get("claim_type") or citation.get("claim") or ""
    facts = [("date", str(citation.get("date") or "")),
             ("grade", grade_of(citation)),
             ("claim type", str(claim).replace("_", " "))]
    return [(label, value) for label, value in facts if value]


def quoted(sentence: str) -> str:
    """A sentence in quote marks, unless it opens with one of its own (no “"… or ““…)."""
    sentence = str(sentence or "")
    return sentence if sentence.lstrip().startswith(tuple(_OPENING_QUOTES)) else f"“{sentence}”"


def tidy_quotes(markdown: str) -> str:
    """Drop the quote marks the brief's Markdown put around a quotation that has its own."""
    return _DOUBLE_QUOTED.sub(r"\1", markdown)


def place(citation: dict[str, Any]) -> list[str]:
    """Title and section of a citation, the section left out when it only repeats the title
    (a document whose first heading is its title)."""
    title, section = str(citation.get("title") or ""), str(citation.get("section") or "")
    return [part for part in (title, "" if same_words(section, title) else section) if part]


def cite_link(key: str) -> answer_text.Marker:
    """Citation markers as links `#cite-<key>-<n>`, which the page's script resolves to the
    source button with `data-n=n` in the list whose `data-key` is `key`."""
    return lambda n: f"[\\[{n}\\]](#cite-{key}-{n})"


def chat_answer(answer: dict[str, Any], key: str) -> str:
    """The answer as the chat shows it beside its sources (`rag.answer.render.display`: each quote
    once, on its card), its markers linked to the sources list `key`."""
    return answer_text.display(answer, cite_link(key))


def link_markers(markdown: str, key: str, numbers: Iterable[int]) -> str:
    """Turn each [n] of `numbers` in the brief's Markdown into a link (`cite_link`). The brief
    is written as Markdown with its markers (`rag.brief.model.Brief.to_markdown`); answers
    are linked as they are written (`chat_answer`)."""
    wanted, link = {int(n) for n in numbers}, cite_link(key)
    return _MARKER.sub(lambda m: link(int(m[1])) if int(m[1]) in wanted else m[0], markdown)


def sources_html(citations: list[dict[str, Any]], selected: int | None = None,
                 empty: str = "Ask a question; its sources appear here.", key: str = "") -> str:
    """One keyboard-focusable button per citation: [n], title · section, facts, the quote.
    `key` names the list, so links from the answer it belongs to can find it."""
    if not citations:
        return f'<p class="sitrep-empty">{escape(empty)}</p>'
    items = []
    for c in citations:
        n = int(c.get("n", 0))
        where = " · ".join(escape(part) for part in place(c))
        facts = "".join(f'<span class="sitrep-fact" title="{escape(label)}">'
                        f'<span class="sitrep-fact-label">{escape(label)}</span> '
                        f"{escape(value)}</span>" for label, value in citation_facts(c))
        facts_html = f'<span class="sitrep-facts">{facts}</span>' if facts else ""
        current = ' aria-current="true"' if n == selected else ""
        # The button's text (number, place, facts, quote) is its accessible name.
        items.append(
            f'<li><button type="button" class="sitrep-cite" data-n="{n}"{current}>'
            f'<span class="sitrep-cite-n">[{n}]</span> '
            f'<span class="sitrep-cite-where">{where}</span>{facts_html}'
            f'<q class="sitrep-quote">{_quote_html(c)}</q></button></li>')
    return (f'<ol class="sitrep-sources" data-key="{escape(key)}" aria-label="Sources">'
            f'{"".join(items)}</ol>')


def _quote_html(citation: dict[str, Any]) -> str:
    """The cited sentence for its card: quoted (`quoted`), its Markdown rendered when its
    document's is (no "**" around bold words)."""
    sentence = str(citation.get("sentence") or "")
    shown = quoted(sentence)
    opening = "" if shown == sentence else "“"
    return (opening + inline_html(sentence, str(citation.get("source") or ""))
            + ("”" if opening else ""))


def document_html(citation: dict[str, Any], text: str | None,
                  others: Iterable[dict[str, Any]] = (), source_label: str = "") -> str:
    """The cited document with the chosen sentence marked (and the answer's other citations
    from the same document marked lightly); a notice when the document is gone. Markdown (and
    the extracted text of HTML, Word and e-mail files) is rendered, front matter left out;
    plain text shows as it is (`rag.serve.ui_markdown`).
    `source_label` replaces the citation's `source` path in the heading."""
    title = escape(citation.get("title") or citation.get("source") or "Document")
    source = escape(source_label or citation.get("source", ""))
    head = (f'<div class="sitrep-doc-head"><strong>{title}</strong>'
            f'<span class="sitrep-doc-source">{source}</span></div>')
    if text is None:
        return (f'{head}<p class="sitrep-empty" role="alert">This document is no longer in '
                "the library; its citation cannot be shown.</p>")
    doc_id, n = citation.get("doc_id"), int(citation.get("n", 0))
    spans = {n: (int(citation["start"]), int(citation["end"]), n)}
    for other in others:
        if other.get("doc_id") == doc_id and int(other.get("n", 0)) not in spans:
            spans[int(other["n"])] = (int(other["start"]), int(other["end"]), int(other["n"]))
    source_path = str(citation.get("source") or "")
    body = render(text, source_path, spans.values(), n, str(citation.get("title") or ""))
    kind = "sitrep-doc-rendered" if is_rendered(source_path) else "sitrep-doc-plain"
    return (f'{head}<div class="sitrep-doc-body {kind}" role="region" tabindex="0" '
            f'aria-label="Text of {title}">{body}</div>')


def copy_text(answer: dict[str, Any]) -> str:
    """Plain text for the clipboard: the answer, then every source with where it comes from,
    each quote once (in the source list: `rag.answer.render.display`)."""
    citations = answer.get("citations") or []
    lines = [answer_text.display(answer)]
    if citations:
        lines += ["", "Sources:"]
        for c in citations:
            where = " · ".join(str(p) for p in (*place(c), c.get("source")) if p)
            facts = "; ".join(f"{label} {value}" for label, value in citation_facts(c))
            lines.append(f"[{c.get('n')}] {quoted(c.get('sentence', ''))} — {where}"
                         + (f" ({facts})" if facts else ""))
    return "\n".join(lines)


LIBRARY_HEADERS = ["Title", "Source", "File", "Date", "Grade", "Sentences", "Chunks"]


def shown_source(source: str, folder: Path) -> str:
    """A document's source as the library shows it: relative to the library folder when it
    lives there (the folder is the library), else as recorded."""
    path, root = Path(source).resolve(), folder.resolve()
    return str(path.relative_to(root)) if path.is_relative_to(root) else source


def document_choices(records: list[DocRecord], folder: Path) -> list[tuple[str, str]]:
    """(label, doc_id) for a dropdown of documents: "Title (file in the library folder)"."""
    return [(f"{r.title} ({shown_source(r.source, folder)})", r.doc_id) for r in records]


def library_rows(records: list[DocRecord], folder: Path) -> list[list[Any]]:
    """One table row per indexed document, in LIBRARY_HEADERS order."""
    return [[r.title, str(r.metadata.get("source") or ""), shown_source(r.source, folder),
             str(r.metadata.get("date") or ""), grade_label(r.metadata),
             r.sentences, r.chunks] for r in records]
