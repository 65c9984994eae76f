"""The held-out news set (evals/newsval/, written independently of the answerer): its gold is
real source text, and the evaluation runs over it end to end with exact citations.

Its figures are reported in the README, not gated: it chooses between configurations and must
not become a target to tune on.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from evals import test_datasets as checks
from rag.tools.evaluate.data import Record, load_records
from rag.tools.evaluate.suite import ROOT

NEWSVAL = ROOT / "evals" / "newsval"


@pytest.fixture(scope="module")
def newsval() -> list[Record]:
    return load_records(NEWSVAL / "questions.jsonl", "newsval")


def test_newsval_gold_is_source_text(newsval: list[Record]):
    assert len(newsval) == 60 and sum(not r.answerable for r in newsval) == 15
    checks.test_gold_evidence_is_verbatim_source_text(newsval)
    checks.test_answerable_questions_have_gold_in_their_evidence(newsval)
    checks.test_conflicts_cite_two_different_documents(newsval)


@pytest.mark.integration
def test_newsval_runs_end_to_end_with_exact_citations():
    done = subprocess.run([sys.executable, "-m", "rag", "eval", "--set", str(NEWSVAL), "--json"],
                          cwd=ROOT, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-2000:]
    report = json.loads(done.stdout)
    assert report["metrics"]["citation_exactness"]["value"] == 1.0
    assert report["metrics"]["answer_accuracy"]["n"] == 45
