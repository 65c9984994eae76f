"""Offline evaluation of Sitrep: question sets, metrics, thresholds, baseline, reports.

Modules, in data-flow order: `data` (question records), `support` (statements and citation
support), `judge` (per-question verdicts), `metrics` (metrics and THRESHOLDS, the one place the
pass marks live), `baseline` (the LangChain comparison row), `suite` (index, answer, score),
`squad` (SQuAD 2.0 calibration), `report` (tables and JSON), `command` (`python -m rag eval`).
Formulas and the dataset schema are in evals/README.md. Submodules are imported on demand so the
CLI stays quick to start.
"""
