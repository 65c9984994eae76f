"""The sentence peer: reciprocal-rank fusion (RRF) of dense and BM25 retrieval over sentences,
with no reader and no rules: what the reader has to beat.

`rrf_sentences(engine, question, k)` returns the top `k` sentences of the engine's index as
(source, sentence) pairs, ranked by RRF (k=60) of MiniLM cosine and BM25 over the same index.
"""

from __future__ import annotations

import numpy as np

from rag.reader.pairs import RRF_K
from rag.text import stems

POOL = 40  # how deep each ranked list goes before fusion


def rrf_sentences(engine, question: str, k: int) -> list[tuple[str, str]]:
    """The `k` best sentences for `question` by RRF of dense and BM25 (see module docstring)."""
    table = engine.retriever.table()
    if not len(table):
        return []
    qvec = engine.index.embedder.encode([question])[0]
    fused: dict[int, float] = {}
    res = engine.index.sentences.query(query_embeddings=[qvec.tolist()],
                                       n_results=min(POOL, len(table)), include=["distances"])
    dense_rows = [table.row_of(i) for i in res["ids"][0]]
    for rank, row in enumerate(r for r in dense_rows if r is not None):
        fused[row] = fused.get(row, 0.0) + 1.0 / (RRF_K + 1 + rank)
    qstems = stems(question)
    if table.bm25 is not None and qstems:
        scores = table.bm25.get_scores(qstems)
        top = np.argsort(-scores, kind="stable")[:POOL]
        for rank, row in enumerate(int(r) for r in top if scores[r] > 0):
            fused[row] = fused.get(row, 0.0) + 1.0 / (RRF_K + 1 + rank)
    best = sorted(fused, key=lambda r: -fused[r])[:k]
    return [(table.metas[r]["source"], table.texts[r]) for r in best]
