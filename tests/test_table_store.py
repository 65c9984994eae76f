"""Sentence table snapshots: a saved table reads back as the one built from Chroma; a new
process starts from it without a rebuild; a damaged or stale snapshot is rebuilt, never used."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from rag.engine import Engine
from rag.ingest.store import Index
from rag.retrieval import table_store
from rag.retrieval.sentence_table import SentenceTable
from tests.conftest import ROOT, make_settings

pytestmark = pytest.mark.integration


@pytest.fixture
def index(docs_copy: Path, tmp_path: Path) -> Index:
    index = Index(make_settings(tmp_path / "index"))
    assert index.ingest([docs_copy]).added
    return index


def _snapshots(index: Index) -> list[Path]:
    return sorted(p for p in (index.settings.index_dir / "tables").iterdir()
                  if not p.name.startswith("."))


def test_a_saved_table_reads_back_as_the_built_one(index: Index):
    loaded = SentenceTable.load(index)  # builds, saves, reads the snapshot back
    assert isinstance(loaded.texts, table_store.Texts)
    committed = {r.doc_id: r for r in index.documents()}
    built = SentenceTable.build(index, index.generation(), committed)
    assert list(loaded.texts) == built.texts and len(loaded) == len(built) > 20
    for name, column in built.columns.items():
        assert np.array_equal(loaded.columns[name], column), name
    assert (loaded.doc_keys, loaded.sections, loaded.kinds) == \
        ([tuple(k) for k in built.doc_keys], built.sections, built.kinds)
    assert loaded.idf == built.idf and loaded.idf_max == built.idf_max
    assert loaded.doc_rows == built.doc_rows
    query = ["troop", "north", "korea"]
    assert np.allclose(loaded.bm25.get_scores(query), built.bm25.get_scores(query))
    doc_id, idx = next(iter(built.position))
    assert loaded.block_text(doc_id, idx) == built.block_text(doc_id, idx)


def test_a_new_process_starts_from_the_snapshot_without_reading_chroma(index: Index):
    SentenceTable.load(index)
    script = f"""
import json
from rag.config import load_settings
from rag.engine import Engine
from rag.retrieval.sentence_table import SentenceTable

def refuse(*args, **kwargs):
    raise AssertionError("the table was rebuilt from Chroma")

SentenceTable.build = refuse
engine = Engine(load_settings().with_index({str(index.settings.index_dir)!r}))
print(json.dumps(engine.ask("how many troops?").bluf))
"""
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True,
                          text=True, env=dict(os.environ), timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "12,000" in json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("damage", ["truncated texts", "broken meta", "other documents",
                                    "another format"])
def test_a_damaged_snapshot_is_rebuilt_and_answers_stay_right(index: Index, damage: str):
    SentenceTable.load(index)
    [snapshot] = _snapshots(index)
    meta = json.loads((snapshot / "meta.json").read_text())
    if damage == "truncated texts":
        (snapshot / "texts.bin").write_bytes((snapshot / "texts.bin").read_bytes()[:100])
    elif damage == "broken meta":
        (snapshot / "meta.json").write_text("{not json")
    elif damage == "other documents":
        meta["doc_keys"][0][1] = "0" * 12
        (snapshot / "meta.json").write_text(json.dumps(meta))
    else:
        meta["format"] = table_store.FORMAT + 1
        (snapshot / "meta.json").write_text(json.dumps(meta))
    committed = {r.doc_id: r for r in index.documents()}
    assert table_store.read(snapshot, index.generation(), committed) is None
    answer = Engine(index.settings, index).ask("how many troops?")
    assert "12,000" in answer.bluf
    assert table_store.read(snapshot, index.generation(), committed) is not None, \
        "the rebuilt table was not saved over the damaged one"


def test_a_new_generation_gets_a_new_snapshot_and_the_old_one_goes(index: Index,
                                                                   tmp_path: Path):
    engine = Engine(index.settings, index)
    engine.ask("how many troops?")
    [before] = _snapshots(index)
    extra = tmp_path / "extra"
    extra.mkdir()
    (extra / "garrison.txt").write_text(
        "The Orsk garrison numbered 640 soldiers in 1902.\n", encoding="utf-8")
    assert index.ingest([extra], prune_missing=False).added
    answer = engine.ask("How many soldiers did the Orsk garrison number?")
    assert "640" in answer.bluf
    [after] = _snapshots(index)
    assert after != before and not before.exists()


def test_an_unwritable_place_still_gives_a_table(index: Index, monkeypatch):
    monkeypatch.setattr(table_store, "folder",
                        lambda index, generation: Path("/proc/sitrep-cannot-write-here"))
    table = SentenceTable.load(index)
    assert isinstance(table.texts, list) and len(table) > 20
