"""What the sources cannot tell the reader: unknowns they state, unconfirmed figures,
undated and ungraded documents, topics resting on a single source."""

from __future__ import annotations

import re

from rag.brief.draft import Draft
from rag.brief.scope import Sentence

# A sentence saying that something is not known or not made public.
UNSTATED = re.compile(
    r"\b(?:(?:has|have|had)\s+not\s+(?:yet\s+)?been\s+(?:published|disclosed|released|"
    r"confirmed|verified|made public|independently verified)|remains?\s+(?:unclear|unknown|"
    r"unconfirmed|disputed)|(?:is|are|was|were)\s+(?:not\s+known|unknown|unclear)|"
    r"could\s+not\s+(?:be\s+)?(?:independently\s+)?(?:verified|confirmed)|"
    r"did\s+not\s+(?:say|disclose|give)|declined\s+to\s+(?:say|comment|give))\b", re.I)
# Words that date an event only relative to when its document was written ("recently", "last
# week"): without a publication date the reader cannot place it.
_RELATIVE_TO_PUBLICATION = re.compile(
    r"\b(?:recent|recently|latest|currently|this week|last week)\b", re.I)


def stated_unknowns(sentences: list[Sentence], limit: int) -> list[Draft]:
    """Sentences in which a source says what is not known ("… has not been published")."""
    found = [s for s in sentences if s.claim != "direct_quote" and UNSTATED.search(s.text)]
    return [Draft(s.text, [s], "stated") for s in found[:limit]]


def undated(documents: list[tuple[str, str, bool]], sentences: list[Sentence]) -> list[Draft]:
    """Documents without a date whose text speaks of "recent" events.

    `documents`: (doc id, title, has a date)."""
    out = []
    for doc_id, title, dated in documents:
        relative = [s for s in sentences
                    if s.doc_id == doc_id and _RELATIVE_TO_PUBLICATION.search(s.text)]
        if not dated and relative:
            out.append(Draft(f"“{title}” has no publication date, so the “recent” events it "
                                "reports cannot be placed in time.", relative[:2], "undated"))
    return out


def ungraded(titles: list[str], evidence: list[Sentence]) -> list[Draft]:
    """One line for the documents that carry no Admiralty grade."""
    if not titles:
        return []
    one = len(titles) == 1
    return [Draft(f"{_join([f'“{t}”' for t in titles])} carr{'ies' if one else 'y'} no "
                     f"Admiralty grade, so the reliability of {'its' if one else 'their'} "
                     f"source{'' if one else 's'} is unknown.", evidence, "ungraded")]


def single_source(label: str, origin: str, evidence: list[Sentence]) -> Draft:
    """A topic whose every line rests on one source."""
    return Draft(f"Everything on {label} rests on a single source ({origin}); nothing is "
                    "independently corroborated.", evidence, "single")


def unconfirmed(phrase: str, hedges: list[str], evidence: list[Sentence]) -> Draft:
    """A figure that only attributed claims state."""
    said = ", ".join(f"“{h}”" for h in hedges[:3]) or "attributed"
    return Draft(f"“{phrase}” rests only on attributed claims ({said}); no source states it "
                    "as confirmed.", evidence, "unconfirmed")


def _join(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]
