"""What an analyst does every day, in real headless Chromium against a real server: grade a
document that has no front matter in the Library, see the grade reach its citations and the
confidence line at once; upload with a per-file status while the table stays in view; read an
answer whose quotes appear once; use the chat on a 390-px phone screen.
Set SITREP_UPDATE_SCREENSHOTS=1 to refresh the README images in tests/screenshots/.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from rag.ingest.doc_metadata import FILE_NAME

from .conftest import ROOT
from .serving import serve_library
from .shots import snap_element
from .test_ui import ask

pytestmark = [pytest.mark.integration, pytest.mark.browser]
expect.set_options(timeout=30_000)

SCREENSHOTS = ROOT / "tests" / "screenshots"
REPORT = """Harbour traffic report

The Kessling ferry terminal handled 3,210 vehicles during the March storm week.
Officials said two berths stayed closed for repairs until Friday.
"""


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """The app over docs/ plus a plain-text report (no front matter: nothing graded)."""
    root = tmp_path_factory.mktemp("analyst")
    with serve_library(root, {"kessling-traffic.txt": REPORT}) as url:
        yield url, root


def open_page(chromium: Browser, url: str, width: int = 1360, height: int = 900) -> Page:
    """A fresh session on the app; any request to another origin is aborted."""
    context = chromium.new_context(viewport={"width": width, "height": height})
    context.route(lambda u: not u.startswith(url + "/"), lambda route: route.abort())
    tab = context.new_page()
    tab.set_default_timeout(30_000)
    tab.goto(url + "/")
    return tab


def snap(page: Page, name: str) -> None:
    if os.environ.get("SITREP_UPDATE_SCREENSHOTS") == "1":
        page.wait_for_timeout(1500)  # Gradio fades updated components in
        page.screenshot(path=str(SCREENSHOTS / f"{name}.png"))


def choose(page: Page, label: str, option: str) -> None:
    page.get_by_label(label).click()
    page.get_by_role("option", name=option).click()


def test_grade_a_plain_text_document_in_the_library(chromium: Browser, site) -> None:
    url, root = site
    page = open_page(chromium, url)
    question = "How many vehicles did the Kessling ferry terminal handle?"
    ask(page, question)
    card = page.locator(".sitrep-cite", has_text="3,210").first
    expect(card).to_contain_text("ungraded")

    page.get_by_role("tab", name="Library").click()
    page.get_by_text("Source and grade of a document").click()
    choose(page, "Document to grade", "Harbour traffic report (kessling-traffic.txt)")
    form = page.locator("#sitrep-grades")
    status = page.locator("#sitrep-grades-status")
    expect(status).to_contain_text("Editing Harbour traffic report")  # its current values loaded
    form.get_by_label("Source (publisher)").fill("Kessling Port Authority")
    date = form.get_by_label("Date")
    date.fill("2025-13-40")  # refused: the form keeps what was typed
    choose(page, "Reliability of the source", "B — usually reliable")
    choose(page, "Credibility of the information", "2 — probably true")
    form.get_by_role("button", name="Save source and grade").click()
    expect(status).to_contain_text("Not saved: date: '2025-13-40' is not a date")
    expect(form.get_by_label("Source (publisher)")).to_have_value("Kessling Port Authority")
    assert not (root / "index" / FILE_NAME).exists()  # nothing written
    date.fill("2025-03-14")
    form.get_by_role("button", name="Save source and grade").click()
    expect(status).to_contain_text("Saved for Harbour traffic report")
    row = page.locator("#sitrep-library").get_by_role(
        "row", name=re.compile("^Harbour traffic report"))
    for shown in ("Kessling Port Authority", "2025-03-14", "B2"):
        expect(row).to_contain_text(shown)
    snap_element(page.get_by_role("tabpanel"), "grades")
    stored = json.loads((root / "index" / FILE_NAME).read_text(encoding="utf-8"))
    assert list(stored.values()) == [{"credibility": 2, "date": "2025-03-14",
                                      "reliability": "B", "source": "Kessling Port Authority"}]

    # At once: the next answer's card carries the grade, the confidence line the publisher.
    page.get_by_role("tab", name="Chat").click()
    ask(page, question)
    card = page.locator(".sitrep-cite", has_text="3,210").first
    expect(card).to_contain_text("B2")
    expect(card).to_contain_text("2025-03-14")
    reply = page.locator("[data-testid=bot]").last
    expect(reply).to_contain_text("Kessling Port Authority, B2")
    expect(reply).not_to_contain_text(".txt")

    # Restore original: the edits go, the form and the table show what the file says again.
    page.get_by_role("tab", name="Library").click()
    form.get_by_role("button", name="Restore original").click()
    expect(status).to_contain_text("Restored what its file says for Harbour traffic report")
    expect(form.get_by_label("Source (publisher)")).to_have_value("")
    expect(form.get_by_label("Date")).to_have_value("")
    expect(row).not_to_contain_text("Kessling Port Authority")
    expect(row).not_to_contain_text("B2")
    assert json.loads((root / "index" / FILE_NAME).read_text(encoding="utf-8")) == {}
    page.get_by_role("tab", name="Chat").click()
    ask(page, question)
    expect(page.locator(".sitrep-cite", has_text="3,210").first).to_contain_text("ungraded")
    page.context.close()


def test_upload_shows_each_file_and_keeps_the_table(chromium: Browser, site,
                                                    tmp_path: Path) -> None:
    url, _ = site
    page = open_page(chromium, url)
    files = []
    for n in range(2):
        path = tmp_path / f"convoy-{n}.md"
        path.write_text(f"# Convoy {n}\n\n" + " ".join(
            f"Convoy {n} logged stop {i} at the depot after {i + 2} hours." for i in range(60)),
            encoding="utf-8")
        files.append(str(path))
    page.get_by_role("tab", name="Library").click()
    table = page.locator("#sitrep-library")
    expect(table).to_contain_text("Harbour traffic report")
    page.locator("#sitrep-upload input[type=file]").set_input_files(files)
    status = page.locator("#sitrep-library-status")
    expect(status).to_contain_text("Adding 2 files")
    for n in range(2):
        expect(status).to_contain_text(f"convoy-{n}.md")
    expect(table).to_be_visible()  # no progress overlay over the table
    expect(table).to_contain_text("Harbour traffic report")
    expect(page.get_by_text("0.0%")).to_have_count(0)
    expect(status).to_contain_text("Added convoy-0.md, convoy-1.md", timeout=120_000)
    expect(table).to_contain_text("Convoy 1")


def test_answer_shows_each_quote_once(chromium: Browser, site) -> None:
    url, _ = site
    page = open_page(chromium, url)
    ask(page, "How many troops?")
    reply = page.locator("[data-testid=bot]").last
    expect(reply).to_contain_text("12,000")
    cards = page.locator(".sitrep-cite .sitrep-quote")
    expect(cards.first).to_be_visible()
    for quote in cards.all_inner_texts():
        sentence = quote.strip("“”")
        assert sentence not in reply.inner_text()  # on its card only
    expect(reply.get_by_role("link", name="[2]")).to_have_count(1)  # every source linked
    expect(reply).to_contain_text("Confidence: low — one source (Russia North Korea")


def test_phone_layout(chromium: Browser, site) -> None:
    """At 390×844 the sources are on the first screen below the chat, and nothing is wider
    than the screen."""
    url, _ = site
    page = open_page(chromium, url, 390, 844)
    ask(page, "Who visited North Korea?")
    sources = page.locator(".sitrep-cite").first
    expect(sources).to_be_visible()
    box = sources.bounding_box()
    assert box is not None and box["y"] + 40 <= 844, box  # its number and title show
    assert page.evaluate("document.scrollingElement.scrollTop") == 0
    wide = page.evaluate("""() => [...document.querySelectorAll('body *')]
        .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1
                     && getComputedStyle(e).visibility !== 'hidden'
                     && e.getClientRects().length)
        .map(e => e.tagName + '.' + e.className).slice(0, 5)""")
    assert page.evaluate("document.scrollingElement.scrollWidth") <= 390, wide
    snap(page, "phone")
    sources.click()
    expect(page.locator("#sitrep-selected")).to_be_visible()
