"""Choose how the reader joins retrieval, on validation questions (tooling).

`read_questions(engine, reader, records)` runs the product's retrieval and the reader on each
question and keeps, per question, every read candidate's retrieval score, reader probability and
whether it holds a gold answer. `choose(readouts)` then picks the fusion weight that puts a gold
sentence first most often, and the highest abstention threshold whose false abstention on
answerable questions stays within `max_false_abstention`, and the fewest candidates to read
(`read_top`, the reader's cost) that keep top-1 and top-3 within `READ_TOP_SLACK` of reading
them all; `figures(...)` reports top-1, top-3 and abstention at a given calibration.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from rag.contracts import Calibration
from rag.reader.model import Reader
from rag.tools.evaluate.data import Record
from rag.tools.evaluate.judge import squash
from rag.tuning import ANSWER

WEIGHTS = (0.0, 0.25, 0.5, 1.0, 2.0, 4.0, 8.0)
POOL = ANSWER.pool  # the candidates rag.answer.compose weighs (its `pool`)
READ_TOPS = (5, 8, 10, 12, 15, 20)  # how many retrieval candidates the reader may score
READ_TOP_SLACK = 0.005  # top-1/top-3 a shorter read may lose against reading all of them


@dataclass
class Readout:
    """One validation question as the reader saw it."""

    answerable: bool
    scores: np.ndarray  # retrieval score of each read candidate, retrieval order
    probabilities: np.ndarray  # the reader's probability for each
    gold: np.ndarray  # bool: the candidate holds a gold answer
    span_gold: bool  # the reader's span in its best candidate holds a gold answer


def read_questions(engine, reader: Reader, records: list[Record],
                   read_top: int = 20) -> list[Readout]:
    """Retrieve and read every record's question (see module docstring)."""
    readouts = []
    for record in records:
        cands = engine.retriever.retrieve(record.question)[:read_top]
        readings = reader.read(record.question, [c.text for c in cands])
        answers = [squash(a).casefold() for a in record.answers]
        gold = np.array([any(a in squash(c.text).casefold() for a in answers) for c in cands],
                        dtype=bool)
        probs = np.array([r.probability for r in readings])
        best = int(np.argmax(probs)) if len(probs) else -1
        span = (cands[best].text[slice(*readings[best].span)] if best >= 0 else "")
        span_gold = any(a in squash(span).casefold() for a in answers)
        readouts.append(Readout(record.answerable, np.array([c.score for c in cands]), probs,
                                gold, span_gold))
    return readouts


def limited(readouts: list[Readout], read_top: int) -> list[Readout]:
    """The readouts as if the reader had read only the first `read_top` candidates (the rest
    keep their retrieval score and no probability)."""
    return [replace(r, probabilities=np.where(np.arange(len(r.probabilities)) < read_top,
                                              r.probabilities, 0.0)) for r in readouts]


def _order(r: Readout, weight: float) -> np.ndarray:
    return np.argsort(-(r.scores + weight * r.probabilities), kind="stable")


def top_k(readouts: list[Readout], weight: float, k: int) -> float:
    """Share of answerable questions with a gold sentence among the `k` best after fusion."""
    answerable = [r for r in readouts if r.answerable]
    return sum(bool(r.gold[_order(r, weight)[:k]].any()) for r in answerable) / max(
        1, len(answerable))


def _pool_max(r: Readout, weight: float) -> float:
    """The best reader probability among the candidates compose weighs."""
    return float(r.probabilities[_order(r, weight)[:POOL]].max()) if len(r.probabilities) else 0.0


def choose(readouts: list[Readout], max_false_abstention: float = 0.07) -> Calibration:
    """The calibration described in the module docstring (`readouts` read every candidate
    `read_questions` retrieved)."""
    weight = max(WEIGHTS, key=lambda w: (round(top_k(readouts, w, 1), 4),
                                         top_k(readouts, w, 3)))
    full = [top_k(readouts, weight, k) for k in (1, 3)]
    read_top = next(n for n in READ_TOPS if n == READ_TOPS[-1] or all(
        top_k(limited(readouts, n), weight, k) >= best - READ_TOP_SLACK
        for k, best in zip((1, 3), full)))
    readouts = limited(readouts, read_top)
    answerable = sorted(_pool_max(r, weight) for r in readouts if r.answerable)
    # The largest threshold below which at most `max_false_abstention` of answerable fall.
    cut = int(max_false_abstention * len(answerable))
    threshold = answerable[cut] if cut < len(answerable) else 0.0
    return Calibration(weight=weight, threshold=round(threshold, 4), read_top=read_top)


def figures(readouts: list[Readout], calibration: Calibration) -> dict[str, float]:
    """Reader-level validation figures at `calibration` (see module docstring)."""
    readouts = limited(readouts, calibration.read_top)
    answerable = [r for r in readouts if r.answerable]
    unanswerable = [r for r in readouts if not r.answerable]

    def abstains(r: Readout) -> bool:
        return _pool_max(r, calibration.weight) < calibration.threshold

    return {
        "questions": len(readouts), "answerable": len(answerable),
        "top1": round(top_k(readouts, calibration.weight, 1), 4),
        "top3": round(top_k(readouts, calibration.weight, 3), 4),
        "retrieval_top1": round(top_k(readouts, 0.0, 1), 4),
        "retrieval_top3": round(top_k(readouts, 0.0, 3), 4),
        "candidates_hold_answer": round(sum(bool(r.gold[:calibration.read_top].any())
                                            for r in answerable)
                                        / max(1, len(answerable)), 4),
        "span_holds_answer": round(sum(r.span_gold for r in answerable)
                                   / max(1, len(answerable)), 4),
        "abstention_on_unanswerable": round(sum(map(abstains, unanswerable))
                                            / max(1, len(unanswerable)), 4),
        "false_abstention": round(sum(map(abstains, answerable)) / max(1, len(answerable)), 4),
    }
