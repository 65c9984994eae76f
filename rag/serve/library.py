"""The document library behind the UI: add uploaded files to the docs folder and the index,
or take a document out of both; and, at start, bring the two back into agreement.

`add_files(index, docs_dir, uploads)` stages each upload under `docs_dir/.uploading/` (which
ingest skips), ingests it recorded under its final name, and moves it into place only once
the index has committed it: a crash leaves no file in the library that the index lacks, and an
unusable upload changes nothing. The UI puts each caller's uploads in a folder of its own
(`upload_folder`), so a name taken by a document the caller may not see never collides.
`remove_document(index, docs_dir, doc_id)` drops a document from the index and moves its file
(when it lives in `docs_dir`) to `docs_dir/.removed/`, which ingest skips; the file stays
recoverable instead of being deleted by a click. `reconcile(index, docs_dir)` runs when the
app starts: it clears the staging folders of processes that died, ingests files in `docs_dir`
the index lacks and drops records whose file in `docs_dir` is gone.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from rag.contracts import DocRecord
from rag.ingest.documents import SUPPORTED_SUFFIXES, doc_id_for, find_files
from rag.ingest.store import Index
from rag.serve.access import ANONYMOUS, Caller

REMOVED_DIR = ".removed"
STAGING_DIR = ".uploading"  # one folder per add_files call, named <pid>-<random>
UPLOADS_DIR = "uploads"
_UNSAFE = re.compile(r"[^\w.\- ]+")


class LibraryError(ValueError):
    """A library change was refused; nothing was changed. The message says why."""


@dataclass
class AddReport:
    """What happened to each uploaded file (by its name in the docs folder)."""

    added: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


@dataclass
class ReconcileReport:
    """What `reconcile` changed: staging folders cleared, files ingested, records dropped."""

    cleared: list[str] = field(default_factory=list)
    added: list[str] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        """One human-readable line per change or problem."""
        return ([f"removed unfinished upload {c}" for c in self.cleared]
                + [f"ingested {a} (in the docs folder, not in the index)" for a in self.added]
                + [f"dropped {d} from the index (its file is gone)" for d in self.dropped]
                + [f"not ingested: {e}" for e in self.errors])


def safe_name(name: str) -> str:
    """A plain file name from an uploaded one: no folders, no leading dots, no odd characters."""
    cleaned = _UNSAFE.sub("_", Path(name).name).strip().lstrip(".")
    return cleaned or "upload.txt"


def upload_folder(docs_dir: Path, caller: Caller) -> Path:
    """Where `caller`'s uploads go: `docs/uploads/` without sign-in (everyone is the same
    anonymous caller), `docs/uploads/<caller>/` with it. Names are only compared within one
    caller's folder, so whether an upload's name is free never depends on other callers'
    documents, which this caller may not be allowed to see."""
    base = docs_dir / UPLOADS_DIR
    return base if caller == ANONYMOUS else base / safe_name(caller.name.replace(":", "-"))


def _stage(upload: Path, folder: Path, staging: Path, committed: dict[str, str],
           report: AddReport) -> tuple[Path, Path] | None:
    """Copy one upload into `staging`; return (staged, final path), or None (with the reason
    in `report`) when it is refused or already in the library."""
    name = safe_name(upload.name)
    if Path(name).suffix.lower() not in SUPPORTED_SUFFIXES:
        report.errors.append(f"{name}: unsupported file type; use one of "
                             f"{', '.join(SUPPORTED_SUFFIXES)}")
        return None
    final, staged = folder / name, staging / name
    if doc_id_for(final) in committed:
        if final.is_file() and final.read_bytes() == upload.read_bytes():
            report.unchanged.append(name)
        else:
            report.errors.append(f"{name}: a different file with this name is already in the "
                                 "library; remove it first or rename your file")
        return None
    if staged.exists():  # the same name twice in one upload: the first one counts
        return None
    shutil.copyfile(upload, staged)
    return staged, final


def _settle(index: Index, record: DocRecord, staged: Path, final: Path,
            visible: Callable[[DocRecord], bool] | None) -> str | None:
    """Move a committed upload into place; None, or why it was taken back out of the index."""
    if visible is not None and not visible(record):
        index.remove(record.doc_id)
        return (f"{final.name}: its access labels name none of your groups, so you could not "
                "see it; not added")
    final.parent.mkdir(parents=True, exist_ok=True)
    try:
        staged.replace(final)
    except OSError as exc:
        index.remove(record.doc_id)
        return f"{final.name}: cannot write it into the library ({exc.strerror})"
    return None


def add_files(index: Index, docs_dir: Path, uploads: list[Path],
              progress: Callable[[int, int, str], None] | None = None,
              folder: Path | None = None,
              visible: Callable[[DocRecord], bool] | None = None) -> AddReport:
    """Add `uploads` to the index and, once committed, to `folder` (default: `docs_dir`).

    Each upload is read where it is staged (`docs_dir/.uploading/`) and recorded under its
    final path. With `visible`, an upload whose record the uploader could not see is taken
    back out (it could only ever tell them about other documents), and only documents they
    may see count as its twin (same content: skipped, and named): an upload with the content
    of a document they may not see answers as new content would."""
    folder = folder or docs_dir
    staging_root = docs_dir / STAGING_DIR
    staging_root.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f"{os.getpid()}-", dir=staging_root))
    report = AddReport()
    try:
        committed = index.committed()
        placed = [p for p in (_stage(Path(u), folder, staging, committed, report)
                              for u in uploads) if p]
        if not placed:
            return report
        result = index.ingest([s for s, _ in placed], progress=progress, prune_missing=False,
                              recorded_as=dict(placed), twins=visible)
        report.errors.extend(_final_names(result.errors, placed))
        records = {r.doc_id: r for r in index.documents()}
        for staged, final in placed:
            record = records.get(doc_id_for(final))
            if record is None:
                continue  # not committed: ingest said why
            refused = _settle(index, record, staged, final, visible)
            if refused:
                report.errors.append(refused)
            else:
                report.added.append(final.name)
        return report
    finally:
        shutil.rmtree(staging, ignore_errors=True)
        try:
            staging_root.rmdir()  # only when no other upload is staged
        except OSError:
            pass


def _final_names(errors: list[str], placed: list[tuple[Path, Path]]) -> list[str]:
    """Ingest's messages with each staged path replaced by the upload's name."""
    for staged, final in placed:
        errors = [e.replace(str(staged), final.name) for e in errors]
    return errors


def _pid_alive(pid: int) -> bool:
    """Is a process with this id running on this machine?"""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # running, as another user
        pass
    return True


def _stale(folder: Path) -> bool:
    """Was this staging entry left by a process that is no longer running?"""
    pid = folder.name.partition("-")[0]
    return not pid.isdigit() or not _pid_alive(int(pid))


def clear_stale_staging(docs_dir: Path) -> list[str]:
    """Remove what uploads of processes that died left staged; return the files' names."""
    root = docs_dir / STAGING_DIR
    cleared: list[str] = []
    for entry in sorted(root.iterdir()) if root.is_dir() else []:
        if not _stale(entry):
            continue
        if entry.is_dir():
            cleared += sorted(f.name for f in entry.iterdir())
            shutil.rmtree(entry, ignore_errors=True)
        else:
            cleared.append(entry.name)
            entry.unlink(missing_ok=True)
    return cleared


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


def reconcile(index: Index, docs_dir: Path) -> ReconcileReport:
    """Bring `docs_dir` and the index into agreement after a crash or offline edits: clear
    dead uploads' staging folders, ingest files the index lacks, drop records of files in
    `docs_dir` that are gone. Documents outside `docs_dir` are left alone."""
    report = ReconcileReport(cleared=clear_stale_staging(docs_dir))
    folder = docs_dir.resolve()
    records = index.documents()
    known = {r.doc_id for r in records}
    missing = [f for f in find_files([docs_dir]) if doc_id_for(f) not in known]
    if missing:
        result = index.ingest(missing, prune_missing=False)
        report.added, report.errors = result.added, result.errors
    for record in records:
        path = Path(record.path or record.source).resolve()
        if path.is_relative_to(folder) and not record.file_exists():
            index.remove(record.doc_id)
            report.dropped.append(record.source)
    return report
