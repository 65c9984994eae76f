"""The index: documents → sentences and chunks → embeddings → Chroma, idempotently.

`Index(settings)` opens the Chroma store (embedded under `settings.index_dir`, or a server at
`settings.chroma_url`) with three collections: `<name>-sentences` and `<name>-chunks` hold
vectors, `<name>-docs` holds one record per document (its text, hash and metadata) plus a
`generation` marker that changes on every write so other processes know to reload.

Ingest is content-hashed and crash-safe: a document's sentences and chunks are written under ids
that include its hash, then its docs record is written last as the commit, then older versions
are deleted. Readers only trust sentences whose hash matches the committed record, so a crash at
any point leaves an index that answers; the next ingest sweeps the leftovers.
"""

from __future__ import annotations

import hashlib
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
from typing import Any

import numpy as np

import rag  # noqa: F401  (offline environment first)
from rag.config import Settings
from rag.contracts import DocRecord
from rag.doc_metadata import FILE_NAME as EDITS_FILE
from rag.doc_metadata import MetadataEdits
from rag.documents import Document, DocumentError, find_files, load_document, max_doc_sentences
from rag.embeddings import Embedder, get_embedder, vector_space
from rag.vector_cache import cached_encode

log = logging.getLogger(__name__)
META_ID = "__meta__"
ProgressFn = Callable[[int, int, str], None]
PAUSE_ENV = "SITREP_PAUSE_AT"


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


READ_PAGE = 5_000  # rows per Chroma read of a whole collection (SQLite caps variables)
# Docs records hold each document's full text, which Chroma reads along with the metadata
# asked for: one read of 4,081 documents took 170 MB of resident memory, pages of 250 take 30.
DOC_PAGE = 250
# A store replaced by a reopen stays open this long for the questions that began on it.
RETIRE_S = 120.0
ENCODE_AHEAD_TEXTS = 2048  # sentences of several documents encoded in one model call


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


class IndexError_(RuntimeError):
    """The index cannot be opened or written; the message says what to do."""


class IndexBusy(IndexError_):
    """Another process is writing to this embedded index."""


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


@dataclass(frozen=True)
class Chunk:
    """Consecutive sentences of one section, sized for the model's window."""

    index: int
    first: int  # index of the first sentence
    last: int  # index of the last sentence (inclusive)
    section: str
    text: str


def make_chunks(doc: Document, token_counts: list[int], budget: int) -> list[Chunk]:
    """Group consecutive sentences of the same section into chunks of at most `budget` tokens.

    The section heading leads each chunk's text, so a chunk embeds its context.
    """
    chunks: list[Chunk] = []
    group: list[int] = []
    used = 0

    def flush() -> None:
        if group:
            first, last = group[0], group[-1]
            section = doc.sentences[first].section
            body = " ".join(doc.sentences[i].text for i in group)
            text = f"{section}\n{body}" if section else body
            chunks.append(Chunk(len(chunks), first, last, section, text))

    for sentence, tokens in zip(doc.sentences, token_counts):
        same_section = group and doc.sentences[group[0]].section == sentence.section
        if group and (not same_section or used + tokens > budget):
            flush()
            group, used = [], 0
        group.append(sentence.index)
        used += tokens
    flush()
    return chunks


def _scalar_metadata(meta: dict[str, Any]) -> dict[str, Any]:
    """Chroma metadata values must be scalars; drop None."""
    return {k: v for k, v in meta.items() if v is not None}


class Index:
    """Read and write one Sitrep index (embedded or server Chroma)."""

    def __init__(self, settings: Settings, embedder: Embedder | None = None) -> None:
        self.settings = settings
        self.embedder = embedder or get_embedder(settings.model_path, settings.backend)
        self.max_sentences = max_doc_sentences()  # per document (SITREP_MAX_DOC_SENTENCES)
        # Analysts' edits of publisher, date and grade (rag.doc_metadata), beside the index.
        self.edits = MetadataEdits(settings.index_dir / EDITS_FILE)
        self._reopen_lock = threading.Lock()
        self._opened = 0  # how many times the store was opened in this process
        self._retired: Any = None  # the client replaced by the last reopen (still readable)
        self._open()
        self._seen = self.generation()  # the generation this process's store reflects
        self._check_backend()

    def _open(self) -> None:
        """Open the Chroma client and the three collections."""
        import chromadb
        from chromadb.config import Settings as ChromaSettings

        settings = self.settings
        chroma_settings = ChromaSettings(anonymized_telemetry=False, allow_reset=False)
        if settings.chroma_url:
            from urllib.parse import urlparse

            url = urlparse(settings.chroma_url)
            try:
                self.client = chromadb.HttpClient(
                    host=url.hostname, port=url.port or (443 if url.scheme == "https" else 80),
                    ssl=url.scheme == "https", settings=chroma_settings)
                self.client.heartbeat()
            except Exception as exc:  # the client raises several unrelated types
                raise IndexError_(
                    f"cannot reach the Chroma server at {settings.chroma_url} ({exc}); "
                    "start it with `chroma run --path DIR --port N`") from None
        else:
            settings.index_dir.mkdir(parents=True, exist_ok=True)
            # Chroma keeps one store per path string in a process, and that store never sees
            # what another process writes. A reopen uses the other of two spellings of the
            # path, so it gets a fresh store while questions already running finish on the
            # old one (closed RETIRE_S later).
            path = str(settings.index_dir / "chroma") + ("/." if self._opened % 2 else "")
            self.client = chromadb.PersistentClient(path=path, settings=chroma_settings)
        self._opened += 1
        name = settings.collection
        space = {"hnsw:space": "cosine"}
        # embedding_function=None: Chroma must never embed (it would fetch its own model).
        self.sentences = self.client.get_or_create_collection(
            f"{name}-sentences", metadata=space, embedding_function=None)
        self.chunks = self.client.get_or_create_collection(
            f"{name}-chunks", metadata=space, embedding_function=None)
        self.docs = self.client.get_or_create_collection(
            f"{name}-docs", embedding_function=None)

    def refresh(self) -> str:
        """The generation marker, after reopening an embedded store another process changed.

        An embedded store opened before another process's ingest misses that ingest's vectors
        (queries skip them, reads by id fail with "Error finding id"); reopened, it has them.
        A Chroma server serves every process the same data, so it is never reopened.
        """
        generation = self.generation()
        if self.settings.chroma_url or generation == self._seen:
            return generation
        with self._reopen_lock:
            if generation != self._seen:
                if self._retired is not None:  # reopened twice within RETIRE_S
                    self._retired.close()
                    self._retired = None
                current = self.client
                self._open()  # if this fails, the current store stays in use
                self._retired, self._seen = current, generation
                closer = threading.Timer(RETIRE_S, self._close_retired, [self._retired])
                closer.daemon = True
                closer.start()
        return generation

    def _close_retired(self, client: Any) -> None:
        """Close a client a reopen replaced, once questions begun on it have finished."""
        with self._reopen_lock:
            if self._retired is client:
                client.close()  # frees its in-memory vectors
                self._retired = None

    def _check_backend(self) -> None:
        """Refuse an index whose vectors another vector space made (int8 vs float32): their
        cosines with this backend's question vectors would be subtly off, never an error."""
        got = self.docs.get(ids=[META_ID], include=["metadatas"])
        if not got["ids"] or self.docs.count() <= 1:
            return  # nothing committed yet: any backend may start it
        built = got["metadatas"][0].get("backend", "torch")  # older indexes: torch only
        if vector_space(built) != vector_space(self.embedder.backend):
            where = (f"collection {self.settings.collection!r} on {self.settings.chroma_url}"
                     if self.settings.chroma_url else str(self.settings.index_dir))
            raise IndexError_(
                f"the index at {where} was embedded with the {built} backend, whose vectors "
                f"differ from {self.embedder.backend}'s; set SITREP_BACKEND={built}, or ingest "
                f"into a new index (another SITREP_INDEX or SITREP_COLLECTION) to use "
                f"{self.embedder.backend}")

    # ---- reading -------------------------------------------------------------------------

    def generation(self) -> str:
        """A token that changes whenever the index content changes."""
        got = self.docs.get(ids=[META_ID], include=["metadatas"])
        return str(got["metadatas"][0]["generation"]) if got["ids"] else ""

    def documents(self) -> list[DocRecord]:
        """All committed documents, sorted by source."""
        records: dict[str, DocRecord] = {}  # by id: a write between pages may shift one
        offset = 0
        while True:
            got = self.docs.get(include=["metadatas"], limit=DOC_PAGE, offset=offset)
            records.update((i, self._record(i, m)) for i, m in zip(got["ids"], got["metadatas"])
                           if i != META_ID)
            if len(got["ids"]) < DOC_PAGE:
                return sorted(records.values(), key=lambda r: r.source)
            offset += DOC_PAGE

    def document_text(self, doc_id: str) -> str | None:
        """The full text a committed document's offsets index into."""
        got = self.docs.get(ids=[doc_id], include=["documents"])
        return got["documents"][0] if got["ids"] else None

    def _record(self, doc_id: str, meta: dict[str, Any]) -> DocRecord:
        own = json.loads(meta.get("metadata_json") or "{}")
        return DocRecord(doc_id=doc_id, source=meta["source"], title=meta["title"],
                         sha256=meta["sha256"], sentences=int(meta["n_sentences"]),
                         chunks=int(meta["n_chunks"]), metadata=self.edits.apply(doc_id, own),
                         ingested_at=float(meta["ingested_at"]), path=meta.get("path", ""),
                         file_metadata=own)

    def committed(self) -> dict[str, str]:
        """doc_id → committed sha256."""
        return {r.doc_id: r.sha256 for r in self.documents()}

    # ---- writing -------------------------------------------------------------------------

    def _write_lock(self):
        """An exclusive lock for writers of an embedded index (Chroma allows one writer)."""
        from filelock import FileLock, Timeout

        if self.settings.chroma_url:
            from contextlib import nullcontext

            return nullcontext()
        lock = FileLock(str(self.settings.index_dir / "write.lock"), timeout=0)
        try:
            lock.acquire()
        except Timeout:
            raise IndexBusy(
                f"another process is writing to {self.settings.index_dir}; wait for it to "
                "finish (only one writer may use an embedded index at a time)") from None
        return _Release(lock)

    def ingest(self, paths: Iterable[str | Path], progress: ProgressFn | None = None,
               prune_missing: bool = True,
               recorded_as: Mapping[Path, Path] | None = None,
               twins: Callable[[DocRecord], bool] | None = None) -> IngestReport:
        """Bring the index in line with the files at `paths` (files or folders).

        New files are added, changed files replaced, unchanged ones skipped; with
        `prune_missing`, committed documents whose file no longer exists are removed.
        Unusable files are reported in `errors` and change nothing. `recorded_as` maps a file
        of `paths` to the path it is recorded under (an upload read where it is staged, and
        moved there once committed). A file with the same content as a committed document is
        skipped as its twin; with `twins`, only committed documents it accepts count (an
        upload: those its caller may see, so the skip never reveals a document they may not).
        """
        started = time.perf_counter()
        report = IngestReport()
        files = find_files([Path(p) for p in paths])
        max_bytes = int(self.settings.max_file_mb * 1_000_000)
        with self._write_lock():
            _checkpoint("locked")
            self.refresh()  # a stale store would write over another process's vectors
            committed = {r.doc_id: r for r in self.documents()}
            # A twin is a file with the same content; a moved file's old record is not one.
            seen_hashes = {r.sha256: r.source for r in committed.values()
                           if r.file_exists() and (twins is None or twins(r))}
            seen_ids: set[str] = set()

            def screen(path: Path) -> Document | None:
                """The file's document if it needs embedding; else record why not."""
                try:
                    doc = load_document(path, max_bytes=max_bytes,
                                        max_sentences=self.max_sentences,
                                        name=(recorded_as or {}).get(path))
                except DocumentError as exc:
                    report.errors.append(str(exc))
                    return None
                except Exception as exc:  # a reader's bug on one hostile file: skip that file
                    log.debug("unexpected error reading %s", path, exc_info=True)
                    report.errors.append(f"{path}: cannot read this file "
                                         f"({type(exc).__name__}: {exc})")
                    return None
                if doc.doc_id in seen_ids:
                    return None  # the same file reached twice (a symlink, or listed twice)
                old = committed.get(doc.doc_id)
                if old and old.sha256 == doc.sha256:
                    report.unchanged.append(doc.source)
                    return None
                twin = seen_hashes.get(doc.sha256)
                if twin and twin != doc.source:
                    report.errors.append(f"{doc.source}: same content as {twin}; skipped")
                    return None
                seen_hashes[doc.sha256] = doc.source
                seen_ids.add(doc.doc_id)
                return doc

            loader = _Loader(files, screen)
            done = 0
            for group in _groups(loader, ENCODE_AHEAD_TEXTS):
                chunked = {doc.doc_id: self._chunks(doc) for doc in group}
                self._encode_ahead(group, chunked, report)
                for doc in group:
                    self._write_document(doc, chunked[doc.doc_id], report,
                                         replacing=doc.doc_id in committed)
                    (report.updated if doc.doc_id in committed else report.added).append(
                        doc.source)
                    done += len(doc.sentences)
                    if progress and loader.total is not None:
                        progress(done, loader.total, doc.source)
            if prune_missing:
                for record in committed.values():
                    if not record.file_exists():
                        self._delete_document(record.doc_id)
                        report.removed.append(record.source)
            _checkpoint("sweep")
            self._sweep_orphans()
            self._sync_generation()
        report.seconds = time.perf_counter() - started
        return report

    def remove(self, doc_id: str) -> DocRecord | None:
        """Remove one committed document; return its record, or None if it was not there."""
        with self._write_lock():
            self.refresh()
            record = next((r for r in self.documents() if r.doc_id == doc_id), None)
            if record is not None:
                self._delete_document(doc_id)
            self._sync_generation()
            return record

    def _chunks(self, doc: Document) -> list[Chunk]:
        counts = self.embedder.token_counts([s.text for s in doc.sentences])
        return make_chunks(doc, counts, self.settings.chunk_tokens)

    def _encode_ahead(self, group: list[Document], chunked: dict[str, list[Chunk]],
                      report: IngestReport) -> None:
        """Encode a group of documents' sentences, then their chunks, into the vector cache.

        The model pads each batch to its longest text: one call over many documents' sentences
        (sorted by length inside) and another over their chunks wastes far less than a call per
        document mixing 30-token sentences with 200-token chunks, which cost twice the model
        time of the same texts encoded alone.
        """
        for texts in ([s.text for d in group for s in d.sentences],
                      [c.text for d in group for c in chunked[d.doc_id]]):
            _, reused = cached_encode(self.embedder, texts)
            report.reused += reused
            report.encoded += len(texts) - reused

    def _write_document(self, doc: Document, chunks: list[Chunk], report: IngestReport,
                        replacing: bool) -> None:
        texts = [s.text for s in doc.sentences]
        sent_vecs, _ = cached_encode(self.embedder, texts)  # encoded ahead: cache hits
        chunk_vecs, _ = cached_encode(self.embedder, [c.text for c in chunks])
        tag = f"{doc.doc_id}:{doc.sha256[:12]}"
        chunk_of = np.zeros(len(texts), dtype=int)
        for chunk in chunks:
            chunk_of[chunk.first:chunk.last + 1] = chunk.index
        base = {"doc_id": doc.doc_id, "sha": doc.sha256[:12], "source": doc.source,
                "title": doc.title}
        self._add(self.sentences, [f"{tag}:s{s.index}" for s in doc.sentences], sent_vecs,
                  texts,
                  [{**base, "idx": s.index, "start": s.start, "end": s.end,
                    "section": s.section, "kind": s.kind, "block": s.block,
                    "chunk": int(chunk_of[s.index])} for s in doc.sentences])
        _checkpoint("sentences", doc.source)
        self._add(self.chunks, [f"{tag}:c{c.index}" for c in chunks], chunk_vecs,
                  [c.text for c in chunks],
                  [{**base, "chunk": c.index, "first": c.first, "last": c.last,
                    "section": c.section} for c in chunks])
        _checkpoint("chunks", doc.source)
        # The docs record is the commit point: written only after its vectors are stored.
        self.docs.upsert(ids=[doc.doc_id], embeddings=[[1.0]], documents=[doc.text],
                         metadatas=[_scalar_metadata({
                             "source": doc.source, "title": doc.title, "sha256": doc.sha256,
                             "n_sentences": len(doc.sentences), "n_chunks": len(chunks),
                             "metadata_json": json.dumps(doc.metadata, default=str),
                             "ingested_at": time.time(),
                             "path": str(Path(doc.source).resolve())})])
        _checkpoint("committed", doc.source)
        if replacing:  # a new document has no older version; crash leftovers are swept later
            self._delete_stale(doc.doc_id, doc.sha256[:12])
        report.sentences += len(doc.sentences)
        report.chunks += len(chunks)

    def _add(self, collection, ids: list[str], vectors: np.ndarray, texts: list[str],
             metadatas: list[dict[str, Any]]) -> None:
        step = max(1, min(4000, self.client.get_max_batch_size()))
        for i in range(0, len(ids), step):
            collection.upsert(ids=ids[i:i + step], embeddings=vectors[i:i + step],
                              documents=texts[i:i + step], metadatas=metadatas[i:i + step])

    def _delete_stale(self, doc_id: str, keep_sha: str | None) -> None:
        """Delete a document's vectors except those of version `keep_sha` (None: all)."""
        where: dict[str, Any] = {"doc_id": doc_id}
        if keep_sha is not None:
            where = {"$and": [{"doc_id": doc_id}, {"sha": {"$ne": keep_sha}}]}
        self.sentences.delete(where=where)
        self.chunks.delete(where=where)

    def _delete_document(self, doc_id: str) -> None:
        self.docs.delete(ids=[doc_id])  # un-commit first, so readers stop trusting its vectors
        self._delete_stale(doc_id, None)

    def _sweep_orphans(self) -> None:
        """Delete vectors left by a crashed ingest (no committed record, or an old hash)."""
        committed = {doc_id: sha[:12] for doc_id, sha in self.committed().items()}
        for collection in (self.sentences, self.chunks):
            # Ids (`doc_id:sha:...`) name the version, so only ids are read, page by page: one
            # read of every row's metadata fails at ~50k rows ("too many SQL variables").
            stale: list[str] = []
            offset = 0
            while True:
                ids = collection.get(include=[], limit=READ_PAGE, offset=offset)["ids"]
                stale += [i for i in ids if committed.get(i.split(":")[0]) != i.split(":")[1]]
                if len(ids) < READ_PAGE:
                    break
                offset += READ_PAGE
            for i in range(0, len(stale), 4000):
                collection.delete(ids=stale[i:i + 4000])

    def _sync_generation(self) -> None:
        """Set the generation marker to a fingerprint of what is committed.

        Derived, not bumped: whatever a crash interrupted, the next ingest or removal leaves a
        marker that differs from the one readers loaded whenever the committed set differs.
        """
        committed = sorted(self.committed().items())
        fingerprint = hashlib.sha256(json.dumps(committed).encode()).hexdigest()[:32]
        if fingerprint != self.generation():
            self.docs.upsert(ids=[META_ID], embeddings=[[1.0]], documents=[""],
                             metadatas=[{"generation": fingerprint,
                                         "backend": self.embedder.backend}])
        self._seen = fingerprint  # written through this store: it holds what it wrote


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


class _Release:
    """Context manager that releases a held file lock."""

    def __init__(self, lock) -> None:
        self.lock = lock

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.lock.release()
