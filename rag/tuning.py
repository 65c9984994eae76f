"""Tuning values that fix how the engine behaves, each saying where its figure came from.

Frozen dataclasses with no dependencies, so that any stage can import them without pulling in a
model or a store. A value used by more than one stage lives here, once: change it here and every
stage follows. (Settings a deployment may change are `SITREP_*` variables: rag/config.py.)
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FusionWeights:
    """How `rag.retrieve` fuses a candidate sentence's four signals (each in [0, 1]) into its
    retrieval score; the weights sum to 1.

    All four were set by hand when hybrid retrieval was written (commit 8bf53d1, "Answer engine
    skeleton") and have not been tuned since. As they are, retrieval alone ranks a sentence
    holding the gold answer first for 0.777 of `val.jsonl` and in the top three for 0.889
    (README, "Reader level"); the reader re-ranks from there.
    """

    dense: float = 0.55
    """Cosine similarity of the sentence to the question: the main signal."""
    coverage: float = 0.25
    """IDF-weighted share of the question's content words the sentence contains: keeps a
    sentence that names what the question names above one that is only about the same thing."""
    chunk_dense: float = 0.10
    """Cosine similarity of the sentence's chunk to the question: the context a lone sentence
    lacks."""
    bm25: float = 0.10
    """BM25 over sentences, scaled so the best candidate has 1."""


@dataclass(frozen=True)
class FarEvidence:
    """When the closest sentence is too far from the question to answer it: its cosine
    similarity is below `min_dense` and it holds less than `min_coverage` of the question's
    words. The answer then abstains (rule `far_evidence` in `rag.rules`) and the brief finds
    nothing on the topic (`rag.brief.scope.topic_rows`).

    Both set by hand with the first answer engine (commit 8bf53d1); the brief took the same test
    when it was written (61673f0). Measured since: with the rule switched off, 2 of 600
    `val.jsonl` questions break and none is fixed (README, "What each rule pays").
    """

    min_dense: float = 0.25
    """Below this cosine similarity the closest sentence is not about the question…"""
    min_coverage: float = 0.5
    """… unless it holds at least this IDF-weighted share of the question's words."""

    def too_far(self, dense: float, coverage: float) -> bool:
        """True when a sentence this close (`dense`, `coverage`) cannot answer the question."""
        return dense < self.min_dense and coverage < self.min_coverage


FUSION = FusionWeights()
FAR_EVIDENCE = FarEvidence()
