"""The document library behind the UI: add uploaded files to the docs folder and the index,
or take a document out of both.

`add_files(index, docs_dir, uploads)` copies each upload into `docs_dir` under its own name and
ingests it; a file that cannot be used is taken back out, so a bad upload changes nothing.
`remove_document(index, docs_dir, doc_id)` drops a document from the index and moves its file
(when it lives in `docs_dir`) to `docs_dir/.removed/`, which ingest skips; the file stays
recoverable instead of being deleted by a click.
"""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from rag.documents import SUPPORTED_SUFFIXES, doc_id_for
from rag.index import DocRecord, Index

REMOVED_DIR = ".removed"
_UNSAFE = re.compile(r"[^\w.\- ]+")


class LibraryError(ValueError):
    """A library change was refused; nothing was changed. The message says why."""


@dataclass
class AddReport:
    """What happened to each uploaded file (by its name in the docs folder)."""

    added: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def safe_name(name: str) -> str:
    """A plain file name from an uploaded one: no folders, no leading dots, no odd characters."""
    cleaned = _UNSAFE.sub("_", Path(name).name).strip().lstrip(".")
    return cleaned or "upload.txt"


def _place(upload: Path, docs_dir: Path, report: AddReport) -> Path | None:
    """Copy one upload into `docs_dir`; None (with the reason in `report`) when refused."""
    name = safe_name(upload.name)
    if Path(name).suffix.lower() not in SUPPORTED_SUFFIXES:
        report.errors.append(f"{name}: unsupported file type; use one of "
                             f"{', '.join(SUPPORTED_SUFFIXES)}")
        return None
    target = docs_dir / name
    if target.exists():
        if target.read_bytes() == upload.read_bytes():
            report.unchanged.append(name)
        else:
            report.errors.append(f"{name}: a different file with this name is already in the "
                                 "library; remove it first or rename your file")
        return None
    partial = docs_dir / f".{name}.part"  # hidden from ingest until complete
    shutil.copyfile(upload, partial)
    partial.replace(target)
    return target


def add_files(index: Index, docs_dir: Path, uploads: list[Path],
              progress: Callable[[int, int, str], None] | None = None) -> AddReport:
    """Copy `uploads` into `docs_dir` and ingest them; undo the copy of any file not indexed."""
    docs_dir.mkdir(parents=True, exist_ok=True)
    report = AddReport()
    placed = [t for t in (_place(Path(u), docs_dir, report) for u in uploads) if t]
    if not placed:
        return report
    try:
        result = index.ingest(placed, progress=progress, prune_missing=False)
    except Exception:
        for target in placed:
            target.unlink(missing_ok=True)
        raise
    report.errors.extend(result.errors)
    committed = index.committed()
    for target in placed:
        if doc_id_for(target) in committed:
            report.added.append(target.name)
        else:
            target.unlink(missing_ok=True)
    return report


def remove_document(index: Index, docs_dir: Path, doc_id: str) -> DocRecord:
    """Take `doc_id` out of the index and its file out of `docs_dir` (into `.removed/`)."""
    record = next((r for r in index.documents() if r.doc_id == doc_id), None)
    if record is None:
        raise LibraryError("that document is not in the library (already removed?)")
    path, folder = Path(record.source).resolve(), docs_dir.resolve()
    moved: Path | None = None
    if path.is_file() and path.is_relative_to(folder):
        moved = folder / REMOVED_DIR / path.relative_to(folder)
        moved.parent.mkdir(parents=True, exist_ok=True)
        path.replace(moved)
    try:
        index.remove(doc_id)
    except Exception:
        if moved is not None:
            moved.replace(path)  # keep folder and index in agreement
        raise
    return record
