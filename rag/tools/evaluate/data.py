"""Evaluation question sets: JSONL records in, validated `Record`s out.

`load_records(path, dataset)` reads one JSONL file (schema in evals/README.md) and returns its
records; a malformed line raises `DatasetError` naming the file, the line and the problem.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REQUIRED = ("id", "question", "answerable")


class DatasetError(ValueError):
    """A question file cannot be used; the message names the file and line."""


@dataclass(frozen=True)
class Record:
    """One evaluation question with its gold answer and gold evidence."""

    id: str
    dataset: str  # which question set it came from ("docs", "fixture", "squad")
    question: str
    answerable: bool
    answers: list[str] = field(default_factory=list)  # any one found = correct
    numbers: list[float] = field(default_factory=list)  # the gold figures, compared as numbers
    evidence: list[str] = field(default_factory=list)  # verbatim source sentences (or parts)
    evidence_sources: list[str] = field(default_factory=list)  # parallel to `evidence`
    history: list[dict[str, str]] = field(default_factory=list)
    qtype: str = ""
    source: str = ""
    conflict: bool = False  # sources disagree: every side must be answered and cited
    distractor: str = ""  # a sentence that looks like an answer but is not
    tags: list[str] = field(default_factory=list)


def record_from(data: dict[str, Any], dataset: str) -> Record:
    """Build a `Record` from one decoded JSON object; raise `DatasetError` if it is unusable."""
    missing = [key for key in REQUIRED if key not in data]
    if missing:
        raise DatasetError(f"missing key(s) {', '.join(missing)}")
    if not isinstance(data["question"], str) or not data["question"].strip():
        raise DatasetError("question must be a non-empty string")
    answerable = bool(data["answerable"])
    if answerable and not (data.get("answers") or data.get("numbers")):
        raise DatasetError("an answerable question needs gold `answers` or `numbers`")
    evidence_sources = list(data.get("evidence_sources") or [])
    if evidence_sources and len(evidence_sources) != len(data.get("evidence") or []):
        raise DatasetError("`evidence_sources` must be parallel to `evidence`")
    return Record(
        id=str(data["id"]), dataset=dataset, question=data["question"],
        answerable=answerable,
        answers=[str(a) for a in data.get("answers") or []],
        numbers=[float(n) for n in data.get("numbers") or []],
        evidence=[str(e) for e in data.get("evidence") or []],
        evidence_sources=evidence_sources,
        history=list(data.get("history") or []),
        qtype=str(data.get("type", "")), source=str(data.get("source", "")),
        conflict=bool(data.get("conflict", False)),
        distractor=str(data.get("distractor", "")),
        tags=[str(t) for t in data.get("tags") or []],
    )


def load_records(path: Path, dataset: str) -> list[Record]:
    """All records of a JSONL file, in file order; ids must be unique."""
    records: list[Record] = []
    seen: set[str] = set()
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            record = record_from(json.loads(line), dataset)
        except (json.JSONDecodeError, DatasetError, TypeError, ValueError) as exc:
            raise DatasetError(f"{path}:{number}: {exc}") from None
        if record.id in seen:
            raise DatasetError(f"{path}:{number}: duplicate id {record.id!r}")
        seen.add(record.id)
        records.append(record)
    return records
