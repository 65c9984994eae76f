"""One test per metric: the engine's score over the shipped suite meets its threshold.

A failure prints a table of the questions that count against the metric and why.
"""

from __future__ import annotations

import pytest

from rag.evaluate.metrics import METRICS
from rag.evaluate.report import failure_table
from rag.evaluate.suite import Report

pytestmark = pytest.mark.integration  # the real engine over real indexes


@pytest.mark.parametrize("name", [m.name for m in METRICS])
def test_metric_meets_threshold(report: Report, name: str):
    score = report.scores[name]
    assert score.n > 0, f"{name}: no question qualifies, nothing was measured"
    assert score.passed, "\n" + failure_table(score)
