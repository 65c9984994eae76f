"""The suite can fail: deliberately broken answerers are scored and the thresholds reject each.

Each answerer is broken in one way and otherwise perfect (it knows the gold answer or the
engine's answer), so the test shows which metric catches which fault.
"""

from __future__ import annotations

import random
from typing import Any

import pytest

from rag.answer import render
from rag.ingest.documents import Sentence, find_files, load_document
from rag.tools.evaluate.data import Record
from rag.tools.evaluate.report import failure_table
from rag.tools.evaluate.suite import SUITES, Report, build_report, run_answerer

pytestmark = pytest.mark.integration  # the real engine over real indexes

ABSTAIN = "The sources do not say."


@pytest.fixture(scope="module")
def sentences() -> dict[str, list[tuple[str, str, Sentence]]]:
    """Every sentence of each suite corpus as (source, title, sentence), by dataset name."""
    found: dict[str, list[tuple[str, str, Sentence]]] = {}
    for name, corpus, _ in SUITES:
        for path in find_files([corpus]):
            doc = load_document(path)
            found.setdefault(name, []).extend((doc.source, doc.title, s) for s in doc.sentences)
    return found


def _written(answer: dict[str, Any]) -> dict[str, Any]:
    """An answer object with its texts written from its fields, as the engine writes them."""
    return {**answer, "bluf": render.bluf(answer), "answer": render.markdown(answer)}


def _abstention() -> dict[str, Any]:
    return _written({"bottom_line": [{"lead": ABSTAIN}], "abstained": True, "citations": []})


def _gold_with_random_citations(sentences, seed: int = 7):
    """Right answer, right abstentions, but it cites sentences picked at random."""
    rng = random.Random(seed)

    def answer(record: Record) -> dict[str, Any]:
        if not record.answerable:
            return _abstention()
        picked = rng.sample(sentences[record.dataset], 2)
        citations = [{"n": n, "source": source, "title": title, "section": s.section,
                      "sentence": s.text, "start": s.start, "end": s.end}
                     for n, (source, title, s) in enumerate(picked, 1)]
        said = {"value": " / ".join(record.answers), "cites": [1, 2]}
        return _written({"bottom_line": [said], "abstained": False, "citations": citations})
    return answer


def _never_abstains(report: Report):
    """The engine's answers, except that where it abstained it offers its closest evidence."""
    by_id = {o.record.id: o.answer for o in report.outcomes}

    def answer(record: Record) -> dict[str, Any]:
        given = by_id[record.id]
        if not given["abstained"]:
            return given
        cited = given["citations"][:1]
        said = {"cites": [1], "quotes": True} if cited else {"lead": "Unknown."}
        return _written({**given, "bottom_line": [said], "abstained": False, "citations": cited,
                         "confidence": ""})
    return answer


def _failing(records: list[Record], answerer) -> tuple[set[str], Report]:
    scored = build_report(run_answerer(answerer, records))
    return {name for name, score in scored.scores.items() if not score.passed}, scored


def test_random_citations_are_rejected(records, sentences):
    failing, scored = _failing(records, _gold_with_random_citations(sentences))
    assert {"evidence_recall", "citation_recall"} <= failing, failing
    # rejected for what it cites, not for anything else
    assert scored.scores["answer_accuracy"].passed, failure_table(scored.scores["answer_accuracy"])
    assert scored.scores["citation_exactness"].passed


def test_never_abstaining_is_rejected(records, report):
    failing, _ = _failing(records, _never_abstains(report))
    assert {"abstention_recall", "abstention_accuracy"} <= failing, failing


def test_always_abstaining_is_rejected(records):
    failing, scored = _failing(records, lambda record: _abstention())
    assert {"answer_accuracy", "evidence_recall", "false_abstention_rate",
            "abstention_precision"} <= failing, failing
    assert scored.scores["abstention_recall"].value == 1.0
