"""Write a brief to a file people can forward: Markdown or a Word document (DOCX).

Both follow `rag.brief.render.blocks`, so they carry the same headings and lines.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

from rag.brief.model import Brief
from rag.brief.render import blocks, marks

FORMATS = {"md": "text/markdown; charset=utf-8",
           "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document"}


# Characters XML 1.0 cannot hold (control characters from a topic or an extracted PDF): a DOCX
# is XML, and python-docx refuses them.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _xml(text: str) -> str:
    return _NOT_XML.sub(" ", text)


def to_docx(brief: Brief) -> bytes:
    """The brief as a .docx file (python-docx): Title, Heading 1/2, bullet and numbered lists;
    labels in bold, citation markers as text."""
    import docx

    document = docx.Document()
    document.core_properties.title = _xml(blocks(brief)[0].text)
    document.core_properties.author = "Sitrep"
    styles = {"bullet": "List Bullet", "numbered": "List Number"}
    for block in blocks(brief):
        if block.kind == "title":
            document.add_heading(_xml(block.text), 0)
        elif block.kind in ("heading", "subheading"):
            document.add_heading(_xml(block.text), 1 if block.kind == "heading" else 2)
        else:
            paragraph = document.add_paragraph(style=styles.get(block.kind))
            if block.label:
                paragraph.add_run(_xml(block.label)).bold = True
                paragraph.add_run(" — ")
            run = paragraph.add_run(_xml(f"{block.text} {marks(block.refs)}".rstrip()))
            run.italic = block.kind == "note"
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def render(brief: Brief, fmt: str) -> bytes:
    """The brief as bytes of `fmt` ("md" or "docx")."""
    if fmt == "docx":
        return to_docx(brief)
    if fmt == "md":
        # "replace": a lone surrogate (valid in JSON, not in UTF-8) from a topic becomes "?".
        return brief.to_markdown().encode("utf-8", "replace")
    raise ValueError(f"unknown brief format {fmt!r}: use one of {', '.join(FORMATS)}")


def format_of(path: str | Path) -> str:
    """The format a file name asks for: ".docx" → docx, anything else → md."""
    return "docx" if Path(path).suffix.lower() == ".docx" else "md"


def file_name(brief: Brief, fmt: str) -> str:
    """A download name: "brief-red-sea.docx", "brief.md"."""
    words = "".join(c if c.isalnum() else "-" for c in (brief.topic or "").lower()).strip("-")
    stem = "brief-" + "-".join(w for w in words.split("-") if w)[:40] if words else "brief"
    return f"{stem.rstrip('-')}.{fmt}"


def save_copies(brief: Brief) -> dict[str, Path]:
    """The brief written once in each format, in a fresh private temporary folder (the UI's
    downloads): format → path."""
    import tempfile

    folder = Path(tempfile.mkdtemp(prefix="sitrep-brief-"))
    paths = {}
    for fmt in FORMATS:
        paths[fmt] = folder / file_name(brief, fmt)
        paths[fmt].write_bytes(render(brief, fmt))
    return paths
