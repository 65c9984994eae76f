"""Shared fixtures: the whole evaluation, run once per session over fresh indexes in a tmp dir.

`report` indexes docs/ and evals/fixture/corpus/ (real model, real Chroma), answers every question
of evals/data/*_questions.jsonl with the real engine and runs the LangChain baseline; each metric
test then reads its score from it.
"""

from __future__ import annotations

import pytest

import rag  # noqa: F401  (offline environment first)
from rag.tools.evaluate.data import Record, load_records
from rag.tools.evaluate.suite import SUITES, Report, evaluate


@pytest.fixture(scope="session")
def report(tmp_path_factory) -> Report:
    """The evaluation report of the shipped suite."""
    return evaluate(tmp_path_factory.mktemp("eval"))


@pytest.fixture(scope="session")
def records() -> list[Record]:
    """Every question of the shipped suite, in file order."""
    return [r for name, _, questions in SUITES for r in load_records(questions, name)]
