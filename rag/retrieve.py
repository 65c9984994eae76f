"""Hybrid retrieval: a question → ranked candidate sentences.

Three signals are fused: dense search over sentence vectors and over chunk vectors (Chroma), and
BM25 over sentences (bm25s, stemmed). The union is re-scored per sentence with its cosine
similarity to the question, the IDF-weighted share of the question's words it contains, its
chunk's similarity and its BM25 score.

The keyword index and sentence table live in this process, rebuilt from Chroma whenever the
index's generation marker changes, so several processes sharing one Chroma server stay in sync.
"""

from __future__ import annotations

import math
import sys
import threading
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np
from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document as LCDocument
from langchain_core.retrievers import BaseRetriever

from rag.index import META_ID, READ_PAGE, Index
from rag.text import content_words, stem, stems


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
    score: float = 0.0


@dataclass
class SentenceTable:
    """All committed sentences of the index, with a BM25 index over them."""

    generation: str
    ids: list[str]
    texts: list[str]
    metas: list[dict[str, Any]]
    stems: Sequence[frozenset[str]]  # row → the sentence's stems (computed on access)
    idf: dict[str, float]
    position: dict[tuple[str, int], int]  # (doc_id, sentence idx) → row
    bm25: Any = None
    docs: dict[str, dict[str, Any]] = field(default_factory=dict)
    chunk_rows: dict[str, list[int]] = field(default_factory=dict)  # chunk id → its rows

    @classmethod
    def load(cls, index: Index) -> "SentenceTable":
        import bm25s

        generation = index.generation()
        committed = {r.doc_id: r for r in index.documents()}
        rows = [(i, t, m) for i, t, m in _committed_sentences(index, committed)]
        rows.sort(key=lambda r: (r[2]["source"], r[2]["idx"]))
        ids = [r[0] for r in rows]
        texts = [r[1] for r in rows]
        metas = [r[2] for r in rows]
        del rows
        # Stem each text once; a section's stems are shared by all of its sentences. Interned
        # stems keep a 100k-chunk table's token sets from holding a copy of every word.
        sentence_stems = [[sys.intern(s) for s in stems(t)] for t in texts]
        section_stems = {section: [sys.intern(s) for s in stems(section)]
                         for section in {m.get("section", "") for m in metas}}
        tokens = [toks + section_stems[m.get("section", "")]
                  for toks, m in zip(sentence_stems, metas)]
        df = Counter(s for toks in tokens for s in set(toks))
        n = max(1, len(tokens))
        idf = {s: math.log((n + 1) / (c + 0.5)) for s, c in df.items()}
        bm25 = None
        if tokens:
            bm25 = bm25s.BM25()
            bm25.index(tokens, show_progress=False)
        vocab: dict[str, set[str]] = {}
        for toks, meta in zip(tokens, metas):
            vocab.setdefault(meta["doc_id"], set()).update(toks)
        docs = {r.doc_id: {"title": r.title, "source": r.source, "metadata": r.metadata,
                           "vocab": frozenset(vocab.get(r.doc_id, set()) | set(stems(r.title)))}
                for r in committed.values()}
        chunk_rows: dict[str, list[int]] = {}
        for row, (i, m) in enumerate(zip(ids, metas)):
            chunk_rows.setdefault(f"{i.rsplit(':', 1)[0]}:c{m['chunk']}", []).append(row)
        return cls(generation, ids, texts, metas, _StemSets(texts), idf,
                   {(m["doc_id"], m["idx"]): i for i, m in enumerate(metas)}, bm25, docs,
                   chunk_rows)

    def row_of(self, sentence_id: str) -> int | None:
        """The row of a sentence id (`doc_id:sha:sN`), or None if that version is not loaded."""
        doc_id, _, idx = sentence_id.split(":")
        row = self.position.get((doc_id, int(idx[1:])))
        return row if row is not None and self.ids[row] == sentence_id else None

    def __len__(self) -> int:
        return len(self.ids)

    def window_text(self, doc_id: str, idx: int, before: int = 3, after: int = 1) -> str:
        """Sentences idx-before … idx+after of one document, joined."""
        rows = [self.position.get((doc_id, i)) for i in range(idx - before, idx + after + 1)]
        return " ".join(self.texts[r] for r in rows if r is not None)

    def block_text(self, doc_id: str, idx: int) -> str:
        """The whole paragraph (or bullet) that sentence `idx` of `doc_id` belongs to."""
        row = self.position.get((doc_id, idx))
        if row is None:
            return ""
        block = self.metas[row].get("block")
        first = last = row
        while first > 0 and self.metas[first - 1]["doc_id"] == doc_id \
                and self.metas[first - 1].get("block") == block:
            first -= 1
        while last + 1 < len(self.metas) and self.metas[last + 1]["doc_id"] == doc_id \
                and self.metas[last + 1].get("block") == block:
            last += 1
        return " ".join(self.texts[first:last + 1])

    def candidate(self, row: int) -> Candidate:
        m = self.metas[row]
        return Candidate(id=self.ids[row], text=self.texts[row], doc_id=m["doc_id"],
                         source=m["source"], title=m["title"], section=m.get("section", ""),
                         start=int(m["start"]), end=int(m["end"]), idx=int(m["idx"]),
                         chunk=int(m["chunk"]), kind=m.get("kind", "paragraph"))


class _StemSets(Sequence):
    """Each row's stem set, computed when asked for: only a question's ~100 candidates ever
    are, and keeping all of them costs ~0.7 KB a sentence (300 MB at 100k chunks)."""

    def __init__(self, texts: list[str]) -> None:
        self._texts = texts

    def __len__(self) -> int:
        return len(self._texts)

    def __getitem__(self, row):
        if isinstance(row, slice):
            return [frozenset(stems(t)) for t in self._texts[row]]
        return frozenset(stems(self._texts[row]))


_SHARED_KEYS = ("doc_id", "sha", "source", "title", "section", "kind")


def _committed_sentences(index: Index, committed: dict[str, Any]):
    """Yield (id, text, metadata) of the sentences of committed document versions, page by page.

    Repeated metadata strings (document ids, paths, titles, sections) are interned so that
    every row of a document shares one copy.
    """
    shared: dict[str, str] = {}
    offset = 0
    while True:
        got = index.sentences.get(include=["documents", "metadatas"], limit=READ_PAGE,
                                  offset=offset)
        for i, text, meta in zip(got["ids"], got["documents"], got["metadatas"]):
            record = committed.get(meta["doc_id"])
            if record is None or record.sha256[:12] != meta["sha"]:
                continue
            for key in _SHARED_KEYS:
                if key in meta:
                    meta[key] = shared.setdefault(meta[key], meta[key])
            yield i, text, meta
        if len(got["ids"]) < READ_PAGE:
            return
        offset += READ_PAGE


class Retriever:
    """Ranks the index's sentences for a question. Thread-safe; reloads on index changes."""

    def __init__(self, index: Index, dense_k: int = 40, chunk_k: int = 8,
                 keyword_k: int = 40) -> None:
        self.index = index
        self.dense_k, self.chunk_k, self.keyword_k = dense_k, chunk_k, keyword_k
        self._table: SentenceTable | None = None
        self._lock = threading.Lock()

    def table(self) -> SentenceTable:
        """The sentence table, reloaded if another writer changed the index."""
        generation = self.index.generation()
        with self._lock:
            if self._table is None or self._table.generation != generation:
                self._table = SentenceTable.load(self.index)
            return self._table

    def coverage(self, question_words: list[str], sentence_stems: frozenset[str],
                 idf: dict[str, float]) -> float:
        """IDF-weighted share of `question_words` whose stem occurs in the sentence."""
        if not question_words:
            return 0.0
        default = max(idf.values(), default=1.0)
        weights = {w: idf.get(stem(w), default) for w in question_words}
        total = sum(weights.values()) or 1.0
        return sum(v for w, v in weights.items() if stem(w) in sentence_stems) / total

    def retrieve(self, query: str, limit: int = 30, allowed_docs: set[str] | None = None,
                 table: SentenceTable | None = None) -> list[Candidate]:
        """Return up to `limit` candidate sentences for `query`, best first.

        `allowed_docs` (doc ids), when given, restricts the candidates to those documents.
        `table`: the caller's `self.table()`, when it needs the same table afterwards (one
        generation read per question, not two).
        """
        table = self.table() if table is None else table
        if not len(table):
            return []
        qvec = self.index.embedder.encode([query])[0]
        found: dict[int, Candidate] = {}

        def take(row: int) -> Candidate:
            if row not in found:
                found[row] = table.candidate(row)
            return found[row]

        def allowed(meta: dict[str, Any]) -> bool:
            return allowed_docs is None or meta["doc_id"] in allowed_docs

        # Dense over sentences. Ids say which document version and sentence a hit is, so
        # Chroma need not read any metadata (a third of the query time at 100k chunks).
        res = self.index.sentences.query(query_embeddings=[qvec.tolist()],
                                         n_results=min(self.dense_k, len(table)),
                                         include=["distances"])
        for sentence_id, dist in zip(res["ids"][0], res["distances"][0]):
            row = table.row_of(sentence_id)
            if row is not None and allowed(table.metas[row]):
                take(row).dense = 1.0 - float(dist)
        # Dense over chunks: every sentence of a close chunk becomes a candidate.
        res = self.index.chunks.query(query_embeddings=[qvec.tolist()],
                                      n_results=self.chunk_k, include=["distances"])
        for chunk_id, dist in zip(res["ids"][0], res["distances"][0]):
            for row in table.chunk_rows.get(chunk_id, []):
                if allowed(table.metas[row]):
                    cand = take(row)
                    cand.chunk_dense = max(cand.chunk_dense, 1.0 - float(dist))
        # BM25 over sentences.
        qstems = stems(query)
        if table.bm25 is not None and qstems:
            scores = table.bm25.get_scores(qstems)
            k = min(self.keyword_k, len(scores))
            top = np.argpartition(-scores, k - 1)[:k]  # linear, unlike a full sort at 400k rows
            top = top[np.argsort(-scores[top])]
            best = float(scores[top[0]]) if len(top) else 0.0
            for row in top:
                if scores[row] > 0 and allowed(table.metas[row]):
                    take(int(row)).bm25 = float(scores[row]) / (best or 1.0)
        self._fill_dense(found, qvec)
        qwords = content_words(query)
        for row, cand in found.items():
            cand.coverage = self.coverage(qwords, table.stems[row], table.idf)
            cand.score = (0.55 * cand.dense + 0.25 * cand.coverage
                          + 0.10 * cand.chunk_dense + 0.10 * cand.bm25)
        return sorted(found.values(), key=lambda c: -c.score)[:limit]

    def _fill_dense(self, found: dict[int, Candidate], qvec: np.ndarray) -> None:
        """Cosine similarity for candidates that dense search did not return."""
        missing = [c for c in found.values() if c.dense == 0.0]
        if not missing:
            return
        got = self.index.sentences.get(ids=[c.id for c in missing], include=["embeddings"])
        vectors = dict(zip(got["ids"], got["embeddings"]))
        for cand in missing:
            if cand.id in vectors:
                cand.dense = float(np.dot(np.asarray(vectors[cand.id]), qvec))


class SitrepRetriever(BaseRetriever):
    """LangChain retriever over a Sitrep index: returns candidate sentences as Documents.

    Each Document's page_content is the verbatim sentence; metadata carries source, doc_id,
    title, section, start, end and the ranking score.
    """

    retriever: Any
    k: int = 5

    def _get_relevant_documents(self, query: str, *,
                                run_manager: CallbackManagerForRetrieverRun) -> list[LCDocument]:
        return [LCDocument(page_content=c.text,
                           metadata={"source": c.source, "doc_id": c.doc_id, "title": c.title,
                                     "section": c.section, "start": c.start, "end": c.end,
                                     "score": round(c.score, 4)})
                for c in self.retriever.retrieve(query, limit=self.k)]


__all__ = ["Candidate", "Retriever", "SentenceTable", "SitrepRetriever", "META_ID"]
