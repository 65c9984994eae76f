"""Score one answer object against its gold record: answer found, evidence cited, exact offsets.

`judge(record, answer, latency_ms, root)` returns an `Outcome` holding every per-question
verdict the metrics aggregate. Formulas are in evals/README.md.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from rag.text import numbers_in
from rag.tools.evaluate.data import Record
from rag.tools.evaluate.support import StatementCheck, judge_citations

# A citation shorter than this does not count as evidence just because a gold sentence
# contains it: a heading like "Key figures" sits inside many sentences.
MIN_CONTAINED_CHARS = 25


@dataclass
class Outcome:
    """One question, the answer the system gave, and the verdicts on it."""

    record: Record
    answer: dict[str, Any]
    latency_ms: float
    answer_ok: bool  # answerable, answered, and the bottom line carries the gold answer
    evidence_ok: bool  # answerable, answered, and a citation is a gold evidence sentence
    inexact: list[str] = field(default_factory=list)  # citations whose offsets do not slice
    checks: list[StatementCheck] = field(default_factory=list)

    @property
    def abstained(self) -> bool:
        return bool(self.answer.get("abstained"))

    @property
    def citations(self) -> list[dict[str, Any]]:
        return list(self.answer.get("citations") or [])

    @property
    def bottom_line(self) -> str:
        return bottom_line(self.answer)


def squash(text: str) -> str:
    """Whitespace-normalised text for containment tests."""
    return " ".join(text.split())


_MARKER = re.compile(r" ?\[\d+\]")


def bottom_line(answer: dict[str, Any]) -> str:
    """The answer's bottom line as judged: its `bluf` field (the engine writes it from
    `bottom_line`) without citation markers, so that "[3]" is never taken for an answer of 3."""
    return _MARKER.sub("", str(answer.get("bluf") or ""))


def _number_found(gold: float, values: list[float]) -> bool:
    return any(abs(gold - v) <= 1e-9 * max(abs(gold), 1.0) for v in values)


def answer_found(record: Record, text: str) -> bool:
    """Gold answer in `text`: any accepted string (case-insensitive) or gold figure (as a number).

    For a conflict record every side must be there: each gold figure, or (without figures)
    each accepted string.
    """
    folded = squash(text).casefold()
    values = [v for v, _, _ in numbers_in(text)]
    strings = [squash(a).casefold() in folded for a in record.answers]
    figures = [_number_found(n, values) for n in record.numbers]
    if record.conflict:
        return all(figures) if figures else all(strings)
    return any(strings) or any(figures)


def is_evidence(sentence: str, gold: str) -> bool:
    """A cited text is evidence when it contains the gold sentence or, if long enough, is in it."""
    cited, gold = squash(sentence), squash(gold)
    return gold in cited or (len(cited) >= MIN_CONTAINED_CHARS and cited in gold)


def evidence_found(record: Record, texts: list[tuple[str, str]]) -> bool:
    """Gold evidence among `texts` ((source, text) pairs handed over as support).

    Without gold evidence sentences (SQuAD), a text containing a gold answer string counts.
    For a conflict record each side (each distinct `evidence_sources` file) must be covered.
    """
    if not record.evidence:
        return any(squash(a).casefold() in squash(t).casefold()
                   for a in record.answers for _, t in texts)
    if record.conflict and record.evidence_sources:
        sides: dict[str, list[str]] = {}
        for gold, source in zip(record.evidence, record.evidence_sources):
            sides.setdefault(source, []).append(gold)
        return all(any(_same_file(src, side) and is_evidence(t, g)
                       for g in golds for src, t in texts)
                   for side, golds in sides.items())
    return any(is_evidence(t, g) for g in record.evidence for _, t in texts)


def _same_file(a: str, b: str) -> bool:
    return Path(a).name == Path(b).name


@lru_cache(maxsize=256)
def _file_text(path: str) -> str | None:
    try:
        return Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None


def inexact_citations(citations: list[dict[str, Any]], root: Path) -> list[str]:
    """Citations whose `source[start:end]` is not their sentence (source relative to `root`)."""
    bad = []
    for c in citations:
        path = Path(c.get("source", ""))
        text = _file_text(str(path if path.is_absolute() else root / path))
        if text is None or text[c["start"]:c["end"]] != c.get("sentence"):
            bad.append(f"[{c.get('n')}] {c.get('source')}:{c.get('start')}-{c.get('end')}")
    return bad


def judge(record: Record, answer: dict[str, Any], latency_ms: float, root: Path) -> Outcome:
    """All verdicts for one answer to `record`; `root` resolves relative citation sources."""
    answered = record.answerable and not answer.get("abstained")
    cited = [(c.get("source", ""), c.get("sentence", "")) for c in answer.get("citations") or []]
    return Outcome(
        record=record, answer=answer, latency_ms=latency_ms,
        answer_ok=answered and answer_found(record, bottom_line(answer)),
        evidence_ok=answered and evidence_found(record, cited),
        inexact=inexact_citations(answer.get("citations") or [], root),
        checks=[] if answer.get("abstained") else judge_citations(answer),
    )
