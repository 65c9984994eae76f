"""Render a `Report` for people (tables) or programs (JSON), and failure tables for tests.

`render_text(report, verbose)` gives the metric table, the baseline comparison and, verbose, one
line per question; `render_json(report)` the same as a dict; `failure_table(score)` the questions
that count against one metric, with why.
"""

from __future__ import annotations

import math
from dataclasses import asdict
from typing import Any

from rag.tools.evaluate.judge import Outcome
from rag.tools.evaluate.metrics import BY_NAME, Score
from rag.tools.evaluate.suite import Report


def _fmt(value: float, name: str) -> str:
    if math.isnan(value):
        return "n/a"
    return f"{value:.0f}" if name.endswith("_ms") else f"{value:.3f}"


def _threshold(score: Score) -> str:
    op, bound = score.threshold
    return f"{'≥' if op == '>=' else '≤'} {_fmt(bound, score.name)}"


def _clip(text: str, width: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[:width - 1] + "…"


def _table(header: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(str(c)) for c in column) for column in zip(header, *rows)]
    lines = ["  ".join(str(c).ljust(w) for c, w in zip(row, widths)).rstrip()
             for row in [header, ["-" * w for w in widths], *rows]]
    return "\n".join(lines)


def summary_line(report: Report) -> str:
    outcomes = report.outcomes
    counts = ", ".join(f"{d} {sum(o.record.dataset == d for o in outcomes)}"
                       for d in report.by_dataset)
    answerable = sum(o.record.answerable for o in outcomes)
    return (f"{len(outcomes)} questions ({counts}): {answerable} answerable, "
            f"{len(outcomes) - answerable} unanswerable")


def metric_table(report: Report) -> str:
    datasets = list(report.by_dataset)
    rows = []
    for name, score in report.scores.items():
        rows.append([BY_NAME[name].label, _fmt(score.value, name),
                     *(_fmt(report.by_dataset[d][name].value, name) for d in datasets),
                     _threshold(score), str(score.n), "pass" if score.passed else "FAIL"])
    return _table(["metric", "all", *datasets, "threshold", "n", "result"], rows)


def context_table(report: Report) -> str:
    rows = [[row.method, f"{row.evidence_recall:.3f}", f"{row.mean_passages:.1f}",
             f"{row.mean_chars:,.0f}", str(row.n)] for row in report.context]
    return _table(["method (answerable questions)", "evidence recall", "passages",
                   "chars handed over", "n"], rows)


def _mark(o: Outcome, ok: bool, letter: str) -> str:
    """A verdict cell: the letter when right, '-' when wrong, blank when it does not apply."""
    return (letter if ok else "-") if o.record.answerable else ""


def question_lines(outcomes: list[Outcome]) -> str:
    rows = []
    for o in outcomes:
        expected = ("; ".join(o.record.answers) or "numbers") if o.record.answerable \
            else "(abstain)"
        verdict = ("abstained" if o.abstained else "answered") + (
            "" if o.abstained != o.record.answerable else " ✗")
        rows.append([o.record.id, _clip(o.record.question, 50), _clip(expected, 24), verdict,
                     _mark(o, o.answer_ok, "A"), _mark(o, o.evidence_ok, "E"),
                     f"{o.latency_ms:.0f}", _clip(o.bottom_line, 70)])
    return _table(["id", "question", "gold", "decision", "ans", "evid", "ms", "bottom line"],
                  rows)


def render_text(report: Report, verbose: bool = False, title: str = "Sitrep evaluation") -> str:
    parts = [f"{title}: {summary_line(report)}", "", metric_table(report)]
    if report.context:
        parts += ["", "What sentence-level citations buy:", context_table(report)]
    if verbose:
        parts += ["", "Per question (ans = gold answer in the bottom line, evid = gold evidence "
                  "cited):", question_lines(report.outcomes)]
    verdict = "all metrics meet their thresholds" if report.passed else "FAILED: " + ", ".join(
        BY_NAME[n].label for n, s in report.scores.items() if not s.passed)
    return "\n".join(parts + ["", verdict])


def _why(score: Score, o: Outcome) -> str:
    """The detail that explains why `o` counts against `score`."""
    name = score.name
    if name == "citation_recall":
        return " | ".join(f"“{_clip(c.text, 50)}” {list(c.cited)} lacks {', '.join(c.missing)}"
                          for c in o.checks if not c.supported)
    if name == "citation_precision":
        return " | ".join(f"“{_clip(c.text, 50)}” cites {list(c.cited)}, needs "
                          f"{list(c.needed)}" for c in o.checks if len(c.needed) < len(c.cited))
    if name == "citation_exactness":
        return ", ".join(o.inexact)
    if name.startswith("latency"):
        return f"{o.latency_ms:.0f} ms"
    if name in ("evidence_recall", "mean_citations"):
        return f"{len(o.citations)} cited: " + " | ".join(
            _clip(c["sentence"], 60) for c in o.citations)
    return str(o.answer.get("reason", ""))


def failure_table(score: Score, limit: int = 40) -> str:
    """A table of the questions that count against `score`, with the reason for each."""
    rows = []
    for o in score.failures[:limit]:
        gold = "; ".join(o.record.answers) if o.record.answerable else "(abstain)"
        rows.append([o.record.id, _clip(o.record.question, 48), _clip(gold, 22),
                     "abstained" if o.abstained else "answered", _clip(o.bottom_line, 60),
                     _clip(_why(score, o), 110)])
    more = len(score.failures) - limit
    return (f"{BY_NAME[score.name].label} = {_fmt(score.value, score.name)}, threshold "
            f"{_threshold(score)} over {score.n}; {len(score.failures)} question(s) against it:\n"
            + _table(["id", "question", "gold", "decision", "bottom line", "why"], rows)
            + (f"\n… and {more} more" if more > 0 else ""))


def _jsonable(value: float) -> float | None:
    return None if math.isnan(value) else round(value, 4)


def render_json(report: Report) -> dict[str, Any]:
    return {
        "passed": report.passed,
        "metrics": {name: {"value": _jsonable(s.value), "n": s.n,
                           "threshold": {"op": s.threshold[0], "value": s.threshold[1]},
                           "passed": s.passed,
                           "by_dataset": {d: _jsonable(scores[name].value)
                                          for d, scores in report.by_dataset.items()}}
                    for name, s in report.scores.items()},
        "context": [asdict(row) for row in report.context],
        "questions": [{"id": o.record.id, "dataset": o.record.dataset,
                       "question": o.record.question, "answerable": o.record.answerable,
                       "abstained": o.abstained, "answer_ok": o.answer_ok,
                       "evidence_ok": o.evidence_ok, "latency_ms": round(o.latency_ms, 1),
                       "bottom_line": o.bottom_line, "inexact": o.inexact,
                       "statements": [asdict(c) for c in o.checks]}
                      for o in report.outcomes],
    }
