"""The store: one Sitrep index in Chroma — its collections, reads, and the writes ingest makes.

`Index(settings)` opens the Chroma store (embedded under `settings.index_dir`, or a server at
`settings.chroma_url`) with three collections: `<name>-sentences` and `<name>-chunks` hold
vectors, `<name>-docs` holds one record per document (its text, hash and metadata) plus a
`generation` marker that changes on every write so other processes know to reload.

Reads: the committed documents (`documents`, `committed`, `document_text`), the generation
marker (`refresh` reopens an embedded store another process changed), and `pages`, every row
(or the rows of given ids) of the sentence or chunk collection in pages that stay under
SQLite's variable limit.

Writes are crash-safe by construction: a document's sentences and chunks are stored under ids
that include its hash (`upsert`), its docs record is written last as the commit (`commit`),
then older versions are deleted (`delete_stale`). Readers only trust sentences whose hash
matches the committed record, so a crash at any point leaves an index that answers;
`sweep_orphans` deletes the leftovers and `sync_generation` derives the marker from what is
committed. The pipeline that turns files into those writes is `rag.ingest.pipeline` (`Index.ingest`
runs it under the store's write lock); chunking is `rag.ingest.chunking`.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np

import rag  # noqa: F401  (offline environment first)
from rag.config import Settings
from rag.contracts import DocRecord
from rag.embed.model import Embedder, get_embedder, vector_space
from rag.ingest.doc_metadata import FILE_NAME as EDITS_FILE
from rag.ingest.doc_metadata import MetadataEdits
from rag.ingest.documents import Splitter, max_doc_sentences, split_sentences

if TYPE_CHECKING:
    from contextlib import AbstractContextManager

    from rag.ingest.pipeline import IngestReport, ProgressFn

META_ID = "__meta__"
READ_PAGE = 5_000  # rows per Chroma read of a whole collection (SQLite caps variables)
# Docs records hold each document's full text, which Chroma reads along with the metadata
# asked for: one read of 4,081 documents took 170 MB of resident memory, pages of 250 take 30.
DOC_PAGE = 250
WRITE_BATCH = 4_000  # rows per Chroma write or delete (capped by the client's batch size too)
# A store replaced by a reopen stays open this long for the questions that began on it.
RETIRE_S = 120.0
ALL_FIELDS = ("documents", "metadatas", "embeddings")


class StoreError(RuntimeError):
    """The index cannot be opened or written; the message says what to do."""


class IndexBusy(StoreError):
    """Another process is writing to this embedded index."""


class Rows(NamedTuple):
    """One page of a collection read by `Index.pages`: parallel lists of the rows' ids, texts,
    metadata and vectors (a float32 array, one row per id). A field not asked for is empty."""

    ids: list[str]
    texts: list[str]
    metadatas: list[dict[str, Any]]
    embeddings: np.ndarray


# The vector of a docs record (a document or the marker): it is found by id, never by vector.
_NO_VECTOR: list[Sequence[float]] = [[1.0]]


def _scalar_metadata(meta: dict[str, Any]) -> dict[str, Any]:
    """Chroma metadata values must be scalars; drop None."""
    return {k: v for k, v in meta.items() if v is not None}


class Index:
    """Read and write one Sitrep index (embedded or server Chroma)."""

    def __init__(self, settings: Settings, embedder: Embedder | None = None) -> None:
        self.settings = settings
        self.embedder = embedder or get_embedder(settings.model_path, settings.backend)
        self.max_sentences = max_doc_sentences()  # per document (SITREP_MAX_DOC_SENTENCES)
        # Analysts' edits of publisher, date and grade (rag.ingest.doc_metadata), beside the index.
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
            if not url.hostname:
                raise StoreError(f"the Chroma server URL {settings.chroma_url!r} names no host")
            try:
                self.client = chromadb.HttpClient(
                    host=url.hostname, port=url.port or (443 if url.scheme == "https" else 80),
                    ssl=url.scheme == "https", settings=chroma_settings)
                self.client.heartbeat()
            except Exception as exc:  # the client raises several unrelated types
                raise StoreError(
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
        got = _rows(self.docs.get(ids=[META_ID], include=["metadatas"]))
        if not got.ids or self.docs.count() <= 1:
            return  # nothing committed yet: any backend may start it
        built = got.metadatas[0].get("backend", "torch")  # older indexes: torch only
        if vector_space(built) != vector_space(self.embedder.backend):
            where = (f"collection {self.settings.collection!r} on {self.settings.chroma_url}"
                     if self.settings.chroma_url else str(self.settings.index_dir))
            raise StoreError(
                f"the index at {where} was embedded with the {built} backend, whose vectors "
                f"differ from {self.embedder.backend}'s; set SITREP_BACKEND={built}, or ingest "
                f"into a new index (another SITREP_INDEX or SITREP_COLLECTION) to use "
                f"{self.embedder.backend}")

    # ---- reading -------------------------------------------------------------------------

    def generation(self) -> str:
        """A token that changes whenever the index content changes."""
        got = _rows(self.docs.get(ids=[META_ID], include=["metadatas"]))
        return str(got.metadatas[0]["generation"]) if got.ids else ""

    def documents(self) -> list[DocRecord]:
        """All committed documents, sorted by source."""
        records: dict[str, DocRecord] = {}  # by id: a write between pages may shift one
        offset = 0
        while True:
            got = _rows(self.docs.get(include=["metadatas"], limit=DOC_PAGE, offset=offset))
            records.update((i, self._record(i, m)) for i, m in zip(got.ids, got.metadatas)
                           if i != META_ID)
            if len(got.ids) < DOC_PAGE:
                return sorted(records.values(), key=lambda r: r.source)
            offset += DOC_PAGE

    def document_text(self, doc_id: str) -> str | None:
        """The full text a committed document's offsets index into."""
        got = _rows(self.docs.get(ids=[doc_id], include=["documents"]))
        return got.texts[0] if got.ids else None

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

    def pages(self, collection: str = "sentences", ids: Sequence[str] | None = None,
              include: Collection[str] = ALL_FIELDS, size: int = READ_PAGE) -> Iterator[Rows]:
        """The rows of the `sentences` or `chunks` collection, `size` rows a page.

        Every row (in Chroma's order), or with `ids` the rows of those ids (ids the store does
        not hold are left out). `include` names the fields to read besides the ids
        (`documents`: the texts, `metadatas`, `embeddings`). One read of a whole collection
        fails at ~50k rows ("too many SQL variables"), and one read of every vector would hold
        them all in memory at once; a page of a few thousand rows does neither. Rows are not
        filtered: sentences of an uncommitted or old version of a document come too (compare
        their `sha` with `committed()`).
        """
        if collection not in ("sentences", "chunks"):
            raise ValueError(f"no collection {collection!r}: sentences or chunks")
        store = getattr(self, collection)
        fields = [f for f in ALL_FIELDS if f in include]
        if ids is not None:
            for start in range(0, len(ids), size):
                rows = _rows(store.get(ids=list(ids[start:start + size]), include=fields))
                if rows.ids:
                    yield rows
            return
        offset = 0
        while True:
            rows = _rows(store.get(include=fields, limit=size, offset=offset))
            if rows.ids:
                yield rows
            if len(rows.ids) < size:
                return
            offset += size

    # ---- writing -------------------------------------------------------------------------

    def write_lock(self) -> AbstractContextManager[Any]:
        """Hold the exclusive lock for writers of an embedded index (Chroma allows one writer)
        until the returned context exits; raise `IndexBusy` at once if another holds it.

        The lock is an OS file lock: a writer killed by any signal releases it with its
        process. A Chroma server takes its own writes in turn, so it needs none.
        """
        from contextlib import nullcontext

        from filelock import FileLock, Timeout

        if self.settings.chroma_url:
            return nullcontext()
        lock = FileLock(str(self.settings.index_dir / "write.lock"), timeout=0)
        try:
            return lock.acquire()  # filelock's own context: releases the lock on exit
        except Timeout:
            raise IndexBusy(
                f"another process is writing to {self.settings.index_dir}; wait for it to "
                "finish (only one writer may use an embedded index at a time)") from None

    def ingest(self, paths: Iterable[str | Path], progress: ProgressFn | None = None,
               prune_missing: bool = True,
               recorded_as: Mapping[Path, Path] | None = None,
               twins: Callable[[DocRecord], bool] | None = None,
               split: Splitter = split_sentences) -> IngestReport:
        """Bring the index in line with the files at `paths` (files or folders): see
        `rag.ingest.pipeline.ingest`, which does it under this store's write lock."""
        from rag.ingest.pipeline import ingest  # the pipeline builds on the store, not the reverse

        return ingest(self, paths, progress=progress, prune_missing=prune_missing,
                      recorded_as=recorded_as, twins=twins, split=split)

    def remove(self, doc_id: str) -> DocRecord | None:
        """Remove one committed document; return its record, or None if it was not there."""
        with self.write_lock():
            self.refresh()
            record = next((r for r in self.documents() if r.doc_id == doc_id), None)
            if record is not None:
                self.delete_document(doc_id)
            self.sync_generation()
            return record

    def upsert(self, collection: str, ids: list[str], vectors: np.ndarray, texts: list[str],
               metadatas: list[dict[str, Any]]) -> None:
        """Store rows of the `sentences` or `chunks` collection, in batches the client takes."""
        store = getattr(self, collection)
        step = max(1, min(WRITE_BATCH, self.client.get_max_batch_size()))
        for i in range(0, len(ids), step):
            store.upsert(ids=ids[i:i + step], embeddings=vectors[i:i + step],
                         documents=texts[i:i + step], metadatas=metadatas[i:i + step])

    def commit(self, doc_id: str, text: str, metadata: dict[str, Any]) -> None:
        """Write a document's docs record: the commit point, once its vectors are stored."""
        self.docs.upsert(ids=[doc_id], embeddings=_NO_VECTOR, documents=[text],
                         metadatas=[_scalar_metadata(metadata)])

    def delete_stale(self, doc_id: str, keep_sha: str | None) -> None:
        """Delete a document's vectors except those of version `keep_sha` (None: all)."""
        where: dict[str, Any] = {"doc_id": doc_id}
        if keep_sha is not None:
            where = {"$and": [{"doc_id": doc_id}, {"sha": {"$ne": keep_sha}}]}
        self.sentences.delete(where=where)
        self.chunks.delete(where=where)

    def delete_document(self, doc_id: str) -> None:
        self.docs.delete(ids=[doc_id])  # un-commit first, so readers stop trusting its vectors
        self.delete_stale(doc_id, None)

    def sweep_orphans(self) -> None:
        """Delete vectors left by a crashed ingest (no committed record, or an old hash)."""
        committed = {doc_id: sha[:12] for doc_id, sha in self.committed().items()}
        for collection in ("sentences", "chunks"):
            # Ids (`doc_id:sha:...`) name the version, so only ids are read.
            stale = [i for rows in self.pages(collection, include=()) for i in rows.ids
                     if committed.get(i.split(":")[0]) != i.split(":")[1]]
            for i in range(0, len(stale), WRITE_BATCH):
                getattr(self, collection).delete(ids=stale[i:i + WRITE_BATCH])

    def sync_generation(self) -> None:
        """Set the generation marker to a fingerprint of what is committed.

        Derived, not bumped: whatever a crash interrupted, the next ingest or removal leaves a
        marker that differs from the one readers loaded whenever the committed set differs.
        """
        committed = sorted(self.committed().items())
        fingerprint = hashlib.sha256(json.dumps(committed).encode()).hexdigest()[:32]
        if fingerprint != self.generation():
            self.docs.upsert(ids=[META_ID], embeddings=_NO_VECTOR, documents=[""],
                             metadatas=[{"generation": fingerprint,
                                         "backend": self.embedder.backend}])
        self._seen = fingerprint  # written through this store: it holds what it wrote


def _rows(got: Mapping[str, Any]) -> Rows:
    """A Chroma `get` result as `Rows` (fields it did not read: empty)."""
    ids = list(got["ids"])
    vectors = got.get("embeddings")
    return Rows(ids, list(got.get("documents") or []), list(got.get("metadatas") or []),
                np.asarray(vectors, dtype=np.float32) if vectors is not None and len(ids)
                else np.zeros((0, 0), dtype=np.float32))
