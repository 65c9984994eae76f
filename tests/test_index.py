"""Ingest against a real embedded Chroma: idempotent, replaces changed files, drops deleted."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from rag.ingest.store import Index, IndexBusy
from rag.retrieval.retrieve import Retriever

from .conftest import DOCS

pytestmark = pytest.mark.integration


def _copy_docs(tmp_path: Path) -> Path:
    folder = tmp_path / "docs"
    shutil.copytree(DOCS, folder)
    return folder


def _vector_counts(index: Index) -> tuple[int, int]:
    return index.sentences.count(), index.chunks.count()


def test_reingest_is_a_noop(fresh_index: Index, tmp_path: Path):
    folder = _copy_docs(tmp_path)
    first = fresh_index.ingest([folder])
    assert len(first.added) == 1 and first.sentences > 20 and first.chunks >= 3
    counts, generation = _vector_counts(fresh_index), fresh_index.generation()
    again = fresh_index.ingest([folder])
    assert again.unchanged == first.added and not again.changed
    assert _vector_counts(fresh_index) == counts
    assert fresh_index.generation() == generation


def test_changed_file_replaces_its_chunks_and_deleted_file_goes(fresh_index: Index,
                                                                 tmp_path: Path):
    folder = _copy_docs(tmp_path)
    note = folder / "note.md"
    note.write_text("# Note\n\nThe depot holds 500 tons of grain.\n", encoding="utf-8")
    fresh_index.ingest([folder])
    retriever = Retriever(fresh_index)
    assert "500 tons" in retriever.retrieve("How much grain is in the depot?")[0].text
    note.write_text("# Note\n\nThe depot holds 750 tons of grain.\n", encoding="utf-8")
    report = fresh_index.ingest([folder])
    assert report.updated == [str(note.resolve())] or len(report.updated) == 1
    texts = [c.text for c in retriever.retrieve("How much grain is in the depot?")]
    assert "750 tons" in texts[0] and not any("500 tons" in t for t in texts)
    doc_count = len(fresh_index.documents())
    note.unlink()
    report = fresh_index.ingest([folder])
    assert len(report.removed) == 1 and len(fresh_index.documents()) == doc_count - 1
    assert not any("grain" in c.text for c in retriever.retrieve("grain depot tons"))
    total = sum(r.sentences for r in fresh_index.documents())
    assert fresh_index.sentences.count() == total  # no orphans left behind


def test_bad_file_is_reported_and_changes_nothing(fresh_index: Index, tmp_path: Path):
    folder = _copy_docs(tmp_path)
    fresh_index.ingest([folder])
    before = (_vector_counts(fresh_index), [d.sha256 for d in fresh_index.documents()])
    (folder / "empty.txt").write_bytes(b"")
    (folder / "blob.txt").write_bytes(b"\x00\xff\x00 binary")
    (folder / "copy.txt").write_bytes((folder / "russia-north-korea.txt").read_bytes())
    report = fresh_index.ingest([folder])
    messages = " | ".join(report.errors)
    assert "empty" in messages and "binary" in messages and "same content" in messages
    assert (_vector_counts(fresh_index), [d.sha256 for d in fresh_index.documents()]) == before


def test_second_writer_is_refused(fresh_index: Index, tmp_path: Path):
    from filelock import FileLock

    lock = FileLock(str(fresh_index.settings.index_dir / "write.lock"))
    with lock:
        with pytest.raises(IndexBusy, match="another process is writing"):
            fresh_index.ingest([_copy_docs(tmp_path)])


def test_paged_read_returns_every_row_across_page_boundaries(fresh_index: Index,
                                                             tmp_path: Path):
    fresh_index.ingest([_copy_docs(tmp_path)])
    whole = fresh_index.sentences.get(include=["documents", "metadatas", "embeddings"])
    n = len(whole["ids"])
    size = next(s for s in (7, 8) if n % s)  # several full pages, then a part-filled one
    assert n > 3 * size
    pages = list(fresh_index.pages("sentences", size=size))
    assert [len(p.ids) for p in pages] == [size] * (n // size) + [n % size]
    ids = [i for p in pages for i in p.ids]
    assert len(set(ids)) == n and set(ids) == set(whole["ids"])  # each row once, none missed
    expected = {i: (t, m, np.asarray(v, dtype=np.float32)) for i, t, m, v in
                zip(whole["ids"], whole["documents"], whole["metadatas"], whole["embeddings"])}
    for page in pages:  # the fields of a row stay together
        assert page.embeddings.shape == (len(page.ids), expected[ids[0]][2].shape[0])
        for i, text, meta, vector in zip(*page):
            assert (text, meta) == expected[i][:2] and np.array_equal(vector, expected[i][2])

    # By ids, in pages of `size` ids; only the fields asked for; unknown ids left out.
    some = whole["ids"][::2]
    by_id = list(fresh_index.pages("sentences", ids=[*some, "no-such-id"], size=size,
                                   include=("embeddings",)))
    assert len(by_id) >= 2 and sorted(i for p in by_id for i in p.ids) == sorted(some)
    assert all(p.texts == [] and p.metadatas == [] and len(p.embeddings) == len(p.ids)
               for p in by_id)
    # A collection that fills its last page exactly ends there (no empty page).
    chunks = fresh_index.chunks.count()
    exact = list(fresh_index.pages("chunks", size=chunks, include=()))
    assert [len(p.ids) for p in exact] == [chunks] and len(exact[0].embeddings) == 0
    with pytest.raises(ValueError):
        next(fresh_index.pages("docs"))


def test_model_loads_once_per_process(engine, fresh_index: Index):
    assert fresh_index.embedder is engine.index.embedder
    assert engine.index.embedder.loads == 1
