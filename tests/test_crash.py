"""Crash safety and one writer, with real `python -m rag ingest` processes.

Each crash test copies one base index (the shipped article, ingested in this process), starts
a real ingest that updates the article and adds three documents, and kills it with SIGKILL at
a known point: at a pause of the `SITREP_PAUSE_AT` hook (between Chroma writes), or a fixed
time after a stage (in a later write or embedding). The index must then open and answer, and
the next ingest must complete it: no duplicates, no orphans, readers told to reload.
"""

from __future__ import annotations

import shutil
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

from rag.engine import Engine
from rag.ingest.documents import load_document
from rag.ingest.store import Index

from .conftest import DOCS, ROOT, make_settings
from .proc import PausedIngest, Site, assert_consistent, cli, index_state

pytestmark = [pytest.mark.integration, pytest.mark.slow]  # ingests, kills: 2-35 s each

ARTICLE = "russia-north-korea.txt"
NEW_DOCS = ("kessling-dam-overview.md", "orsk-fisheries-2022.md", "velmar-metro-line4.txt")
ADDED_SENTENCE = "\nOfficials later said the talks would resume in the spring.\n"


@dataclass(frozen=True)
class Kill:
    """Where to kill: `pause` is a hook stage to stop at, or `after` a stage line plus `delay`."""

    pause: str = ""
    after: str = ""
    delay: float = 0.0


KILLS = {
    # two new documents committed; the article's new vectors stored but not committed
    "update-uncommitted": Kill(pause=f"chunks:{ARTICLE}"),
    # the article's new version committed, its old vectors not yet deleted (duplicates)
    "update-committed-old-vectors-left": Kill(pause=f"committed:{ARTICLE}"),
    # everything committed, the final sweep not run
    "before-sweep": Kill(pause="sweep"),
    # timed: 10 ms after the first new document's sentence vectors were stored; lands in its
    # chunk or commit writes, or just after (where exactly depends on the machine's load)
    "timed-10ms-after-first-vectors": Kill(after="passed sentences docs/kessling", delay=0.01),
    # timed: 300 ms after the second document's commit, while the article is re-embedded
    "timed-300ms-after-second-commit": Kill(after="passed committed docs/orsk", delay=0.3),
}


@pytest.fixture(scope="module")
def crash_site(tmp_path_factory) -> Site:
    """Index the article into base-index/, change docs/ on disk, then crash one ingest per
    kill, each on its own copy of base-index/, all at once.

    The ingests run in parallel (each on its own copy of the index) to keep the test short.
    """
    root = tmp_path_factory.mktemp("crash")
    (root / "docs").mkdir()
    shutil.copy(DOCS / ARTICLE, root / "docs")
    base = Index(make_settings(root / "base-index"))
    base.ingest([root / "docs"])
    with open(root / "docs" / ARTICLE, "a", encoding="utf-8") as article:
        article.write(ADDED_SENTENCE)
    for name in NEW_DOCS:
        shutil.copy(ROOT / "evals" / "fixture" / "corpus" / name, root / "docs")

    def crash(name: str) -> int:
        shutil.copytree(root / "base-index", root / name)
        kill = KILLS[name]
        with PausedIngest(root, name, kill.pause or "none") as ingest:
            ingest.wait_for("paused at" if kill.pause else kill.after)
            time.sleep(kill.delay)
            return ingest.kill()

    with ThreadPoolExecutor(len(KILLS)) as pool:  # one waiter per process: kills land on time
        statuses = dict(zip(KILLS, pool.map(crash, KILLS)))
    assert set(statuses.values()) == {-9}, f"some ingest finished before its kill: {statuses}"
    return Site(root, base)


def _answers_troops(index: Index) -> None:
    """The index answers the guide's first question, citing committed text verbatim."""
    answer = Engine(index.settings, index).ask("how many troops?")
    assert not answer.abstained and "12,000" in answer.bluf, answer.answer
    for c in answer.citations:
        assert index.document_text(c.doc_id)[c.start:c.end] == c.sentence


@pytest.mark.parametrize("name", list(KILLS))
def test_kill_mid_ingest_then_next_ingest_completes(name: str, crash_site: Site,
                                                    monkeypatch):
    monkeypatch.chdir(crash_site.root)  # the user runs both ingests from the same folder
    index = Index(make_settings(crash_site.root / name))
    crashed = index_state(index)
    _answers_troops(index)
    for record in index.documents():  # whatever is committed is whole
        trusted = index.sentences.get(where={"$and": [{"doc_id": record.doc_id},
                                                      {"sha": record.sha256[:12]}]})
        assert len(trusted["ids"]) == record.sentences

    report = index.ingest([crash_site.root / "docs"])
    assert not report.errors, report.errors
    assert_consistent(index)
    on_disk = {d.doc_id: d.sha256 for d in
               (load_document(p) for p in sorted((crash_site.root / "docs").iterdir()))}
    assert index.committed() == on_disk
    # A reader (the server) that loaded the index before the crash must be told to reload.
    assert index.generation() != crash_site.index.generation()
    _answers_troops(index)
    print(f"{name}: after the kill {len(crashed.docs)} committed documents, "
          f"{crashed.sentences} sentence vectors; after the next ingest "
          f"{len(index.committed())} documents, {index.sentences.count()} sentence vectors")


def test_second_writer_is_refused_and_first_completes(tmp_path: Path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "docs").mkdir()
    shutil.copy(DOCS / ARTICLE, tmp_path / "docs")
    shutil.copy(ROOT / "evals" / "fixture" / "corpus" / NEW_DOCS[0], tmp_path / "docs")
    with PausedIngest(tmp_path, "idx", f"chunks:{ARTICLE}") as first:
        first.wait_for("paused at")  # holds the lock with one document half written
        second = cli(["ingest", "docs", "--index", "idx"], tmp_path)
        assert second.returncode == 1
        assert "another process is writing to idx" in second.stderr, second.stderr
        assert "Traceback" not in second.stderr
        status, out, err = first.resume()
    assert status == 0, err
    assert "added 2" in out
    index = Index(make_settings(tmp_path / "idx"))
    assert_consistent(index)
    assert len(index.documents()) == 2
    _answers_troops(index)
