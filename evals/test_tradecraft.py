"""Tradecraft evals: claim labels, hedges kept, conflicts shown both ways, brief disagreements.

- Claim labels: `rag.tradecraft.claim_type` against the 80 hand-labelled sentences of
  evals/data/claim_labels.jsonl; precision and recall per label must reach `CLAIM_THRESHOLD`.
- Hedge retention: answered questions whose gold evidence is hedged ("reportedly", "estimate",
  "according to", "said", …) and whose answer cites that evidence. The answer keeps the hedge
  when (a) its text carries a hedge word of every hedged gold sentence it cites, and (b) a
  bottom line that restates a value instead of quoting the sentence carries a hedge word of
  every hedged sentence it cites by number. Required: 100 % of those answers.
- Conflicts: every fixture question marked `conflict` must be answered with every side's value
  (rag.tools.evaluate.judge.answer_found), a citation from every side's file, each side's source
  named in the answer, and the disagreement said (`conflict: true`).
- Brief disagreements: the brief over the fixture corpus must list every planted disagreement
  (evals/fixture/README.md) with both files cited, and nothing else as a disagreement.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from rag.brief import Brief, brief
from rag.tools.evaluate.judge import answer_found, squash
from rag.tools.evaluate.suite import ROOT, Report, open_engine
from rag.tradecraft import CLAIM_TYPES, claim_type, hedges

CLAIM_THRESHOLD = 0.85
LABELS = ROOT / "evals" / "data" / "claim_labels.jsonl"
FIXTURE = ROOT / "evals" / "fixture" / "corpus"
# Planted disagreements of the fixture corpus: the two files and a word of each side's sentence.
PLANTED = [
    ("kessling-dam-overview.md", "kessling-dam-review.md", "cubic metres"),
    ("kessling-dam-overview.md", "kessling-dam-review.md", "relocat"),
    ("kessling-dam-overview.md", "kessling-dam-review.md", "villages"),
    ("velmar-port-history.md", "velmar-metro-line4.txt", "opened in"),
    ("velmar-port-history.md", "velmar-metro-line4.txt", "chief engineer"),
]


# ---- claim labels ----------------------------------------------------------------------------


def claim_scores() -> dict[str, tuple[float, float, int]]:
    """label → (precision, recall, gold count) of `claim_type` on the labelled sentences."""
    rows = [json.loads(line) for line in LABELS.read_text(encoding="utf-8").splitlines()
            if line.strip()]
    hits, predicted, gold = Counter(), Counter(), Counter()
    for row in rows:
        guess = claim_type(row["sentence"])
        predicted[guess] += 1
        gold[row["label"]] += 1
        hits[guess] += guess == row["label"]
    return {t: (hits[t] / predicted[t] if predicted[t] else 0.0,
                hits[t] / gold[t] if gold[t] else 0.0, gold[t]) for t in CLAIM_TYPES}


def test_claim_label_set_is_big_enough():
    scores = claim_scores()
    assert sum(n for _, _, n in scores.values()) >= 60
    assert all(n >= 10 for _, _, n in scores.values())


@pytest.mark.parametrize("label", CLAIM_TYPES)
def test_claim_label_precision_and_recall(label: str):
    precision, recall, n = claim_scores()[label]
    print(f"{label}: precision {precision:.2f} recall {recall:.2f} (n={n})")
    assert precision >= CLAIM_THRESHOLD and recall >= CLAIM_THRESHOLD, (label, precision, recall)


# ---- hedges ----------------------------------------------------------------------------------


def hedge_verdicts(report: Report) -> list[tuple[str, bool, str]]:
    """(question id, hedge kept?, why not) for every answer the hedge rule applies to."""
    verdicts = []
    for o in report.outcomes:
        gold = [squash(e) for e in o.record.evidence if hedges(e)]
        if not o.record.answerable or o.abstained or not gold:
            continue
        cited = {c["n"]: c["sentence"] for c in o.citations}
        used = [s for s in cited.values() if any(g in squash(s) for g in gold)]
        if not used:
            continue  # answered from other evidence: a matter for evidence recall, not hedges
        text, bluf = o.answer["answer"].lower(), o.answer.get("bluf", "").lower()
        lost = [s for s in used if not any(h in text for h in hedges(s))]
        said = o.answer.get("bottom_line") or []
        if not any(s.get("quotes") for s in said):  # a value, not a quoted sentence
            refs = {n for s in said for n in s.get("cites", ())}
            lost += [cited[n] for n in refs if n in cited and hedges(cited[n])
                     and not any(h in bluf for h in hedges(cited[n]))]
        verdicts.append((o.record.id, not lost, f"hedge dropped for: {lost}" if lost else ""))
    return verdicts


@pytest.mark.integration
def test_hedged_evidence_keeps_its_hedge_in_every_answer(report: Report):
    verdicts = hedge_verdicts(report)
    kept = sum(ok for _, ok, _ in verdicts)
    print(f"hedge retention: {kept}/{len(verdicts)}")
    assert len(verdicts) >= 10  # enough hedged answers that 100 % means something
    assert kept == len(verdicts), [(i, why) for i, ok, why in verdicts if not ok]


# ---- conflicts -------------------------------------------------------------------------------


def conflict_verdicts(report: Report) -> list[tuple[str, list[str]]]:
    """(question id, what is missing) for every fixture conflict question."""
    verdicts = []
    for o in (o for o in report.outcomes if o.record.conflict):
        text = o.answer["answer"]
        cited = {Path(c["source"]).name: c for c in o.citations}
        missing = [] if answer_found(o.record, text) else ["a side's value"]
        for side in dict.fromkeys(Path(s).name for s in o.record.evidence_sources):
            c = cited.get(side)
            if c is None:
                missing.append(f"a citation from {side}")
            elif c["title"] not in text and (c.get("source_name") or side) not in text:
                missing.append(f"the name of {side}")
        if not o.answer.get("conflict"):
            missing.append("conflict: true")
        verdicts.append((o.record.id, missing))
    return verdicts


@pytest.mark.integration
def test_every_conflict_question_shows_both_values_with_sources(report: Report):
    verdicts = conflict_verdicts(report)
    shown = sum(not missing for _, missing in verdicts)
    print(f"conflict coverage: {shown}/{len(verdicts)}")
    assert len(verdicts) >= 7
    assert shown == len(verdicts), [v for v in verdicts if v[1]]


# ---- the brief -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def fixture_brief(tmp_path_factory) -> Brief:
    return brief(open_engine(FIXTURE, tmp_path_factory.mktemp("brief") / "index"))


@pytest.mark.integration
def test_brief_lists_every_planted_disagreement_and_nothing_else(fixture_brief: Brief):
    cited = {c.n: c for c in fixture_brief.citations}
    found, extra = set(), []
    for line in fixture_brief.disagreements:
        sides = [cited[n] for n in line.refs]
        files = {Path(c.source).name for c in sides}
        match = [p for p in PLANTED if files == {p[0], p[1]}
                 and all(p[2] in c.sentence for c in sides)]
        if match:
            found.add(match[0])
        else:
            extra.append(line.text)
    print(f"brief disagreements: {len(found)}/{len(PLANTED)} planted found, "
          f"{len(extra)} other")
    assert found == set(PLANTED), set(PLANTED) - found
    assert not extra, extra
