"""The brief as a page: one list of blocks that the Markdown and DOCX writers both follow.

`blocks(brief)` decides what the page says and in which order (so the two formats carry the
same headings and lines); `markdown(brief)` writes it as Markdown. Citation markers are `[n]`;
the numbered source list names publication, title, date and grade — never file offsets, which
stay in the JSON citations.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from rag.brief.model import Brief, BriefLine, Topic
from rag.tradecraft import CLAIM_TYPE_WORDS

_MARKER = re.compile(r"\[\d+\]")


@dataclass
class Block:
    """One element of the page."""

    kind: str  # "title", "heading", "subheading", "paragraph", "bullet", "numbered", "note"
    text: str
    label: str = ""  # shown in bold before the text
    refs: tuple[int, ...] = ()


def marks(refs) -> str:
    return "".join(f"[{n}]" for n in refs)


def _line(line: BriefLine, kind: str = "bullet") -> Block:
    if line.sides:
        text = " vs ".join(f"{s.phrase} ({s.origin}, {s.grade}) [{s.ref}]" for s in line.sides)
        return Block(kind, text, line.label)
    return Block(kind, line.text, line.label, tuple(line.refs))


def _topic_blocks(topic: Topic, heading: bool, long: bool) -> list[Block]:
    out: list[Block] = []
    if heading:
        count = len(topic.doc_ids)
        out.append(Block("heading", f"{topic.label} ({count} document{'s' * (count != 1)})"))
    sections = [("Key judgments", topic.judgments), ("Actors", topic.actors)]
    if long:
        sections += [("Key figures", topic.figures), ("Key quotes", topic.quotes),
                     ("Assessments in the sources (opinion, not fact)", topic.assessments)]
    for name, lines in sections:
        if lines:
            out.append(Block("subheading" if heading else "heading", name))
            out += [_line(line) for line in lines]
    if topic.confidence and heading:
        out.append(Block("note", topic.confidence))
    return out


def blocks(brief: Brief) -> list[Block]:
    """The page, top to bottom."""
    title = f"Brief: {brief.topic}" if brief.topic else "Brief: all documents"
    out = [Block("title", title)]
    scope = f"{len(brief.sources)} source document{'s' * (len(brief.sources) != 1)}"
    if len(brief.topics) > 1:
        scope += f" in {len(brief.topics)} topics"
    if brief.documents_total > brief.documents_read:
        scope += (f"; covers {brief.documents_read} of the {brief.documents_total} documents "
                  "in scope (name a topic to brief the others)")
    out.append(Block("note", scope + "."))
    out.append(Block("heading", "Bottom line"))
    if not brief.bluf:
        out.append(Block("paragraph", "Nothing to brief on."))
    elif len(brief.topics) > 1:
        out += [_line(line) for line in brief.bluf]
    else:
        out.append(Block("paragraph", " ".join(_sentence(line) for line in brief.bluf)))
    if brief.confidence:
        out.append(Block("note", brief.confidence))
    for topic in brief.topics:
        out += _topic_blocks(topic, len(brief.topics) > 1, brief.long)
    for name, lines in (("Disagreements", brief.disagreements), ("Gaps", brief.gaps)):
        if lines:
            out.append(Block("heading", name))
            out += [_line(line) for line in lines]
    if brief.sources:
        out.append(Block("heading", "Sources"))
        out += [Block("numbered", _source(s)) for s in brief.sources]
    if brief.long and brief.citations:
        out.append(Block("heading", "Cited sentences"))
        out += [Block("numbered", f"“{c.sentence}” — {c.source_name or c.title}, "
                      f"{CLAIM_TYPE_WORDS.get(c.claim_type, c.claim_type)}")
                for c in brief.citations]
    return out


def _sentence(line: BriefLine) -> str:
    """A verbatim sentence with its markers; a bullet without a full stop gets one."""
    stop = "" if line.text.rstrip("”\"’')").endswith((".", "!", "?")) else "."
    return f"{line.text} {marks(line.refs)}{stop}"


def _source(entry) -> str:
    parts = [entry.source_name or Path(entry.source).name, f"“{entry.title}”",
             entry.date or "undated", entry.grade_words]
    return " — ".join(p for p in parts if p) + f" — cited as {marks(entry.refs)}"


def markdown(brief: Brief) -> str:
    """The brief as one Markdown page, sources last."""
    out: list[str] = []
    numbered = 0
    for block in blocks(brief):
        text = (f"**{block.label}** — " if block.label else "") + block.text
        text = f"{text} {marks(block.refs)}".rstrip()
        numbered = numbered + 1 if block.kind == "numbered" else 0
        if block.kind in ("bullet", "numbered"):
            if out and not out[-1].startswith(("- ", f"{numbered - 1}. ")):
                out.append("")
            out.append(f"{numbered}. {text}" if numbered else f"- {text}")
            continue
        prefix = {"title": "# ", "heading": "## ", "subheading": "### "}.get(block.kind, "")
        out += ["", prefix + (f"*{text}*" if block.kind == "note" else text)]
    return "\n".join(out).strip() + "\n"


def word_count(brief: Brief) -> int:
    """Words on the page (Markdown marks and citation markers do not count)."""
    text = _MARKER.sub(" ", markdown(brief))
    return len(re.findall(r"[\w’'-]*\w", text.replace("**", "")))
