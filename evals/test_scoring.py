"""The scoring rules on hand-made answers: statements, support, needed citations, gold matching."""

from __future__ import annotations

from pathlib import Path

from rag.tools.evaluate.data import Record
from rag.tools.evaluate.judge import answer_found, bottom_line, evidence_found, inexact_citations
from rag.tools.evaluate.support import judge_citations, statements

TROOPS = "Intelligence reports estimate that approximately 12,000 North Korean troops are involved."
SENT = "North Korea has reportedly sent around 12,000 troops to support Russian forces in Ukraine"
OTHER = "China is carefully monitoring this developing alliance."


def _cite(n: int, sentence: str) -> dict:
    return {"n": n, "sentence": sentence, "title": "Russia North Korea", "section": "",
            "source": "docs/x.txt", "start": 0, "end": len(sentence)}


def _answer(*bottom_line: dict, citations: list[dict], **fields) -> dict:
    """An answer object as `Answer.to_dict()` gives it, with only what the checks read."""
    return {"bottom_line": list(bottom_line), "citations": citations, "abstained": False,
            **fields}


def test_statements_come_from_the_fields():
    """Each claim of the bottom line with its citations, then each cited sentence listed under
    it; the quoted sentence of a bottom line is not listed again, and "." is no statement."""
    quoted = {**_cite(2, "quoted"), "title": "Title"}
    answer = _answer({"value": "About 12,000", "tail": " — “estimate”", "cites": [1, 3]},
                     {"lead": "; and more", "cites": [2], "quotes": True}, {"lead": "."},
                     citations=[_cite(1, TROOPS), quoted, _cite(3, OTHER)])
    assert statements(answer) == [("About 12,000 — “estimate”", (1, 3)),
                                  ("and more — quoted", (2,)),
                                  (f"“{TROOPS}” — Russia North Korea", (1,)),
                                  (f"“{OTHER}” — Russia North Korea", (3,))]
    no_cite = _answer({"lead": "No cite."}, citations=[])
    assert statements(no_cite) == [("No cite.", ())]


def test_support_and_needed_citations_follow_alce():
    answer = _answer({"value": "Approximately 12,000 troops",
                      "tail": " — as the sources put it: “estimate”, “reportedly”",
                      "cites": [1, 2, 3]},
                     citations=[_cite(1, TROOPS), _cite(2, SENT), _cite(3, OTHER)])
    check = judge_citations(answer)[0]
    assert check.supported
    assert check.needed == (1, 2)  # [3] neither supports alone nor is missed when removed


def test_attribution_to_the_cited_document_is_supported():
    cite = {**_cite(1, TROOPS), "title": "Drowned Valley", "grade": "C3"}
    answer = _answer({"lead": "Sources disagree: ", "value": "12,000 troops",
                      "tail": " — Drowned Valley (C3)", "cites": [1]}, {"lead": "."},
                     citations=[cite])
    assert [c.supported for c in judge_citations(answer)] == [True, True]


def test_the_confidence_line_is_not_a_claim():
    confidence = "Confidence: low — one source, not independently corroborated."
    answer = _answer({"value": "About 12,000 troops", "cites": [1]}, confidence=confidence,
                     citations=[_cite(1, TROOPS)])
    assert [c.text for c in judge_citations(answer)] == [
        "About 12,000 troops", f"“{TROOPS}” — Russia North Korea"]


def test_a_figure_the_citations_lack_is_unsupported():
    answer = _answer({"value": "About 11,000 troops", "cites": [1]},
                     citations=[_cite(1, TROOPS)])
    check = judge_citations(answer)[0]
    assert not check.supported and "11,000" in check.missing and check.needed == ()


def test_an_uncited_statement_is_unsupported():
    [check] = judge_citations(_answer({"lead": "Troops were sent."}, citations=[]))
    assert not check.supported and check.cited == ()


def test_gold_answers_match_as_strings_or_numbers():
    record = Record("q", "t", "how many?", True, answers=["4.2 billion"], numbers=[4.2e9])
    assert answer_found(record, "**4,200 million cubic metres** [1]")
    assert answer_found(record, "About 4.2 BILLION [1]")
    assert not answer_found(record, "**3.8 billion** [1]")


def test_a_citation_marker_is_no_answer():
    """"**4** [1][2][3]" does not answer "3": the judged bottom line has no markers."""
    record = Record("k", "squad", "How many tumens were there?", True, answers=["3"],
                    numbers=[3.0])
    assert not answer_found(record, bottom_line({"bluf": "**4** [1][2][3]"}))
    assert answer_found(record, bottom_line({"bluf": "**3 tumens** [1]"}))


def test_conflicts_need_every_side_answered_and_cited():
    record = Record("q", "t", "capacity?", True, answers=["4.2", "3.8"], numbers=[4.2, 3.8],
                    evidence=["holds 4.2 units", "holds 3.8 units"],
                    evidence_sources=["a.md", "b.md"], conflict=True)
    assert not answer_found(record, "**4.2** [1]")
    assert answer_found(record, "Sources disagree: **4.2** [1]; **3.8** [2]")
    assert not evidence_found(record, [("a.md", "It holds 4.2 units.")])
    assert evidence_found(record, [("x/a.md", "It holds 4.2 units."),
                                   ("x/b.md", "It holds 3.8 units.")])


def test_short_citations_inside_evidence_do_not_count():
    record = Record("q", "t", "?", True, answers=["x"], evidence=[TROOPS])
    assert evidence_found(record, [("s", TROOPS.split(" that ")[1])])
    assert not evidence_found(record, [("s", "North Korean troops")])


def test_offsets_must_slice_the_file(tmp_path: Path):
    (tmp_path / "a.txt").write_text("One. Two.", encoding="utf-8")
    good = {"n": 1, "source": "a.txt", "start": 5, "end": 9, "sentence": "Two."}
    bad = {**good, "n": 2, "start": 4}
    assert inexact_citations([good, bad], tmp_path) == ["[2] a.txt:4-9"]
