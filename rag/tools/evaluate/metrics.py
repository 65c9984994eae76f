"""The metrics of the evaluation and their thresholds (the one place thresholds live).

Each `Metric` turns a list of `Outcome`s into a `Score`: the value, how many questions it was
computed over, whether it meets its threshold, and the outcomes that count against it (for the
failure tables). Formulas are in evals/README.md.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

from rag.tools.evaluate.judge import Outcome

# Targets from issue 2 (answers, evidence, abstention) and the product guide (exact citations,
# at most 3 citations). Latency is a loose regression guard on a shared 2-core machine; the
# 50 ms warm p50 target is checked by the benchmark, not here.
THRESHOLDS: dict[str, tuple[str, float]] = {
    "answer_accuracy": (">=", 0.95),
    "evidence_recall": (">=", 0.95),
    "citation_recall": (">=", 0.95),
    "citation_precision": (">=", 0.90),
    "citation_exactness": (">=", 1.0),
    "abstention_accuracy": (">=", 0.90),
    "abstention_precision": (">=", 0.90),
    "abstention_recall": (">=", 0.90),
    "false_abstention_rate": ("<=", 0.05),
    "mean_citations": ("<=", 3.0),
    "latency_p50_ms": ("<=", 250.0),
    "latency_p95_ms": ("<=", 1000.0),
}


# Targets the engine does not reach yet, with the figure measured when the miss was declared.
# The target tests still run against THRESHOLDS and are reported as expected failures (strict:
# the day a target is met, the test fails until its entry here is removed). Each miss also has a
# regression floor, its measured value 0.03 worse, that the suite enforces: declared misses may
# not get worse. Never raise a floor above the measured value or lower a threshold here.
# Keys: a metric (the whole suite), "docs:<metric>" (the docs question set alone) or
# "gap:<metric>" (how far docs and fixture stand apart; its floor is a ceiling).
_READER = ("declared 1 Dec 2026 when the learned reader became the default: it raised held-out "
           "figures (600 val.jsonl: answer accuracy 0.644 -> 0.759, evidence 0.762 -> 0.901; "
           "newsval 0.42 -> 0.47) and lowered this suite, whose rules were found on it; ")
KNOWN_MISSES: dict[str, tuple[float, str]] = {
    "answer_accuracy": (0.833, _READER + "measured 0.864"),
    "evidence_recall": (0.897, _READER + "measured 0.927"),
    "abstention_accuracy": (0.866, _READER + "measured 0.897"),
    "abstention_recall": (0.598, _READER + "measured 0.629"),
    "docs:answer_accuracy": (0.830, _READER + "measured 0.860"),
    "docs:abstention_accuracy": (0.822, _READER + "measured 0.852"),
    "gap:abstention_accuracy": (0.106, _READER + "measured 0.076 apart"),
}


@dataclass
class Score:
    """A metric's value over `n` questions and the outcomes that count against it."""

    name: str
    value: float  # NaN when no question qualifies
    n: int
    threshold: tuple[str, float]
    failures: list[Outcome] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        op, bound = self.threshold
        if math.isnan(self.value):
            return False
        return self.value >= bound if op == ">=" else self.value <= bound


@dataclass(frozen=True)
class Metric:
    """A named metric: `compute(outcomes)` → (value, n, failing outcomes)."""

    name: str
    label: str
    compute: Callable[[list[Outcome]], tuple[float, int, list[Outcome]]]

    def score(self, outcomes: list[Outcome]) -> Score:
        value, n, failures = self.compute(outcomes)
        return Score(self.name, value, n, THRESHOLDS[self.name], failures)


def _share(selected: list[Outcome], ok: Callable[[Outcome], bool]
           ) -> tuple[float, int, list[Outcome]]:
    """Fraction of `selected` for which `ok` holds, and the ones for which it does not."""
    bad = [o for o in selected if not ok(o)]
    n = len(selected)
    return ((n - len(bad)) / n if n else math.nan), n, bad


def _answerable(outcomes: list[Outcome]) -> list[Outcome]:
    return [o for o in outcomes if o.record.answerable]


def _answered(outcomes: list[Outcome]) -> list[Outcome]:
    return [o for o in outcomes if not o.abstained]


def _citation_recall(outcomes: list[Outcome]) -> tuple[float, int, list[Outcome]]:
    """Mean over answered questions of the share of statements their citations support."""
    scored = [o for o in _answered(outcomes) if o.checks]
    values = [sum(c.supported for c in o.checks) / len(o.checks) for o in scored]
    bad = [o for o in scored if not all(c.supported for c in o.checks)]
    return (sum(values) / len(values) if values else math.nan), len(values), bad


def _citation_precision(outcomes: list[Outcome]) -> tuple[float, int, list[Outcome]]:
    """Mean over answered questions of the share of (statement, citation) pairs needed."""
    values, bad = [], []
    for o in _answered(outcomes):
        pairs = sum(len(c.cited) for c in o.checks)
        needed = sum(len(c.needed) for c in o.checks)
        if not pairs:
            continue  # no citation at all is a recall failure, not a precision one
        values.append(needed / pairs)
        if needed < pairs:
            bad.append(o)
    return (sum(values) / len(values) if values else math.nan), len(values), bad


def _exactness(outcomes: list[Outcome]) -> tuple[float, int, list[Outcome]]:
    """Share of all citations (abstentions' closest evidence included) that slice exactly."""
    total = sum(len(o.citations) for o in outcomes)
    wrong = sum(len(o.inexact) for o in outcomes)
    return ((total - wrong) / total if total else math.nan), total, \
        [o for o in outcomes if o.inexact]


def _abstention_precision(outcomes: list[Outcome]) -> tuple[float, int, list[Outcome]]:
    return _share([o for o in outcomes if o.abstained], lambda o: not o.record.answerable)


def _false_abstention(outcomes: list[Outcome]) -> tuple[float, int, list[Outcome]]:
    answerable = _answerable(outcomes)
    wrong = [o for o in answerable if o.abstained]
    return (len(wrong) / len(answerable) if answerable else math.nan), len(answerable), wrong


def _mean_citations(outcomes: list[Outcome]) -> tuple[float, int, list[Outcome]]:
    """Mean number of citations per answered question; failures are answers citing > 3."""
    answered = _answered(outcomes)
    counts = [len(o.citations) for o in answered]
    bound = THRESHOLDS["mean_citations"][1]
    return ((sum(counts) / len(counts)) if counts else math.nan), len(counts), \
        [o for o in answered if len(o.citations) > bound or not o.citations]


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0–100) by nearest rank: the ⌈q/100 · n⌉-th smallest value; NaN for
    no values. The one definition for the eval and the benchmark (rag/tools/bench.py).

    Nearest rank rather than interpolation: the figure is a latency some question actually took,
    so a p95 over the bound always has a slow question behind it in the failure table, and the
    benchmark's recorded figures read as the README states them ("the p95 of 59 questions is
    their third slowest").
    """
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = math.ceil(q * len(ordered) / 100)  # q * n first: 95 * 60 / 100 is exactly 57
    return ordered[min(max(rank, 1), len(ordered)) - 1]


def _latency(q: float, name: str) -> Callable[[list[Outcome]], tuple[float, int, list[Outcome]]]:
    def compute(outcomes: list[Outcome]) -> tuple[float, int, list[Outcome]]:
        bound = THRESHOLDS[name][1]
        return (percentile([o.latency_ms for o in outcomes], q), len(outcomes),
                sorted((o for o in outcomes if o.latency_ms > bound),
                       key=lambda o: -o.latency_ms))
    return compute


METRICS: list[Metric] = [
    Metric("answer_accuracy", "answer accuracy",
           lambda os: _share(_answerable(os), lambda o: o.answer_ok)),
    Metric("evidence_recall", "evidence recall",
           lambda os: _share(_answerable(os), lambda o: o.evidence_ok)),
    Metric("citation_recall", "citation recall (ALCE)", _citation_recall),
    Metric("citation_precision", "citation precision (ALCE)", _citation_precision),
    Metric("citation_exactness", "citation exactness", _exactness),
    Metric("abstention_accuracy", "abstention accuracy",
           lambda os: _share(os, lambda o: o.abstained != o.record.answerable)),
    Metric("abstention_precision", "abstention precision", _abstention_precision),
    Metric("abstention_recall", "abstention recall",
           lambda os: _share([o for o in os if not o.record.answerable],
                             lambda o: o.abstained)),
    Metric("false_abstention_rate", "false abstention rate", _false_abstention),
    Metric("mean_citations", "mean citations per answer", _mean_citations),
    Metric("latency_p50_ms", "latency p50 (ms)", _latency(50, "latency_p50_ms")),
    Metric("latency_p95_ms", "latency p95 (ms)", _latency(95, "latency_p95_ms")),
]
BY_NAME = {m.name: m for m in METRICS}


def score_all(outcomes: list[Outcome]) -> dict[str, Score]:
    """Every metric over `outcomes`, by name, in report order."""
    return {m.name: m.score(outcomes) for m in METRICS}
