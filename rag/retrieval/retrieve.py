"""Hybrid retrieval: a question → ranked candidate sentences.

Three signals are fused: dense search over sentence vectors and over chunk vectors (Chroma), and
BM25 over sentences (bm25s, stemmed). The union is re-scored per sentence with its cosine
similarity to the question, the IDF-weighted share of the question's words it contains, its
chunk's similarity and its BM25 score, weighted by `rag.tuning.FUSION`.

The keyword index and sentence table (`rag.retrieval.sentence_table`) live in this process, reloaded
whenever the index's generation marker changes, so several processes sharing one Chroma server
stay in sync.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

import numpy as np
from chromadb.errors import ChromaError
from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document as LCDocument
from langchain_core.retrievers import BaseRetriever

from rag.contracts import Candidate
from rag.ingest.store import Index
from rag.retrieval.sentence_table import SentenceTable
from rag.text import content_words, stem, stems
from rag.tuning import FUSION

log = logging.getLogger("sitrep.retrieve")


class Retriever:
    """Ranks the index's sentences for a question. Thread-safe; reloads on index changes."""

    def __init__(self, index: Index, dense_k: int = 40, chunk_k: int = 8,
                 keyword_k: int = 40) -> None:
        self.index = index
        self.dense_k, self.chunk_k, self.keyword_k = dense_k, chunk_k, keyword_k
        self._table: SentenceTable | None = None
        self._lock = threading.Lock()

    def table(self) -> SentenceTable:
        """The sentence table, reloaded (with the store) if another writer changed the index."""
        generation = self.index.refresh()
        with self._lock:
            if self._table is None or self._table.generation != generation:
                self._table = SentenceTable.load(self.index)
            return self._table

    def coverage(self, question_words: list[str], sentence_stems: frozenset[str],
                 idf: dict[str, float], default: float | None = None) -> float:
        """IDF-weighted share of `question_words` whose stem occurs in the sentence
        (`default`: the weight of an unknown word, `max(idf.values())` unless given)."""
        if not question_words:
            return 0.0
        default = max(idf.values(), default=1.0) if default is None else default
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
        assert res["distances"] is not None  # asked for (Chroma types every field Optional)
        for sentence_id, dist in zip(res["ids"][0], res["distances"][0]):
            row = table.row_of(sentence_id)
            if row is not None and allowed(table.metas[row]):
                take(row).dense = 1.0 - float(dist)
        # Dense over chunks: every sentence of a close chunk becomes a candidate.
        res = self.index.chunks.query(query_embeddings=[qvec.tolist()],
                                      n_results=self.chunk_k, include=["distances"])
        assert res["distances"] is not None
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
            cand.coverage = self.coverage(qwords, table.stems[row], table.idf, table.idf_max)
            cand.score = (FUSION.dense * cand.dense + FUSION.coverage * cand.coverage
                          + FUSION.chunk_dense * cand.chunk_dense + FUSION.bm25 * cand.bm25)
        return sorted(found.values(), key=lambda c: -c.score)[:limit]

    def _fill_dense(self, found: dict[int, Candidate], qvec: np.ndarray) -> None:
        """Cosine similarity for candidates that dense search did not return."""
        missing = [c for c in found.values() if c.dense == 0.0]
        if not missing:
            return
        try:
            got = self.index.sentences.get(ids=[c.id for c in missing], include=["embeddings"])
        except ChromaError as exc:
            # A store that another process's write has just outdated may not know some ids
            # yet; the candidates keep their other signals rather than failing the question.
            log.warning("cosine fill-in skipped: %s", exc)
            return
        assert got["embeddings"] is not None  # asked for (Chroma types every field Optional)
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

