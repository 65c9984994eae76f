"""SQuAD 2.0 dev calibration: the same metrics on 25 Wikipedia articles nobody here wrote.

`squad_records(folder, limit)` reads `questions.jsonl` of the shared SQuAD 2.0 dev folder (see its
README; the data stays outside the repo) into `Record`s; `evaluate_squad(folder, workdir)` indexes
its `corpus/` and scores the engine and the baseline on them. SQuAD gives no evidence sentences,
so a citation counts as evidence when it contains a gold answer string.
"""

from __future__ import annotations

import json
from pathlib import Path

from rag.config import Settings
from rag.evaluate.data import Record
from rag.evaluate.suite import Report, evaluate_corpora

def squad_records(folder: Path, limit: int = 0) -> list[Record]:
    """The questions of `folder`/questions.jsonl; with `limit`, an evenly spaced subset."""
    lines = [json.loads(line) for line in
             (folder / "questions.jsonl").read_text(encoding="utf-8").splitlines() if line]
    if limit and limit < len(lines):
        step = len(lines) / limit
        lines = [lines[int(i * step)] for i in range(limit)]
    return [Record(id=str(q["id"]), dataset="squad", question=q["question"],
                   answerable=not q["is_impossible"], answers=list(q.get("answers") or []),
                   source=q.get("title", ""))
            for q in lines]


def evaluate_squad(folder: Path, workdir: Path, limit: int = 0,
                   settings: Settings | None = None) -> Report:
    """Index `folder`/corpus and score the engine and baseline on its questions."""
    if not (folder / "questions.jsonl").is_file() or not (folder / "corpus").is_dir():
        raise FileNotFoundError(f"{folder} has no questions.jsonl and corpus/ (the SQuAD 2.0 dev "
                                "folder described in ../shared/GUIDE.md)")
    return evaluate_corpora([("squad", folder / "corpus", squad_records(folder, limit))],
                            workdir, settings)
