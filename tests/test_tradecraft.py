"""Tradecraft: claim types, Admiralty grades, the confidence line, and their place in answers."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from rag.contracts import DocRecord
from rag.engine import Engine
from rag.serve.ui_render import LIBRARY_HEADERS, grade_of, library_rows
from rag.tradecraft import (
    Cited,
    claim_type,
    confidence_line,
    grade,
    grade_label,
    hedges,
    source_fields,
)

# Sentences written for this test, not taken from evals/data/claim_labels.jsonl (the rules
# were written with that set in view; these check they generalise).
HELD_OUT = [
    ("The ministry opened three new field hospitals in the north in March.", "reported_fact"),
    ("The convoy crossed the border at Tulsk on Tuesday morning.", "reported_fact"),
    ("Rebel commanders reportedly withdrew from the ridge overnight.", "attributed_claim"),
    ("According to the UN, 40,000 people have fled the district.", "attributed_claim"),
    ("Officials estimate that the repairs will take two years.", "attributed_claim"),
    ("The governor said the curfew would be lifted on Friday.", "attributed_claim"),
    ("“We will not negotiate under fire,” the foreign minister said.", "direct_quote"),
    ('"The harvest is lost," a farmer in Velna said.', "direct_quote"),
    ("The government should release the full casualty figures.", "assessment"),
    ("This reckless escalation proves that the ceasefire was never serious.", "assessment"),
]


@pytest.mark.parametrize("sentence,label", HELD_OUT)
def test_claim_type_on_held_out_sentences(sentence: str, label: str):
    assert claim_type(sentence) == label


def test_quote_beats_attribution_and_scare_quotes_are_not_quotes():
    assert claim_type('KCNA, citing the government, declared: “He is a war provoker.”') \
        == "direct_quote"
    assert claim_type('The name comes from an old word for a "ferry meadow".') == "reported_fact"
    # A passive "declared" is not attribution: the fire was declared contained.
    assert claim_type("It burned for 19 days before it was declared contained.") \
        == "reported_fact"


def test_hedges_are_found_and_a_month_is_not_one():
    assert hedges("North Korea has reportedly sent around 12,000 troops") == ["reportedly"]
    assert hedges("Intelligence reports estimate that approximately 12,000 troops") \
        == ["estimate"]
    assert hedges("The port opened on 3 May 2022.") == []


@pytest.mark.parametrize("meta,label", [
    ({"reliability": "B", "credibility": 2}, "B2"),
    ({"reliability": "c", "credibility": "3"}, "C3"),
    ({"reliability": "B"}, "ungraded"),  # half a grade is not guessed
    ({"reliability": "G", "credibility": 2}, "ungraded"),
    ({"reliability": "A", "credibility": 7}, "ungraded"),
    ({}, "ungraded"),
    (None, "ungraded"),
])
def test_grade_label(meta, label: str):
    assert grade_label(meta) == label


@pytest.mark.parametrize("fields,shown", [
    ({"reliability": "B"}, "ungraded"),  # was "B": half a grade is not guessed in the UI either
    ({"reliability": "b", "credibility": "2"}, "B2"),  # was "b2"
    ({"reliability": "C", "credibility": 3}, "C3"),
    ({"grade": "ungraded", "reliability": None, "credibility": None}, "ungraded"),
    ({"title": "no grade fields at all"}, ""),  # a source card then shows no grade
])
def test_the_ui_reads_grades_as_tradecraft_does(fields, shown: str):
    assert grade_of(fields) == shown
    record = DocRecord(doc_id="d", source="d.md", title="D", sha256="", sentences=1, chunks=1,
                       metadata=fields, ingested_at=0.0)
    row = library_rows([record], Path("."))[0]  # the Library's Grade column: tradecraft's own
    assert row[LIBRARY_HEADERS.index("Grade")] == grade_label(fields) == (shown or "ungraded")


def test_grade_words_and_source_fields():
    assert grade({"reliability": "B", "credibility": 2}).words == \
        "B2 (usually reliable source, information probably true)"
    fields = source_fields({"reliability": "C", "credibility": 3, "source": "Varn Alliance",
                            "date": "2024-02-03"})
    assert fields == {"grade": "C3", "reliability": "C", "credibility": 3,
                      "date": "2024-02-03", "url": None, "source_name": "Varn Alliance"}


def test_confidence_line_in_words():
    one = confidence_line([Cited("d1", "a.txt", "ungraded", "attributed_claim")], False)
    assert one.startswith("Confidence: low — one source (a.txt, ungraded)")
    assert "not independently corroborated" in one and "attributed claims only" in one
    two = confidence_line([Cited("d1", "Agency", "B2", "reported_fact"),
                           Cited("d2", "Ministry", "A1", "reported_fact")], False)
    assert two.startswith("Confidence: high — 2 independent sources that agree")
    split = confidence_line([Cited("d1", "Agency", "B2", "reported_fact"),
                             Cited("d2", "Alliance", "C3", "attributed_claim")], True)
    assert split.startswith("Confidence: low — 2 independent sources that disagree")
    assert "Agency, B2; Alliance, C3" in split
    # Two documents from one publisher are one source, not corroboration.
    same = confidence_line([Cited("d1", "Agency", "B2", "reported_fact"),
                            Cited("d2", "Agency", "B2", "reported_fact")], False)
    assert "one source (Agency, B2)" in same
    for line in (one, two, split, same):
        # Never a percentage, and no likelihood words: confidence is not probability.
        assert not re.search(r"\d\s*%|percent|likely|probab|chance", line)


@pytest.mark.integration
def test_answer_citations_carry_claim_type_and_grade(engine: Engine):
    answer = engine.ask("how many troops?").to_dict()
    assert not answer["abstained"]
    for c in answer["citations"]:
        assert c["claim_type"] == "attributed_claim"  # "reportedly", "estimate"
        assert c["grade"] == "ungraded" and c["reliability"] is None
        assert {"credibility", "date", "url", "source_name"} <= set(c)
    assert answer["confidence"].startswith("Confidence: low — one source")
    assert answer["answer"].rstrip().endswith(answer["confidence"])


@pytest.mark.integration
def test_abstention_has_no_confidence_line(engine: Engine):
    answer = engine.ask("What is the population of Brazil?")
    assert answer.abstained and answer.confidence == ""
    assert "Confidence" not in answer.answer


@pytest.mark.integration
def test_graded_sources_show_their_grades(fresh_index, tmp_path):
    corpus = tmp_path / "graded"
    corpus.mkdir()
    (corpus / "agency.md").write_text(
        "---\ntitle: Bridge survey\nsource: Roads Agency\ndate: 2024-05-01\nreliability: B\n"
        "credibility: 2\nurl: https://roads.example/bridge\n---\n\n"
        "The Harl bridge is 420 metres long and carries four lanes.\n", encoding="utf-8")
    (corpus / "club.md").write_text(
        "---\ntitle: Cyclists' newsletter\nsource: Harl Cycling Club\nreliability: D\n"
        "credibility: 4\n---\n\nThe Harl bridge is 380 metres long, according to our "
        "members.\n", encoding="utf-8")
    assert fresh_index.ingest([corpus]).added
    answer = Engine(fresh_index.settings, fresh_index).ask(
        "How long is the Harl bridge?").to_dict()
    by_name = {c["source_name"]: c for c in answer["citations"]}
    assert by_name["Roads Agency"]["grade"] == "B2"
    assert by_name["Roads Agency"]["url"] == "https://roads.example/bridge"
    assert by_name["Roads Agency"]["date"] == "2024-05-01"
    assert by_name["Harl Cycling Club"]["grade"] == "D4"
    assert by_name["Harl Cycling Club"]["claim_type"] == "attributed_claim"
    assert "Roads Agency, B2" in answer["confidence"]
    assert "Harl Cycling Club, D4" in answer["confidence"]


@pytest.mark.integration
def test_confidence_rests_on_the_sources_that_give_the_value(fresh_index, tmp_path):
    """A sentence cited only as support ("Also from the sources") does not vouch for the bold
    value: its source is not counted as corroboration, nor its grade as the evidence's."""
    corpus = tmp_path / "strike"
    corpus.mkdir()
    (corpus / "wire.md").write_text(
        "---\ntitle: Dock strike\nsource: Harbour Wire\nreliability: B\ncredibility: 2\n---\n\n"
        "Dockworkers at Harl returned to work after a strike that lasted nine days.\n",
        encoding="utf-8")
    (corpus / "union.md").write_text(
        "---\ntitle: Union bulletin\nsource: Dockers Union\nreliability: C\ncredibility: 3\n"
        "---\n\nThe strike at Harl ended on Friday after union members voted to accept a pay "
        "deal.\n", encoding="utf-8")
    assert fresh_index.ingest([corpus]).added
    answer = Engine(fresh_index.settings, fresh_index).ask("How long did the strike at Harl last?")
    assert answer.bottom_line[0].value == "Nine days"
    cited = [c.source_name for c in answer.citations]
    assert cited == ["Harbour Wire", "Dockers Union"]  # the union's sentence stays listed
    assert answer.bottom_line[0].cites == (1,)
    assert answer.confidence.startswith("Confidence: moderate — one source (Harbour Wire, B2)")
    assert "Dockers Union" not in answer.confidence
