"""Analysts' edits of a document's publisher, date and Admiralty grade, kept beside the index.

HTML, text, Word and e-mail files carry no front matter, so the Library (and
`PATCH /api/documents/{id}/metadata`) lets an analyst set `source` (the publisher), `date`,
`reliability` (A–F) and `credibility` (1–6) for any document. `MetadataEdits(path)` keeps them
in one small JSON file under the index folder (`metadata-edits.json`), keyed by document id:
a document's id comes from its path, so its edits survive re-ingests of a changed file. The
file is written atomically (a temporary file renamed over it) under a file lock, and re-read
whenever another process changed it, so every reader applies an edit at once.

An edit overrides what the file itself says; an edited value of `None` clears the file's value
(an analyst may withdraw a grade a page claimed). `clean_edit` validates input and raises
`MetadataError` naming the field and what it accepts; nothing is written then. `clear` drops a
document's whole edit, so its file's own values count again (the Library's "Restore original",
`DELETE /api/documents/{id}/metadata`).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import tempfile
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from rag.tradecraft import CREDIBILITY, RELIABILITY

EDITABLE = ("source", "date", "reliability", "credibility")
FILE_NAME = "metadata-edits.json"
MAX_SOURCE_CHARS = 200
_DATE = re.compile(r"^\d{4}(?:-\d{2}(?:-\d{2})?)?$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
Edit = dict[str, str | int | None]


class MetadataError(ValueError):
    """An edit was refused; the message names the field and what it accepts."""


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _source(value: Any) -> str | None:
    if _blank(value):
        return None
    if not isinstance(value, str):
        raise MetadataError("source: must be text, the publisher's name")
    text = " ".join(_CONTROL.sub(" ", value).split())
    if len(text) > MAX_SOURCE_CHARS:
        raise MetadataError(f"source: {len(text)} characters, over the {MAX_SOURCE_CHARS}-"
                            "character limit")
    return text


def _date(value: Any) -> str | None:
    if _blank(value):
        return None
    text = str(value).strip()
    try:
        if not _DATE.match(text):
            raise ValueError
        dt.date.fromisoformat((text + "-01-01")[:10])
    except ValueError:
        raise MetadataError(f"date: {text[:40]!r} is not a date; write YYYY-MM-DD "
                            "(or YYYY-MM, or YYYY)") from None
    return text


def _reliability(value: Any) -> str | None:
    if _blank(value):
        return None
    letter = str(value).strip().upper()
    if letter not in RELIABILITY:
        raise MetadataError(f"reliability: {str(value)[:20]!r} is not a source reliability; "
                            "use a letter A–F (A completely reliable … F cannot be judged)")
    return letter


def _credibility(value: Any) -> int | None:
    if _blank(value):
        return None
    text = str(value).strip()
    if isinstance(value, bool) or not text.isdigit() or int(text) not in CREDIBILITY:
        raise MetadataError(f"credibility: {text[:20]!r} is not an information credibility; "
                            "use a number 1–6 (1 confirmed … 6 cannot be judged)")
    return int(text)


_CHECKS = {"source": _source, "date": _date, "reliability": _reliability,
           "credibility": _credibility}


def clean_edit(values: Mapping[str, Any]) -> Edit:
    """Validate the fields of an edit: only `EDITABLE` keys; blank values become None (clear).
    Raises `MetadataError` with every problem, one per field, joined by "; "."""
    unknown = sorted(set(values) - set(EDITABLE))
    problems = [f"{key}: not an editable field (use {', '.join(EDITABLE)})"
                for key in unknown[:5]]
    edit: Edit = {}
    for key in EDITABLE:
        if key in values:
            try:
                edit[key] = _CHECKS[key](values[key])
            except MetadataError as exc:
                problems.append(str(exc))
    if problems:
        raise MetadataError("; ".join(problems))
    if not edit:
        raise MetadataError(f"nothing to change: give one of {', '.join(EDITABLE)}")
    return edit


def apply_edit(metadata: Mapping[str, Any], edit: Mapping[str, Any] | None) -> dict[str, Any]:
    """`metadata` with an edit laid over it (None clears a value); a new dict."""
    merged = dict(metadata)
    for key, value in (edit or {}).items():
        if value is None:
            merged.pop(key, None)
        else:
            merged[key] = value
    return merged


class MetadataEdits:
    """The edits file of one index: read it, lay its edits over documents' metadata, write it.

    Thread-safe; several processes may share the file (writers take a file lock, readers
    notice a changed file by its modification time and size)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._stamp: tuple[int, int, int] | None = None
        self._edits: dict[str, Edit] = {}

    def version(self) -> tuple[int, int, int]:
        """Changes whenever the file does: (inode, modification time in ns, size), the inode
        new at every atomic write; (0, 0, 0) when there is no file."""
        try:
            stat = self.path.stat()
        except OSError:
            return (0, 0, 0)
        return (stat.st_ino, stat.st_mtime_ns, stat.st_size)

    def all(self) -> dict[str, Edit]:
        """doc_id → edit, re-read when the file changed (an unreadable file counts as empty
        for readers; `set` refuses to write over it)."""
        stamp = self.version()
        with self._lock:
            if stamp != self._stamp:
                self._edits = self._read() if stamp != (0, 0, 0) else {}
                self._stamp = stamp
            return self._edits

    def get(self, doc_id: str) -> Edit:
        """The edit of one document ({} when none)."""
        return dict(self.all().get(doc_id, {}))

    def apply(self, doc_id: str, metadata: Mapping[str, Any]) -> dict[str, Any]:
        """A document's metadata as the analyst left it: the file's, with its edit laid over."""
        return apply_edit(metadata, self.all().get(doc_id))

    def set(self, doc_id: str, edit: Mapping[str, Any]) -> Edit:
        """Merge a cleaned edit (`clean_edit`) into a document's and write the file atomically;
        return the document's whole edit."""
        from filelock import FileLock

        self.path.parent.mkdir(parents=True, exist_ok=True)
        with FileLock(str(self.path) + ".lock", timeout=10):
            edits = self._read(strict=True) if self.path.exists() else {}
            merged: Edit = {**edits.get(doc_id, {}), **edit}
            edits[doc_id] = merged
            self._write(edits)
        return dict(merged)

    def clear(self, doc_id: str) -> bool:
        """Remove a document's whole edit, so its metadata is what its file says again
        ("Restore original", `DELETE /api/documents/{id}/metadata`); the file is rewritten
        atomically, and left alone when the document had no edit. True if it had one."""
        from filelock import FileLock

        if not self.path.exists():
            return False
        with FileLock(str(self.path) + ".lock", timeout=10):
            edits = self._read(strict=True)
            if doc_id not in edits:
                return False
            del edits[doc_id]
            self._write(edits)
        return True

    def _read(self, strict: bool = False) -> dict[str, Edit]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            if not isinstance(data, dict) or not all(isinstance(v, dict) for v in data.values()):
                raise ValueError("not a mapping of document id to fields")
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as exc:
            if strict:
                raise MetadataError(f"cannot read the edits file {self.path} ({exc}); fix or "
                                    "move it away, nothing was changed") from None
            return {}
        return {str(k): {f: v for f, v in v.items() if f in EDITABLE} for k, v in data.items()}

    def _write(self, edits: dict[str, Edit]) -> None:
        handle, temporary = tempfile.mkstemp(prefix=".edits-", dir=self.path.parent)
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                json.dump(edits, out, indent=1, sort_keys=True, ensure_ascii=False)
                out.flush()
                os.fsync(out.fileno())
            os.replace(temporary, self.path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise


__all__ = ["EDITABLE", "FILE_NAME", "MetadataEdits", "MetadataError", "apply_edit",
           "clean_edit"]
