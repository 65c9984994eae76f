"""Counterfactual robustness: does an answer show both sides of a disagreement, or only the
planted wrong one? (After RGB's counterfactual robustness, Chen et al., AAAI 2024.)

Each question of `evals/data/counterfactual_questions.jsonl` has two sides, the distinct files of
its `evidence_sources` in order: the first is a fixture document (the original value), the
second a report by another outlet in `evals/counterfactual/corpus/` that restates the same fact
with a changed value. The second side is "the wrong one".

- `judge_conflict(record, answer)` → `ConflictVerdict`: which sides' values the bottom line shows,
  whether each side is cited from its own file, and the two verdicts below.
- `conflict_rates(verdicts)`: `both_values_rate` (the bottom line holds every side's value and
  each side's evidence is cited from its own file) and `wrong_only_rate` (the bottom line holds
  the counterfactual value and not the original one).
- `evaluate_counterfactual(workdir)`: index `evals/counterfactual/corpus/`, answer every question
  with the real engine, judge. `run_counterfactual(...)` prints it for `rag eval --counterfactual`.

A side's value is found in a text when one of the side's gold `answers` occurs in it as whole
words (case-insensitive), or every one of the side's gold `numbers` does as a number ("9" and
"nine" alike; a range side needs both ends). Answers and numbers belong to the side whose
evidence holds them and no other side's.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rag.text import numbers_in
from rag.tools.evaluate.data import Record, load_records
from rag.tools.evaluate.judge import bottom_line, evidence_found, squash

ROOT = Path(__file__).resolve().parents[3]
CORPUS = ROOT / "evals" / "counterfactual" / "corpus"
QUESTIONS = ROOT / "evals" / "data" / "counterfactual_questions.jsonl"
TARGETS: dict[str, tuple[str, float]] = {"both_values_rate": (">=", 0.80),
                                         "wrong_only_rate": ("<=", 0.05)}


def all_numbers(text: str) -> list[float]:
    """Every number in `text`, in digits ("12,000", "3.8 billion") or in words ("nine")."""
    return [v for v, _, _ in numbers_in(text)]


def _same(a: float, b: float) -> bool:
    return abs(a - b) <= 1e-9 * max(abs(a), 1.0)


def _has_words(text: str, phrase: str) -> bool:
    pattern = r"(?<!\w)" + re.escape(squash(phrase).casefold()) + r"(?!\w)"
    return re.search(pattern, squash(text).casefold()) is not None


@dataclass(frozen=True)
class Side:
    """One outlet's version of the fact: its file and the gold values that are its alone."""

    source: str
    answers: tuple[str, ...]
    numbers: tuple[float, ...]

    def shown_in(self, text: str) -> bool:
        """The side's value is in `text`: an answer string, or every one of its numbers."""
        if any(_has_words(text, a) for a in self.answers):
            return True
        found = all_numbers(text)
        return bool(self.numbers) and all(any(_same(n, v) for v in found) for n in self.numbers)


def sides(record: Record) -> list[Side]:
    """The sides of a conflict record, in `evidence_sources` order (original first)."""
    files = list(dict.fromkeys(record.evidence_sources))
    evidence = {f: " ".join(e for e, s in zip(record.evidence, record.evidence_sources) if s == f)
                for f in files}
    result = []
    for f in files:
        others = [evidence[o] for o in files if o != f]
        answers = tuple(a for a in record.answers if _has_words(evidence[f], a)
                        and not any(_has_words(o, a) for o in others))
        mine = all_numbers(evidence[f])
        theirs = [v for o in others for v in all_numbers(o)]
        numbers = tuple(n for n in record.numbers if any(_same(n, v) for v in mine)
                        and not any(_same(n, v) for v in theirs))
        result.append(Side(f, answers, numbers))
    return result


@dataclass
class ConflictVerdict:
    """One counterfactual question, the answer given, and what it showed."""

    record: Record
    answer: dict[str, Any]
    shown: list[bool]  # per side, in `sides(record)` order: its value is in the bottom line
    cited: bool  # each side's gold evidence is cited from that side's own file
    both: bool  # every value shown, every side cited
    wrong_only: bool  # the counterfactual (last) side's value shown, the original's not


def judge_conflict(record: Record, answer: dict[str, Any]) -> ConflictVerdict:
    """The verdict on one answer object (the engine's `to_dict()` shape) to a conflict record."""
    line = "" if answer.get("abstained") else bottom_line(answer)
    shown = [side.shown_in(line) for side in sides(record)]
    cited = not answer.get("abstained") and evidence_found(
        record, [(c.get("source", ""), c.get("sentence", ""))
                 for c in answer.get("citations") or []])
    return ConflictVerdict(record, answer, shown, cited,
                           both=all(shown) and cited,
                           wrong_only=shown[-1] and not any(shown[:-1]))


def conflict_rates(verdicts: list[ConflictVerdict]) -> dict[str, float]:
    """`both_values_rate` and `wrong_only_rate` over `verdicts` (NaN for none)."""
    n = len(verdicts)
    if not n:
        return {"both_values_rate": float("nan"), "wrong_only_rate": float("nan")}
    return {"both_values_rate": sum(v.both for v in verdicts) / n,
            "wrong_only_rate": sum(v.wrong_only for v in verdicts) / n}


def meets(name: str, value: float) -> bool:
    """`value` meets the target of metric `name` in `TARGETS` (NaN never does)."""
    op, bound = TARGETS[name]
    return value >= bound if op == ">=" else value <= bound


def load_counterfactual() -> list[Record]:
    """The counterfactual question set."""
    return load_records(QUESTIONS, "counterfactual")


def evaluate_counterfactual(workdir: Path, settings=None,
                            records: Iterable[Record] | None = None) -> list[ConflictVerdict]:
    """Index the counterfactual corpus under `workdir`, ask every question, judge each answer."""
    from rag.tools.evaluate.suite import open_engine

    engine = open_engine(CORPUS, workdir / "counterfactual" / "index", settings)
    return [judge_conflict(r, engine.ask(r.question, r.history or None, r.id).to_dict())
            for r in (load_counterfactual() if records is None else records)]


def render_text(verdicts: list[ConflictVerdict], verbose: bool = False) -> str:
    """The two rates against their targets, then the questions that miss (all with `verbose`)."""
    rates = conflict_rates(verdicts)
    out = [f"Counterfactual robustness ({len(verdicts)} questions, {CORPUS.relative_to(ROOT)})",
           ""]
    for name, value in rates.items():
        op, bound = TARGETS[name]
        out.append(f"{name:18} {value:6.3f}   target {op} {bound:.2f}   "
                   f"{'ok' if meets(name, value) else 'MISS'}")
    out += ["", "id      both wrong shown cited  question → bottom line"]
    for v in verdicts:
        if verbose or not v.both or v.wrong_only:
            shown = "".join("x" if s else "." for s in v.shown)
            line = "(abstained)" if v.answer.get("abstained") else squash(bottom_line(v.answer))
            out.append(f"{v.record.id:7} {'yes' if v.both else 'no':4} "
                       f"{'YES' if v.wrong_only else 'no':5} {shown:5} "
                       f"{'yes' if v.cited else 'no':5}  {v.record.question} → {line[:160]}")
    return "\n".join(out)


def render_json(verdicts: list[ConflictVerdict]) -> dict[str, Any]:
    """The rates, targets and per-question verdicts as JSON-ready data."""
    return {"rates": conflict_rates(verdicts), "targets": TARGETS,
            "questions": [{"id": v.record.id, "question": v.record.question,
                           "shown": v.shown, "cited": v.cited, "both": v.both,
                           "wrong_only": v.wrong_only, "bottom_line": bottom_line(v.answer),
                           "abstained": bool(v.answer.get("abstained"))} for v in verdicts]}


def run_counterfactual(workdir: Path, settings, as_json: bool = False,
                       verbose: bool = False) -> int:
    """Print the counterfactual report; 0 when both targets are met, else 1."""
    started = time.perf_counter()
    verdicts = evaluate_counterfactual(workdir, settings)
    if as_json:
        print(json.dumps(render_json(verdicts), ensure_ascii=False, indent=1))
    else:
        print(render_text(verdicts, verbose))
        print(f"\n({time.perf_counter() - started:.0f} s)")
    rates = conflict_rates(verdicts)
    return 0 if all(meets(name, rates[name]) for name in TARGETS) else 1
