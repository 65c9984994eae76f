"""The sentences a brief draws on: a bounded sample of each document, with salience.

A brief never reads every embedding of the store (it can hold 100k chunks): it takes at most
`MAX_DOCS` documents (spread evenly over the library when there are more) and at most
`SENTENCE_BUDGET` sentences among them — each document's lead, then sentences spread evenly
through the rest — and reads only those sentences' vectors, through the engine's store in
pages (`rag.ingest.store.Index.pages`), never from Chroma directly.

Salience: a sentence's cosine similarity to its own document's centroid (so one long document
does not drown the others), times its topic relevance, plus a bonus for a document's lead
sentences and for summary bullets ("At a glance", "Key points", …).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from rag import tradecraft
from rag.tuning import FAR_EVIDENCE

if TYPE_CHECKING:
    from rag.retrieval.sentence_table import SentenceTable

MAX_DOCS = 200  # documents a brief reads at most (spread evenly over the library)
SENTENCE_BUDGET = 3000  # sentences whose vectors a brief reads at most
MIN_PER_DOC = 12  # a document always contributes this many sentences (or all it has)
LEAD = 2  # a document's first sentences usually state its point
LEAD_BONUS = 0.1
SUMMARY_BONUS = 0.1
TOPIC_KEEP = 0.6  # a sentence on the topic scores at least this share of the best one
TOPIC_DOC_SHARE = 0.2  # a document with this share of the top candidates is about the topic
SAME_POINT = 0.8  # two sentences this close (cosine) make one point
_SUMMARY_SECTION = re.compile(r"\b(?:at a glance|summary|key (?:points|facts|figures)|"
                              r"highlights|in brief|overview)\b", re.I)


@dataclass(eq=False)  # one object per row: compared and hashed by identity
class Sentence:
    """One sentence in scope: its table row, text, metadata, unit vector and salience."""

    row: int
    text: str
    meta: dict[str, Any]
    vector: np.ndarray
    salience: float
    claim: str  # tradecraft claim type

    @property
    def doc_id(self) -> str:
        return self.meta["doc_id"]


def spread(first: int, end: int, count: int, lead: int) -> list[int]:
    """`count` of the rows first..end-1: the first `lead`, then evenly spaced."""
    if end - first <= count:
        return list(range(first, end))
    head = list(range(first, first + lead))
    rest = np.linspace(first + lead, end - 1, count - lead).round().astype(int).tolist()
    return list(dict.fromkeys(head + rest))


def library_rows(table: SentenceTable,
                 allowed_docs: set[str] | None) -> tuple[dict[int, float], int]:
    """A bounded sample of the whole library (row → weight 1.0) and how many documents the
    library holds for this caller."""
    docs = [d for d in table.doc_rows if allowed_docs is None or d in allowed_docs]
    picked = [docs[i] for i in spread(0, len(docs), MAX_DOCS, 0)]
    per_doc = max(MIN_PER_DOC, SENTENCE_BUDGET // max(1, len(picked)))
    rows = {r: 1.0 for d in picked for r in spread(*table.doc_rows[d], per_doc, per_doc // 2)}
    return rows, len(docs)


def topic_rows(engine, topic: str, allowed_docs: set[str] | None) -> tuple[dict[int, float], int]:
    """Sentence rows on a topic → relevance weight (0–1], and the documents they come from.

    Documents that hold at least `TOPIC_DOC_SHARE` of the top candidates' score are briefed
    whole, as a bounded sample (a document about the topic tells its story in sentences that
    do not all name it); elsewhere only sentences scoring at least `TOPIC_KEEP` of the best
    one are kept. Empty when nothing is close to the topic.
    """
    table: SentenceTable = engine.retriever.table()
    found = engine.retriever.retrieve(topic, limit=40, allowed_docs=allowed_docs)
    if not found or FAR_EVIDENCE.too_far(found[0].dense, found[0].coverage):
        return {}, 0
    best = found[0].score
    share: Counter = Counter()
    for c in found[:20]:
        share[c.doc_id] += c.score
    total, top_share = sum(share.values()), max(share.values())
    about = [d for d in share if share[d] >= TOPIC_DOC_SHARE * total]
    per_doc = max(MIN_PER_DOC, SENTENCE_BUDGET // max(1, len(about)))
    rows = {r: 0.6 + 0.4 * share[d] / top_share
            for d in about for r in spread(*table.doc_rows[d], per_doc, per_doc // 2)}
    for c in found:
        if c.score >= TOPIC_KEEP * best:
            row = table.position[(c.doc_id, c.idx)]
            rows[row] = max(rows.get(row, 0.0), c.score / best)
    return rows, len({table.metas[r]["doc_id"] for r in rows})


class Scope:
    """The sentences in scope, most salient first, with their documents' centroids."""

    def __init__(self, engine, rows: dict[int, float]) -> None:
        table = engine.retriever.table()
        self.table = table
        self.embedder = engine.index.embedder
        by_id: dict[str, np.ndarray] = {}
        ids = [table.ids[r] for r in rows]
        for page in engine.index.pages("sentences", ids=ids, include=("embeddings",)):
            by_id.update(zip(page.ids, page.embeddings))
        vectors = {r: by_id[table.ids[r]] for r in rows if table.ids[r] in by_id}
        sums: dict[str, np.ndarray] = {}
        for r, v in vectors.items():
            doc = table.metas[r]["doc_id"]
            sums[doc] = sums.get(doc, 0) + v
        self.centroids = {d: v / (float(np.linalg.norm(v)) or 1.0) for d, v in sums.items()}
        self.sentences: list[Sentence] = []
        for r, v in vectors.items():
            m = table.metas[r]
            score = float(v @ self.centroids[m["doc_id"]]) * rows[r]
            if m["idx"] - int(table.columns["idx"][table.doc_rows[m["doc_id"]][0]]) < LEAD:
                score += LEAD_BONUS
            if m.get("kind") == "bullet" and _SUMMARY_SECTION.search(m.get("section", "")):
                score += SUMMARY_BONUS
            self.sentences.append(Sentence(r, table.texts[r], m, v, score,
                                           tradecraft.claim_type(table.texts[r])))
        self.sentences.sort(key=lambda s: -s.salience)

    def doc_ids(self) -> list[str]:
        """Documents in scope, in the order of their most salient sentence."""
        return list(dict.fromkeys(s.doc_id for s in self.sentences))

    def metadata(self, doc_id: str) -> dict[str, Any]:
        return self.table.docs.get(doc_id, {}).get("metadata") or {}

    def origin(self, doc_id: str) -> str:
        """Who stands behind a document, as a reader names it (as the chat's confidence line
        does): its publication, else its title; its file name only when it has neither."""
        return str(self.metadata(doc_id).get("source") or "") or self.title(doc_id)

    def source(self, doc_id: str) -> str:
        """The document's path (or address) as ingested."""
        return str(self.table.docs.get(doc_id, {}).get("source", doc_id))

    def title(self, doc_id: str) -> str:
        info = self.table.docs.get(doc_id, {})
        return str(info.get("title", "")) or Path(info.get("source", doc_id)).name


def pick(candidates: list[Sentence], count: int, taken: list[Sentence]) -> list[Sentence]:
    """The `count` first candidates that do not repeat a point already taken."""
    chosen: list[Sentence] = []
    for s in candidates:
        if len(chosen) >= count:
            break
        if any(float(s.vector @ t.vector) >= SAME_POINT for t in taken + chosen):
            continue
        chosen.append(s)
    return chosen
