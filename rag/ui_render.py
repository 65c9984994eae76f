"""HTML and text for the UI: source cards, a document with its cited sentences marked, the
library table and the "copy answer with sources" text.

Everything here is pure (dicts and strings in, strings out) so it is tested without a browser.
Document text and citation fields are data, never markup: every value goes through `escape`.
Citation dicts are read with `.get()` because the answer object grows fields over time (date,
grade, claim type); whatever is present is shown.
"""

from __future__ import annotations

import html
import re
from pathlib import Path
from typing import Any, Iterable

from rag.index import DocRecord

# Gradio's HTML component fills its template with JS-template and Handlebars syntax, so "$",
# "{", "}" and "`" in document text must not survive as themselves.
_TEMPLATE_CHARS = str.maketrans({"$": "&#36;", "{": "&#123;", "}": "&#125;", "`": "&#96;"})
_MARKER = re.compile(r"\[(\d+)\]")


def escape(value: Any) -> str:
    """Text → HTML that displays exactly that text (quotes and template syntax included)."""
    return html.escape(str(value), quote=True).translate(_TEMPLATE_CHARS)


def grade_of(fields: dict[str, Any]) -> str:
    """The Admiralty grade ("B2") from `grade`, or from `reliability` + `credibility`."""
    grade = fields.get("grade")
    if grade:
        return str(grade)
    reliability, credibility = fields.get("reliability"), fields.get("credibility")
    return f"{reliability or ''}{credibility or ''}" if reliability or credibility else ""


def citation_facts(citation: dict[str, Any]) -> list[tuple[str, str]]:
    """(label, value) pairs worth showing for a citation, in reading order, empty ones left out."""
    claim = citation.get("claim_type") or citation.get("claim") or ""
    facts = [("date", str(citation.get("date") or "")),
             ("grade", grade_of(citation)),
             ("claim type", str(claim).replace("_", " "))]
    return [(label, value) for label, value in facts if value]


def link_markers(markdown: str, key: str, numbers: Iterable[int]) -> str:
    """Turn each [n] of `numbers` into a link `#cite-<key>-<n>`, which the page's script
    resolves to the source button with `data-n=n` in the list whose `data-key` is `key`."""
    wanted = {int(n) for n in numbers}
    return _MARKER.sub(lambda m: (f"[\\[{m[1]}\\]](#cite-{key}-{m[1]})"
                                  if int(m[1]) in wanted else m[0]), markdown)


def sources_html(citations: list[dict[str, Any]], selected: int | None = None,
                 empty: str = "Ask a question; its sources appear here.", key: str = "") -> str:
    """One keyboard-focusable button per citation: [n], title · section, facts, the quote.
    `key` names the list, so links from the answer it belongs to can find it."""
    if not citations:
        return f'<p class="sitrep-empty">{escape(empty)}</p>'
    items = []
    for c in citations:
        n = int(c.get("n", 0))
        where = " · ".join(escape(part) for part in (c.get("title"), c.get("section")) if part)
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
            f'<q class="sitrep-quote">{escape(c.get("sentence", ""))}</q></button></li>')
    return (f'<ol class="sitrep-sources" data-key="{escape(key)}" aria-label="Sources">'
            f'{"".join(items)}</ol>')


def _marked(text: str, spans: list[tuple[int, int, int]], selected: int) -> str:
    """Escape `text`, wrapping each (start, end, n) span in <mark>; `selected` gets the id."""
    out, pos = [], 0
    for start, end, n in sorted(spans):
        if start < pos or not 0 <= start < end <= len(text):
            continue  # overlapping or out-of-range offsets: show the text unmarked
        cls = "sitrep-mark sitrep-mark-selected" if n == selected else "sitrep-mark"
        extra = ' id="sitrep-selected" tabindex="-1"' if n == selected else ""
        out.append(escape(text[pos:start]))
        out.append(f'<mark class="{cls}" data-n="{n}"{extra}>{escape(text[start:end])}'
                   f'<sup class="sitrep-mark-n">[{n}]</sup></mark>')
        pos = end
    out.append(escape(text[pos:]))
    return "".join(out)


def document_html(citation: dict[str, Any], text: str | None,
                  others: Iterable[dict[str, Any]] = (), source_label: str = "") -> str:
    """The cited document with the chosen sentence marked (and the answer's other citations
    from the same document marked lightly); a notice when the document is gone.
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
    body = _marked(text, list(spans.values()), n)
    return (f'{head}<div class="sitrep-doc-body" role="region" tabindex="0" '
            f'aria-label="Text of {title}">{body}</div>')


def copy_text(answer_markdown: str, citations: list[dict[str, Any]]) -> str:
    """Plain text for the clipboard: the answer, then every source with where it comes from."""
    lines = [answer_markdown.strip()]
    if citations:
        lines += ["", "Sources:"]
        for c in citations:
            where = " · ".join(str(p) for p in (c.get("title"), c.get("section"),
                                                c.get("source")) if p)
            facts = "; ".join(f"{label} {value}" for label, value in citation_facts(c))
            lines.append(f"[{c.get('n')}] “{c.get('sentence', '')}” — {where}"
                         + (f" ({facts})" if facts else ""))
    return "\n".join(lines)


LIBRARY_HEADERS = ["Title", "Source", "File", "Date", "Grade", "Sentences", "Chunks"]


def shown_source(source: str, folder: Path) -> str:
    """A document's source as the library shows it: relative to the library folder when it
    lives there (the folder is the library), else as recorded."""
    path, root = Path(source).resolve(), folder.resolve()
    return str(path.relative_to(root)) if path.is_relative_to(root) else source


def library_rows(records: list[DocRecord], folder: Path) -> list[list[Any]]:
    """One table row per indexed document, in LIBRARY_HEADERS order."""
    return [[r.title, str(r.metadata.get("source") or ""), shown_source(r.source, folder),
             str(r.metadata.get("date") or ""), grade_of(r.metadata) or "ungraded",
             r.sentences, r.chunks] for r in records]
