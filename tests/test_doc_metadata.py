"""Grades for every document: an editor sets publisher, date, reliability and credibility of a
file without front matter through `PATCH /api/documents/{id}/metadata` (real app over HTTP,
real embedder and Chroma); the edit reaches its citations and the confidence line at once,
survives a re-ingest of the changed file, and bad input changes nothing."""

from __future__ import annotations

import json
from dataclasses import replace

import httpx
import pytest

import app as sitrep_app
from rag.engine import Engine
from rag.ingest.doc_metadata import FILE_NAME, MetadataEdits, MetadataError, clean_edit
from rag.ingest.store import Index

from .conftest import make_settings
from .serving import Server

pytestmark = pytest.mark.integration

EDITOR = "editor-token-" + "e4" * 10
READER = "reader-token-" + "r5" * 10
PAGE = """<!doctype html><html><head><title>Strait transits fall</title></head><body>
<article><h1>Strait transits fall</h1>
<p>Only 41 container ships crossed the strait in the first week of April.</p>
<p>Insurers raised war-risk premiums for the route again.</p></article></body></html>"""
SECRET = "---\ntitle: Cell roster\naccess: [intel]\n---\nThe cell has 9 members in Aden.\n"
QUESTION = "How many container ships crossed the strait?"


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """(server, docs folder, index) with an editor token and a reader token."""
    root = tmp_path_factory.mktemp("grades")
    docs = root / "docs"
    docs.mkdir()
    (docs / "strait.html").write_text(PAGE, encoding="utf-8")
    (docs / "roster.md").write_text(SECRET, encoding="utf-8")
    settings = replace(make_settings(root / "index", docs_dir=docs), rate_limit=0,
                       api_tokens={EDITOR: frozenset({"desk"}), READER: frozenset({"ops"})})
    index = Index(settings)
    assert not index.ingest([docs]).errors
    with pytest.MonkeyPatch.context() as env:
        env.setenv("SITREP_EDITOR_GROUPS", "desk")
        with Server(sitrep_app.create_app(settings, Engine(settings, index))) as server:
            yield server, docs, index


def call(server: Server, method: str, path: str, token: str = EDITOR, **kwargs):
    return httpx.request(method, server.url + path, timeout=120,
                         headers={"Authorization": f"Bearer {token}"}, **kwargs)


def doc_id(server: Server, name: str) -> str:
    documents = call(server, "GET", "/api/documents").json()["documents"]
    return next(d["doc_id"] for d in documents if d["source"].endswith(name))


def cited(server: Server) -> tuple[dict, dict]:
    answer = call(server, "POST", "/api/ask", json={"question": QUESTION}).json()
    return answer, next(c for c in answer["citations"]
                         if "container ships crossed" in c["sentence"])


def test_edited_grade_reaches_citations_at_once_and_survives_reingest(served):
    server, docs, index = served
    answer, citation = cited(server)
    assert citation["grade"] == "ungraded" and citation["source_name"] is None
    assert "strait.html" not in answer["confidence"]  # a publication's name, not a file's
    assert "Strait transits fall" in answer["confidence"]

    target = doc_id(server, "strait.html")
    response = call(server, "PATCH", f"/api/documents/{target}/metadata",
                    json={"source": "Gulf Shipping Daily", "date": "2025-04-08",
                          "reliability": "b", "credibility": 2})
    assert response.status_code == 200, response.text
    assert {"source": "Gulf Shipping Daily", "date": "2025-04-08", "reliability": "B",
            "credibility": 2}.items() <= response.json()["metadata"].items()
    answer, citation = cited(server)
    assert (citation["grade"], citation["source_name"], citation["date"]) == \
        ("B2", "Gulf Shipping Daily", "2025-04-08")
    assert "one source (Gulf Shipping Daily, B2)" in answer["confidence"]

    # Only the fields given change; "" clears one.
    assert call(server, "PATCH", f"/api/documents/{target}/metadata",
                json={"date": ""}).status_code == 200
    _, citation = cited(server)
    assert (citation["grade"], citation["date"]) == ("B2", None)

    # The page changes and is re-ingested: the analyst's grade stays with the document.
    page = docs / "strait.html"
    page.write_text(PAGE.replace("41 container", "41 large container"), encoding="utf-8")
    report = index.ingest([docs])
    assert len(report.updated) == 1, report.summary()
    _, citation = cited(server)
    assert "41 large container" in citation["sentence"]
    assert (citation["grade"], citation["source_name"]) == ("B2", "Gulf Shipping Daily")
    listed = call(server, "GET", "/api/documents").json()["documents"]
    assert next(d for d in listed if d["doc_id"] == target)["metadata"]["reliability"] == "B"


@pytest.mark.parametrize("body, words", [
    ({"reliability": "G"}, "reliability: 'G' is not a source reliability; use a letter A–F"),
    ({"credibility": 7}, "credibility: '7' is not an information credibility; use a number 1–6"),
    ({"date": "14/03/2025"}, "date: '14/03/2025' is not a date; write YYYY-MM-DD"),
    ({"date": "2025-02-30"}, "is not a date"),
    ({"source": "x" * 201}, "source: 201 characters, over the 200-character limit"),
    ({"grade": "B2"}, "grade"),
    ({}, "nothing to change"),
])
def test_bad_edits_are_refused_with_a_clear_message_and_change_nothing(served, body, words):
    server, _, index = served
    target = doc_id(server, "strait.html")
    before = index.edits.path.read_bytes() if index.edits.path.exists() else b""
    response = call(server, "PATCH", f"/api/documents/{target}/metadata", json=body)
    assert response.status_code == 422, response.text
    assert words in response.json()["error"]
    assert (index.edits.path.read_bytes() if index.edits.path.exists() else b"") == before


def test_editing_follows_the_removal_rule_and_access(served):
    server, _, index = served
    target = doc_id(server, "strait.html")
    before = index.edits.get(target)
    refused = call(server, "PATCH", f"/api/documents/{target}/metadata", token=READER,
                   json={"reliability": "F"})
    assert refused.status_code == 403 and "SITREP_EDITOR_GROUPS" in refused.json()["error"]
    assert index.edits.get(target) == before
    # A document the caller may not see is "not there", as for its text.
    hidden = next(r.doc_id for r in index.documents() if r.source.endswith("roster.md"))
    for token in (EDITOR, READER):
        response = call(server, "PATCH", f"/api/documents/{hidden}/metadata", token=token,
                        json={"reliability": "A"})
        assert response.status_code == 404
    assert call(server, "PATCH", f"/api/documents/{target}/metadata", token="wrong-token-x" * 2,
                json={"reliability": "A"}).status_code == 401
    assert hidden not in index.edits.all()


def test_restore_original_drops_the_edits_and_the_files_values_count_again(served):
    """DELETE /api/documents/{id}/metadata (the Library's "Restore original"): the document's
    edits go, its citations carry what its file says; PATCH's editors and access rules."""
    server, _, index = served
    target = doc_id(server, "strait.html")
    assert call(server, "PATCH", f"/api/documents/{target}/metadata",
                json={"source": "Gulf Shipping Daily", "reliability": "C",
                      "credibility": 3}).status_code == 200
    assert cited(server)[1]["grade"] == "C3"
    refused = call(server, "DELETE", f"/api/documents/{target}/metadata", token=READER)
    assert refused.status_code == 403 and index.edits.get(target)
    hidden = next(r.doc_id for r in index.documents() if r.source.endswith("roster.md"))
    assert call(server, "DELETE", f"/api/documents/{hidden}/metadata").status_code == 404
    restored = call(server, "DELETE", f"/api/documents/{target}/metadata")
    assert restored.status_code == 200, restored.text
    file_metadata = next(r for r in index.documents() if r.doc_id == target).file_metadata
    assert restored.json()["metadata"] == file_metadata
    assert not {"source", "reliability", "credibility"} & set(file_metadata)
    assert index.edits.get(target) == {} and target not in index.edits.all()
    _, citation = cited(server)
    assert (citation["grade"], citation["source_name"]) == ("ungraded", None)
    again = call(server, "DELETE", f"/api/documents/{target}/metadata")  # nothing to drop
    assert again.status_code == 200 and again.json()["metadata"] == file_metadata


def test_clear_removes_one_documents_edit_and_leaves_the_others(tmp_path):
    edits = MetadataEdits(tmp_path / FILE_NAME)
    assert edits.clear("d1") is False and not edits.path.exists()  # no file: nothing written
    edits.set("d1", clean_edit({"reliability": "a", "date": None}))
    edits.set("d2", clean_edit({"source": "Agency"}))
    other = MetadataEdits(tmp_path / FILE_NAME)
    assert other.apply("d1", {"reliability": "C", "date": "2020"}) == {"reliability": "A"}
    assert edits.clear("d1") is True
    assert other.apply("d1", {"reliability": "C", "date": "2020"}) == {"reliability": "C",
                                                                       "date": "2020"}
    assert json.loads(edits.path.read_text()) == {"d2": {"source": "Agency"}}
    written = edits.version()
    assert edits.clear("d1") is False and edits.version() == written  # left alone
    edits.path.write_text("{not json", encoding="utf-8")
    with pytest.raises(MetadataError, match="cannot read the edits file"):
        edits.clear("d2")
    assert edits.path.read_text(encoding="utf-8") == "{not json"


def test_edits_file_is_written_atomically_and_a_broken_one_is_never_overwritten(tmp_path):
    edits = MetadataEdits(tmp_path / FILE_NAME)
    assert edits.apply("d1", {"title": "T", "reliability": "C"}) == {"title": "T",
                                                                     "reliability": "C"}
    edits.set("d1", clean_edit({"reliability": "a", "credibility": "1"}))
    edits.set("d1", clean_edit({"source": "  Agency \n"}))
    assert json.loads(edits.path.read_text()) == {
        "d1": {"credibility": 1, "reliability": "A", "source": "Agency"}}
    assert sorted(p.name for p in tmp_path.iterdir()) == [FILE_NAME, FILE_NAME + ".lock"]
    other = MetadataEdits(tmp_path / FILE_NAME)  # another process's view sees the change
    edits.set("d1", clean_edit({"reliability": None}))
    assert other.apply("d1", {"reliability": "C", "date": "2020"}) == {
        "date": "2020", "credibility": 1, "source": "Agency"}
    edits.path.write_text("{not json", encoding="utf-8")
    with pytest.raises(MetadataError, match="cannot read the edits file"):
        edits.set("d2", clean_edit({"reliability": "B"}))
    assert edits.path.read_text(encoding="utf-8") == "{not json"
