"""Snapshots of the sentence table on disk, so that a process starts without rebuilding it.

Building the table (`SentenceTable.build`) reads every sentence from Chroma, stems it and
indexes it for BM25: about 80 s at 100k chunks. A snapshot is written once per index generation
by the first process that needs it (normally the ingest itself) and read by every later process
in about a second. Texts are read from the file row by row and the BM25 arrays are
memory-mapped, so they cost resident memory only for what questions touch.

Where: beside an embedded index (`SITREP_INDEX/tables/`); for a Chroma server, on each machine
under `SITREP_CACHE/tables/<server and collection>/`. A snapshot folder is named by the index
generation and the sentence collection's id. It appears whole (written aside, then renamed), and
older snapshots are deleted once a newer one is in place. A snapshot is a cache, never the
truth: whatever is wrong with it (missing, another format, documents that are not the committed
ones, unreadable) makes `read` return None, and the caller rebuilds from Chroma.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import time
import uuid
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from rag.config import cache_root
from rag.ingest.store import Index

FORMAT = 2  # bump when the files below change meaning (2: words fold accents)
STALE_TMP_S = 3600  # a half-written snapshot this old belongs to a process that died

log = logging.getLogger(__name__)


class Texts(Sequence):
    """Sentence texts kept in one UTF-8 file; a row is read (`os.pread`) when asked for.

    A list of 385k Python strings costs ~70 MB resident at 100k chunks. A memory map of the
    file grew to all of it within 60 questions (each page read maps its neighbours too); reads
    leave the pages in the kernel's cache, outside the process."""

    def __init__(self, path: Path | None, ends: np.ndarray) -> None:
        self._file = open(path, "rb") if path is not None else None  # None: no texts
        self._ends = ends  # byte offset where each row's text ends

    def __len__(self) -> int:
        return len(self._ends)

    def __getitem__(self, row):
        if isinstance(row, slice):
            return [self[r] for r in range(*row.indices(len(self)))]
        if row < 0:
            row += len(self)
        if self._file is None or not 0 <= row < len(self):  # no file: no rows
            raise IndexError(row)
        start = int(self._ends[row - 1]) if row else 0
        return os.pread(self._file.fileno(), int(self._ends[row]) - start, start).decode("utf-8")

    def __iter__(self) -> Iterator[str]:
        return (self[r] for r in range(len(self)))


def folder(index: Index, generation: str) -> Path:
    """Where the snapshot of `index` at `generation` lives (it may not exist)."""
    settings = index.settings
    if settings.chroma_url:
        server = f"{settings.chroma_url.rstrip('/')}|{settings.collection}"
        root = cache_root() / "tables" / hashlib.sha256(server.encode()).hexdigest()[:16]
    else:
        root = settings.index_dir / "tables"
    # The collection id tells a collection apart from one deleted and made again (same name).
    return root / f"{generation or 'empty'}-{str(index.sentences.id)[:8]}"


def read(where: Path, generation: str, committed: dict[str, Any]) -> dict[str, Any] | None:
    """The `SentenceTable` fields stored in `where`, or None when there is no usable snapshot
    of `generation` whose documents are the `committed` ones (doc_id → DocRecord). An
    unusable snapshot is removed, so that the rebuilt table can be saved in its place."""
    if not where.exists():
        return None
    try:
        stored = _read(where, generation, committed)
        why = "it does not match the index"
    except (OSError, ValueError, KeyError, TypeError) as exc:
        stored, why = None, str(exc)
    if stored is None:
        # Snapshots appear whole, so every process finds this one unusable alike.
        log.warning("sentence table snapshot %s is unusable (%s); rebuilding", where, why)
        aside = where.parent / f".{where.name}.unusable.{uuid.uuid4().hex[:8]}"
        try:
            os.rename(where, aside)
        except OSError:
            return None  # another process moved it already
        shutil.rmtree(aside, ignore_errors=True)
    return stored


def _read(where: Path, generation: str, committed: dict[str, Any]) -> dict[str, Any] | None:
    import bm25s

    meta = json.loads((where / "meta.json").read_text(encoding="utf-8"))
    if meta.get("format") != FORMAT or meta.get("generation") != generation:
        return None
    doc_keys = [tuple(key) for key in meta["doc_keys"]]
    stored = {key[0]: key[1] for key in doc_keys}
    expected = {doc_id: r.sha256[:12] for doc_id, r in committed.items() if r.sentences}
    if stored != expected:
        return None
    ends = np.load(where / "text_ends.npy")
    size = (where / "texts.bin").stat().st_size
    matrix = np.load(where / "columns.npy")
    if len(ends) != meta["rows"] or size != (int(ends[-1]) if len(ends) else 0) \
            or matrix.shape != (len(meta["columns"]), meta["rows"]):
        return None
    bm25 = (bm25s.BM25.load(str(where / "bm25"), mmap=True, show_progress=False)
            if meta["rows"] else None)
    texts = Texts(where / "texts.bin" if size else None, ends)
    return {"generation": generation, "texts": texts,
            "columns": dict(zip(meta["columns"], matrix)), "doc_keys": doc_keys,
            "sections": meta["sections"], "kinds": meta["kinds"],
            "idf": json.loads((where / "idf.json").read_text(encoding="utf-8")),
            "bm25": bm25, "idf_max": meta["idf_max"]}


def write(table: Any, where: Path) -> bool:
    """Save `table` (a `SentenceTable`) as the snapshot `where`; False if it could not be.

    Files are written into a hidden folder beside it, which is then renamed: readers see the
    whole snapshot or none. When another process renamed its own first, that one is kept."""
    tmp = where.parent / f".{where.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}"
    try:
        tmp.mkdir(parents=True)
        encoded = [text.encode("utf-8") for text in table.texts]
        (tmp / "texts.bin").write_bytes(b"".join(encoded))
        np.save(tmp / "text_ends.npy", np.cumsum([len(b) for b in encoded], dtype=np.int64))
        del encoded
        names = list(table.columns)
        np.save(tmp / "columns.npy", np.stack([np.asarray(table.columns[n], dtype=np.int32)
                                               for n in names]))
        (tmp / "idf.json").write_text(json.dumps(table.idf), encoding="utf-8")
        if table.bm25 is not None:
            table.bm25.save(str(tmp / "bm25"), show_progress=False)
        (tmp / "meta.json").write_text(json.dumps({
            "format": FORMAT, "generation": table.generation, "rows": len(table.texts),
            "columns": names, "doc_keys": table.doc_keys, "sections": table.sections,
            "kinds": table.kinds, "idf_max": table.idf_max}), encoding="utf-8")
        try:
            os.rename(tmp, where)
        except OSError:
            if not where.exists():
                raise
            shutil.rmtree(tmp, ignore_errors=True)  # another process saved it first
    except OSError as exc:
        log.warning("cannot save the sentence table snapshot %s (%s); it is rebuilt by each "
                    "process instead", where, exc)
        shutil.rmtree(tmp, ignore_errors=True)
        return False
    _prune(where)
    return True


def _prune(kept: Path) -> None:
    """Delete snapshots older than `kept` and half-written ones of dead processes. A process
    still reading a deleted snapshot keeps its open files (POSIX), and is stale anyway."""
    try:
        now, mtime = time.time(), kept.stat().st_mtime
        for other in kept.parent.iterdir():
            if other == kept or not other.is_dir():
                continue
            try:
                age = other.stat().st_mtime
            except OSError:
                continue  # another process removed it meanwhile
            if (other.name.startswith(".") and now - age > STALE_TMP_S) or \
                    (not other.name.startswith(".") and age < mtime):
                shutil.rmtree(other, ignore_errors=True)
    except OSError as exc:  # pruning is housekeeping: the snapshot itself is in place
        log.warning("could not prune old sentence table snapshots beside %s (%s)", kept, exc)
