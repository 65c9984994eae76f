"""Documents as analysts receive them: news HTML pages, Word reports and e-mail (issue 15).

The fixtures are built here: a news page with `<meta>` author and date, `og:`/`article:` tags,
navigation, a byline line, a dateline and a footer; a `.docx` written with python-docx; an
`.eml` written with `email.message.EmailMessage`. Unit tests check text and metadata; the
integration test ingests them with the real model and checks answers, exact citations into the
served text, `source_start`/`source_end` into the raw HTML, the text route's access rule and
`python -m rag docs --text`.
"""

from __future__ import annotations

import datetime
import json
from email.message import EmailMessage
from pathlib import Path

import pytest

from rag.ingest.documents import DocumentError, add_source_spans, load_document
from rag.ingest.formats import raw_span

from .conftest import make_settings

NEWS_PAGE = """<!DOCTYPE html>
<html lang="en"><head>
<meta charset="utf-8">
<title>Red Sea: task force adds four frigates | Gulf Shipping Daily</title>
<meta name="author" content="Staff Reporter">
<meta name="date" content="2025-03-12">
<meta name="description" content="The multinational task force will add four frigates.">
<meta property="og:site_name" content="Gulf Shipping Daily">
<meta property="og:title" content="Task force adds four frigates after Red Sea attacks">
<meta property="og:type" content="article">
<meta property="article:published_time" content="2025-03-12T08:00:00Z">
</head><body>
<header><a href="/">Gulf Shipping Daily</a>
<nav><ul><li><a href="/">Home</a></li><li><a href="/world">World news</a></li>
<li><a href="/markets">Markets and freight rates</a></li><li><a href="/login">Sign in</a></li>\
</ul></nav>
</header>
<main><article>
<h1>Task force adds four frigates after Red Sea attacks</h1>
<p>By Staff Reporter, Gulf Shipping Daily, 12 March 2025</p>
<p>ADEN, 12 March (GSD) — The multinational task force will add four frigates to its Red Sea
patrols after a month of attacks on merchant shipping.</p>
<p>According to the task force, 14 commercial vessels have been hit since January.</p>
<h2>Insurance costs</h2>
<p>War-risk insurance premiums for Red Sea transits have tripled, brokers in London said \
on Tuesday.</p>
<p>Commodore Elena Varga, the task force's deputy commander, said the new ships would \
escort convoys through the Bab el-Mandeb strait.</p>
<p>Shipping lines have diverted more than 300 container ships around the Cape of Good \
Hope, adding about ten days to each voyage.</p>
</article></main>
<footer><p>© 2025 Gulf Shipping Daily. All rights reserved. Subscribe to our newsletter.\
</p>
<ul><li><a href="/about">About us</a></li><li><a href="/privacy">Privacy policy</a></li>\
</ul></footer>
</body></html>
"""
BOILERPLATE = ("Staff Reporter", "By Staff", "12 March 2025", "ADEN", "(GSD)", "Home",
               "World news", "Sign in", "©", "rights reserved", "Subscribe", "newsletter",
               "About us", "Privacy")


def write_news(folder: Path) -> Path:
    path = folder / "red-sea-frigates.html"
    path.write_text(NEWS_PAGE, encoding="utf-8")
    return path


def write_docx(folder: Path) -> Path:
    import docx

    document = docx.Document()
    props = document.core_properties
    props.title = "Convoy Escort Plan"
    props.author = "Maritime Operations Cell"
    props.created = datetime.datetime(2025, 3, 14, 9, 0, tzinfo=datetime.UTC)
    document.add_heading("Convoy Escort Plan", 0)
    document.add_heading("Escort schedule", level=1)
    document.add_paragraph("The task force will escort nine convoys a week through the "
                           "Bab el-Mandeb strait from April.")
    document.add_paragraph("Each convoy will carry at most twenty merchant ships.",
                           style="List Bullet")
    document.add_heading("Threats", level=1)
    document.add_paragraph("Explosive drone boats remain the main threat to the convoys.")
    table = document.add_table(rows=1, cols=2)
    table.cell(0, 0).text = "Escorts per convoy"
    table.cell(0, 1).text = "Two frigates escort every convoy."
    path = folder / "escort-plan.docx"
    document.save(str(path))
    return path


def write_eml(folder: Path, html: bool = False) -> Path:
    message = EmailMessage()
    message["Subject"] = "Convoy departure from Djibouti"
    message["From"] = "Ana Silva <ana.silva@ops.example>"
    message["To"] = "red-sea-desk@ops.example"
    message["Date"] = "Fri, 14 Mar 2025 10:30:00 +0000"
    if html:
        message.set_content("<html><body><p>Hi desk,</p><p>The relief convoy reached Port "
                            "Sudan at 18:00 with all 31 ships.</p><ul><li>No attacks were "
                            "reported on the way</li></ul></body></html>", subtype="html")
    else:
        message.set_content(
            "Hi desk,\n\n"
            "The relief convoy left Djibouti at 06:00 on Friday with three escorts and\n"
            "thirty-one merchant ships. It should reach Port Sudan on Sunday.\n\n"
            "-- \nAna Silva\nOperations desk\n")
        message.add_attachment(b"ship,flag\nMV Alder,Liberia\n", maintype="text",
                               subtype="csv", filename="manifest.csv")
    path = folder / ("relief-convoy-html.eml" if html else "relief-convoy.eml")
    path.write_bytes(bytes(message))
    return path


def test_news_page_gives_publisher_and_date_and_no_boilerplate_sentences(tmp_path: Path):
    path = write_news(tmp_path)
    doc = load_document(path)
    assert doc.metadata["source"] == "Gulf Shipping Daily"
    assert doc.metadata["author"] == "Staff Reporter"
    assert doc.metadata["date"] == "2025-03-12"
    assert doc.metadata["byline"] == "By Staff Reporter, Gulf Shipping Daily, 12 March 2025"
    assert doc.metadata["dateline"] == "ADEN, 12 March (GSD)"
    assert doc.title == "Task force adds four frigates after Red Sea attacks"
    assert "Insurance costs" in doc.sections
    texts = [s.text for s in doc.sentences]
    assert texts[0].startswith("The multinational task force will add four frigates")
    assert "According to the task force, 14 commercial vessels have been hit since January." \
        in texts
    for sentence in texts:
        assert not any(word in sentence for word in BOILERPLATE), sentence
    raw = path.read_text(encoding="utf-8")
    spans = [raw_span(raw, doc.text, s.start, s.end) for s in doc.sentences]
    for s, span in zip(doc.sentences, spans):
        assert doc.text[s.start:s.end] == s.text
        if span is not None:
            assert raw[span[0]:span[1]] == s.text
    # The first sentence wraps over a line in the file: it does not stand there contiguously.
    assert spans[0] is None and all(span is not None for span in spans[1:])
    # <meta name="description"> repeats words of the body; the span is the body's.
    assert all(span[0] > raw.index("<body") for span in spans[1:])


def test_byline_variants_and_footer_without_semantic_tags(tmp_path: Path):
    page = ("<html><head><title>Port report</title><meta name='author' content='Jane Doe'>"
            "</head><body><div class='menu'><a href='/'>Home</a> <a href='/x'>Ports</a></div>"
            "<div class='content'><h1>Port report</h1><p>Jane Doe</p>"
            "<p>Published 3 April 2025</p>"
            "<p>WASHINGTON — The port of Hodeidah handled 41 tankers in March, officials said."
            "</p><p>NATO — the alliance — was not involved, a spokesman said.</p>"
            "<p>Officials expect the number of tankers to fall in April because of repairs at "
            "the main pier.</p></div>"
            "<div class='bottom'><p>Copyright © 2025 Port Weekly. Subscribe to our "
            "newsletter.</p></div></body></html>")
    path = tmp_path / "port.html"
    path.write_text(page, encoding="utf-8")
    doc = load_document(path)
    texts = [s.text for s in doc.sentences]
    assert texts[0] == "The port of Hodeidah handled 41 tankers in March, officials said."
    assert doc.metadata["dateline"] == "WASHINGTON"
    assert "Jane Doe" in doc.metadata["byline"] and "Published" in doc.metadata["byline"]
    # No date in the markup: the date line gives it, never the footer's "© 2025".
    assert doc.metadata["date"] == "2025-04-03"
    assert any(t.startswith("NATO — the alliance") for t in texts)  # only a lead dateline goes
    assert not any("Subscribe" in t or "©" in t or t == "Jane Doe" for t in texts)


def test_word_report_metadata_headings_and_lists(tmp_path: Path):
    doc = load_document(write_docx(tmp_path))
    assert doc.title == "Convoy Escort Plan"
    assert doc.metadata["source"] == "Maritime Operations Cell"
    assert doc.metadata["date"] == "2025-03-14"
    assert doc.sections[:3] == ["Convoy Escort Plan", "Escort schedule", "Threats"]
    by_text = {s.text: s for s in doc.sentences}
    plan = by_text["The task force will escort nine convoys a week through the Bab el-Mandeb "
                   "strait from April."]
    assert plan.section == "Escort schedule" and plan.kind == "paragraph"
    assert by_text["Each convoy will carry at most twenty merchant ships."].kind == "bullet"
    assert by_text["Two frigates escort every convoy."].section == "Threats"
    for s in doc.sentences:
        assert doc.text[s.start:s.end] == s.text


def test_email_metadata_body_and_attachments(tmp_path: Path):
    doc = load_document(write_eml(tmp_path))
    assert doc.title == "Convoy departure from Djibouti"
    assert doc.metadata["source"] == "Ana Silva"
    assert doc.metadata["from"] == "Ana Silva <ana.silva@ops.example>"
    assert doc.metadata["date"] == "2025-03-14"
    assert doc.metadata["attachments"] == ["manifest.csv"]
    texts = [s.text for s in doc.sentences]
    # Hard-wrapped lines are rejoined; the signature and the attachment are not indexed.
    assert ("The relief convoy left Djibouti at 06:00 on Friday with three escorts and "
            "thirty-one merchant ships.") in texts
    assert "MV Alder" not in doc.text and "Operations desk" not in doc.text
    html = load_document(write_eml(tmp_path, html=True))
    assert html.metadata["source"] == "ana.silva@ops.example" or html.metadata["source"] \
        == "Ana Silva"
    assert "The relief convoy reached Port Sudan at 18:00 with all 31 ships." in \
        [s.text for s in html.sentences]
    assert "No attacks were reported on the way" in [s.text for s in html.sentences]


@pytest.mark.parametrize("name,content,message", [
    ("broken.docx", b"PK\x03\x04 not really a zip", "cannot read Word document"),
    ("notes.eml", b"just some words\nwithout headers\n", "not an e-mail message"),
])
def test_bad_word_and_email_files_are_refused(tmp_path: Path, name: str, content: bytes,
                                              message: str):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(DocumentError, match=message):
        load_document(path)


# ---- with the real model -------------------------------------------------------------------

TOKEN = "formats-token-" + "x4" * 10
INTEL = "formats-intel-" + "y5" * 10


@pytest.fixture(scope="module")
def ingested(tmp_path_factory):
    """A private index of the three fixtures plus one restricted Markdown note."""
    from rag.engine import Engine
    from rag.ingest.store import Index

    base = tmp_path_factory.mktemp("formats")
    docs = base / "docs"
    docs.mkdir()
    paths = {"html": write_news(docs), "docx": write_docx(docs), "eml": write_eml(docs)}
    secret = docs / "secret.md"
    secret.write_text("---\ntitle: Secret note\naccess: [intel]\n---\n"
                      "The secret note says the frigates sail on 2 April.\n", encoding="utf-8")
    settings = make_settings(base / "index")
    index = Index(settings)
    report = index.ingest([docs])
    assert not report.errors and len(report.added) == 4, report.summary()
    engine = Engine(settings, index)
    return engine, paths, secret


@pytest.mark.integration
@pytest.mark.parametrize("kind,question,expected,source,date", [
    ("html", "How many commercial vessels have been hit?", "14 commercial vessels",
     "Gulf Shipping Daily", "2025-03-12"),
    ("docx", "How many convoys a week will the task force escort?", "nine convoys a week",
     "Maritime Operations Cell", "2025-03-14"),
    ("eml", "When did the relief convoy leave Djibouti?", "at 06:00 on Friday",
     "Ana Silva", "2025-03-14"),
])
def test_each_format_answers_with_an_exact_citation(ingested, kind, question, expected, source,
                                                     date):
    engine, paths, _ = ingested
    answer = engine.ask(question).to_dict()
    assert not answer["abstained"], answer["answer"]
    first = answer["citations"][0]
    assert Path(first["source"]).name == paths[kind].name, answer["citations"]
    assert expected in first["sentence"]
    assert first["source_name"] == source and first["date"] == date
    for c in answer["citations"]:
        assert engine.index.document_text(c["doc_id"])[c["start"]:c["end"]] == c["sentence"]
        assert not any(word in c["sentence"] for word in ("By Staff", "Subscribe", "©"))
    add_source_spans(answer["citations"], engine.index.document_text)
    for c in answer["citations"]:
        if Path(c["source"]).suffix == ".html":
            raw = Path(c["source"]).read_text(encoding="utf-8")
            assert raw[c["source_start"]:c["source_end"]] == c["sentence"]
        else:
            assert "source_start" not in c


@pytest.mark.integration
def test_text_route_serves_what_offsets_index_to_callers_who_may_see_it(ingested):
    from dataclasses import replace

    from fastapi.testclient import TestClient

    from rag.serve.api import build_api

    engine, paths, secret = ingested
    settings = replace(engine.settings, api_tokens={TOKEN: frozenset(), INTEL:
                                                    frozenset({"intel"})}, rate_limit=0)
    client = TestClient(build_api(engine, settings), base_url="http://127.0.0.1")
    public = {"Authorization": f"Bearer {TOKEN}"}
    intel = {"Authorization": f"Bearer {INTEL}"}
    docs = {Path(d["source"]).name: d for d in
            client.get("/api/documents", headers=intel).json()["documents"]}
    news = docs[paths["html"].name]
    assert news["metadata"]["source"] == "Gulf Shipping Daily"
    got = client.get(f"/api/documents/{news['doc_id']}/text", headers=public)
    assert got.status_code == 200, got.text
    assert got.json()["text"] == engine.index.document_text(news["doc_id"])
    assert got.json()["text"].startswith("# Task force adds four frigates")
    hidden = docs[secret.name]["doc_id"]
    refused = client.get(f"/api/documents/{hidden}/text", headers=public)
    missing = client.get("/api/documents/0123456789abcdef/text", headers=public)
    assert refused.status_code == missing.status_code == 404
    assert "secret note" not in refused.text.lower()
    assert client.get(f"/api/documents/{hidden}/text", headers=intel).status_code == 200
    assert client.get(f"/api/documents/{hidden}/text").status_code == 401
    answer = client.post("/api/ask", json={"question": "How many commercial vessels have "
                                           "been hit?"}, headers=public).json()
    cited = answer["citations"][0]
    raw = paths["html"].read_text(encoding="utf-8")
    assert raw[cited["source_start"]:cited["source_end"]] == cited["sentence"]


@pytest.mark.integration
def test_cli_prints_the_extracted_text(ingested, capsys):
    from rag.__main__ import main

    engine, paths, _ = ingested
    index_dir = str(engine.settings.index_dir)
    records = {Path(r.source).name: r for r in engine.index.documents()}
    record = records[paths["eml"].name]
    assert main(["docs", "--text", record.source, "--index", index_dir]) == 0
    assert capsys.readouterr().out == engine.index.document_text(record.doc_id) + "\n"
    assert main(["docs", "--text", records[paths["docx"].name].doc_id, "--json",
                 "--index", index_dir]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["title"] == "Convoy Escort Plan" and "nine convoys a week" in out["text"]
    assert main(["docs", "--text", "no-such-doc", "--index", index_dir]) == 1
