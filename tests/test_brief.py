"""The one-page brief: the shipped article's six key points, exact citations, sections, CLI."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from rag.brief import Brief, brief
from rag.engine import Engine

from .conftest import ROOT

# The points the brief on the shipped article must carry, each as words that must all occur
# in one cited sentence of a brief line.
SIX_POINTS = {
    "the ~12,000 troops": ["12,000", "troops"],
    "Shoigu's visit": ["Shoigu", "visit"],
    "the mutual defence agreement": ["mutual defense agreement"],
    "the food/munitions exchange": ["food", "munitions"],
    "the Trump–Putin call": ["Trump", "conversation with", "Putin"],
    "China's concern": ["China", "concerned"],
}


@pytest.fixture(scope="module")
def article_brief(engine: Engine) -> Brief:
    return brief(engine)


def _lines(result: Brief):
    return [line for _, lines in [("bluf", result.bluf)] + [
        (name, getattr(result, name)) for name, _ in Brief.SECTIONS] for line in lines]


@pytest.mark.parametrize("point", list(SIX_POINTS))
def test_brief_covers_the_six_points_with_citations(article_brief: Brief, point: str):
    cited = {c.n: c.sentence for c in article_brief.citations}
    supporting = [line for line in _lines(article_brief)
                  if any(all(w in cited[n] for w in SIX_POINTS[point]) for n in line.refs)]
    assert supporting, f"no cited line carries {point}"


def test_every_citation_slices_its_source_exactly(article_brief: Brief, docs_copy: Path):
    assert article_brief.citations
    for c in article_brief.citations:
        text = (docs_copy / Path(c.source).name).read_text(encoding="utf-8")
        assert text[c.start:c.end] == c.sentence
        assert c.grade == "ungraded" and c.claim_type


def test_every_line_is_cited_and_every_citation_used(article_brief: Brief):
    numbers = {c.n for c in article_brief.citations}
    used = set()
    for line in _lines(article_brief):
        assert line.refs and set(line.refs) <= numbers, line
        used |= set(line.refs)
    assert used == numbers  # no orphan sources at the bottom of the page


def test_bluf_is_two_or_three_sentences_of_fact_not_opinion(article_brief: Brief):
    assert 2 <= len(article_brief.bluf) <= 3
    assert all(line.kind in ("reported_fact", "attributed_claim") for line in article_brief.bluf)
    # Opinion is kept apart and labelled as such.
    assert article_brief.assessments
    assert all(line.kind == "assessment" for line in article_brief.assessments)
    assert any("dangerous" in line.text for line in article_brief.assessments)


def test_figures_keep_their_hedges_and_gaps_say_what_is_unconfirmed(article_brief: Brief):
    troops = next(f for f in article_brief.key_figures if "12,000" in f.label)
    assert "reportedly" in troops.text and "estimate" in troops.text
    assert len(troops.refs) == 2  # the bullet and the paragraph corroborate one figure
    gaps = " ".join(g.text for g in article_brief.gaps)
    assert "12,000" in gaps and "no publication date" in gaps and "single source" in gaps
    assert not article_brief.disagreements  # one document cannot disagree with itself


def test_actors_have_roles(article_brief: Brief):
    actors = {a.label: a for a in article_brief.actors}
    assert "Russian Security Council Secretary" in actors["Sergei Shoigu"].text
    assert actors["Sergei Shoigu"].kind == "person"
    assert "monitoring" in actors["China"].text
    quotes = {q.label: q for q in article_brief.quotes}
    assert "gratitude" in quotes["Shoigu"].text


def test_markdown_and_json(article_brief: Brief):
    page = article_brief.to_markdown()
    for heading in ("## Bottom line", "## Key figures", "## Actors", "## Key quotes",
                    "## Assessments in the sources", "## Gaps", "## Sources"):
        assert heading in page
    assert "Confidence in the bottom line: low — one source" in page
    data = json.loads(json.dumps(article_brief.to_dict()))
    assert data["citations"][0]["n"] == 1 and data["bluf"][0]["refs"] == [1]


def test_topic_brief_and_unknown_topic(engine: Engine):
    on_topic = brief(engine, "Shoigu visit to Pyongyang")
    assert any("Shoigu" in line.text for line in on_topic.bluf + on_topic.key_points)
    nothing = brief(engine, "Brazilian coffee harvest")
    assert not nothing.bluf and not nothing.citations
    assert nothing.gaps[0].text == "The sources do not cover “Brazilian coffee harvest”."


def test_disagreeing_documents_are_shown_side_by_side_with_grades(fresh_index, tmp_path):
    corpus = tmp_path / "bridge"
    corpus.mkdir()
    (corpus / "agency.md").write_text(
        "---\ntitle: Bridge survey\nsource: Roads Agency\nreliability: B\ncredibility: 2\n"
        "---\n\nThe Harl suspension bridge is 420 metres long.\n", encoding="utf-8")
    (corpus / "club.md").write_text(
        "---\ntitle: Cyclists' newsletter\nsource: Harl Cycling Club\nreliability: D\n"
        "credibility: 4\n---\n\nThe Harl suspension bridge is 380 metres long.\n",
        encoding="utf-8")
    assert fresh_index.ingest([corpus]).added
    result = brief(Engine(fresh_index.settings, fresh_index))
    assert len(result.disagreements) == 1
    line = result.disagreements[0].text
    assert "420 metres (Roads Agency, B2)" in line and "380 metres (Harl Cycling Club, D4)" in line
    assert "disagree" in result.confidence
    # Restricted to one document, the brief knows nothing of the other.
    agency = next(d["doc_id"] for d in result.documents if d["source_name"] == "Roads Agency")
    alone = brief(Engine(fresh_index.settings, fresh_index), allowed_docs={agency})
    assert [d["doc_id"] for d in alone.documents] == [agency]
    assert {c.doc_id for c in alone.citations} == {agency} and not alone.disagreements
    assert result.bluf[-1].text.startswith("Sources disagree: ")


def test_cli_brief_json(engine: Engine):
    done = subprocess.run(
        [sys.executable, "-m", "rag", "brief", "--json", "--index",
         str(engine.settings.index_dir)], cwd=ROOT, capture_output=True, text=True, timeout=300,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert len(data["bluf"]) in (2, 3) and data["citations"]
