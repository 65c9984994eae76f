"""What each part of the answerer changes: the same questions answered by the configured
engine, with the reader switched the other way, and with each rule of `rag.rules` off.

`ablate(question_sets, workdir, settings)` indexes each (name, corpus, records) once and re-asks
every question per variant (the engine reads `settings` per question, so a variant is a settings
change, not a new index); `render(rows)` prints the table `python -m rag eval --ablation` shows.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from rag.config import Settings
from rag.rules import RULES
from rag.tools.evaluate.data import Record
from rag.tools.evaluate.judge import Outcome
from rag.tools.evaluate.metrics import score_all
from rag.tools.evaluate.suite import engine_answerer, open_engine, run_answerer

METRICS = ("answer_accuracy", "evidence_recall", "abstention_recall", "false_abstention_rate")


@dataclass
class AblationRow:
    """One variant's headline figures and how its answers differ from the configured engine's."""

    variant: str
    scores: dict[str, float]
    # "Right": the gold answer in the bottom line, or an abstention on an unanswerable question.
    fixed: int  # questions this variant gets right that the configured engine gets wrong
    broken: int  # questions the configured engine gets right that this variant gets wrong


def _right(o: Outcome) -> bool:
    return o.answer_ok if o.record.answerable else o.abstained


def _row(variant: str, outcomes: list[Outcome], base: list[Outcome]) -> AblationRow:
    scores = score_all(outcomes)
    pairs = list(zip(map(_right, outcomes), map(_right, base)))
    return AblationRow(variant, {m: scores[m].value for m in METRICS},
                       sum(new and not old for new, old in pairs),
                       sum(old and not new for new, old in pairs))


def variants(settings: Settings) -> list[tuple[str, Settings]]:
    """The configured engine, the reader switched, then each rule off."""
    reader_on = settings.reader_path != "off"
    return [("as configured" + (" (reader on)" if reader_on else " (reader off)"), settings),
            ("reader off" if reader_on else "reader on",
             replace(settings, reader_path="off" if reader_on else "on"))] + [
        (f"without {name}", replace(settings, rules_off=settings.rules_off | {name}))
        for name in RULES if name not in settings.rules_off]


def ablate(question_sets: list[tuple[str, Path, list[Record]]], workdir: Path,
           settings: Settings, log=None) -> list[AblationRow]:
    """Answer every question under every variant (see module docstring)."""
    engines = [(open_engine(corpus, workdir / name / "index", settings), records)
               for name, corpus, records in question_sets]
    rows: list[AblationRow] = []
    base: list[Outcome] = []
    for variant, variant_settings in variants(settings):
        outcomes: list[Outcome] = []
        for engine, records in engines:
            engine.settings = variant_settings
            outcomes += run_answerer(engine_answerer(engine), records)
        base = base or outcomes
        rows.append(_row(variant, outcomes, base))
        if log:
            log(render(rows[-1:], header=len(rows) == 1))
    return rows


def render(rows: list[AblationRow], header: bool = True) -> str:
    """A fixed-width table: variant, the headline metrics, questions fixed / broken."""
    lines = [f"{'variant':34}" + "".join(f"{m:>23}" for m in METRICS) + f"{'fixed':>7}"
             f"{'broken':>7}"] if header else []
    lines += [f"{r.variant:34}" + "".join(f"{r.scores[m]:>23.3f}" for m in METRICS)
              + f"{r.fixed:>7}{r.broken:>7}" for r in rows]
    return "\n".join(lines)
