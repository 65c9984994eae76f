"""README screenshots taken by the browser tests, of the element they are about, with no line
cut in half at the edge of a scrolling pane (only when SITREP_UPDATE_SCREENSHOTS=1)."""

from __future__ import annotations

import os
from pathlib import Path

from playwright.sync_api import Locator

from .conftest import ROOT

SCREENSHOTS = ROOT / "tests" / "screenshots"

# For a scrolling pane: scroll back so that the line its top edge cuts starts at that edge,
# then shorten the pane to end above the line its bottom edge cuts. Lines are the boxes of its
# text, so headings, list items and marks count as lines too.
_WHOLE_LINES = """pane => {
  const lines = () => {
    const boxes = [];
    const walker = document.createTreeWalker(pane, NodeFilter.SHOW_TEXT);
    while (walker.nextNode()) {
      if (!walker.currentNode.textContent.trim()) continue;
      const range = document.createRange();
      range.selectNodeContents(walker.currentNode);
      for (const b of range.getClientRects()) if (b.height > 0) boxes.push(b);
    }
    return boxes;
  };
  if (pane.scrollHeight <= pane.clientHeight + 1) return;
  let box = pane.getBoundingClientRect();
  const top = box.top + pane.clientTop;
  const cutTop = lines().filter(b => b.top < top - 0.5 && b.bottom > top + 0.5);
  if (cutTop.length) pane.scrollTop += Math.min(...cutTop.map(b => b.top)) - top;
  box = pane.getBoundingClientRect();
  const start = box.top + pane.clientTop, bottom = start + pane.clientHeight;
  const cutBottom = lines().filter(b => b.top < bottom - 0.5 && b.bottom > bottom + 0.5);
  if (cutBottom.length) {
    const height = Math.min(...cutBottom.map(b => b.top)) - start + 2;
    pane.style.height = pane.style.maxHeight = pane.style.minHeight = height + "px";
    pane.style.flex = "none";
  }
}"""

# Every scrolling pane under a root (not inside shadow roots: pass those panes themselves).
_ALL_PANES = """root => {
  const wholeLines = WHOLE_LINES;
  for (const el of [root, ...root.querySelectorAll('*')]) {
    const style = getComputedStyle(el).overflowY;
    if (style === 'auto' || style === 'scroll') wholeLines(el);
  }
}""".replace("WHOLE_LINES", _WHOLE_LINES)


def wanted() -> bool:
    return os.environ.get("SITREP_UPDATE_SCREENSHOTS") == "1"


def whole_lines(pane: Locator) -> None:
    """Make a scrolling pane show only whole lines (see `_WHOLE_LINES`)."""
    pane.evaluate(_WHOLE_LINES)


def snap_element(element: Locator, name: str, panes: Locator | None = None,
                 directory: Path = SCREENSHOTS) -> None:
    """Screenshot `element` (whole, however tall) as `name`.png, its scrolling panes (or
    `panes`) showing whole lines only."""
    if not wanted():
        return
    directory.mkdir(parents=True, exist_ok=True)
    element.scroll_into_view_if_needed()
    element.page.wait_for_timeout(1500)  # let Gradio's fade-in of updated components finish
    if panes is None:
        element.evaluate(_ALL_PANES)
    else:
        for i in range(panes.count()):
            whole_lines(panes.nth(i))
    element.screenshot(path=str(directory / f"{name}.png"), animations="disabled")
