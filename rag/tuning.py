"""Tuning values that fix how the engine behaves, each saying where its figure came from.

Frozen dataclasses with no dependencies, so that any stage can import them without pulling in a
model or a store. A value used by more than one stage lives here, once: change it here and every
stage follows. (Settings a deployment may change are `SITREP_*` variables: rag/config.py.)
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FusionWeights:
    """How `rag.retrieval.retrieve` fuses a candidate sentence's four signals (each in [0, 1])
    into its retrieval score; the weights sum to 1.

    All four were set by hand when hybrid retrieval was written (commit 8bf53d1, "Answer engine
    skeleton") and have not been tuned since. As they are, retrieval alone ranks a sentence
    holding the gold answer first for 0.777 of `val.jsonl` and in the top three for 0.889
    (evals/README.md, "Reader level"); the reader re-ranks from there.
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
    `val.jsonl` questions break and none is fixed (evals/README.md, "What each rule pays").
    """

    min_dense: float = 0.25
    """Below this cosine similarity the closest sentence is not about the question…"""
    min_coverage: float = 0.5
    """… unless it holds at least this IDF-weighted share of the question's words."""

    def too_far(self, dense: float, coverage: float) -> bool:
        """True when a sentence this close (`dense`, `coverage`) cannot answer the question."""
        return dense < self.min_dense and coverage < self.min_coverage


@dataclass(frozen=True)
class AnswerTuning:
    """The weights, shares and similarity floors `rag.answer.compose` decides with.

    Every one was set by hand when the rule using it was written (the commit is named at each
    field) and none has been swept since; the rules they belong to are measured as a whole by
    `python -m rag eval --ablation` (evals/README.md, "What each rule pays": fixed / broken of
    600 `val.jsonl` questions when the rule is switched off, reader on, 1 Dec 2026). Shares are
    fractions of the top candidate's figure; similarities are cosines of the MiniLM embeddings
    (`rag.embed.model`).
    """

    # -- the candidate pool ------------------------------------------------------------------
    pool: int = 15
    """Candidates (best first from retrieval and the reader) that compose weighs; the rest are
    never cited. Also the depth `rag.reader.calibrate` calibrates over. Set with typed spans
    (280d7af)."""
    neighbours_of: int = 3
    """A typed or "why" question also weighs the sentences either side of the best this many
    (rule `neighbours`, 32cd751: the value often sits one sentence from the question's words;
    off: 0 fixed / 1 broken)."""
    neighbour_share: float = 0.9
    """A neighbour scores at least this share of the sentence it neighbours: a little below
    it (32cd751)."""
    question_label_below: int = 100
    """A number in the question below this is a label ("Line 4"), not a fact the evidence
    must repeat (rule `question_year`, 439ca1d; off: 0 / 9)."""
    context_before: int = 6
    """Sentences before a candidate read as its context: six reach the paragraph before, where
    a quote's occasion is often set."""

    # -- refusal -----------------------------------------------------------------------------
    min_ascii_share: float = 0.5
    """A question whose letters are less than this share ASCII is not English, the language
    the sources are indexed in: refused (faab0b7)."""
    typed_top_share: float = 0.6
    """A typed question abstains when its top-ranked sentence (the best with a value) scores
    below this share of the best retrieved one: too far below the top to answer (280d7af)."""
    near_synonym: float = 0.7
    """A question name missing from the sources still counts as there when every missing word
    has a word in the context at least this close (word vectors: "Beijing" ~ "China"; rule
    `question_names`, 439ca1d; off: 3 fixed / 12 broken)."""
    counted_match: float = 0.6
    """A "how many X" question refuses a sentence none of whose words is this close to X
    (word vectors; rule `counts_other_thing`, 439ca1d; off: 0 / 2)."""

    # -- ranking a typed question's candidates (`_rank`) -------------------------------------
    topic_titles: int = 5
    """Titles of this many closest candidates say what the documents are about; question words
    outside them are the focus (06864aa)."""
    focus_bonus: float = 0.15
    """Added for a sentence holding all the focus words, in proportion for some (rule
    `focus_words`, 06864aa; off: 0 / 3)."""
    measure_penalty: float = 0.15
    """Taken from a sentence whose measure is not the one asked ("killed" asked, "deployed"
    given; rule `measure_mismatch`, 32cd751; off: 0 / 1)."""
    value_bonus: float = 0.08
    """Added for a sentence with a value of the asked type (280d7af)…"""
    fit_bonus: float = 0.1
    """… plus this per point of the value's fit (0–3, `rag.answer.spans.answer_span`) (280d7af)…"""
    no_value_penalty: float = 1.0
    """… while a sentence without a value loses this: it goes last (280d7af)."""

    # -- the reader's phrase and citations ---------------------------------------------------
    max_citations: int = 3
    """Sentences cited at most (8bf53d1)."""
    max_phrase_share: float = 0.7
    """A reader phrase at least this share of its sentence's length adds nothing to it: the
    sentence is the answer (0bb7190)."""
    reader_cite_share: float = 0.5
    """With the reader on, also cite sentences it rates at least this share of the best
    read sentence's probability, above its floor (rules `reader_citations`, off: evidence
    0 / 6, and `reader_support`, off: evidence 0 / 10; 986cf0b). A rival name without the
    top's role needs the same share of the top's probability (87b4874)."""

    # -- rivals (`_rival`) -------------------------------------------------------------------
    rival_retrieval_share: float = 0.5
    """A rival value's sentence scores (by retrieval, before the reader's share) at least this
    share of the top's (20cd53a, 2785f22)."""
    rival_dense_same_unit: float = 0.5
    """A rival in the top's own unit or role may be this share of the top's dense similarity
    to the question ("The wall rises 162 metres" beside "Dam height: 146 metres")…"""
    rival_dense: float = 0.6
    """… any other this share, unless the reader reads it as answering (87b4874: counterfactual
    both-values 0.524 → 0.714, wrong-only 0.048 → 0.016 with the kinds and labels)."""
    same_unit: float = 0.45
    """Two figures' units this close (word vectors) measure the same kind of thing ("people" ~
    "residents"; 87b4874). `rag.brief.figures.SAME_UNIT` (0.5) is the brief's own test of
    counted nouns."""

    # -- corroboration (`_select`) -----------------------------------------------------------
    cite_retrieval_share: float = 0.8
    """A further sentence the reader does not vouch for is cited only when its retrieval score
    is at least this share of the top's… (8bf53d1)"""
    cite_coverage_share: float = 0.6
    """… and it covers at least this share of what the top covers of the question (8bf53d1)."""
    support_dense_share: float = 0.6
    """A typed question cites a sentence without a shown value only when the reader vouches for
    it and its dense similarity is at least this share of the top's (2785f22)."""


FUSION = FusionWeights()
FAR_EVIDENCE = FarEvidence()
ANSWER = AnswerTuning()
