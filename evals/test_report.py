"""The report people and programs read: every metric with value and threshold, the baseline row."""

from __future__ import annotations

import json

import pytest

from rag.tools.evaluate.baseline import DESCRIPTION, TOP_K
from rag.tools.evaluate.metrics import METRICS, THRESHOLDS
from rag.tools.evaluate.report import render_json, render_text
from rag.tools.evaluate.suite import Report

pytestmark = pytest.mark.integration  # the real engine over real indexes


def test_text_report_lists_every_metric_and_the_baseline(report: Report):
    text = render_text(report, verbose=True)
    for metric in METRICS:
        assert metric.label in text
    assert DESCRIPTION in text and "Sitrep: cited sentences" in text
    assert all(o.record.id in text for o in report.outcomes)


def test_json_report_carries_values_thresholds_and_questions(report: Report):
    data = json.loads(json.dumps(render_json(report)))
    assert set(data["metrics"]) == set(THRESHOLDS)
    for name, metric in data["metrics"].items():
        assert metric["threshold"]["value"] == THRESHOLDS[name][1]
        assert set(metric["by_dataset"]) == {"docs", "fixture"}
    assert len(data["questions"]) == len(report.outcomes)


def test_baseline_hands_over_four_chunks_per_answerable_question(report: Report):
    sitrep, baseline = report.context
    answerable = sum(o.record.answerable for o in report.outcomes)
    assert sitrep.n == baseline.n == answerable
    assert baseline.mean_passages == TOP_K
    assert 0 < baseline.evidence_recall <= 1 and baseline.mean_chars > 1000
