"""The CLI contract, run as a user would: a real process, a fresh index, JSON out."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import DOCS, ROOT

pytestmark = [pytest.mark.integration, pytest.mark.slow]  # `python -m rag`: 2-14 s each

KEYS = {"id", "question", "answer", "abstained", "citations", "timings_ms"}
CITATION_KEYS = {"n", "doc_id", "source", "title", "sentence", "start", "end", "score"}


def run(args: list[str], cwd: Path, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "rag", *args], cwd=cwd, input=stdin,
                          capture_output=True, text=True, timeout=300,
                          env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})


@pytest.fixture(scope="module")
def workdir(tmp_path_factory) -> Path:
    work = tmp_path_factory.mktemp("cli")
    shutil.copytree(DOCS, work / "docs")
    result = run(["ingest", "--index", "idx"], work)
    assert result.returncode == 0, result.stderr
    assert "added 1" in result.stdout
    return work


def _check_answer(obj: dict, work: Path) -> None:
    assert KEYS <= set(obj)
    assert isinstance(obj["abstained"], bool) and "total" in obj["timings_ms"]
    for c in obj["citations"]:
        assert CITATION_KEYS <= set(c)
        assert (work / c["source"]).read_text(encoding="utf-8")[c["start"]:c["end"]] \
            == c["sentence"]


def test_ingest_twice_changes_nothing(workdir: Path):
    result = run(["ingest", "--index", "idx"], workdir)
    assert result.returncode == 0 and "unchanged 1" in result.stdout


def test_ask_json(workdir: Path):
    result = run(["ask", "how many troops?", "--index", "idx", "--json"], workdir)
    assert result.returncode == 0, result.stderr
    obj = json.loads(result.stdout)
    _check_answer(obj, workdir)
    assert "12,000" in obj["answer"] and obj["citations"]
    assert obj["citations"][0]["source"] == "docs/russia-north-korea.txt"


def test_ask_text_quotes_each_sentence_once(workdir: Path):
    """The human-readable answer: the bottom line and confidence, then the numbered sources,
    each quote once (in the source list); --json keeps the answer text as it is."""
    for question in ("how many troops?", "What is the capital of France?"):
        result = run(["ask", question, "--index", "idx"], workdir)
        assert result.returncode == 0, result.stderr
        listed = [line for line in result.stdout.splitlines() if line.startswith("[")]
        assert listed and all("(docs/russia-north-korea.txt:" in line for line in listed)
        for line in listed:
            sentence = line.split("“", 1)[1].split("”")[0]
            assert result.stdout.count(sentence) == 1, result.stdout


def test_ask_batch_one_line_per_input(workdir: Path):
    lines = [{"id": "a", "question": "how many troops?", "ignored": 1},
             {"id": 7, "question": "What did he thank them for?",
              "history": [{"role": "user", "content": "Who visited North Korea?"},
                          {"role": "assistant", "content": "Sergei Shoigu [1]"}]},
             {"question": "How many North Korean soldiers have been killed?"},
             {"id": "bad", "question": ""}]
    (workdir / "q.jsonl").write_text("\n".join(json.dumps(x) for x in lines) + "\nnot json\n")
    result = run(["ask", "--batch", "q.jsonl", "--index", "idx", "--json"], workdir)
    assert result.returncode == 0, result.stderr
    out = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(out) == 5
    assert [o.get("id") for o in out[:4]] == ["a", 7, None, "bad"]
    for obj in out[:3]:
        _check_answer(obj, workdir)
    assert out[2]["abstained"] is True
    assert "empty" in out[3]["error"] and out[4]["line"] == 5


def test_history_file(workdir: Path):
    (workdir / "h.json").write_text(json.dumps(
        [{"role": "user", "content": "Who visited North Korea?"},
         {"role": "assistant", "content": "Sergei Shoigu visited North Korea [1]."}]))
    result = run(["ask", "What did he thank them for?", "--index", "idx", "--json",
                  "--history", "h.json"], workdir)
    obj = json.loads(result.stdout)
    assert any("gratitude" in c["sentence"] for c in obj["citations"])


def test_clear_errors(workdir: Path):
    missing = run(["ask", "how many troops?", "--index", "nowhere"], workdir)
    assert missing.returncode == 1 and "no index at nowhere" in missing.stderr
    empty = run(["ask", "", "--index", "idx"], workdir)
    assert empty.returncode == 1 and "question is empty" in empty.stderr
    (workdir / "bad").mkdir(exist_ok=True)
    (workdir / "bad" / "bin.txt").write_bytes(b"\x00\x01")
    bad = run(["ingest", "bad", "--index", "idx"], workdir)
    assert bad.returncode == 1 and "binary" in bad.stderr
    nothing = run(["ingest", "does-not-exist", "--index", "idx"], workdir)
    assert nothing.returncode == 1 and "no such file" in nothing.stderr
