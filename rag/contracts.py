"""The typed hand-offs between the stages of the pipeline, and nothing else.

Standard library only, so any stage (and any tool or test) can import them without pulling in a
model, the index or a web framework. What flows where:

- **question** (`rag.answer.question.analyse`) → `QuestionInfo`: the resolved question, its `QType`
  and the content words the evidence must cover.
- **candidates** (`rag.retrieval.retrieve.Retriever.retrieve`, rows of
  `rag.retrieval.sentence_table`) → `Candidate`s: sentences that may answer, with the retrieval
  signals that ranked them.
- **read candidates** (`rag.engine.Engine` with `rag.reader.model.Reader`) → the same
  `Candidate`s with the reader's probability and answer offsets filled in and their scores
  fused as the reader's `Calibration` says.
- **composition** (`rag.answer.compose`, with `rag.answer.spans.answer_span` giving each sentence's
  `Span`) → `Composition`: abstain or answer, the bottom line as `Statement`s, the cited
  `Evidence`.
- **answer** (`rag.engine.Engine.ask`) → `Answer` with its `Citation`s: the answer object of
  the contract (`Answer.to_dict()` is what the CLI's `--json`, batch lines and the HTTP API
  return).
- **renderers** write an `Answer` out from its fields (`rag.answer.render`: the contract's Markdown
  `answer` and `bluf`, the text shown beside a sources list in the UI and the CLI, the
  statements the evals check; `rag/serve/static/widget.js` builds its page from the same fields).
  Nothing reads fields back out of rendered text.

`DocRecord` is what the index knows about one committed document
(`rag.ingest.store.Index.documents`), read by access control, the Library, the API and the UI.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

UNGRADED = "ungraded"  # the grade of a source nobody graded (`rag.tradecraft`)


class QType(StrEnum):
    """The answer type a question asks for. A `QType` is a `str`, so it compares, prints and
    serialises as its value; an unknown name raises instead of becoming "description"."""

    NUMBER = "number"
    TIME = "time"
    DATE = "date"
    ORGANIZATION = "organization"
    PERSON = "person"
    PLACE = "place"
    REASON = "reason"
    DESCRIPTION = "description"


@dataclass(frozen=True)
class QuestionInfo:
    """What a question asks for."""

    text: str  # the (resolved) question
    qtype: QType  # a `QType` value; a plain str is checked and converted
    words: list[str]  # content words the evidence should cover

    def __post_init__(self) -> None:
        object.__setattr__(self, "qtype", QType(self.qtype))  # ValueError on a typo


@dataclass
class Candidate:
    """One sentence that may answer the question, with the signals that ranked it."""

    id: str
    text: str
    doc_id: str
    source: str
    title: str
    section: str
    start: int
    end: int
    idx: int
    chunk: int
    kind: str
    dense: float = 0.0  # cosine similarity of the sentence to the question
    chunk_dense: float = 0.0  # cosine similarity of its chunk to the question
    bm25: float = 0.0  # BM25 score, scaled so the best candidate has 1
    coverage: float = 0.0  # IDF-weighted share of the question's words found in the sentence
    score: float = 0.0  # the retrieval score; once read, fused with the reader's (rag.engine)
    reader: float = 0.0  # the reader's probability that the sentence answers the question
    answer: tuple[int, int] | None = None  # the reader's answer span, offsets into `text`


@dataclass(frozen=True)
class Span:
    """The value a sentence gives for what the question asks (`rag.answer.spans.answer_span`).

    E.g. `Span("around 12,000 troops", "12000", 3)`: the value as written, its normalised key
    for comparing values across sentences, and how well it fits the question (higher is
    better: its unit is the one the measure takes, a question word stands next to it, it opens
    the sentence when the question asks who did something), and where the value starts in its
    sentence when it stands there as written (-1 otherwise: a name with its role added).
    """

    value: str
    key: str
    fit: int
    start: int = -1


@dataclass(frozen=True)
class Statement:
    """One claim of the bottom line and the citations it rests on, kept as fields until a
    renderer writes it.

    Written out (`rag.answer.render`): `lead`, the `value` in bold, `tail`, then — when `quotes` —
    the sentence of its first citation (after " — " when anything stands before it), then
    its citation markers. Beside a list of the sources the quote is left out (the source's
    card shows it) unless the statement is nothing but the quote.
    """

    lead: str = ""  # before the value: "Sources disagree: ", "; ", or a whole abstention
    value: str = ""  # the answer value, shown in bold ("Around 12,000 troops")
    tail: str = ""  # after it: the sources' hedges, or who says it with their grade
    cites: tuple[int, ...] = ()  # the citation numbers it rests on
    quotes: bool = False  # it quotes the sentence of citation `cites[0]`


@dataclass
class Evidence:
    """A cited sentence and the answer value found in it, if any."""

    candidate: Candidate
    value: str = ""  # the answer span as it reads in the sentence
    key: str = ""  # normalised value for comparison ("12000", "sergei shoigu")
    fit: int = 0  # how well the value fits what the question asks (see `Span`)
    start: int = -1  # where `value` starts in the sentence (-1: not known, see `Span`)


@dataclass
class Composition:
    """What `compose` decided."""

    abstained: bool
    bottom_line: tuple[Statement, ...]  # citation n is evidence[n - 1]
    evidence: list[Evidence] = field(default_factory=list)
    conflict: bool = False
    reason: str = ""  # why it abstained, for people reading eval reports


@dataclass(frozen=True)
class Calibration:
    """How the reader's probability joins retrieval, chosen on validation (the card's
    `calibration`): fused = retrieval score + `weight` x probability; a sentence read at
    `threshold` or more answers the question in the reader's view, and when `abstains`, no read
    candidate reaching it means no answer."""

    weight: float = 1.0
    threshold: float = 0.0
    read_top: int = 20  # how many retrieval candidates the reader scores
    abstains: bool = True  # False: the threshold never refuses or drops a value on its own

    @property
    def floor(self) -> float:
        """The probability below which the reader's word does not count: the threshold when
        it abstains, else 0."""
        return self.threshold if self.abstains else 0.0

    def fuse(self, score: float, probability: float) -> float:
        """The ranking score of a candidate with retrieval `score` and reader `probability`."""
        return score + self.weight * probability


@dataclass
class Citation:
    """A verbatim source sentence: `Path(source).read_text()[start:end] == sentence`."""

    n: int
    doc_id: str
    source: str
    title: str
    section: str
    sentence: str
    start: int
    end: int
    score: float
    # Tradecraft (rag/tradecraft.py): the sentence's claim type and its document's grade.
    claim_type: str = ""
    grade: str = UNGRADED
    reliability: str | None = None
    credibility: int | None = None
    date: str | None = None
    url: str | None = None
    source_name: str | None = None  # front matter `source`: who published the document


@dataclass
class Answer:
    """The answer object of the contract (CLI `--json`, batch lines, HTTP API)."""

    id: Any
    question: str
    answer: str  # the whole answer in Markdown (`rag.answer.render.markdown`)
    abstained: bool
    citations: list[Citation]
    timings_ms: dict[str, float]
    resolved_question: str = ""
    conflict: bool = False
    bluf: str = ""  # the bottom line in Markdown (`rag.answer.render.bluf` of `bottom_line`)
    bottom_line: tuple[Statement, ...] = ()  # the bottom line as fields
    confidence: str = ""  # ICD 203-style line in words; empty when abstained
    # The bottom line's value as it stands in citation `n`: {"text", "n", "start", "end"} with
    # offsets into the document, like a citation's; None when the bottom line is a sentence.
    value: dict[str, Any] | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data.update(data.pop("extra"))
        return data


@dataclass(frozen=True)
class DocRecord:
    """What the index knows about one committed document."""

    doc_id: str
    source: str
    title: str
    sha256: str
    sentences: int
    chunks: int
    metadata: dict[str, Any]  # as the analyst left it: the file's, with the Library's edits
    ingested_at: float
    path: str = ""  # the file's absolute path, so pruning does not depend on the working dir
    file_metadata: dict[str, Any] = field(default_factory=dict)  # what the file itself says

    def file_exists(self) -> bool:
        """Whether the document's file is still on disk."""
        return Path(self.path or self.source).exists()
