"""ALCE-style citation checks without a language model: statements, support, needed citations.

An answer is judged by its *statements* (`rag.answer.render.claims`, from the answer's fields, never
parsed back out of its text): each claim of the bottom line with the citations it rests on, and
each cited sentence listed under it; a statement with no citation cites nothing.
`supported(statement, cited)` is a deterministic stand-in for an
entailment model: every figure of the statement occurs (as a number) in the cited sentences, and
every content word of the statement occurs (stemmed) in the cited sentences or their
attribution (document title, section, source name, grade, date), apart from a few framing words
the answer renderer adds.
`judge_citations(answer)` returns one `StatementCheck` per statement with its support and, for
each citation, whether it is needed (ALCE precision). The answer's `confidence` line (how far
the sources can be trusted) is an assessment of the evidence, not a claim, and is not judged.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from rag.answer import render
from rag.text import content_words, numbers_in, stem, stems

# Markup a cited sentence may carry from its Markdown document ("It had **412** ships").
_MARKUP = re.compile(r"\*\*|__|`|^\s*[-*>#]+\s+", re.M)
# Words an answer may use to frame its evidence without the evidence saying them
# ("as the sources put it", "Sources disagree: X per <title>", "closest related evidence").
FRAMING = frozenset(stem(w) for w in """
put disagree disagrees per closest related evidence answer answers question questions
""".split())


@dataclass(frozen=True)
class StatementCheck:
    """One statement of an answer and how its citations bear on it."""

    text: str
    cited: tuple[int, ...]  # citation numbers after the statement
    supported: bool  # the cited sentences together support it (ALCE recall)
    needed: tuple[int, ...] = field(default=())  # citations that are not superfluous (precision)
    missing: tuple[str, ...] = field(default=())  # words or figures the citations lack


def statements(answer: dict[str, Any]) -> list[tuple[str, tuple[int, ...]]]:
    """(statement text, cited numbers) of an answer object, in reading order; statements
    without words ("." closing a disagreement) are left out."""
    return [(_plain(text), cited) for text, cited in render.claims(answer) if _has_words(text)]


def _has_words(text: str) -> bool:
    return any(ch.isalnum() for ch in text)


def _plain(text: str) -> str:
    return " ".join(_MARKUP.sub(" ", text).split()).strip(" ;,:—-")


# Citation fields that describe the cited document; an answer may attribute a claim with them.
ATTRIBUTION_FIELDS = ("title", "section", "source_name", "grade", "date")


def _context(citations: list[dict[str, Any]]) -> tuple[set[str], set[float]]:
    """Stems and numbers a set of citations vouches for: the sentences and their attribution."""
    sentences = " ".join(c.get("sentence", "") for c in citations)
    labels = " ".join(str(c.get(key) or "") for c in citations for key in ATTRIBUTION_FIELDS)
    vouched = f"{sentences} {labels}"
    return set(stems(vouched)), {v for v, _, _ in numbers_in(vouched)}


def missing_support(statement: str, citations: list[dict[str, Any]]) -> list[str]:
    """The figures and content words of `statement` that `citations` do not contain."""
    if not citations:
        return ["(no citation)"]
    known_stems, known_numbers = _context(citations)
    lacking = [text for value, start, end in numbers_in(statement)
               for text in [statement[start:end]]
               if not any(_same_number(value, k) for k in known_numbers)]
    for word in content_words(statement):
        if word[0].isdigit():
            continue  # figures were checked as numbers above
        if stem(word) not in known_stems and stem(word) not in FRAMING:
            lacking.append(word)
    return lacking


def supported(statement: str, citations: list[dict[str, Any]]) -> bool:
    """True when `citations` together contain every figure and content word of `statement`."""
    return not missing_support(statement, citations)


def _same_number(a: float, b: float) -> bool:
    return abs(a - b) <= 1e-9 * max(abs(a), abs(b), 1.0)


def judge_citations(answer: dict[str, Any]) -> list[StatementCheck]:
    """Support and needed citations for every statement of an answer object.

    A citation c of statement s is needed (ALCE) when s is supported by all its citations C and
    either c alone supports s or C without c does not. A marker with no citation behind it
    supports nothing.
    """
    by_number = {c["n"]: c for c in answer.get("citations", [])}
    checks = []
    for text, cited in statements(answer):
        cites = [by_number[n] for n in cited if n in by_number]
        lacking = missing_support(text, cites)
        ok = not lacking and len(cites) == len(cited)
        needed = tuple(
            n for n in cited
            if ok and n in by_number and (
                supported(text, [by_number[n]])
                or not supported(text, [by_number[m] for m in cited if m != n and m in by_number])))
        checks.append(StatementCheck(text, cited, ok, needed, tuple(lacking)))
    return checks
