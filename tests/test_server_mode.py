"""Server mode: Sitrep against a real `chroma run` on a loopback port.

Answers must equal embedded mode's, and a document ingested or removed by another process must
show up in an engine that is already running (it reloads on the index's generation marker).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from rag.engine import Engine
from rag.ingest.store import Index
from rag.tools.bench import free_port, wait_http

from .conftest import ROOT, make_settings

pytestmark = pytest.mark.integration

CHROMA = Path(sys.executable).with_name("chroma")
# Every third question of the shipped corpus's eval set: figures, names, quotes, abstentions.
QUESTIONS = [json.loads(line)["question"]
             for line in (ROOT / "evals/data/docs_questions.jsonl").read_text().splitlines()
             if line.strip()][::3]


@pytest.fixture(scope="module")
def chroma_url(tmp_path_factory) -> str:
    """URL of a real Chroma server on a free loopback port, stopped after the module."""
    port = free_port()
    data = tmp_path_factory.mktemp("chroma-server")
    log = open(data / "server.log", "wb")
    proc = subprocess.Popen([str(CHROMA), "run", "--path", str(data / "db"), "--host",
                             "127.0.0.1", "--port", str(port)], stdout=log,
                            stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_http(f"{url}/api/v2/heartbeat", proc, timeout_s=60)
    except RuntimeError as exc:
        proc.kill()
        raise RuntimeError(
            f"chroma run did not start: {(data / 'server.log').read_text()}") from exc
    yield url
    proc.terminate()
    proc.wait(timeout=10)
    log.close()


def _server_engine(tmp_path: Path, url: str, collection: str) -> Engine:
    # index_dir points at an empty folder so nothing can silently fall back to embedded mode.
    settings = make_settings(tmp_path / "unused-index", chroma_url=url, collection=collection)
    return Engine(settings, Index(settings))


def _comparable(answer) -> dict:
    data = answer.to_dict()
    data.pop("timings_ms")
    return data


def test_server_mode_answers_equal_embedded_mode(engine: Engine, docs_copy: Path,
                                                 chroma_url: str, tmp_path: Path):
    server = _server_engine(tmp_path, chroma_url, "equal")
    report = server.index.ingest([docs_copy])
    assert report.added and not report.errors
    assert not (tmp_path / "unused-index" / "chroma").exists()
    assert server.index.sentences.count() == engine.index.sentences.count()
    for question in QUESTIONS:
        assert _comparable(server.ask(question)) == _comparable(engine.ask(question)), question


def _cli(args: list[str], url: str, collection: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "SITREP_CHROMA_URL": url, "SITREP_COLLECTION": collection}
    return subprocess.run([sys.executable, "-m", "rag", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)


def test_another_process_ingest_and_remove_reach_a_running_engine(docs_copy: Path,
                                                                   chroma_url: str,
                                                                   tmp_path: Path):
    running = _server_engine(tmp_path, chroma_url, "shared")
    running.index.ingest([docs_copy])
    question = "How much grain does the Harlow depot hold?"
    assert running.ask(question).abstained
    notes = tmp_path / "notes"
    notes.mkdir()
    note = notes / "depot.md"
    note.write_text("# Depot report\n\nThe Harlow depot holds 740 tons of grain, officials "
                    "said on Monday.\n", encoding="utf-8")

    done = _cli(["ingest", str(notes)], chroma_url, "shared")
    assert done.returncode == 0, done.stderr
    answer = running.ask(question)
    assert not answer.abstained and "740 tons" in answer.answer
    assert answer.citations[0].source == str(note)
    assert not running.ask("how many troops?").abstained  # the first process's document stays

    done = _cli(["remove", str(note)], chroma_url, "shared")
    assert done.returncode == 0, done.stderr
    assert not any("740" in c.sentence for c in running.ask(question).citations)


def test_server_mode_takes_no_embedded_write_lock(docs_copy: Path, chroma_url: str,
                                                  tmp_path: Path):
    """Two writers may share a Chroma server: the one-writer file lock is embedded-only."""
    from filelock import FileLock

    server = _server_engine(tmp_path, chroma_url, "nolock")
    (tmp_path / "unused-index").mkdir()
    with FileLock(str(tmp_path / "unused-index" / "write.lock")):
        assert server.index.ingest([docs_copy]).added
