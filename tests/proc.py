"""Helpers for the reliability tests: run the real CLI, pause or kill it, inspect an index.

`cli(args, cwd)` runs `python -m rag ...` to completion. `PausedIngest` starts an ingest that
stops at a named point (the `SITREP_PAUSE_AT` hook in rag/ingest/pipeline.py) so a test can
kill -9 it there or let it go on. `index_state(index)` and `assert_consistent(index)` describe
and check what an index holds.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from rag.ingest.pipeline import PAUSE_ENV
from rag.ingest.store import Index

ROOT = Path(__file__).resolve().parent.parent
TIMEOUT_S = 600  # generous: the test machines are shared and often busy


# A home of its own for CLI processes: what they keep there (the ONNX export in
# ~/.cache/sitrep) stays out of the repo and the user's home, and is shared between tests.
HOME = Path(tempfile.gettempdir()) / "sitrep-test-home"


def cli_env(**extra: str) -> dict[str, str]:
    """A minimal environment for a CLI process: the repo on the path, no SITREP_* leaking in."""
    HOME.mkdir(exist_ok=True)
    return {"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin", "HOME": str(HOME), **extra}


def cli(args: list[str], cwd: Path, **env: str) -> subprocess.CompletedProcess:
    """Run `python -m rag ARGS` in `cwd` and return the finished process (text output)."""
    return subprocess.run([sys.executable, "-m", "rag", *args], cwd=cwd, capture_output=True,
                          text=True, timeout=TIMEOUT_S, env=cli_env(**env))


class PausedIngest:
    """`python -m rag ingest` that announces each stage on stderr and waits at `pause_at`.

    `pause_at` is a stage (`locked`, `sentences`, `chunks`, `committed`, `sweep`) or
    `stage:file-name`; "none" only announces stages. `wait_for(text)` blocks until a stderr
    line contains `text`; `kill()` sends SIGKILL; `resume()` lets a paused ingest go on. Used
    as a context manager, it kills the process on the way out if it is still running.
    """

    def __init__(self, cwd: Path, index_dir: str, pause_at: str = "none") -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "rag", "ingest", "docs", "--index", index_dir], cwd=cwd,
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            env=cli_env(**{PAUSE_ENV: pause_at}))
        self.stderr: list[str] = []

    def __enter__(self) -> PausedIngest:
        return self

    def __exit__(self, *exc) -> None:
        if self.proc.poll() is None:
            self.kill()

    def wait_for(self, text: str) -> None:
        deadline = time.monotonic() + TIMEOUT_S
        while time.monotonic() < deadline:
            line = self.proc.stderr.readline()
            if not line:
                raise AssertionError(f"ingest ended before {text!r}: {''.join(self.stderr)}")
            self.stderr.append(line)
            if text in line:
                return
        raise AssertionError(f"no {text!r} within {TIMEOUT_S} s")

    def kill(self) -> int:
        """SIGKILL the ingest (no cleanup runs) and return its exit status."""
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.communicate(timeout=TIMEOUT_S)
        return self.proc.returncode

    def resume(self) -> tuple[int, str, str]:
        """Let the ingest go on to the end; return (exit status, stdout, stderr)."""
        out, err = self.proc.communicate(input="", timeout=TIMEOUT_S)
        return self.proc.returncode, out, "".join(self.stderr) + err


@dataclass(frozen=True)
class Site:
    """A working folder (docs/ and index folders below it) and the index the test built there."""

    root: Path
    index: Index


@dataclass(frozen=True)
class IndexState:
    """What an index holds: committed documents (doc id → sha256) and vector counts."""

    docs: dict[str, str]
    sentences: int
    chunks: int


def index_state(index: Index) -> IndexState:
    return IndexState(index.committed(), index.sentences.count(), index.chunks.count())


def assert_consistent(index: Index) -> None:
    """Every vector belongs to the committed version of its document, and none is missing."""
    records = {r.doc_id: r for r in index.documents()}
    for collection, size in ((index.sentences, "sentences"), (index.chunks, "chunks")):
        metas = collection.get(include=["metadatas"])["metadatas"]
        orphans = [m for m in metas if m["doc_id"] not in records
                   or records[m["doc_id"]].sha256[:12] != m["sha"]]
        assert not orphans, f"{len(orphans)} orphan {size}, e.g. {orphans[0]}"
        assert len(metas) == sum(getattr(r, size) for r in records.values()), \
            f"{size}: {len(metas)} vectors for {sum(getattr(r, size) for r in records.values())}"
