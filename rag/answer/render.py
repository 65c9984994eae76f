"""The answer written out from its fields: the one place that turns an answer into text.

An answer is its fields (`rag.contracts.Answer`, or its `to_dict()` as the API, the CLI's
`--json` and the UI's saved conversations carry it): the bottom line as `Statement`s, the
citations, the abstention and the confidence line. From them:

- `markdown(answer)`: the contract's `answer` text: the bottom line, then every cited sentence
  not already quoted in it (`- “sentence” — title [n]`), or for an abstention the closest
  related evidence; then the confidence line. `bluf(answer)` is its first line.
- `display(answer)`: the answer beside a list of its sources (the chat, the copied text, the
  CLI's text output): the same without the quotes, which the sources list shows; markers of
  sources the bottom line does not cite stay on an "Also from the sources" line.
- `claims(answer)`: the statements of `markdown(answer)` with the citations each rests on, as
  the ALCE checks of `rag.tools.evaluate.support` judge them.

`marker` writes a citation marker (`[n]` by default; the chat makes it a link). Text is
written as Markdown and never read back: whoever needs the value, a citation number or a
quote takes it from the fields.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from rag.contracts import Answer, Statement

Marker = Callable[[int], str]
CLOSEST = "Closest related evidence (it does not answer the question):"
ALSO = "Also from the sources:"


def plain_marker(n: int) -> str:
    return f"[{n}]"


@dataclass(frozen=True)
class _Cited:
    n: int
    sentence: str
    title: str


@dataclass(frozen=True)
class _Fields:
    """What the renderers read of an answer, from the object or its dict."""

    statements: list[Statement]
    citations: list[_Cited]
    abstained: bool
    confidence: str

    def sentence(self, n: int) -> str:
        return next((c.sentence for c in self.citations if c.n == n), "")


def statement(data: Statement | Mapping[str, Any]) -> Statement:
    """A `Statement` from itself or its dict (as `Answer.to_dict()` writes it); TypeError or
    ValueError when the dict is not one."""
    if isinstance(data, Statement):
        return data
    if not isinstance(data, Mapping) or set(data) - set(Statement.__dataclass_fields__):
        raise TypeError(f"not a statement: {data!r}")
    lead, value, tail = texts = [data.get(key, "") for key in ("lead", "value", "tail")]
    cites, quotes = data.get("cites", ()), data.get("quotes", False)
    if not all(isinstance(t, str) for t in texts) or not isinstance(quotes, bool) \
            or not isinstance(cites, (list, tuple)) \
            or not all(isinstance(n, int) and not isinstance(n, bool) for n in cites):
        raise ValueError(f"not a statement: {data!r}")
    return Statement(lead, value, tail, tuple(cites), quotes)


def _fields(answer: Answer | Mapping[str, Any]) -> _Fields:
    if isinstance(answer, Answer):
        return _Fields(list(answer.bottom_line),
                       [_Cited(c.n, c.sentence, c.title) for c in answer.citations],
                       answer.abstained, answer.confidence)
    return _Fields([statement(s) for s in answer.get("bottom_line") or ()],
                   [_Cited(int(c["n"]), str(c.get("sentence") or ""), str(c.get("title") or ""))
                    for c in answer.get("citations") or ()],
                   bool(answer.get("abstained")), str(answer.get("confidence") or ""))


def readable(answer: Any) -> bool:
    """Whether `answer` (a dict from outside, such as a conversation the browser saved) has
    the fields the renderers read, of the right types."""
    try:
        _fields(answer)
    except (TypeError, ValueError, KeyError, AttributeError):
        return False
    return isinstance(answer, Mapping) and isinstance(answer.get("bottom_line"), (list, tuple))


def _said(s: Statement) -> str:
    return s.lead + (f"**{s.value}**" if s.value else "") + s.tail


def _statement_text(s: Statement, sentence: Callable[[int], str], display: bool) -> str:
    """A statement without its markers: its words and, unless `display` leaves it to the
    sources list, its quote."""
    said = _said(s)
    if not (s.quotes and s.cites):
        return said
    quote = sentence(s.cites[0])
    if said:
        return said if display else f"{said} — {quote}"
    # The quote is the statement: shown even beside the sources, as one line there (a
    # sentence hard-wrapped in its file keeps its line break in the Markdown).
    return " ".join(quote.split()) if display and "\n" in quote else quote


def line(statements: Sequence[Statement], sentence: Callable[[int], str], display: bool = False,
         marker: Marker = plain_marker) -> str:
    """The bottom line of `statements`, whose citation n has the sentence `sentence(n)`."""
    out = []
    for s in statements:
        text = _statement_text(s, sentence, display)
        refs = "".join(marker(n) for n in s.cites)
        out.append(f"{text} {refs}" if refs else text)
    return "".join(out)


def bluf(answer: Answer | Mapping[str, Any], marker: Marker = plain_marker) -> str:
    """The bottom line in Markdown: the value in bold with the sources' hedges and markers, or
    the sentence that answers, or the sources' disagreement, or why there is no answer."""
    f = _fields(answer)
    return line(f.statements, f.sentence, marker=marker)


def markdown(answer: Answer | Mapping[str, Any], marker: Marker = plain_marker) -> str:
    """The whole answer in Markdown (the contract's `answer` text)."""
    f = _fields(answer)
    top = line(f.statements, f.sentence, marker=marker)
    if f.abstained:
        lines = [top]
        if f.citations:
            first = f.citations[0]
            lines += ["", f"{CLOSEST} “{first.sentence}” {marker(first.n)}"]
        text = "\n".join(lines)
    else:
        quoted = {s.cites[0] for s in f.statements if s.quotes and s.cites}
        lines = [top, ""] + [f"- “{c.sentence}” — {c.title} {marker(c.n)}"
                             for c in f.citations if c.n not in quoted]
        text = "\n".join(lines).rstrip()
    return f"{text}\n\n{f.confidence}" if f.confidence else text


def display(answer: Answer | Mapping[str, Any], marker: Marker = plain_marker) -> str:
    """The answer as shown beside its sources list: each quote once, on its source card.

    The bottom line without the quote after a value (a bottom line that is a sentence stays:
    it is the answer), the closest evidence of an abstention as its marker, markers of the
    other sources on an "Also from the sources" line, then the confidence line.
    """
    f = _fields(answer)
    parts = [line(f.statements, f.sentence, display=True, marker=marker)]
    if f.abstained:
        if f.citations:
            parts.append(f"{CLOSEST} {marker(f.citations[0].n)}")
    else:
        shown = {n for s in f.statements for n in s.cites}
        rest = [c.n for c in f.citations if c.n not in shown]
        if rest:
            parts.append(f"{ALSO} " + " ".join(marker(n) for n in rest))
    if f.confidence:
        parts.append(f.confidence)
    return "\n\n".join(p for p in parts if p)


def claims(answer: Answer | Mapping[str, Any]) -> list[tuple[str, tuple[int, ...]]]:
    """The statements of `markdown(answer)` in reading order, each as its text (the value
    without emphasis, no markers) and the citation numbers after it: the bottom line's, then
    one per cited sentence listed under it (`“sentence” — title`), or the closest evidence of an
    abstention. The confidence line grades the sources and is no claim."""
    f = _fields(answer)
    found = []
    for s in f.statements:
        said = s.lead + s.value + s.tail
        if s.quotes and s.cites:
            quote = f.sentence(s.cites[0])
            said = f"{said} — {quote}" if said else quote
        found.append((said, s.cites))
    if f.abstained:
        if f.citations:
            found.append((f"{CLOSEST} “{f.citations[0].sentence}”", (f.citations[0].n,)))
        return found
    quoted = {s.cites[0] for s in f.statements if s.quotes and s.cites}
    return found + [(f"“{c.sentence}” — {c.title}", (c.n,))
                    for c in f.citations if c.n not in quoted]
