"""SQuAD checks: the same metrics on Wikipedia articles nobody here wrote.

- `evaluate_squad(folder, workdir)`: the older SQuAD 2.0 dev sample (`questions.jsonl` over
  `corpus/`), calibration only.
- `evaluate_squad_val(folder, workdir)`: the reader's validation split (`val.jsonl` of the
  squad-train folder), indexed over its own 7 articles only, with the peers beside Sitrep.

SQuAD gives no evidence sentences, so a citation counts as evidence when it contains a gold
answer string.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from rag.config import Settings
from rag.tools.evaluate.data import Record
from rag.tools.evaluate.suite import Report, evaluate_corpora


def evenly_spaced(total: int, size: int) -> list[int]:
    """`size` evenly spaced indices of `total` items (all of them when `size` ≥ `total`)."""
    if size >= total:
        return list(range(total))
    return [int(i * total / size) for i in range(size)]


def squad_records(path: Path, limit: int = 0) -> list[Record]:
    """The questions of a SQuAD-format JSONL file; with `limit`, an evenly spaced subset."""
    lines = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
    if limit:
        lines = [lines[i] for i in evenly_spaced(len(lines), limit)]
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
    return evaluate_corpora([("squad", folder / "corpus",
                              squad_records(folder / "questions.jsonl", limit))],
                            workdir, settings, peers=True)


def val_corpus(folder: Path, records: list[Record], workdir: Path) -> Path:
    """A folder under `workdir` holding only the articles `records` are asked over."""
    corpus = workdir / "val-corpus"
    corpus.mkdir(parents=True, exist_ok=True)
    for title in sorted({r.source for r in records}):
        shutil.copyfile(folder / "corpus" / f"{title}.txt", corpus / f"{title}.txt")
    return corpus


def evaluate_squad_val(folder: Path, workdir: Path, limit: int = 0,
                       settings: Settings | None = None) -> Report:
    """Score the engine, the LangChain baseline and sentence RRF on `folder`/val.jsonl."""
    if not (folder / "val.jsonl").is_file() or not (folder / "corpus").is_dir():
        raise FileNotFoundError(f"{folder} has no val.jsonl and corpus/ (the squad-train "
                                "folder described in ../shared/GUIDE.md)")
    records = squad_records(folder / "val.jsonl", limit)
    return evaluate_corpora([("squad-val", val_corpus(folder, records, workdir), records)],
                            workdir, settings, peers=True)
