"""The brief: the shipped article's six key points, exact citations, sections, CLI; and a
library of three documents on two topics (tests/fixtures/brief: two Red Sea reports that
disagree on the ships hit, 14 vs "nine", plus the shipped article) — topic grouping, the
disagreement, one page, the source list, DOCX/Markdown export through the CLI and the API.
All with the real embedder, spaCy and Chroma."""

from __future__ import annotations

import dataclasses
import io
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import docx
import httpx
import pytest

from rag.brief import ONE_PAGE_WORDS, Brief, brief
from rag.brief.export import render, to_docx
from rag.engine import Engine
from rag.ingest.store import Index

from .conftest import DOCS, ROOT, make_settings
from .serving import Server

pytestmark = pytest.mark.integration

FIXTURES = ROOT / "tests" / "fixtures" / "brief"

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


@pytest.fixture(scope="module")
def article_long(engine: Engine) -> Brief:
    return brief(engine, long=True)


def _lines(result: Brief):
    return result.lines()


def _topic_lines(result: Brief, name: str):
    return [line for topic in result.topics for line in getattr(topic, name)]


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


@pytest.mark.parametrize("which", ["article_brief", "article_long", "library_brief"])
def test_every_line_is_cited_and_every_citation_used(which: str, request):
    result: Brief = request.getfixturevalue(which)
    numbers = {c.n for c in result.citations}
    used = set()
    for line in _lines(result):
        assert line.refs and set(line.refs) <= numbers, line
        used |= set(line.refs)
    assert used == numbers  # no orphan sources at the bottom of the page
    assert [c.n for c in result.citations] == sorted(numbers)
    assert {n for s in result.sources for n in s.refs} == numbers


def test_bluf_is_two_or_three_sentences_of_fact_not_opinion(article_brief: Brief,
                                                            article_long: Brief):
    assert 2 <= len(article_brief.bluf) <= 3
    # The confidence line names the publication (here its title), never a file name.
    assert "one source (Russia North Korea, ungraded)" in article_brief.confidence
    assert all(line.kind in ("reported_fact", "attributed_claim") for line in article_brief.bluf)
    assert all(line.kind in ("reported_fact", "attributed_claim")
               for line in _topic_lines(article_brief, "judgments"))
    # Opinion is kept apart and labelled as such (in the long brief).
    assessments = _topic_lines(article_long, "assessments")
    assert assessments and all(line.kind == "assessment" for line in assessments)
    assert any("dangerous" in line.text for line in assessments)


def test_figures_keep_their_hedges_and_gaps_say_what_is_unconfirmed(article_brief: Brief,
                                                                    article_long: Brief):
    troops = next(f for f in _topic_lines(article_long, "figures") if "12,000" in f.label)
    assert "reportedly" in troops.text and "estimate" in troops.text
    assert len(troops.refs) == 2  # the bullet and the paragraph corroborate one figure
    gaps = " ".join(g.text for g in article_brief.gaps)
    assert "12,000" in gaps and "no publication date" in gaps and "single source" in gaps
    assert not article_brief.disagreements  # one document cannot disagree with itself


def test_actors_have_roles(article_brief: Brief, article_long: Brief):
    actors = {a.label: a for a in _topic_lines(article_brief, "actors")}
    assert "Russian Security Council Secretary" in actors["Sergei Shoigu"].text
    assert "visited North Korea" in actors["Sergei Shoigu"].text
    assert actors["Sergei Shoigu"].kind == "person"
    assert not any("visit" in name for name in actors)  # "Shoigu's visit" is no actor
    longer = {a.label: a for a in _topic_lines(article_long, "actors")}
    assert "monitoring" in longer["China"].text
    quotes = {q.label: q for q in _topic_lines(article_long, "quotes")}
    assert "gratitude" in quotes["Shoigu"].text


def test_markdown_and_json(article_brief: Brief, article_long: Brief):
    page = article_brief.to_markdown()
    for heading in ("## Bottom line", "## Key judgments", "## Actors", "## Gaps", "## Sources"):
        assert heading in page
    long_page = article_long.to_markdown()
    for heading in ("## Key figures", "## Key quotes", "## Assessments in the sources",
                    "## Cited sentences"):
        assert heading in long_page and heading not in page
    assert article_long.word_count() > article_brief.word_count()
    assert "Confidence in the bottom line: low — one source" in page
    assert ONE_PAGE_WORDS - 200 <= article_brief.word_count() <= ONE_PAGE_WORDS
    data = json.loads(json.dumps(article_brief.to_dict()))
    assert data["citations"][0]["n"] == 1 and data["bluf"][0]["refs"] == [1]


def test_topic_brief_and_unknown_topic(engine: Engine):
    on_topic = brief(engine, "Shoigu visit to Pyongyang")
    assert any("Shoigu" in line.text for line in on_topic.bluf + _topic_lines(on_topic,
                                                                               "judgments"))
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
    agency = next(s.doc_id for s in result.sources if s.source_name == "Roads Agency")
    alone = brief(Engine(fresh_index.settings, fresh_index), allowed_docs={agency})
    assert [s.doc_id for s in alone.sources] == [agency]
    assert {c.doc_id for c in alone.citations} == {agency} and not alone.disagreements
    assert result.bluf[-1].text.startswith("Sources disagree: ")


@pytest.mark.slow
def test_cli_brief_json(engine: Engine):
    done = subprocess.run(
        [sys.executable, "-m", "rag", "brief", "--json", "--index",
         str(engine.settings.index_dir)], cwd=ROOT, capture_output=True, text=True, timeout=300,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert len(data["bluf"]) in (2, 3) and data["citations"]


# ---- a library on two topics: two Red Sea reports that disagree, and the article ------------


@pytest.fixture(scope="module")
def library(tmp_path_factory) -> Engine:
    """An engine over the two Red Sea fixtures (Markdown with a grade; a news HTML page with
    a byline, dateline, navigation and footer) and the shipped article."""
    root = tmp_path_factory.mktemp("library")
    docs_dir = root / "docs"
    shutil.copytree(FIXTURES, docs_dir)
    shutil.copy(DOCS / "russia-north-korea.txt", docs_dir)
    settings = make_settings(root / "index", docs_dir=docs_dir)
    index = Index(settings)
    report = index.ingest([docs_dir])
    assert len(report.added) == 3 and not report.errors
    return Engine(settings, index)


@pytest.fixture(scope="module")
def library_brief(library: Engine) -> Brief:
    return brief(library)


def _titles(result: Brief, doc_ids) -> set[str]:
    by_id = {s.doc_id: s.title for s in result.sources}
    return {by_id[d] for d in doc_ids if d in by_id}


def test_library_brief_groups_documents_by_topic(library_brief: Brief):
    assert len(library_brief.topics) == 2
    red_sea, article = library_brief.topics
    assert _titles(library_brief, red_sea.doc_ids) == {
        "Task force to add frigates after Red Sea attacks",
        "Houthi attacks: nine ships struck since January"}
    assert len(article.doc_ids) == 1 and "Red Sea" in red_sea.label
    cited = {c.n: c.doc_id for c in library_brief.citations}
    for topic in library_brief.topics:  # a topic's lines cite only its own documents
        for line in topic.judgments + topic.actors:
            assert {cited[n] for n in line.refs} <= set(topic.doc_ids), line
    # The bottom line says one thing per topic, labelled with the topic, not a mixture.
    assert [line.label for line in library_brief.bluf[:2]] == [red_sea.label, article.label]
    page = library_brief.to_markdown()
    assert f"## {red_sea.label} (2 documents)" in page and "### Key judgments" in page


_MONTHS = ("january", "february", "march", "april", "may", "june", "july", "august",
           "september", "october", "november", "december")


def test_topic_labels_are_section_titles_drawn_from_their_own_documents(library: Engine,
                                                                        library_brief: Brief):
    labels = [t.label for t in library_brief.topics]
    assert len(labels) == 2 and len(set(labels)) == 2, labels
    sources = [str(Path(s.source).name) for s in library_brief.sources]
    bylines = ["Gulf Shipping Daily", "Maritime Security Review", "Dana Whitfield", "By "]
    for topic in library_brief.topics:
        label = topic.label
        own = " ".join(library.index.document_text(d) or "" for d in topic.doc_ids).lower()
        others = " ".join(library.index.document_text(d) or "" for t in library_brief.topics
                          if t is not topic for d in t.doc_ids).lower()
        words = re.findall(r"[\w'-]+", label.lower())
        assert len(words) >= 2 and all(w in own for w in words), label
        assert any(w not in others for w in words), label  # distinctive of its own topic
        assert not re.search(r"\d", label) and not any(m in words for m in _MONTHS), label
        assert not any(b.lower() in label.lower() for b in bylines), label
        for name in sources:  # neither the file name nor its stem spelled out
            stem = Path(name).stem
            assert name not in label and stem not in label.lower(), label
            assert re.sub(r"[-_]+", " ", stem) not in label.lower(), label


def test_disagreement_names_both_values_with_their_citations(library_brief: Brief):
    ships = [line for line in library_brief.disagreements
             if {side.phrase.split()[0] for side in line.sides} == {"14", "nine"}]
    assert len(ships) == 1, [d.text for d in library_brief.disagreements]
    cited = {c.n: c for c in library_brief.citations}
    sides = ships[0].sides
    for side in sides:
        assert side.phrase in cited[side.ref].sentence
    assert {cited[s.ref].source_name for s in sides} == {"Gulf Shipping Daily",
                                                          "Maritime Security Review"}
    assert {s.grade for s in sides} == {"B2", "ungraded"}
    page = library_brief.to_markdown()
    section = page.split("## Disagreements")[1].split("\n## ")[0]
    for side in sides:
        assert f"{side.phrase} ({side.origin}, {side.grade}) [{side.ref}]" in section
    # Figures that only differ in what they count are no disagreement (300 ships diverted,
    # four frigates added, two destroyers joining).
    assert len(library_brief.disagreements) == 1


def test_library_brief_fits_one_page_and_the_long_one_does_not(library: Engine,
                                                             library_brief: Brief):
    words = library_brief.word_count()
    assert 400 <= words <= ONE_PAGE_WORDS, words
    longer = brief(library, long=True)
    assert longer.word_count() > ONE_PAGE_WORDS
    assert len(longer.citations) > len(library_brief.citations)


def test_sources_are_a_numbered_list_without_offsets_or_bylines(library_brief: Brief):
    page = library_brief.to_markdown()
    sources = page.split("## Sources\n\n")[1].strip().splitlines()
    assert len(sources) == len(library_brief.sources) == 3
    for n, (line, entry) in enumerate(zip(sources, library_brief.sources), 1):
        assert line.startswith(f"{n}. ") and f"“{entry.title}”" in line
        assert entry.grade_words in line and (entry.date or "undated") in line
        assert line.endswith("cited as " + "".join(f"[{r}]" for r in entry.refs))
    assert sources[0].startswith("1. Gulf Shipping Daily — “Task force to add frigates after "
                                 "Red Sea attacks” — 2025-03-12 — B2 (usually reliable source, "
                                 "information probably true)")
    # No byte offsets, file paths, bylines, datelines or "mentioned in N sentences".
    assert not re.search(r":\d+-\d+|\(\d+-\d+\)|/tmp/|\.html", page)
    for junk in ("By Dana Whitfield", "LONDON", "(MSR)", "Subscribe", "mentioned in"):
        assert junk not in page


def test_actors_are_who_did_what_from_their_cited_sentences(library_brief: Brief):
    cited = {c.n: c.sentence for c in library_brief.citations}
    actors = _topic_lines(library_brief, "actors")
    assert actors
    for actor in actors:
        actions = actor.text.split(": ", 1)[-1].split("; ")
        for action in actions:  # every action is the cited sentence's own words
            assert any(action in cited[n] for n in actor.refs), (actor, action)
        assert not any(actor.label == place for place in ("Red Sea", "Ukraine", "Moscow"))
    houthi = next(a for a in actors if a.label == "Houthi forces")
    assert houthi.text.startswith("have struck nine merchant ships")


def test_every_library_citation_slices_the_text_it_points_at(library: Engine,
                                                             library_brief: Brief):
    for c in library_brief.citations:
        text = library.index.document_text(c.doc_id)
        assert text[c.start:c.end] == c.sentence
        if c.source.endswith((".md", ".txt")):
            assert Path(c.source).read_text(encoding="utf-8")[c.start:c.end] == c.sentence


def _docx_headings(data: bytes) -> list[str]:
    document = docx.Document(io.BytesIO(data))
    return [p.text for p in document.paragraphs
            if p.style.name == "Title" or p.style.name.startswith("Heading")]


def _markdown_headings(page: str) -> list[str]:
    return [line.lstrip("#").strip() for line in page.splitlines() if line.startswith("#")]


def test_docx_export_opens_and_has_the_same_headings(library_brief: Brief):
    headings = _docx_headings(to_docx(library_brief))
    assert headings == _markdown_headings(library_brief.to_markdown())
    assert {"Bottom line", "Disagreements", "Gaps", "Sources"} <= set(headings)
    document = docx.Document(io.BytesIO(to_docx(library_brief)))
    text = "\n".join(p.text for p in document.paragraphs)
    assert "14 commercial vessels" in text and "nine merchant ships" in text


def test_docx_export_survives_control_characters(library_brief: Brief):
    hostile = dataclasses.replace(library_brief, topic="Red\x00 Sea\x1b")
    document = docx.Document(io.BytesIO(to_docx(hostile)))  # XML cannot hold \x00 or \x1b
    assert document.core_properties.title == "Brief: Red  Sea "
    lone = dataclasses.replace(library_brief, topic="Red \udc0f Sea")  # JSON can carry it
    assert render(lone, "md").decode("utf-8").startswith("# Brief: Red ? Sea")


@pytest.mark.slow
def test_cli_writes_docx_and_markdown(library: Engine, tmp_path: Path):
    for name in ("brief.docx", "brief.md"):
        done = subprocess.run(
            [sys.executable, "-m", "rag", "brief", "--index", str(library.settings.index_dir),
             "--out", str(tmp_path / name)], cwd=ROOT, capture_output=True, text=True,
            timeout=300, env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
        assert done.returncode == 0, done.stderr
        assert "words" in done.stdout
    page = (tmp_path / "brief.md").read_text(encoding="utf-8")
    assert _docx_headings((tmp_path / "brief.docx").read_bytes()) == _markdown_headings(page)


def test_api_exports_the_brief_as_a_file(library: Engine):
    from app import create_app

    with Server(create_app(library.settings, library)) as server:
        done = httpx.post(server.url + "/api/brief/export", json={"format": "docx"},
                          timeout=300)
        assert done.status_code == 200, done.text
        assert done.headers["content-type"].startswith("application/vnd.openxmlformats")
        assert 'filename="brief.docx"' in done.headers["content-disposition"]
        assert "Disagreements" in _docx_headings(done.content)
        page = httpx.post(server.url + "/api/brief/export",
                          json={"format": "md", "topic": "Red Sea shipping attacks"},
                          timeout=300)
        assert page.status_code == 200 and page.text.startswith("# Brief: Red Sea")
        assert "russia" not in page.text.lower()
        refused = httpx.post(server.url + "/api/brief/export", json={"format": "pdf"})
        assert refused.status_code == 422
