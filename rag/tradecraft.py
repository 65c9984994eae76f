"""Analyst tradecraft: claim types, Admiralty source grades, and an ICD 203-style confidence line.

Everything here is pure: sentences and document metadata in, labels and words out.

Claim types (`claim_type(sentence)`), decided by the first rule that fires, in this order:

1. ``direct_quote`` — the sentence quotes someone: a quoted span of at least three words in
   typographic (“…”) or straight ("…") double quotes, or an opening quote mark that the sentence
   does not close (a quote running over several sentences). Short scare quotes do not count.
2. ``attributed_claim`` — the sentence reports what someone says, estimates or believes, or
   hedges its own claim: "reportedly", "allegedly", "according to", "X estimates that",
   "X said/stated/declared:/claims that/argued/told/described … as/recommends",
   "citing". The claim belongs to the named (or unnamed) source, not to the author.
3. ``assessment`` — the author's own judgment: prescriptive modals ("should", "ought to";
   not "must", which states requirements), evaluative vocabulary ("dangerous", "proves",
   "threat", "significant", "serious questions", "mistake", "sensible", "out of date",
   "far-reaching", …) or a judgment of necessity or consequence ("would necessarily",
   "increases the potential", "no longer merely").
4. ``reported_fact`` — everything else: a plain statement of what happened, stated by the
   author without attribution or evaluation.

Attribution is checked before evaluation because an attributed opinion ("experts recommend",
"the Authority rejects this and says") is still the named source's claim; a quote wins over
both because the exact words are the point. The rules are lexical, so they are signals: the
eval in evals/test_tradecraft.py measures them per label on 80 labelled sentences.

Admiralty (NATO) grades (`grade_label(metadata)`): front matter ``reliability`` A–F (source)
and ``credibility`` 1–6 (information), graded independently; "B2" when both are valid,
"ungraded" otherwise — a missing grade is never guessed.

The confidence line (`confidence_line(citations, conflict)`) states, in words and never as a
percentage, how many independent sources the evidence rests on, their grades, whether they
agree, and whether the cited sentences are confirmed reports or only claims and judgments.
It avoids estimative (likelihood) words so confidence is not mistaken for probability.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from rag.contracts import UNGRADED

CLAIM_TYPES = ("reported_fact", "attributed_claim", "direct_quote", "assessment")
CLAIM_TYPE_WORDS = {"reported_fact": "reported fact", "attributed_claim": "attributed claim",
                    "direct_quote": "direct quote", "assessment": "assessment (opinion)"}

RELIABILITY = {"A": "completely reliable", "B": "usually reliable", "C": "fairly reliable",
               "D": "not usually reliable", "E": "unreliable",
               "F": "reliability cannot be judged"}
CREDIBILITY = {1: "confirmed by other sources", 2: "probably true", 3: "possibly true",
               4: "doubtful", 5: "improbable", 6: "truth cannot be judged"}

# A quoted span of 3+ words, or an opening quote the sentence never closes.
_QUOTE = re.compile(r'“(?:[^”\w]*\w+\b){3}[^”]*(?:”|$)|'
                    r'(?:^|[\s(:])"(?:[^"\w]*\w+\b){3}[^"]*(?:"|$)')
_ATTRIBUTION = re.compile(
    r"\b(?:reportedly|allegedly|purportedly|according to|citing|as quoted by|"
    r"estimates?\s+that|estimated\s+that|(?:is|are|was|were)\s+(?:said|reported|believed|"
    r"thought|alleged|claimed)\s+to|"
    r"said|says|say\s+that|stated|states\s+that|declared\s*(?::|that)|declares|announced|"
    r"claims?\s+that|claimed|"
    r"argues|argued|has argued|insists?|insisted|told|tells|described|describes|expressed|"
    r"warned|warns|believes|believe\s+that|consider(?:s|ed)?\s+(?:the|that|it)|"
    r"rejects?|rejected|denies|denied|recommends?|recommended|suggests?\s+that|"
    r"are more cautious|is more cautious|acknowledged|admitted|confirmed\s+that)\b", re.I)
_ASSESSMENT = re.compile(
    r"\b(?:should|ought\s+to|dangerous(?:ly)?|danger|proves?|proof|threat(?:s|en|ens|"
    r"ening)?|significant(?:ly)?|serious\s+(?:questions?|threats?|concerns?|risks?)|"
    r"sensible|unwise|wise|reckless|gamble|"
    r"mistake|alarming|worrying|troubling|shameful|crucial|vital|more important than ever|"
    r"out of date|far-reaching|merely|necessarily|increases the potential|escalation|"
    r"aggression|propaganda|clearly|undoubtedly|obviously|regrettabl[ey]|"
    r"challenges\s+(?:to|international|the)|poses?|destabili[sz]e|best way|most \w+ way|"
    r"failure|failed to)\b", re.I)
_HEDGE = re.compile(
    r"\b(?:reportedly|allegedly|purportedly|according to|estimates?|estimated|believed|"
    r"unconfirmed|claims?|claimed|suggests?|appears? to|(?-i:may)|might|could|possibly|probably|"
    r"likely|said|says|stated|declared|citing)\b", re.I)


def claim_type(sentence: str) -> str:
    """The claim type of one sentence: one of `CLAIM_TYPES` (rules in the module docstring)."""
    if _QUOTE.search(sentence):
        return "direct_quote"
    if _ATTRIBUTION.search(sentence):
        return "attributed_claim"
    if _ASSESSMENT.search(sentence):
        return "assessment"
    return "reported_fact"


def hedges(sentence: str) -> list[str]:
    """Hedge and attribution words in a sentence, lower-cased, in order, without repeats.

    A hedged sentence's claim must keep one of these wherever it is restated. "may" counts
    only in lower case ("3 May" is a date, not a hedge).
    """
    return list(dict.fromkeys(m.group(0).lower() for m in _HEDGE.finditer(sentence)))


@dataclass(frozen=True)
class Grade:
    """An Admiralty grade read from document metadata; `label` is "B2" or "ungraded"."""

    reliability: str | None  # "A".."F", or None when missing or invalid
    credibility: int | None  # 1..6, or None when missing or invalid

    @property
    def graded(self) -> bool:
        return self.reliability is not None and self.credibility is not None

    @property
    def label(self) -> str:
        return f"{self.reliability}{self.credibility}" if self.graded else UNGRADED

    @property
    def words(self) -> str:
        """"B2 (usually reliable source, information probably true)" or "ungraded"."""
        if self.reliability is None or self.credibility is None:  # not self.graded
            return UNGRADED
        return (f"{self.label} ({RELIABILITY[self.reliability]} source, information "
                f"{CREDIBILITY[self.credibility]})")


def grade(metadata: Mapping[str, Any] | None) -> Grade:
    """The Admiralty grade in front matter (`reliability` A–F, `credibility` 1–6)."""
    metadata = metadata or {}
    rel = str(metadata.get("reliability", "")).strip().upper()
    cred = str(metadata.get("credibility", "")).strip()
    return Grade(rel if rel in RELIABILITY else None,
                 int(cred) if cred.isdigit() and int(cred) in CREDIBILITY else None)


def grade_label(metadata: Mapping[str, Any] | None) -> str:
    """"B2" for a document graded B/2 in its front matter, "ungraded" otherwise."""
    return grade(metadata).label


def source_fields(metadata: Mapping[str, Any] | None) -> dict[str, Any]:
    """Per-citation source fields from front matter: grade, reliability, credibility, date,
    url, source_name (front matter `source`); missing values are None."""
    metadata = metadata or {}
    g = grade(metadata)

    def text(key: str) -> str | None:
        value = metadata.get(key)
        return str(value) if value not in (None, "") else None

    return {"grade": g.label, "reliability": g.reliability, "credibility": g.credibility,
            "date": text("date"), "url": text("url"), "source_name": text("source")}


@dataclass(frozen=True)
class Cited:
    """What the confidence line needs to know about one citation."""

    doc_id: str
    origin: str  # who stands behind the document: front matter `source`, else the file
    grade: str  # "B2" or "ungraded"
    claim_type: str


def _independent(cited: list[Cited]) -> dict[str, list[str]]:
    """origin → grades; documents from one origin are one source, not corroboration."""
    origins: dict[str, list[str]] = {}
    for c in cited:
        grades = origins.setdefault(c.origin, [])
        if c.grade not in grades:
            grades.append(c.grade)
    return origins


def confidence_level(cited: list[Cited], conflict: bool | None) -> str:
    """"high", "moderate" or "low" (ICD 203 style), from sources, grades, agreement and types.

    high: two or more independent sources agree, all graded A–B and credibility 1–2, and at
    least one states the point as a reported fact. moderate: two or more independent sources
    agree, or one source graded A–B/1–2 reports it as fact. low: anything else — one ungraded
    or weakly graded source, sources that disagree, or only claims, quotes and opinion.
    `conflict` None means the citations make different points, so they neither agree nor
    disagree: each then stands on its own source.
    """
    origins = _independent(cited)
    strong = all(g != UNGRADED and g[0] in "AB" and g[1] in "12"
                 for grades in origins.values() for g in grades)
    factual = any(c.claim_type == "reported_fact" for c in cited)
    if conflict or not cited:
        return "low"
    if len(origins) >= 2 and conflict is False:
        return "high" if strong and factual else "moderate"
    return "moderate" if strong and factual else "low"


def _nature(cited: list[Cited]) -> str:
    """What kind of statements the evidence is: reported facts, or claims and opinion."""
    types = sorted({c.claim_type for c in cited}, key=CLAIM_TYPES.index)
    words = [CLAIM_TYPE_WORDS[t].split(" (")[0] + "s" for t in types]
    if types == ["reported_fact"]:
        return "stated as reported fact"
    if "reported_fact" in types:
        return f"partly {words[0]}, partly {' and '.join(words[1:])}"
    return f"{' and '.join(words)} only, not confirmed reports"


def confidence_line(cited: Iterable[Cited], conflict: bool | None) -> str:
    """One sentence on how far the evidence can be trusted, in words.

    `conflict`: True when the cited sources give different values, False when they support
    the same answer, None when they make different points.
    "Confidence: low — one source (russia-north-korea.txt, ungraded), not independently
    corroborated; attributed claims only, not confirmed reports."
    """
    cited = list(cited)
    if not cited:
        return "Confidence: none — no evidence was cited."
    origins = _independent(cited)
    listing = "; ".join(f"{origin}, {'/'.join(grades)}" for origin, grades in origins.items())
    if len(origins) == 1:
        sources = f"one source ({listing}), not independently corroborated"
    else:
        agreement = {True: " that disagree", False: " that agree", None: ""}[conflict]
        sources = f"{len(origins)} independent sources{agreement} ({listing})"
    return f"Confidence: {confidence_level(cited, conflict)} — {sources}; {_nature(cited)}."
