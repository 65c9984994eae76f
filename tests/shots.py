"""README screenshots taken by the browser tests, of the element they are about, with no line,
card or highlight cut in half at the edge of a scrolling pane (only when
SITREP_UPDATE_SCREENSHOTS=1)."""

from __future__ import annotations

import os
from pathlib import Path

from playwright.sync_api import Locator

from .conftest import ROOT

SCREENSHOTS = ROOT / "tests" / "screenshots"

# For a scrolling pane: scroll back so that the unit its top edge cuts starts at that edge,
# then shorten the pane to end above the unit its bottom edge cuts. Units are the boxes of its
# text (so headings, list items and marks count as lines too) and of the elements drawn as
# boxes (a border, a background or a shadow: cards, highlights), so that no card is cut and
# no sliver of a highlight shows at an edge. A box too tall to show whole (half the pane or
# more) is left to its lines.
_WHOLE_LINES = """pane => {
  const drawn = el => {
    const s = getComputedStyle(el);
    const border = ['Top', 'Right', 'Bottom', 'Left'].some(side =>
      s['border' + side + 'Style'] !== 'none' && parseFloat(s['border' + side + 'Width']) > 0);
    const background = !/rgba\\(.*,\\s*0\\)$|transparent/.test(s.backgroundColor);
    return border || background || s.boxShadow !== 'none' || parseFloat(s.outlineWidth) > 0
      && s.outlineStyle !== 'none';
  };
  const units = () => {
    const boxes = [];
    const walker = document.createTreeWalker(pane, NodeFilter.SHOW_TEXT);
    while (walker.nextNode()) {
      if (!walker.currentNode.textContent.trim()) continue;
      const range = document.createRange();
      range.selectNodeContents(walker.currentNode);
      for (const b of range.getClientRects())
        if (b.height > 0) boxes.push({top: b.top, bottom: b.bottom, room: 2});
    }
    for (const el of pane.querySelectorAll('*')) {
      if (!drawn(el)) continue;
      for (const b of el.getClientRects())
        if (b.height > 0 && b.height < pane.clientHeight / 2)
          boxes.push({top: b.top, bottom: b.bottom, room: 0});
    }
    return boxes;
  };
  if (pane.scrollHeight <= pane.clientHeight + 1) return;
  let box = pane.getBoundingClientRect();
  const top = box.top + pane.clientTop;
  const cutTop = units().filter(b => b.top < top - 0.5 && b.bottom > top + 0.5);
  if (cutTop.length) pane.scrollTop += Math.min(...cutTop.map(b => b.top)) - top;
  box = pane.getBoundingClientRect();
  const start = box.top + pane.clientTop, bottom = start + pane.clientHeight;
  const cutBottom = units().filter(b => b.top < bottom - 0.5 && b.bottom > bottom + 0.5);
  if (cutBottom.length) {
    // a line may keep 2px below it for its descenders; a drawn box not a pixel
    const height = Math.min(...cutBottom.map(b => b.top + b.room)) - start;
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
