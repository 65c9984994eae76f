"""The pieces that keep Sitrep fast at scale: the vector cache and the table's id mappings."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from rag.engine import Engine
from rag.ingest.store import Index

pytestmark = pytest.mark.integration


def test_repeated_text_is_encoded_once_and_stored_identically(fresh_index: Index,
                                                              tmp_path: Path):
    shared = "The Harlow depot holds 740 tons of grain, officials said on Monday."
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "a.md").write_text(f"# A\n\n{shared} The roads were closed.\n", encoding="utf-8")
    (folder / "b.md").write_text(f"# B\n\n{shared} The bridge was repaired.\n",
                                 encoding="utf-8")
    report = fresh_index.ingest([folder])
    assert report.sentences == 4 and report.reused >= 1
    assert report.encoded + report.reused == report.sentences + report.chunks
    got = fresh_index.sentences.get(where={"idx": 0}, include=["embeddings"])
    stored = np.asarray(got["embeddings"], dtype=np.float32)
    fresh = fresh_index.embedder.encode([shared])[0]
    assert len(stored) == 2
    assert np.allclose(stored, fresh, atol=1e-6)


def test_table_maps_chroma_ids_to_rows(engine: Engine):
    table = engine.retriever.table()
    chunks = engine.index.chunks.get(include=["metadatas"])
    assert chunks["ids"]
    for chunk_id, meta in zip(chunks["ids"], chunks["metadatas"]):
        rows = table.chunk_rows[chunk_id]
        assert [table.metas[r]["idx"] for r in rows] == list(range(meta["first"],
                                                                   meta["last"] + 1))
    for row, sentence_id in enumerate(table.ids):
        assert table.row_of(sentence_id) == row
    doc_id, sha, idx = table.ids[0].split(":")
    assert table.row_of(f"{doc_id}:{'0' * len(sha)}:{idx}") is None  # another version
