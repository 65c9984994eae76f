"""The question sets are what evals/README.md says they are: sizes, mix, and gold that exists."""

from __future__ import annotations

from pathlib import Path

from rag.tools.evaluate.data import Record
from rag.tools.evaluate.judge import squash
from rag.tools.evaluate.suite import ROOT


def _source_text(path: str) -> str:
    return squash((ROOT / path).read_text(encoding="utf-8"))


def test_mix_of_questions(records: list[Record]):
    unanswerable = [r for r in records if not r.answerable]
    assert len(records) >= 80
    assert len(unanswerable) >= 0.2 * len(records)
    assert sum(bool(r.distractor) for r in unanswerable) >= len(unanswerable) / 2
    assert sum(bool(r.history) for r in records) >= 10
    assert sum(r.conflict for r in records) >= 5


def test_gold_evidence_is_verbatim_source_text(records: list[Record]):
    wrong = []
    for r in records:
        sources = r.evidence_sources or [r.source] * len(r.evidence)
        wrong += [(r.id, e) for e, s in zip(r.evidence, sources)
                  if squash(e) not in _source_text(s)]
        if r.distractor and squash(r.distractor) not in _source_text(r.source):
            wrong.append((r.id, r.distractor))
    assert not wrong, "\n".join(f"{i}: {e}" for i, e in wrong)


def test_answerable_questions_have_gold_in_their_evidence(records: list[Record]):
    """Every answerable question has evidence, and some evidence sentence holds a gold answer."""
    missing = [r.id for r in records if r.answerable and not r.evidence]
    assert not missing, missing
    unsupported = [r.id for r in records if r.answerable and not any(
        squash(a).casefold() in squash(e).casefold() for a in r.answers for e in r.evidence)]
    assert not unsupported, unsupported


def test_conflicts_cite_two_different_documents(records: list[Record]):
    bad = [r.id for r in records if r.conflict and len(set(r.evidence_sources)) < 2]
    assert not bad, bad
    assert all(Path(ROOT / s).is_file() for r in records for s in r.evidence_sources)
