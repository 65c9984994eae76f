"""The Gradio UI in a real headless Chromium against a real server (uvicorn on 127.0.0.1).

The server runs `app.create_app` in a thread over its own tmp copy of docs/ and its own index,
so uploads and removals never touch the repository. Every request the browser makes is
recorded; requests to any other origin are blocked and fail the offline test.
Set SITREP_UPDATE_SCREENSHOTS=1 to refresh the README images in tests/screenshots/.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

import pytest
from playwright.sync_api import Browser, Page, expect

from rag.ingest.store import Index
from rag.serve.library import REMOVED_DIR, UPLOADS_DIR, add_files
from rag.serve.ui_render import document_html, escape, sources_html, tidy_quotes

from .conftest import ROOT, make_settings
from .serving import serve_library
from .shots import snap_element

pytestmark = [pytest.mark.integration, pytest.mark.browser]
# Answers take well under a second, but 2 shared cores under load can stretch that a lot.
expect.set_options(timeout=30_000)

SCREENSHOTS = ROOT / "tests" / "screenshots"
NO_QUESTION = "Type a question first."
UPLOAD = """---
title: Baltic Star ferry incident
source: Tallinn Harbour Office
date: 2026-11-20
reliability: B
credibility: 2
---
# Baltic Star ferry incident

The Baltic Star ferry carried **412 passengers** when it docked in Tallinn on Tuesday.
Port officials said the crossing took eleven hours because of a storm.

## Harbour log

- Markup such as <b>this</b> and {{value}} must show as plain text.
- Two tugboats guided the ferry to berth 6 after midnight.
"""
RESTRICTED = """---
title: Operation Nightjar
access: [intel]
---
Operation Nightjar moved 7,431 crates of ammunition through Rason in October.
"""
# Two reports for a library that starts empty (the example-chip test).
RED_SEA = """---
title: Red Sea shipping update
source: Maritime Security Desk
date: 2026-01-12
---
# Red Sea shipping update

Houthi forces attacked 23 merchant vessels in the southern Red Sea between November and January.
Vice Admiral Brad Cooper visited Djibouti to coordinate the naval escort mission.
Maersk suspended all transits through the Bab el-Mandeb Strait after one of its container ships
was hit by a drone.
"We will not send our crews into harm's way while the attacks continue," Vincent Clerc said.

## Rerouting

Shipping analysts estimate that about 300 container ships now sail around the Cape of Good Hope.
The detour adds ten days to a voyage from Shanghai to Rotterdam.
Egypt is worried about lost Suez Canal revenue, which fell by half in January.
"""
SVALBARD = """---
title: Svalbard polar bear survey
source: Polar Field Office
date: 2026-03-02
---
# Svalbard polar bear survey

The Norwegian Polar Institute counted 412 polar bears on Svalbard during the spring survey.
Dr. Ingrid Solberg led the survey team from a base in Longyearbyen.
The survey used two helicopters and a research vessel.
"The population is stable, but sea ice is retreating earlier every year," Solberg said.
Scientists fear that shrinking sea ice will push more bears onto land near settlements.
"""
# Words only a question about that report would use.
RED_SEA_WORDS = ("Djibouti", "Egypt", "Clerc", "Houthi", "merchant", "container", "shipping",
                 "Maersk", "Cooper")
SVALBARD_WORDS = ("polar", "bears", "Solberg", "survey", "Institute", "helicopters",
                  "scientists", "Svalbard")


@dataclass
class Site:
    """A running app: its base URL, its docs folder, and every URL the browser asked for."""

    url: str
    docs_dir: Path
    requests: list[str] = field(default_factory=list)


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Site:
    root = tmp_path_factory.mktemp("ui")
    with serve_library(root, {"nightjar.md": RESTRICTED}) as url:
        yield Site(url, root / "docs")


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


def chips(page: Page):
    """The chat's example question chips."""
    return page.locator("#sitrep-chat button.example")


def chip_texts(page: Page) -> list[str]:
    return [t.strip() for t in chips(page).all_inner_texts()]


def about(question: str, words: tuple[str, ...]) -> bool:
    return any(w.lower() in question.lower() for w in words)


def upload(page: Page, path: Path) -> None:
    """Add a file in the Library tab and wait until it is in the index."""
    page.get_by_role("tab", name="Library").click()
    page.locator("#sitrep-upload input[type=file]").set_input_files(str(path))
    expect(page.locator("#sitrep-library-status")).to_contain_text(f"Added {path.name}")


def ask(page: Page, question: str) -> None:
    """Type a question, press Enter, wait for its reply to arrive."""
    replies = page.locator("[data-testid=bot]")
    before = replies.count()
    box = page.get_by_role("textbox", name="Question", exact=True)
    box.fill(question)
    box.press("Enter")
    expect(replies).to_have_count(before + 1)


def page_scroll(page: Page) -> float:
    """How far the page (not a pane inside it) is scrolled down."""
    return page.evaluate("document.scrollingElement.scrollTop")


def snap(page: Page, name: str) -> None:
    """Screenshot for the README, only when asked to refresh them."""
    if os.environ.get("SITREP_UPDATE_SCREENSHOTS") == "1":
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.wait_for_timeout(1500)  # let Gradio's fade-in of updated components finish
        page.screenshot(path=str(SCREENSHOTS / f"{name}.png"))


# ---- browser tests ---------------------------------------------------------------------------

def test_answer_cites_and_highlights(page: Page) -> None:
    ask(page, "Who visited North Korea?")
    expect(page.locator("[data-testid=bot]").last).to_contain_text("Shoigu")
    first = page.locator(".sitrep-cite").first
    expect(first).to_contain_text("Shoigu")
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
    # The pane fits in the window below its top: all of it on screen, nothing cut off.
    assert page.locator(".sitrep-doc-body").evaluate(
        "pane => pane.getBoundingClientRect().bottom <= window.innerHeight")
    snap(page, "document")
    # The [2] in the answer text is a link to source 2. It scrolls the document pane only:
    # the page stays put, its header in view.
    second = page.locator(".sitrep-cite").nth(1).locator(".sitrep-quote").inner_text()
    page.locator("[data-testid=bot]").last.get_by_role("link", name="[2]").first.click()
    expect(mark).to_contain_text(second.strip("“”\""))
    expect(page.locator(".sitrep-cite").nth(1)).to_have_attribute("aria-current", "true")
    expect(mark).to_be_in_viewport()
    assert page_scroll(page) == 0
    expect(page.locator("#sitrep-header")).to_be_in_viewport()
    # The conversation belongs to this browser tab and survives a reload.
    page.reload()
    expect(page.locator("[data-testid=bot]")).to_have_count(1)
    expect(page.locator("[data-testid=bot]")).to_contain_text("Shoigu")
    page.locator("[data-testid=bot]").get_by_role("link", name="[1]").first.click()
    expect(mark).to_contain_text(cited)


def test_example_chips_are_about_the_documents_the_caller_may_see(page: Page) -> None:
    """On the shipped article the chips ask about it (made from its sentences, each one the
    engine answers); the intel-only Nightjar report never lends a chip to an anonymous caller."""
    expect(chips(page)).to_have_count(4)
    shown = chip_texts(page)
    assert "Who visited North Korea?" in shown, shown
    assert not any(about(q, ("Nightjar", "crates", "Rason")) for q in shown), shown
    expect(page.get_by_role("textbox", name="Question", exact=True)).to_have_attribute(
        "placeholder", f"e.g. {shown[0]}")
    snap(page, "examples")


def test_example_chips_follow_the_library(chromium: Browser, tmp_path: Path) -> None:
    """A library that starts empty offers no chips and says how to fill it; after one report
    is uploaded the chips ask about it, and after a second (newer) one, about both, the newest
    first. A chip asks its question and gets an answer from its report, not an abstention."""
    red_sea, svalbard = tmp_path / "red-sea.md", tmp_path / "svalbard.md"
    red_sea.write_text(RED_SEA, encoding="utf-8")
    svalbard.write_text(SVALBARD, encoding="utf-8")
    with serve_library(tmp_path / "site", {}, shipped=False) as url:
        context = chromium.new_context(viewport={"width": 1360, "height": 900})
        page = context.new_page()
        page.goto(url + "/")
        chat = page.locator("#sitrep-chat")
        expect(chat).to_contain_text("The library is empty")
        page.wait_for_timeout(500)  # the load events have settled: still no chips
        expect(chips(page)).to_have_count(0)

        upload(page, red_sea)
        page.get_by_role("tab", name="Chat").click()
        expect(chips(page).first).to_be_visible()
        first = chip_texts(page)
        assert 1 <= len(first) <= 4 and all(about(q, RED_SEA_WORDS) for q in first), first
        expect(chat).not_to_contain_text("The library is empty")

        upload(page, svalbard)
        page.get_by_role("tab", name="Chat").click()
        expect(chips(page).first).not_to_have_text(first[0])
        both = chip_texts(page)
        assert len(both) == 4 and about(both[0], SVALBARD_WORDS), both
        assert any(about(q, RED_SEA_WORDS) for q in both), both
        # A fresh page of the same library shows the same chips (made once, then cached).
        page.reload()
        expect(chips(page)).to_have_count(4)
        assert chip_texts(page) == both

        chips(page).first.click()
        reply = page.locator("[data-testid=bot]").last
        expect(reply).to_be_visible()
        expect(reply).not_to_contain_text("do not say")
        expect(page.locator(".sitrep-cite").first).to_contain_text("Svalbard polar bear survey")
        context.close()


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
    uploaded = site.docs_dir / UPLOADS_DIR / "baltic-star.md"  # an anonymous caller's folder
    assert uploaded.read_text(encoding="utf-8") == UPLOAD
    snap(page, "library")

    page.get_by_role("tab", name="Chat").click()
    ask(page, "How many passengers did the Baltic Star carry?")
    expect(page.locator("[data-testid=bot]").last).to_contain_text("412")
    source = page.locator(".sitrep-cite", has_text="Baltic Star ferry incident").first
    # The document's first heading is its title: the card names it once. Its quote shows
    # bold words as bold, not as Markdown.
    expect(source.locator(".sitrep-cite-where")).to_have_text("Baltic Star ferry incident")
    expect(source.locator(".sitrep-quote strong")).to_have_text("412 passengers")
    expect(source.locator(".sitrep-quote")).not_to_contain_text("**")
    source.click()
    expect(page.locator("#sitrep-selected")).to_contain_text("412 passengers")
    # The Markdown is rendered: no front matter or syntax, headings, list items and bold as
    # such; the cited sentence is marked across its bold words.
    body = page.locator(".sitrep-doc-body")
    expect(body.get_by_role("heading", name="Harbour log")).to_be_visible()
    expect(body.locator("li")).to_have_count(2)
    expect(page.locator("#sitrep-selected strong")).to_have_text("412 passengers")
    for syntax in ("reliability", "Tallinn Harbour Office", "---", "#", "**"):
        expect(body).not_to_contain_text(syntax)
    # Document text is data: markup in it shows as text instead of rendering.
    expect(body).to_contain_text("<b>this</b> and {{value}}")
    expect(body.locator("b")).to_have_count(0)
    snap(page, "markdown")

    # Removing asks first, naming the document; "Cancel" keeps it.
    page.get_by_role("tab", name="Library").click()
    status = page.locator("#sitrep-library-status")
    page.get_by_label("Document to remove").click()
    page.get_by_role("option", name="Baltic Star ferry incident").click()
    page.get_by_role("button", name="Remove from library").click()
    confirm = page.locator("#sitrep-remove-confirm")
    expect(confirm).to_contain_text("Remove Baltic Star ferry incident (uploads/baltic-star.md)")
    page.get_by_role("button", name="Cancel").click()
    expect(confirm).to_be_hidden()
    expect(status).to_contain_text("Nothing was removed")
    expect(table).to_contain_text("Baltic Star")
    assert uploaded.exists()
    page.get_by_role("button", name="Remove from library").click()
    page.get_by_role("button", name="Yes, remove it").click()
    expect(status).to_contain_text("Removed")
    expect(confirm).to_be_hidden()
    expect(table).not_to_contain_text("Baltic Star")
    assert not uploaded.exists()
    assert (site.docs_dir / REMOVED_DIR / UPLOADS_DIR / "baltic-star.md").exists()
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
    expect(page.get_by_role("tabpanel").locator("#sitrep-selected")).to_be_in_viewport()
    assert page_scroll(page) == 0  # the pane scrolled to the sentence, not the page
    snap_element(page.get_by_role("tabpanel"), "brief")


def test_brief_downloads_as_word_and_markdown(page: Page, tmp_path: Path) -> None:
    """The Brief tab's download buttons give the brief on screen as .docx and .md files."""
    import docx

    page.get_by_role("tab", name="Brief").click()
    page.get_by_role("button", name="Write brief").click()
    expect(page.locator("#sitrep-brief")).to_contain_text("Sources")
    files = {}
    for name, suffix in (("Download Word (.docx)", ".docx"), ("Download Markdown", ".md")):
        with page.expect_download() as download:
            page.get_by_role("button", name=name).click()
        files[suffix] = tmp_path / f"brief{suffix}"
        download.value.save_as(files[suffix])
    headings = [p.text for p in docx.Document(str(files[".docx"])).paragraphs
                if p.style.name == "Title" or p.style.name.startswith("Heading")]
    page_md = files[".md"].read_text(encoding="utf-8")
    assert headings == [line.lstrip("#").strip() for line in page_md.splitlines()
                        if line.startswith("#")]
    assert "Bottom line" in headings and "Nightjar" not in page_md


def test_empty_question_says_so_and_leaves_the_chat_usable(page: Page) -> None:
    """Enter on an empty question shows the server's message; no "Error" badges stay over the
    chat to hide the next answer or catch clicks meant for it."""
    page.get_by_role("textbox", name="Question", exact=True).press("Enter")
    expect(page.get_by_text(NO_QUESTION)).to_be_visible()
    expect(page.locator("[data-testid=user]")).to_have_count(0)  # nothing was posted
    page.wait_for_timeout(1000)  # (the badges showed once the failed event settled)
    expect(page.get_by_text("Error", exact=True).filter(visible=True)).to_have_count(0)
    ask(page, "Who visited North Korea?")
    reply = page.locator("[data-testid=bot]").last
    expect(reply).to_be_visible()
    expect(reply).to_contain_text("Shoigu")
    reply.get_by_role("link", name="[1]").first.click()  # clicks reach the answer
    expect(page.locator("#sitrep-selected")).to_be_visible()


def test_bold_text_is_set_in_one_bold_face(page: Page) -> None:
    """Every letter of bold text comes from the theme's bold face (Gradio's SemiBold files
    hold only a few letters, so "Approximately" mixed two fonts); served from this origin."""
    ask(page, "Who visited North Korea?")
    bold = [page.locator("#sitrep-header h1"), page.locator(".sitrep-cite-where").first]
    if page.locator("[data-testid=bot] strong").count():
        bold.append(page.locator("[data-testid=bot] strong").first)
    for element in bold:
        expect(element).to_be_visible()
        assert int(element.evaluate("el => getComputedStyle(el).fontWeight")) >= 600
        # A letter missing from the face falls back to the next family in the list, so its
        # width then depends on that fallback: monospace and serif disagree.
        missing = element.evaluate("""async (el) => {
            await document.fonts.ready;
            const style = getComputedStyle(el);
            const family = style.fontFamily.split(',')[0];
            const width = (ch, fallback) => {
                const probe = document.createElement('span');
                probe.textContent = ch;
                probe.style.cssText = 'position:absolute;white-space:pre;font:'
                    + `${style.fontWeight} 40px ${family}, ${fallback}`;
                document.body.appendChild(probe);
                const w = probe.getBoundingClientRect().width;
                probe.remove();
                return w;
            };
            const letters = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
            return [...letters].filter(ch => width(ch, 'monospace') !== width(ch, 'serif'));
        }""")
        assert missing == [], (element, missing)
    faces = page.evaluate("""[...document.fonts].filter(f => f.status === 'loaded')
                             .map(f => [f.family.replace(/["']/g, ''), f.weight])""")
    assert ["Source Sans Pro", "700"] in faces and ["Source Sans Pro", "600"] not in faces


def test_a_quotation_keeps_its_own_quote_marks(page: Page) -> None:
    """A sentence that opens with a quote mark is not wrapped in another (no “"… or ““…)."""
    ask(page, "What did Shoigu say to his Korean friends?")
    quotes = page.locator(".sitrep-cite .sitrep-quote")
    expect(quotes.first).to_be_visible()
    # What a reader sees: the text, after any quote mark the browser draws before it (<q>).
    shown = quotes.evaluate_all("""qs => qs.map(q => {
        const before = getComputedStyle(q, '::before').content;
        const drawn = before === 'open-quote' ? getComputedStyle(q).quotes !== 'none'
                      : before !== 'none' && before !== 'normal' && before !== '""';
        return (drawn ? '“' : '') + q.innerText; })""")
    assert any(q.startswith("“I would like to express my gratitude") for q in shown), shown
    doubled = re.compile(r"[“\"‘'][“\"‘']")
    assert not [q for q in shown if doubled.match(q)], shown
    assert not doubled.search(page.locator("[data-testid=bot]").last.inner_text())


def test_no_developer_chrome(page: Page) -> None:
    """No Gradio footer (API, Settings), no "</>" icons on the panels, one clear control."""
    ask(page, "Who visited North Korea?")
    for text in ("Use via API", "Settings", "Built with Gradio"):
        expect(page.get_by_text(text)).to_have_count(0)
    expect(page.locator("footer:visible")).to_have_count(0)
    for label in ("Sources", "Document"):
        expect(page.locator(".sitrep-panel [data-testid=block-label]", has_text=label)
               ).to_be_visible()
    expect(page.locator(".sitrep-panel [data-testid=block-label] svg:visible")).to_have_count(0)
    expect(page.locator("#sitrep-chat").get_by_role("button", name="Clear")).to_have_count(0)
    page.get_by_role("button", name="New conversation").click()
    expect(page.locator("[data-testid=bot]")).to_have_count(0)


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


def test_markdown_document_is_rendered_with_marks_at_offsets() -> None:
    text = ("---\ntitle: Port report\nreliability: B\n---\n# Port report\n\n"
            "The ferry carried **412 passengers** on\nTuesday. A storm *slowed* it.\n\n"
            "## Log\n\n- First `item` <img src=x onerror=alert(1)>.\n- See [the map](javascript:x)"
            " and ![chart](https://example.com/c.png).\n\n> Quoted words.\n")
    first = text.index("The ferry")
    second = text.index("A storm")
    html = document_html({"n": 1, "doc_id": "d", "title": "Port report", "source": "r.md",
                          "start": first, "end": second - 1},
                         text, [{"n": 2, "doc_id": "d", "start": second,
                                 "end": text.index("it.") + 3}])
    assert "reliability" not in html and "---" not in html and "#" not in html
    # The first heading only repeats the title, which the pane's heading shows.
    assert html.count(">Port report<") == 1 and "<h3" not in html
    assert "<h4" in html and html.count("<li>") == 2 and "<blockquote>" in html
    assert ('id="sitrep-selected" tabindex="-1">The ferry carried <strong>412 passengers'
            '</strong> on\nTuesday.<sup class="sitrep-mark-n">[1]</sup></mark>') in html
    assert 'data-n="2">A storm <em>slowed</em> it.<sup' in html
    # Nothing from the text becomes markup or loads anything: no <img>, no link, no script.
    assert "<img" not in html and "&lt;img src=x" in html and "<a " not in html
    assert "https://example.com" not in html and "chart" in html
    assert 'title="javascript:x"' in html and "<code>item</code>" in html
    # Plain text stays as it is; the same file as Markdown loses its syntax.
    plain = document_html({"n": 1, "doc_id": "d", "source": "r.txt", "start": first,
                           "end": second - 1}, text)
    assert "sitrep-doc-plain" in plain and "**412 passengers**" in plain
    assert "reliability: B" in plain


def test_quotations_and_titles_are_not_repeated() -> None:
    card = sources_html([{"n": 1, "title": "Port report", "section": "Port Report",
                          "sentence": "“We never lost power,” the captain said."},
                         {"n": 2, "title": "Port report", "section": "Log", "sentence": "x."}])
    assert "Port report · Port Report" not in card and "Port report · Log" in card
    assert "“We never lost power,” the captain said.</q>" in card and "“x.”" in card
    marked = sources_html([{"n": 1, "source": "r.md", "sentence": "It had **412** <b>x</b>."},
                           {"n": 2, "source": "r.txt", "sentence": "It had **412**."}])
    assert "“It had <strong>412</strong> &lt;b&gt;x&lt;/b&gt;.”" in marked
    assert "“It had **412**.”" in marked
    answer = ('- “"We never lost power," the captain said.” — Port report [1]\n'
              "- “x.” — Port report [2]\nThe sources say “estimate” [1]")
    assert tidy_quotes(answer) == ('- "We never lost power," the captain said. — Port report '
                                   '[1]\n- “x.” — Port report [2]\nThe sources say “estimate” [1]')
    # The answer's own texts are written from its fields: tests/test_render.py.


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
    from rag.serve.ui import Conversation

    answer = {"answer": "About 12,000 [1]", "citations": [
        {"n": 1, "doc_id": "d", "start": 0, "end": 5, "sentence": "12,000"}],
        "bottom_line": [{"value": "About 12,000", "cites": [1]}]}
    convo = Conversation([{"role": "user", "content": "q"},
                          {"role": "assistant", "content": "About 12,000 [1]"}],
                         [{"role": "user", "content": "q"}], {1: answer})
    assert Conversation.from_json(convo.to_json()).answers == {1: answer}
    forged = convo.to_json().replace('"start": 0', '"start": "<script>"')
    assert Conversation.from_json(forged).answers == {}
    # The answer is written from its fields (rag.answer.render): a forged or missing bottom line is
    # dropped with the rest of the answer.
    forged = convo.to_json().replace('"cites": [1]', '"cites": ["<script>"]')
    assert Conversation.from_json(forged).answers == {}
    older = convo.to_json().replace('"bottom_line"', '"saved_before"')
    assert Conversation.from_json(older).answers == {}
    assert Conversation.from_json('{"messages": [{"role": "system", "content": "x"}]}') \
        == Conversation()
    assert Conversation.from_json("not json") == Conversation()

