"""The answer rules by name: each one `rag.answer.compose` applies can be switched off, so
`python -m rag eval --ablation` measures what it changes on validation and on the suite.

Dependency-free: `rag.config` validates `SITREP_RULES_OFF` against these names.
"""

from __future__ import annotations

# name → what the rule does (ranking bonuses, abstention checks, evidence selection).
RULES: dict[str, str] = {
    "focus_words": "typed: favour sentences carrying the question words the top titles lack",
    "measure_mismatch": "typed: penalise sentences without the measure asked (deaths, cost)",
    "neighbours": "typed and reason questions: weigh the sentences next to the best ones",
    "far_evidence": "abstain when no sentence is close to the question (dense and keywords)",
    "counts_other_thing": "abstain when a count's sentence never names the thing counted",
    "question_year": "abstain when a number of 100+ in the question is not in the evidence",
    "question_names": "abstain when a name in the question is not in the document",
    "ordinal": "abstain when 'the first/last …' has no ordinal in the evidence",
    "measure_asked": "abstain when the asked measure is not what the evidence gives",
    "reader_citations": "reader on, descriptions: also cite sentences the reader rates highly",
    "reader_support": "reader on, typed: also cite sentences the reader rates highly (no value)",
    "reader_value_type": "a reader value unlike the asked figure, date or time: cite the sentence",
    "reader_picks_value": "typed: the value the reader's phrase covers is its sentence's value",
    "reader_figure": "a description the reader answers with a figure: show a rival figure",
    "rival_value": "show a different value of the same kind from another document beside it",
}
