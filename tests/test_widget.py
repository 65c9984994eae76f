"""The embeddable widget in real headless Chromium, on host pages served from other origins than
the API: it answers with citations, is keyboard usable, refuses disallowed origins, keeps
hostile document text inert, and sends no request outside the two origins."""

from __future__ import annotations

import os
import re
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect, sync_playwright

import app as sitrep_app
from rag.serve.api import WIDGET
from tests.serving import (
    OPS_TOKEN,
    ROOT,
    XSS_SENTENCE,
    Server,
    StaticServer,
    api_settings,
    corpus_engine,
    free_port,
)
from tests.shots import wanted, whole_lines

pytestmark = [pytest.mark.integration, pytest.mark.browser]

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
# The host page fights back: its CSS must not reach inside the widget.
HOST_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Intranet: Eastern Europe desk</title>
<style>
  body {{ font: 16px/1.5 Georgia, serif; margin: 0; background: #eef1f4; color: #222; }}
  header {{ background: #22313f; color: #fff; padding: 18px 32px; font-size: 22px; }}
  main {{ max-width: 720px; margin: 28px 32px; }}
  button {{ display: none !important; }}
  * {{ letter-spacing: 3px; }}
  .card {{ background: #fff; padding: 16px 20px; border-radius: 6px; margin-bottom: 16px; }}
</style></head>
<body><header>Eastern Europe desk · intranet</header>
<main><div class="card"><h2>Morning reading</h2><p>Situation reports are filed by 09:00.
Use the Sitrep panel in the corner to ask about the current document set.</p></div>
<div class="card"><h2>Contacts</h2><p>Duty officer: ext. 4410.</p></div></main>
<script src="{api}/widget.js" data-title="Ask Sitrep" data-accent="{accent}"
        data-position="bottom-right" {base} data-token="{token}"></script>
</body></html>
"""


@pytest.fixture(scope="module")
def sites(tmp_path_factory):
    """(api, allowed host page URL, refused host page URL): three loopback origins."""
    folder = tmp_path_factory.mktemp("host")
    allowed_port, refused_port = free_port(), free_port()
    engine = corpus_engine()
    settings = api_settings(engine, cors_origins=(f"http://127.0.0.1:{allowed_port}",))
    with Server(sitrep_app.create_app(settings, engine)) as api:
        # light.html leaves data-api-base out: the widget must use its script's origin.
        for name, accent, base in (("index.html", "#0b6e4f", f'data-api-base="{api.url}"'),
                                   ("light.html", "#ffd33d", "")):
            (folder / name).write_text(HOST_PAGE.format(api=api.url, token=OPS_TOKEN,
                                                        accent=accent, base=base))
        with StaticServer(folder, allowed_port) as allowed, \
                StaticServer(folder, refused_port) as refused:
            yield api, allowed.url + "/index.html", refused.url + "/index.html"


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path="/usr/bin/chromium",
                                              args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, sites):
    """A page that records every request URL and every dialog the page tries to open."""
    context = browser.new_context(viewport={"width": 1100, "height": 760})
    page = context.new_page()
    page.requests, page.dialogs = [], []
    page.on("request", lambda request: page.requests.append(request.url))
    page.on("dialog", lambda dialog: (page.dialogs.append(dialog.message), dialog.dismiss()))
    yield page
    origins = {f"{urlsplit(u).scheme}://{urlsplit(u).netloc}" for u in (sites[1], sites[2])}
    origins.add(sites[0].url)
    outside = [u for u in page.requests if f"{urlsplit(u).scheme}://{urlsplit(u).netloc}"
               not in origins]
    context.close()
    assert outside == []  # nothing leaves the host page's and the API's origins


def ask(page, question: str):
    page.get_by_label("Your question").fill(question)
    page.get_by_label("Your question").press("Enter")


def open_and_ask(page, url: str, question: str):
    """Load the host page at `url`, open the widget and ask `question`."""
    page.goto(url)
    page.get_by_role("button", name="Open Ask Sitrep").click()
    ask(page, question)


def test_widget_answers_with_numbered_citations_from_another_origin(page, sites):
    page.goto(sites[1])
    launcher = page.get_by_role("button", name="Open Ask Sitrep")
    expect(launcher).to_be_visible()  # the host's `button {display:none}` does not reach it
    launcher.click()
    panel = page.get_by_role("dialog", name="Ask Sitrep")
    expect(panel).to_be_visible()
    ask(page, "How many troops?")
    answer = page.locator(".msg.bot").last
    expect(answer).to_contain_text("12,000", timeout=60_000)
    sources = answer.locator(".sources li")
    assert sources.count() >= 1
    expect(sources.first).to_contain_text("[1]")
    expect(sources.first).to_contain_text("12,000")
    quote = sources.first.inner_text().split("“", 1)[1].split("”", 1)[0]
    assert "troops" in quote and answer.inner_text().count(quote) == 1  # each quote once
    letter_spacing = answer.evaluate("node => getComputedStyle(node).letterSpacing")
    assert letter_spacing in ("normal", "0px")  # host `* {letter-spacing}` stays outside
    assert page.locator(".msg.user").last.inner_text() == "How many troops?"
    if os.environ.get("SITREP_UPDATE_SCREENSHOTS") == "1":  # the README's picture
        page.screenshot(path=str(ROOT / "tests" / "screenshots" / "widget.png"))


def test_widget_is_keyboard_and_screen_reader_usable(page, sites):
    page.goto(sites[1])
    page.keyboard.press("Tab")  # the launcher is the page's only focusable control
    focused = "() => document.activeElement.shadowRoot?.activeElement?.getAttribute('aria-label')"
    assert page.evaluate(focused) == "Open Ask Sitrep"
    page.keyboard.press("Enter")
    assert page.evaluate("() => document.activeElement.shadowRoot.activeElement.id") == \
        "sitrep-question"
    log = page.get_by_role("log", name="Conversation")
    assert log.get_attribute("aria-live") == "polite"
    page.keyboard.type("Who visited North Korea?")
    page.keyboard.press("Enter")
    expect(log.locator(".msg.bot")).to_contain_text("Shoigu", timeout=60_000)
    page.keyboard.press("Escape")
    expect(page.get_by_role("dialog")).to_be_hidden()
    assert page.evaluate(focused) == "Open Ask Sitrep"  # focus returns to the launcher
    expect(page.get_by_role("button", name="Open Ask Sitrep")).to_have_attribute(
        "aria-expanded", "false")


def test_citation_marker_opens_the_sentence_in_its_document(page, sites):
    """[n] in an answer is a button: it opens the document the API serves, the cited sentence
    marked by its offsets and scrolled into view inside the panel; Back (or Escape) returns."""
    open_and_ask(page, sites[1], "How many troops?")
    answer = page.locator(".msg.bot").last
    expect(answer).to_contain_text("12,000", timeout=60_000)
    first = answer.locator("p").first.get_by_role("button", name=re.compile(r"^Source 1: "))
    first.click()
    viewer = page.get_by_role("region", name=re.compile(r"^Source 1: "))
    mark = viewer.locator("mark")
    expect(mark).to_have_text(re.compile(r"12,000"))
    expect(page.locator(".log")).to_be_hidden()
    assert any(re.search(r"/api/documents/\w+/text$", u) for u in page.requests)
    inside = mark.evaluate("""m => { const box = m.closest('.vbody').getBoundingClientRect();
        const r = m.getBoundingClientRect();
        return r.top >= box.top && r.bottom <= box.bottom; }""")
    assert inside  # scrolled to inside the document view
    focused = "() => document.activeElement.shadowRoot.activeElement.tagName"
    assert page.evaluate(focused) == "MARK"
    # The text around the mark is the document's own text, the mark exactly the citation.
    text = viewer.locator(".vbody").inner_text()
    assert len(text) > 2000 and mark.inner_text() in text
    if wanted():  # the whole host page, the document view showing whole lines only
        whole_lines(viewer.locator(".vbody"))
        page.screenshot(path=str(ROOT / "tests" / "screenshots" / "widget-source.png"))
    page.keyboard.press("Escape")
    expect(page.locator(".log")).to_be_visible()
    expect(viewer).to_be_hidden()
    assert page.evaluate(focused) == "BUTTON"  # back on the marker that opened it
    # The Sources list's numbers open their sentences too.
    second = answer.locator(".sources li").nth(1)
    second.get_by_role("button", name=re.compile(r"^Source 2: ")).click()
    shown = page.get_by_role("region", name=re.compile(r"^Source 2: ")).locator("mark")
    expect(shown).to_be_visible()
    assert shown.inner_text() in second.inner_text()  # the sentence the list quotes
    page.get_by_role("button", name="Back to the answers").click()
    expect(page.locator(".log")).to_be_visible()


def test_light_accent_and_default_api_base(page, sites):
    page.goto(sites[1].replace("index.html", "light.html"))
    launcher = page.get_by_role("button", name="Open Ask Sitrep")
    colours = launcher.evaluate(
        "b => [getComputedStyle(b).color, getComputedStyle(b).backgroundColor]")
    assert colours == ["rgb(17, 17, 17)", "rgb(255, 211, 61)"]  # dark text on a light accent
    launcher.click()
    ask(page, "How many troops?")
    expect(page.locator(".msg.bot").last).to_contain_text("12,000", timeout=60_000)


def test_each_quote_once_when_the_widget_abstains(page, sites):
    """An abstention's closest evidence is quoted in the Sources list only; its [1] stays."""
    open_and_ask(page, sites[1], "What is the capital of France?")
    answer = page.locator(".msg.bot.abstained").last
    expect(answer).to_contain_text("The sources do not say", timeout=60_000)
    for item in answer.locator(".sources li").all_inner_texts():
        quote = item.split("“", 1)[-1].split("”", 1)[0].strip()
        assert quote and answer.inner_text().count(quote) == 1, answer.inner_text()
    expect(answer.locator("p").get_by_role("button", name=re.compile(r"^Source 1: "))) \
        .to_have_count(1)


def test_disallowed_origin_is_refused(page, sites):
    open_and_ask(page, sites[2], "How many troops?")
    error = page.locator(".msg.error")
    expect(error).to_contain_text("Could not reach Sitrep", timeout=30_000)
    assert page.locator(".msg.bot").count() == 0
    assert any("/api/ask" in u for u in page.requests)  # it tried, and the browser refused


def test_hostile_document_text_stays_inert(page, sites):
    open_and_ask(page, sites[1], "What does the hostile memo read as its signature?")
    answer = page.locator(".msg.bot").last
    expect(answer).to_contain_text("<script>", timeout=60_000)
    expect(answer).to_contain_text('<img src=x onerror="window.__pwned = 2; alert(1)">')
    page.wait_for_timeout(500)
    assert page.evaluate("() => window.__pwned") is None
    assert page.dialogs == []
    shadow = "() => document.querySelector('[data-sitrep-widget]').shadowRoot"
    assert page.evaluate(f"() => ({shadow})().querySelectorAll('script, img, iframe').length") == 0
    assert XSS_SENTENCE in answer.inner_text()


def test_widget_is_small_and_self_contained():
    source = WIDGET.read_text(encoding="utf-8")
    size = len(source.encode("utf-8"))
    print(f"widget.js: {size} bytes")
    assert size < 20_000
    code = source.split("*/", 1)[1]  # after the usage comment
    for forbidden in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(",
                      "@import", "url(", "import("):
        assert forbidden not in code, forbidden
    # The only URL is the SVG namespace, an identifier that is never fetched.
    assert re.findall(r"https?://[^\s\"']+", code) == ["http://www.w3.org/2000/svg"]
