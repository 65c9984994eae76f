"""Run the evaluation: index each corpus, answer its questions, score, compare with the baseline.

`evaluate(workdir)` indexes docs/ and evals/fixture/corpus/ into fresh indexes under `workdir`,
answers every question of evals/data/*_questions.jsonl with the real engine, runs the LangChain
baseline over the same questions and returns a `Report`. `run_answerer` scores any answerer (a
function from `Record` to answer object), which is how the tests feed deliberately broken ones.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from rag.config import Settings, load_settings
from rag.tools.evaluate.baseline import DESCRIPTION as BASELINE_DESCRIPTION
from rag.tools.evaluate.baseline import ChunkBaseline
from rag.tools.evaluate.data import Record, load_records
from rag.tools.evaluate.judge import Outcome, evidence_found, judge
from rag.tools.evaluate.metrics import Score, score_all
from rag.tools.evaluate.peers import rrf_sentences

ROOT = Path(__file__).resolve().parents[3]
# (name, corpus folder, question file) of the shipped suite.
SUITES: list[tuple[str, Path, Path]] = [
    ("docs", ROOT / "docs", ROOT / "evals" / "data" / "docs_questions.jsonl"),
    ("fixture", ROOT / "evals" / "fixture" / "corpus",
     ROOT / "evals" / "data" / "fixture_questions.jsonl"),
]

Answerer = Callable[[Record], dict[str, Any]]


@dataclass
class ContextRow:
    """What one method hands a reader: evidence recall and characters, over answerable questions."""

    method: str
    evidence_recall: float
    n: int
    mean_chars: float
    mean_passages: float


@dataclass
class Report:
    """Everything the evaluation measured."""

    outcomes: list[Outcome]
    scores: dict[str, Score]  # over all questions
    by_dataset: dict[str, dict[str, Score]]
    context: list[ContextRow] = field(default_factory=list)  # Sitrep and the baseline

    @property
    def passed(self) -> bool:
        return all(s.passed for s in self.scores.values())


def engine_answerer(engine) -> Answerer:
    """Ask the engine a record's question with its history; return the answer object."""
    return lambda r: engine.ask(r.question, r.history or None, r.id).to_dict()


def run_answerer(answerer: Answerer, records: Iterable[Record],
                 root: Path | None = None) -> list[Outcome]:
    """Answer and judge every record; `root` resolves relative citation sources (default cwd)."""
    root = root or Path.cwd()
    outcomes = []
    for record in records:
        started = time.perf_counter()
        answer = answerer(record)
        outcomes.append(judge(record, answer, (time.perf_counter() - started) * 1000, root))
    return outcomes


def open_engine(corpus: Path, index_dir: Path, settings: Settings | None = None):
    """A warmed-up engine over a fresh index of `corpus` in `index_dir`."""
    from rag.engine import Engine
    from rag.ingest.store import Index

    # Always a private embedded index: an evaluation must not write into a configured server.
    settings = replace(settings or load_settings(), index_dir=index_dir, chroma_url="")
    index = Index(settings)
    report = index.ingest([corpus])
    if report.errors or not (report.added or report.unchanged):
        raise RuntimeError(f"cannot index {corpus}: {report.summary()} {report.errors}")
    engine = Engine(settings, index)
    engine.warm_up()
    return engine


def sitrep_context(outcomes: list[Outcome]) -> ContextRow:
    """Sitrep's row: the cited sentences it hands over (abstentions included, answered or not)."""
    answerable = [o for o in outcomes if o.record.answerable]
    hits = [evidence_found(o.record, [(c["source"], c["sentence"]) for c in o.citations])
            for o in answerable]
    return _row("Sitrep: cited sentences", hits,
                [[c["sentence"] for c in o.citations] for o in answerable])


def baseline_context(baseline_runs: list[tuple[ChunkBaseline, list[Record]]]) -> ContextRow:
    """The baseline's row over the answerable records of each (retriever, records) pair."""
    hits, passages = [], []
    for retriever, records in baseline_runs:
        for record in (r for r in records if r.answerable):
            chunks = retriever.retrieve(record.question)
            hits.append(evidence_found(record, chunks))
            passages.append([text for _, text in chunks])
    return _row(BASELINE_DESCRIPTION, hits, passages)


def _row(method: str, hits: list[bool], passages: list[list[str]]) -> ContextRow:
    n = len(hits)
    return ContextRow(method, sum(hits) / n if n else float("nan"), n,
                      sum(sum(map(len, p)) for p in passages) / n if n else 0.0,
                      sum(map(len, passages)) / n if n else 0.0)


def build_report(outcomes: list[Outcome], context: list[ContextRow] | None = None) -> Report:
    """Score `outcomes` overall and per dataset."""
    datasets = list(dict.fromkeys(o.record.dataset for o in outcomes))
    return Report(outcomes, score_all(outcomes),
                  {d: score_all([o for o in outcomes if o.record.dataset == d])
                   for d in datasets}, context or [])


def peer_context(runs: list[tuple[Any, list[Record]]], k: int) -> ContextRow:
    """Sentence RRF's row (dense + BM25, no reader): its top `k` sentences per question."""
    hits, passages = [], []
    for engine, records in runs:
        for record in (r for r in records if r.answerable):
            found = rrf_sentences(engine, record.question, k)
            hits.append(evidence_found(record, found))
            passages.append([text for _, text in found])
    return _row(f"Sentence RRF (MiniLM + BM25), top {k}", hits, passages)


def evaluate_corpora(suites: list[tuple[str, Path, list[Record]]], workdir: Path,
                     settings: Settings | None = None, peers: bool = False) -> Report:
    """Index each (name, corpus, records) under `workdir`, answer, score, run the baseline
    (and, with `peers`, sentence RRF top 1 and top 3)."""
    outcomes: list[Outcome] = []
    baseline_runs = []
    engine_runs = []
    for name, corpus, records in suites:
        engine = open_engine(corpus, workdir / name / "index", settings)
        outcomes += run_answerer(engine_answerer(engine), records)
        engine_runs.append((engine, records))
        baseline_runs.append((ChunkBaseline(corpus, workdir / name / "baseline",
                                            engine.settings.model_path), records))
    rows = [sitrep_context(outcomes), baseline_context(baseline_runs)]
    if peers:
        rows += [peer_context(engine_runs, 1), peer_context(engine_runs, 3)]
    return build_report(outcomes, rows)


def evaluate(workdir: Path, settings: Settings | None = None) -> Report:
    """The shipped suite: docs/ and the fixture corpus with their question sets."""
    return evaluate_corpora([(name, corpus, load_records(questions, name))
                             for name, corpus, questions in SUITES], workdir, settings)
