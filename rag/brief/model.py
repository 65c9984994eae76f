"""The brief's result types: lines, topics, sources and the `Brief` itself (no heavy imports)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from rag.contracts import Citation


@dataclass
class Side:
    """One side of a disagreement: the value as its sentence words it, and who says it."""

    phrase: str  # "14 commercial vessels"
    origin: str  # the publication, or the file name when the document names none
    grade: str  # "B2" or "ungraded"
    ref: int  # the citation number of its sentence


@dataclass
class BriefLine:
    """One line of the brief and the citations that support it."""

    text: str
    refs: list[int]
    label: str = ""  # the topic, actor, figure or disputed thing the line is about
    kind: str = ""  # claim type, actor kind (person, organisation, place), or gap kind
    sides: list[Side] = field(default_factory=list)  # a disagreement's sides, in order


@dataclass
class Topic:
    """A group of documents about one subject, and what the brief says about it."""

    label: str
    doc_ids: list[str]
    judgments: list[BriefLine] = field(default_factory=list)
    actors: list[BriefLine] = field(default_factory=list)
    figures: list[BriefLine] = field(default_factory=list)  # long brief only
    quotes: list[BriefLine] = field(default_factory=list)  # long brief only
    assessments: list[BriefLine] = field(default_factory=list)  # long brief only
    confidence: str = ""


@dataclass
class SourceEntry:
    """A document in the numbered source list: who published it, what, when, how graded."""

    n: int
    doc_id: str
    source: str  # the file, as indexed
    title: str
    source_name: str | None  # the publication (front matter `source`, HTML site name, …)
    date: str | None
    grade: str  # "B2" or "ungraded"
    grade_words: str  # "B2 (usually reliable source, information probably true)"
    url: str | None
    refs: list[int]  # the citations drawn from it


@dataclass
class Brief:
    """A cited brief: a bottom line, topics, disagreements, gaps and a numbered source list.

    Every line's `refs` point into `citations` (verbatim sentences with exact offsets).
    `sources` lists the documents those citations come from. `long` briefs add key figures,
    quotes and the sources' own assessments per topic, and the cited sentences in full.
    """

    topic: str | None
    long: bool = False
    bluf: list[BriefLine] = field(default_factory=list)
    topics: list[Topic] = field(default_factory=list)
    disagreements: list[BriefLine] = field(default_factory=list)
    gaps: list[BriefLine] = field(default_factory=list)
    sources: list[SourceEntry] = field(default_factory=list)
    citations: list[Citation] = field(default_factory=list)
    documents_total: int = 0  # documents in scope
    documents_read: int = 0  # documents in the topics the page covers (fewer when sampled)
    confidence: str = ""  # on the bottom line

    def lines(self) -> list[BriefLine]:
        """Every cited line, in reading order."""
        out = list(self.bluf)
        for topic in self.topics:
            out += topic.judgments + topic.actors + topic.figures + topic.quotes \
                + topic.assessments
        return out + self.disagreements + self.gaps

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def to_markdown(self) -> str:
        from rag.brief.render import markdown

        return markdown(self)

    def word_count(self) -> int:
        """Words a reader reads on the page (citation markers excluded)."""
        from rag.brief.render import word_count

        return word_count(self)
