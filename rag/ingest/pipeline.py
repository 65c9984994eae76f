"""Ingest: files → documents → sentences and chunks → vectors → the store, idempotently.

`ingest(index, paths)` (also `Index.ingest`) brings an index in line with the files at
`paths`: new files are added, changed ones replaced, unchanged ones skipped (content-hashed),
and committed documents whose file is gone removed. It holds the store's write lock
throughout. Files are read and screened in a background thread (`_Loader`) while the model
encodes the documents read so far, several documents' sentences in one call
(`ENCODE_AHEAD_TEXTS`); each document is then written in the store's crash-safe order
(`rag.ingest.store`): sentences, chunks, then its docs record as the commit, then its older
vectors deleted. The leftovers of a crash are swept at the end.
"""

from __future__ import annotations

import json
import logging
import os
import queue
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from rag.contracts import DocRecord
from rag.ingest.chunking import Chunk, make_chunks
from rag.ingest.documents import (
    Document,
    DocumentError,
    Splitter,
    find_files,
    load_document,
    split_sentences,
)
from rag.ingest.vector_cache import cached_encode

if TYPE_CHECKING:
    from rag.ingest.store import Index

log = logging.getLogger(__name__)
ProgressFn = Callable[[int, int, str], None]  # (sentences done, sentences in all, source)
PAUSE_ENV = "SITREP_PAUSE_AT"
ENCODE_AHEAD_TEXTS = 2048  # sentences of several documents encoded in one model call


def _checkpoint(stage: str, source: str = "") -> None:
    """Test hook for the crash tests: stop at a named point of an ingest.

    With `SITREP_PAUSE_AT` set, print `sitrep: passed <stage> <source>` on stderr at each
    stage; at the stage it names (`<stage>` or `<stage>:<file name>`), print `sitrep: paused
    at ...` instead and wait for a line (or end of input) on stdin, so a test can kill -9 the
    process at a known point or let it go on. Stages: locked, sentences, chunks, committed,
    sweep. Unset (always, outside tests): does nothing.
    """
    wanted = os.environ.get(PAUSE_ENV)
    if not wanted:
        return
    pause = wanted in (stage, f"{stage}:{Path(source).name}")
    print(f"sitrep: {'paused at' if pause else 'passed'} {stage} {source}".rstrip(),
          file=sys.stderr, flush=True)
    if pause:
        sys.stdin.readline()


@dataclass
class IngestReport:
    """What one ingest did, file by file."""

    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    sentences: int = 0
    chunks: int = 0
    encoded: int = 0  # texts (sentences and chunks) the model encoded
    reused: int = 0  # texts whose vector came from the process's vector cache
    seconds: float = 0.0

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.removed)

    def summary(self) -> str:
        return (f"added {len(self.added)}, updated {len(self.updated)}, "
                f"unchanged {len(self.unchanged)}, removed {len(self.removed)}, "
                f"errors {len(self.errors)}; {self.sentences} sentences in "
                f"{self.chunks} chunks embedded in {self.seconds:.1f} s")


def ingest(index: Index, paths: Iterable[str | Path], progress: ProgressFn | None = None,
           prune_missing: bool = True, recorded_as: Mapping[Path, Path] | None = None,
           twins: Callable[[DocRecord], bool] | None = None,
           split: Splitter = split_sentences) -> IngestReport:
    """Bring `index` in line with the files at `paths` (files or folders).

    New files are added, changed files replaced, unchanged ones skipped; with
    `prune_missing`, committed documents whose file no longer exists are removed.
    Unusable files are reported in `errors` and change nothing. `recorded_as` maps a file
    of `paths` to the path it is recorded under (an upload read where it is staged, and
    moved there once committed). A file with the same content as a committed document is
    skipped as its twin; with `twins`, only committed documents it accepts count (an
    upload: those its caller may see, so the skip never reveals a document they may not).
    `split` finds each paragraph's sentences (`rag.ingest.documents.split_sentences`; the benchmark
    passes a memoised one).
    """
    started = time.perf_counter()
    report = IngestReport()
    files = find_files([Path(p) for p in paths])
    with index.write_lock():
        _checkpoint("locked")
        index.refresh()  # a stale store would write over another process's vectors
        committed = {r.doc_id: r for r in index.documents()}
        screen = _Screen(index, committed, report, recorded_as or {}, twins, split)
        loader = _Loader(files, screen)
        done = 0
        for group in _groups(loader, ENCODE_AHEAD_TEXTS):
            chunked = {doc.doc_id: _chunks(index, doc) for doc in group}
            _encode_ahead(index, group, chunked, report)
            for doc in group:
                _write_document(index, doc, chunked[doc.doc_id], report,
                                replacing=doc.doc_id in committed)
                (report.updated if doc.doc_id in committed else report.added).append(
                    doc.source)
                done += len(doc.sentences)
                if progress and loader.total is not None:
                    progress(done, loader.total, doc.source)
        if prune_missing:
            for record in committed.values():
                if not record.file_exists():
                    index.delete_document(record.doc_id)
                    report.removed.append(record.source)
        _checkpoint("sweep")
        index.sweep_orphans()
        index.sync_generation()
    report.seconds = time.perf_counter() - started
    return report


class _Screen:
    """Reads one file and decides whether it needs embedding, recording in the report why not:
    unreadable, reached twice, unchanged, or the twin of another document."""

    def __init__(self, index: Index, committed: dict[str, DocRecord], report: IngestReport,
                 recorded_as: Mapping[Path, Path],
                 twins: Callable[[DocRecord], bool] | None, split: Splitter) -> None:
        self.max_bytes = int(index.settings.max_file_mb * 1_000_000)
        self.max_sentences = index.max_sentences
        self.committed, self.report, self.recorded_as = committed, report, recorded_as
        self.split = split
        # A twin is a file with the same content; a moved file's old record is not one.
        self.seen_hashes = {r.sha256: r.source for r in committed.values()
                            if r.file_exists() and (twins is None or twins(r))}
        self.seen_ids: set[str] = set()

    def __call__(self, path: Path) -> Document | None:
        """The file's document if it needs embedding; else record why not."""
        report = self.report
        try:
            doc = load_document(path, max_bytes=self.max_bytes,
                                max_sentences=self.max_sentences,
                                name=self.recorded_as.get(path), split=self.split)
        except DocumentError as exc:
            report.errors.append(str(exc))
            return None
        except Exception as exc:  # a reader's bug on one hostile file: skip that file
            log.debug("unexpected error reading %s", path, exc_info=True)
            report.errors.append(f"{path}: cannot read this file "
                                 f"({type(exc).__name__}: {exc})")
            return None
        if doc.doc_id in self.seen_ids:
            return None  # the same file reached twice (a symlink, or listed twice)
        old = self.committed.get(doc.doc_id)
        if old and old.sha256 == doc.sha256:
            report.unchanged.append(doc.source)
            return None
        twin = self.seen_hashes.get(doc.sha256)
        if twin and twin != doc.source:
            report.errors.append(f"{doc.source}: same content as {twin}; skipped")
            return None
        self.seen_hashes[doc.sha256] = doc.source
        self.seen_ids.add(doc.doc_id)
        return doc


def _groups(docs: Iterable[Document], texts: int) -> Iterable[list[Document]]:
    """Consecutive runs of `docs` holding at least `texts` sentences each (the last: fewer)."""
    group: list[Document] = []
    size = 0
    for doc in docs:
        group.append(doc)
        size += len(doc.sentences)
        if size >= texts:
            yield group
            group, size = [], 0
    if group:
        yield group


def _chunks(index: Index, doc: Document) -> list[Chunk]:
    counts = index.embedder.token_counts([s.text for s in doc.sentences])
    return make_chunks(doc, counts, index.settings.chunk_tokens)


def _encode_ahead(index: Index, group: list[Document], chunked: dict[str, list[Chunk]],
                  report: IngestReport) -> None:
    """Encode a group of documents' sentences, then their chunks, into the vector cache.

    The model pads each batch to its longest text: one call over many documents' sentences
    (sorted by length inside) and another over their chunks wastes far less than a call per
    document mixing 30-token sentences with 200-token chunks, which cost twice the model
    time of the same texts encoded alone.
    """
    for texts in ([s.text for d in group for s in d.sentences],
                  [c.text for d in group for c in chunked[d.doc_id]]):
        _, reused = cached_encode(index.embedder, texts)
        report.reused += reused
        report.encoded += len(texts) - reused


def _write_document(index: Index, doc: Document, chunks: list[Chunk], report: IngestReport,
                    replacing: bool) -> None:
    """Store a document's sentences and chunks, then commit it, then drop its old version."""
    texts = [s.text for s in doc.sentences]
    sent_vecs, _ = cached_encode(index.embedder, texts)  # encoded ahead: cache hits
    chunk_vecs, _ = cached_encode(index.embedder, [c.text for c in chunks])
    tag = f"{doc.doc_id}:{doc.sha256[:12]}"
    chunk_of = np.zeros(len(texts), dtype=int)
    for chunk in chunks:
        chunk_of[chunk.first:chunk.last + 1] = chunk.index
    base = {"doc_id": doc.doc_id, "sha": doc.sha256[:12], "source": doc.source,
            "title": doc.title}
    index.upsert("sentences", [f"{tag}:s{s.index}" for s in doc.sentences], sent_vecs, texts,
                 [{**base, "idx": s.index, "start": s.start, "end": s.end,
                   "section": s.section, "kind": s.kind, "block": s.block,
                   "chunk": int(chunk_of[s.index])} for s in doc.sentences])
    _checkpoint("sentences", doc.source)
    index.upsert("chunks", [f"{tag}:c{c.index}" for c in chunks], chunk_vecs,
                 [c.text for c in chunks],
                 [{**base, "chunk": c.index, "first": c.first, "last": c.last,
                   "section": c.section} for c in chunks])
    _checkpoint("chunks", doc.source)
    # The docs record is the commit point: written only after its vectors are stored.
    index.commit(doc.doc_id, doc.text, {
        "source": doc.source, "title": doc.title, "sha256": doc.sha256,
        "n_sentences": len(doc.sentences), "n_chunks": len(chunks),
        "metadata_json": json.dumps(doc.metadata, default=str),
        "ingested_at": time.time(), "path": str(Path(doc.source).resolve())})
    _checkpoint("committed", doc.source)
    if replacing:  # a new document has no older version; crash leftovers are swept later
        index.delete_stale(doc.doc_id, doc.sha256[:12])
    report.sentences += len(doc.sentences)
    report.chunks += len(chunks)


class _Loader:
    """Reads and screens files in a background thread, in order, while the caller embeds.

    Iterating yields the documents `screen` keeps. Sentence segmentation (pysbd) is pure Python,
    ~10% of an ingest, and the model releases the GIL while it computes, so the next documents
    are read while the current ones are encoded. `total` (sentences of all kept documents) is
    None until every file has been read; progress is reported from then on.
    """

    def __init__(self, files: list[Path], screen: Callable[[Path], Document | None]) -> None:
        self.total: int | None = None
        self._docs: queue.Queue[Document | None] = queue.Queue()
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._read, args=(files, screen), daemon=True,
                                        name="sitrep-ingest-reader")
        self._thread.start()

    def _read(self, files: list[Path], screen: Callable[[Path], Document | None]) -> None:
        sentences = 0
        try:
            for path in files:
                doc = screen(path)
                if doc is not None:
                    sentences += len(doc.sentences)
                    self._docs.put(doc)
            self.total = sentences
        except BaseException as exc:  # re-raised in the ingesting thread
            self._error = exc
        finally:
            self._docs.put(None)

    def __iter__(self) -> Iterator[Document]:
        while (doc := self._docs.get()) is not None:
            yield doc
        self._thread.join()
        if self._error is not None:
            raise self._error
