"""The Gradio UI in a real headless Chromium against a real server (uvicorn on 127.0.0.1).

The server runs `app.create_app` in a thread over its own tmp copy of docs/ and its own index,
so uploads and removals never touch the repository. Every request the browser makes is
recorded; requests to any other origin are blocked and fail the offline test.
Set SITREP_UPDATE_SCREENSHOTS=1 to refresh the README images in tests/screenshots/.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

import pytest
from playwright.sync_api import Browser, Page, expect

from rag.engine import Engine
from rag.index import Index
from rag.library import REMOVED_DIR, add_files
from rag.ui_render import document_html, escape, sources_html

from .conftest import DOCS, ROOT, make_settings
from .serving import Server

pytestmark = [pytest.mark.integration, pytest.mark.browser]
# Answers take well under a second, but 2 shared cores under load can stretch that a lot.
expect.set_options(timeout=30_000)

SCREENSHOTS = ROOT / "tests" / "screenshots"
UPLOAD = """---
title: Baltic Star ferry incident
source: Tallinn Harbour Office
date: 2026-11-20
reliability: B
credibility: 2
---
# Harbour report

The Baltic Star ferry carried 412 passengers when it docked in Tallinn on Tuesday.
Port officials said the crossing took eleven hours because of a storm.
Markup such as <b>this</b> and {{value}} must show as plain text.
"""
RESTRICTED = """---
title: Operation Nightjar
access: [intel]
---
Operation Nightjar moved 7,431 crates of ammunition through Rason in October.
"""


@dataclass
class Site:
    """A running app: its base URL, its docs folder, and every URL the browser asked for."""

    url: str
    docs_dir: Path
    requests: list[str] = field(default_factory=list)


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Site:
    from app import create_app

    root = tmp_path_factory.mktemp("ui")
    docs_dir = root / "docs"
    shutil.copytree(DOCS, docs_dir)
    (docs_dir / "nightjar.md").write_text(RESTRICTED, encoding="utf-8")
    settings = make_settings(root / "index", docs_dir=docs_dir)
    index = Index(settings)
    assert not index.ingest([docs_dir]).errors
    with Server(create_app(settings, Engine(settings, index))) as server:
        yield Site(server.url, docs_dir)


@pytest.fixture
def page(chromium: Browser, site: Site) -> Page:
    """A fresh browser session on the app; requests elsewhere are recorded and blocked."""
    context = chromium.new_context(viewport={"width": 1360, "height": 900})
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=site.url)
    context.on("request", lambda request: site.requests.append(request.url))
    context.route(lambda url: not url.startswith(site.url + "/"),
                  lambda route: route.abort())
    tab = context.new_page()
    tab.set_default_timeout(30_000)
    tab.goto(site.url + "/")
    yield tab
    context.close()


def ask(page: Page, question: str) -> None:
    """Type a question, press Enter, wait for its reply to arrive."""
    replies = page.locator("[data-testid=bot]")
    before = replies.count()
    page.get_by_label("Question").fill(question)
    page.get_by_label("Question").press("Enter")
    expect(replies).to_have_count(before + 1)


def snap(page: Page, name: str) -> None:
    """Screenshot for the README, only when asked to refresh them."""
    if os.environ.get("SITREP_UPDATE_SCREENSHOTS") == "1":
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.wait_for_timeout(1500)  # let Gradio's fade-in of updated components finish
        page.screenshot(path=str(SCREENSHOTS / f"{name}.png"))


# ---- browser tests ---------------------------------------------------------------------------

def test_answer_cites_and_highlights(page: Page) -> None:
    ask(page, "how many troops?")
    expect(page.locator("[data-testid=bot]").last).to_contain_text("12,000")
    first = page.locator(".sitrep-cite").first
    expect(first).to_contain_text("12,000")
    cited = first.locator(".sitrep-quote").inner_text().strip("“”\"")
    snap(page, "chat")
    first.click()
    mark = page.locator("#sitrep-selected")
    expect(mark).to_contain_text(cited)
    expect(first).to_have_attribute("aria-current", "true")
    # Scrolled into view inside the document pane, not just present somewhere below.
    inside = mark.evaluate("""m => {
        const pane = m.closest('.sitrep-doc-body').getBoundingClientRect();
        const r = m.getBoundingClientRect();
        return r.top >= pane.top && r.bottom <= pane.bottom; }""")
    assert inside
    snap(page, "document")
    # The [2] in the answer text is a link to source 2.
    second = page.locator(".sitrep-cite").nth(1).locator(".sitrep-quote").inner_text()
    page.locator("[data-testid=bot]").last.get_by_role("link", name="[2]").first.click()
    expect(mark).to_contain_text(second.strip("“”\""))
    expect(page.locator(".sitrep-cite").nth(1)).to_have_attribute("aria-current", "true")
    # The conversation belongs to this browser tab and survives a reload.
    page.reload()
    expect(page.locator("[data-testid=bot]")).to_have_count(1)
    expect(page.locator("[data-testid=bot]")).to_contain_text("12,000")
    page.locator("[data-testid=bot]").get_by_role("link", name="[1]").first.click()
    expect(mark).to_contain_text(cited)


def test_keyboard_opens_a_source_and_copy_includes_sources(page: Page) -> None:
    page.get_by_text("Who visited North Korea?").click()  # an example chip on first load
    second = page.locator(".sitrep-cite").nth(1)
    second.focus()
    page.keyboard.press("Enter")
    expect(page.locator("#sitrep-selected")).to_be_focused()
    page.get_by_role("button", name="Copy answer with sources").click()
    expect(page.get_by_text("Answer and sources copied.")).to_be_visible()
    copied = page.evaluate("navigator.clipboard.readText()")
    assert "Shoigu" in copied and "Sources:" in copied and "[2] “" in copied


def test_upload_ask_remove(page: Page, site: Site, tmp_path: Path) -> None:
    upload = tmp_path / "baltic-star.md"
    upload.write_text(UPLOAD, encoding="utf-8")
    page.get_by_role("tab", name="Library").click()
    table = page.locator("#sitrep-library")
    expect(table).to_contain_text("Russia North Korea")
    page.locator("#sitrep-upload input[type=file]").set_input_files(str(upload))
    expect(page.locator("#sitrep-library-status")).to_contain_text("Added baltic-star.md")
    expect(table).to_contain_text("Baltic Star ferry incident")
    for shown in ("Tallinn Harbour Office", "baltic-star.md", "2026-11-20", "B2"):
        expect(table).to_contain_text(shown)
    assert (site.docs_dir / "baltic-star.md").read_text(encoding="utf-8") == UPLOAD
    snap(page, "library")

    page.get_by_role("tab", name="Chat").click()
    ask(page, "How many passengers did the Baltic Star carry?")
    expect(page.locator("[data-testid=bot]").last).to_contain_text("412")
    source = page.locator(".sitrep-cite", has_text="Baltic Star ferry incident").first
    source.click()
    expect(page.locator("#sitrep-selected")).to_contain_text("412 passengers")
    # Document text is data: markup in it shows as text instead of rendering.
    expect(page.locator(".sitrep-doc-body")).to_contain_text("<b>this</b> and {{value}}")

    page.get_by_role("tab", name="Library").click()
    page.get_by_label("Document to remove").click()
    page.get_by_role("option", name="Baltic Star ferry incident").click()
    page.get_by_role("button", name="Remove from library").click()
    expect(page.locator("#sitrep-library-status")).to_contain_text("Removed")
    expect(table).not_to_contain_text("Baltic Star")
    assert not (site.docs_dir / "baltic-star.md").exists()
    assert (site.docs_dir / REMOVED_DIR / "baltic-star.md").exists()
    page.get_by_role("tab", name="Chat").click()
    ask(page, "How many passengers did the Baltic Star carry?")
    expect(page.locator(".sitrep-cite", has_text="Baltic Star")).to_have_count(0)


def test_bad_upload_shows_error_and_changes_nothing(page: Page, site: Site,
                                                    tmp_path: Path) -> None:
    before = sorted(p.name for p in site.docs_dir.iterdir())
    broken = tmp_path / "broken.pdf"
    broken.write_bytes(b"%PDF-1.7 this is not really a pdf")
    page.get_by_role("tab", name="Library").click()
    rows = page.locator("#sitrep-library tbody tr")
    expect(page.locator("#sitrep-library")).to_contain_text("Russia North Korea")
    count = rows.count()
    page.locator("#sitrep-upload input[type=file]").set_input_files(str(broken))
    expect(page.locator("#sitrep-library-status")).to_contain_text("Not added: ")
    expect(page.locator("#sitrep-library-status")).to_contain_text("broken.pdf")
    expect(rows).to_have_count(count)
    assert sorted(p.name for p in site.docs_dir.iterdir()) == before


def test_restricted_documents_stay_hidden(page: Page) -> None:
    """A document for the intel group never reaches an anonymous browser (as in the API)."""
    ask(page, "How many crates of ammunition did Operation Nightjar move?")
    expect(page.locator("[data-testid=bot]").last).not_to_contain_text("7,431")
    expect(page.locator(".sitrep-cite", has_text="Nightjar")).to_have_count(0)
    page.get_by_role("tab", name="Library").click()
    expect(page.locator("#sitrep-library")).to_contain_text("Russia North Korea")
    expect(page.locator("#sitrep-library")).not_to_contain_text("Nightjar")


def test_brief_tab_never_shows_hidden_documents(page: Page) -> None:
    """The brief covers what the caller may see, cited, and leaves out the rest."""
    page.get_by_role("tab", name="Brief").click()
    page.get_by_role("button", name="Write brief").click()
    expect(page.locator("#sitrep-brief")).to_contain_text("12,000")
    expect(page.locator("#sitrep-brief")).not_to_contain_text("Nightjar")
    brief_sources = page.get_by_role("tabpanel").locator(".sitrep-cite")
    brief_sources.first.click()
    expect(page.get_by_role("tabpanel").locator("#sitrep-selected")).to_be_visible()
    snap(page, "brief")


def test_no_request_leaves_the_origin(page: Page, site: Site) -> None:
    ask(page, "What is China concerned about?")
    page.locator(".sitrep-cite").first.click()
    expect(page.locator("#sitrep-selected")).to_be_visible()
    page.get_by_role("tab", name="Library").click()
    expect(page.locator("#sitrep-library")).to_contain_text("Russia North Korea")
    page.get_by_role("tab", name="Brief").click()
    expect(page.get_by_role("tabpanel")).to_be_visible()
    page.wait_for_timeout(500)  # let late assets (fonts, lazy chunks) be requested
    assert any(url.startswith(site.url) for url in site.requests)
    elsewhere = {url for url in site.requests
                 if urlparse(url).netloc != urlparse(site.url).netloc
                 and not url.startswith(("data:", "blob:"))}
    assert not elsewhere


# ---- rendering and library logic, without a browser --------------------------------------

def test_document_text_is_escaped_and_marked_at_offsets() -> None:
    text = "Intro <script>alert(1)</script>. The ${value} is {{ value }}. End."
    start = text.index("The")
    end = text.index("End") - 1
    html = document_html({"n": 2, "doc_id": "d", "title": "<T>", "source": "s.txt",
                          "start": start, "end": end}, text)
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "${" not in html and "{{" not in html and "<T>" not in html
    assert 'id="sitrep-selected"' in html and html.count("<mark") == 1
    assert document_html({"n": 1, "doc_id": "d", "start": 0, "end": 1}, None).count(
        'role="alert"') == 1


def test_sources_show_whatever_tradecraft_fields_exist() -> None:
    plain = sources_html([{"n": 1, "title": "A", "section": "S", "sentence": "x"}])
    assert "grade" not in plain and "[1]" in plain
    rich = sources_html([{"n": 1, "title": "A", "sentence": "x", "date": "2024-11-01",
                          "reliability": "B", "credibility": 2, "claim_type": "direct_quote"}],
                        selected=1)
    assert "2024-11-01" in rich and "B2" in rich and "direct quote" in rich
    assert 'aria-current="true"' in rich
    assert escape("{`$}") == "&#123;&#96;&#36;&#125;"


def test_unusable_upload_is_taken_back_out(tmp_path: Path) -> None:
    settings = make_settings(tmp_path / "index", docs_dir=tmp_path / "docs")
    index = Index(settings)
    empty = tmp_path / "empty.txt"
    empty.write_text("")
    odd = tmp_path / "notes.docx"
    odd.write_text("x")
    report = add_files(index, settings.docs_dir, [empty, odd])
    assert not report.added and len(report.errors) == 2
    assert list(settings.docs_dir.iterdir()) == [] and index.documents() == []
    # A different file under a name already in the library is refused; the first one stays.
    first, second = tmp_path / "a" / "note.txt", tmp_path / "b" / "note.txt"
    for path, text in ((first, "The first note names Riga."), (second, "Another note.")):
        path.parent.mkdir()
        path.write_text(text)
    assert add_files(index, settings.docs_dir, [first]).added == ["note.txt"]
    clash = add_files(index, settings.docs_dir, [second])
    assert not clash.added and "already in the library" in clash.errors[0]
    assert (settings.docs_dir / "note.txt").read_text() == "The first note names Riga."
    assert [r.title for r in index.documents()] == ["Note"]


def test_restored_conversation_is_checked() -> None:
    """The saved conversation comes back from the browser: malformed parts are dropped."""
    from rag.ui import Conversation

    answer = {"answer": "About 12,000 [1]", "citations": [
        {"n": 1, "doc_id": "d", "start": 0, "end": 5, "sentence": "12,000"}]}
    convo = Conversation([{"role": "user", "content": "q"},
                          {"role": "assistant", "content": "About 12,000 [1]"}],
                         [{"role": "user", "content": "q"}], {1: answer})
    assert Conversation.from_json(convo.to_json()).answers == {1: answer}
    forged = convo.to_json().replace('"start": 0', '"start": "<script>"')
    assert Conversation.from_json(forged).answers == {}
    assert Conversation.from_json('{"messages": [{"role": "system", "content": "x"}]}') \
        == Conversation()
    assert Conversation.from_json("not json") == Conversation()
