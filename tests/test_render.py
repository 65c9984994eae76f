"""The answer written out from its fields (`rag.answer.render`), and the chat's and clipboard's
use of it.

Pure functions on hand-made answer objects (the `Answer.to_dict()` shape): no index, no model.
"""

from __future__ import annotations

from rag.answer import render
from rag.contracts import Answer, Citation, Statement
from rag.serve.ui_render import chat_answer, copy_text

SAID = "Houthi forces have struck nine merchant ships."
WRAPPED = "The task force will add four frigates by the end\nof March."


def _cite(n: int, sentence: str, title: str = "Red Sea report") -> dict:
    return {"n": n, "sentence": sentence, "title": title, "section": "", "source": "r.md",
            "doc_id": "r", "start": 0, "end": len(sentence)}


def _answer(*bottom_line: dict, citations: list[dict], abstained: bool = False,
            confidence: str = "") -> dict:
    return {"bottom_line": list(bottom_line), "citations": citations, "abstained": abstained,
            "confidence": confidence}


def test_a_value_with_its_hedges_cites_every_source():
    answer = _answer({"value": "Nine ships", "tail": " — as the sources put it: “reportedly”",
                      "cites": [1, 2]},
                     citations=[_cite(1, SAID), _cite(2, "Nine ships were hit.", "Monitor")],
                     confidence="Confidence: low.")
    assert render.bluf(answer) == "**Nine ships** — as the sources put it: “reportedly” [1][2]"
    assert render.markdown(answer) == (
        "**Nine ships** — as the sources put it: “reportedly” [1][2]\n\n"
        f"- “{SAID}” — Red Sea report [1]\n- “Nine ships were hit.” — Monitor [2]\n\n"
        "Confidence: low.")
    assert render.display(answer) == (
        "**Nine ships** — as the sources put it: “reportedly” [1][2]\n\nConfidence: low.")


def test_each_quote_once_beside_the_sources():
    """Each quote once (issue 15): a bottom line "**value** — sentence [1]" and the closest
    evidence of an abstention keep their markers, not the quote the source card shows; a
    bottom line that is the sentence itself stays (it is the answer)."""
    phrase = _answer({"value": "Nine ships", "cites": [1], "quotes": True},
                     citations=[_cite(1, SAID)], confidence="Confidence: low.")
    assert render.markdown(phrase) == f"**Nine ships** — {SAID} [1]\n\nConfidence: low."
    assert render.display(phrase) == "**Nine ships** [1]\n\nConfidence: low."
    closest = _answer({"lead": "The sources do not say."}, citations=[_cite(1, SAID)],
                      abstained=True)
    assert render.markdown(closest) == ("The sources do not say.\n\nClosest related evidence "
                                        f"(it does not answer the question): “{SAID}” [1]")
    assert render.display(closest) == ("The sources do not say.\n\nClosest related evidence "
                                       "(it does not answer the question): [1]")
    sentence = _answer({"cites": [1], "quotes": True}, citations=[_cite(1, SAID)])
    assert render.markdown(sentence) == render.display(sentence) == f"{SAID} [1]"


def test_the_markers_of_sources_not_in_the_bottom_line_stay():
    """A sentence wrapped over two lines in its file (issue 15) keeps its line break in the
    Markdown; beside the sources its line goes, and its marker stays on an "Also from the
    sources" line before the confidence line."""
    answer = _answer({"cites": [1], "quotes": True},
                     citations=[_cite(1, "Four frigates."), _cite(2, WRAPPED)],
                     confidence="Confidence: high.")
    assert render.markdown(answer) == ("Four frigates. [1]\n\n"
                                       f"- “{WRAPPED}” — Red Sea report [2]\n\nConfidence: high.")
    shown = render.display(answer)
    assert shown == "Four frigates. [1]\n\nAlso from the sources: [2]\n\nConfidence: high."
    wrapped_answer = _answer({"cites": [1], "quotes": True}, citations=[_cite(1, WRAPPED)])
    assert render.display(wrapped_answer) == " ".join(WRAPPED.split()) + " [1]"


def test_a_disagreement_gives_each_side_with_its_markers():
    answer = _answer({"lead": "Sources disagree: ", "value": "146 metres",
                      "tail": " — Overview (B2)", "cites": [1, 3]},
                     {"lead": "; ", "value": "162 metres", "tail": " — Courier (C3)",
                      "cites": [2]}, {"lead": "."},
                     citations=[_cite(1, "a"), _cite(2, "b"), _cite(3, "c"), _cite(4, "d")])
    line = ("Sources disagree: **146 metres** — Overview (B2) [1][3]; "
            "**162 metres** — Courier (C3) [2].")
    assert render.bluf(answer) == line
    assert render.display(answer) == f"{line}\n\nAlso from the sources: [4]"
    assert render.claims(answer)[:3] == [
        ("Sources disagree: 146 metres — Overview (B2)", (1, 3)),
        ("; 162 metres — Courier (C3)", (2,)), (".", ())]


def test_an_answer_object_and_its_dict_render_alike():
    citation = Citation(1, "r", "r.md", "Red Sea report", "", SAID, 0, len(SAID), 0.9)
    answer = Answer(id=1, question="q", answer="", abstained=False, citations=[citation],
                    timings_ms={}, bottom_line=(Statement(value="Nine", cites=(1,),
                                                          quotes=True),))
    data = answer.to_dict()
    assert render.markdown(answer) == render.markdown(data) == f"**Nine** — {SAID} [1]"
    assert render.readable(data) and render.readable(_answer(citations=[]))
    assert not render.readable({"citations": []})  # saved before answers had their fields
    assert not render.readable(_answer({"cites": ["1"]}, citations=[]))
    assert not render.readable(_answer({"script": "x"}, citations=[]))


def test_the_chat_links_its_markers_and_the_clipboard_quotes_once():
    answer = _answer({"value": "Nine", "cites": [1], "quotes": True},
                     citations=[_cite(1, SAID), _cite(2, '"We never," he said.', "Port report")])
    assert chat_answer(answer, "4") == (
        "**Nine** [\\[1\\]](#cite-4-1)\n\nAlso from the sources: [\\[2\\]](#cite-4-2)")
    copied = copy_text(answer)
    assert copied.count(SAID) == 1, copied  # once, in the source list
    assert '[2] "We never," he said. — Port report · r.md' in copied and "“\"" not in copied
