"""A brief line before citation numbers are handed out: its text and its evidence sentences."""

from __future__ import annotations

from dataclasses import dataclass, field

from rag.brief.scope import Sentence


@dataclass
class Draft:
    """A line and the sentences that support it; numbered once the page is fitted."""

    text: str
    evidence: list[Sentence]
    kind: str = ""
    label: str = ""
    sides: list[tuple[str, Sentence]] = field(default_factory=list)  # disagreements


@dataclass
class TopicDraft:
    """One topic's lines before numbering."""

    label: str
    doc_ids: list[str]
    bluf: list[Draft] = field(default_factory=list)
    judgments: list[Draft] = field(default_factory=list)
    actors: list[Draft] = field(default_factory=list)
    figures: list[Draft] = field(default_factory=list)
    quotes: list[Draft] = field(default_factory=list)
    assessments: list[Draft] = field(default_factory=list)
