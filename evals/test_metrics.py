"""One test per metric: the engine's score over the shipped suite meets its threshold.

A failure prints a table of the questions that count against the metric and why.
"""

from __future__ import annotations

import pytest

from rag.evaluate.metrics import KNOWN_MISSES, METRICS, THRESHOLDS
from rag.evaluate.report import failure_table
from rag.evaluate.suite import Report

pytestmark = pytest.mark.integration  # the real engine over real indexes


def _target(name: str):
    """A metric's target test; a declared miss is an expected failure (strict)."""
    if name in KNOWN_MISSES:
        return pytest.param(name, marks=pytest.mark.xfail(
            strict=True, reason=f"target not reached: {KNOWN_MISSES[name][1]}"))
    return name


@pytest.mark.parametrize("name", [_target(m.name) for m in METRICS])
def test_metric_meets_threshold(report: Report, name: str):
    score = report.scores[name]
    assert score.n > 0, f"{name}: no question qualifies, nothing was measured"
    assert score.passed, "\n" + failure_table(score)


def test_declared_misses_do_not_regress(report: Report):
    # One test over all declared misses (none today), so that an empty list is not a skip.
    for name, (floor, why) in sorted(KNOWN_MISSES.items()):
        score = report.scores[name]
        op = THRESHOLDS[name][0]
        holds = score.value >= floor if op == ">=" else score.value <= floor
        assert holds, f"{name} fell to {score.value:.3f}, below its floor {floor} ({why})\n" + \
            failure_table(score)


# The bar for generality: the engine does as well on the fixture corpus (unrelated
# articles with overlapping numbers, planted disagreements, a long encyclopedic document) as on
# the shipped article it was built against.
MAX_CORPUS_GAP = 0.05
GAP_METRICS = ["answer_accuracy", "evidence_recall", "abstention_accuracy",
               "false_abstention_rate"]


@pytest.mark.parametrize("name", GAP_METRICS)
def test_docs_and_fixture_within_five_points(report: Report, name: str):
    docs, fixture = report.by_dataset["docs"][name], report.by_dataset["fixture"][name]
    gap = abs(docs.value - fixture.value)
    assert gap <= MAX_CORPUS_GAP, (f"{name}: docs {docs.value:.3f} vs fixture "
                                   f"{fixture.value:.3f}, {gap * 100:.1f} points apart")


# The acceptance reads the targets on the question set about docs/ alone, too.
@pytest.mark.parametrize("name", GAP_METRICS)
def test_docs_question_set_meets_the_target(report: Report, name: str):
    score = report.by_dataset["docs"][name]
    assert score.passed, "\n" + failure_table(score)
