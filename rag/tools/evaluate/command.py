"""`python -m rag eval [--json] [--verbose] [--squad [DIR] | --squad-val [DIR] | --set DIR]
[--limit N] [--ablation]`: print the report.

`add_parser(sub)` registers the subcommand; `run(args, settings)` builds fresh indexes in a
temporary folder, runs the suite (or a SQuAD or other held-out set) and prints the report. Exit
code 0 when every metric meets its threshold (always 0 for a held-out set, whose figures are
reported, not gated), else 1.
`--ablation` answers the same questions as configured, with the reader switched the other way,
and with each answer rule (rag/rules.py) off, and prints the headline metrics side by side with
how many questions each variant fixes and breaks (rag/tools/evaluate/ablation.py).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

from rag.config import SQUAD_DEV, SQUAD_TRAIN, Settings


def add_parser(sub) -> None:
    p = sub.add_parser("eval", help="run the offline evaluation and print the report")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.add_argument("--verbose", action="store_true", help="add one line per question")
    which = p.add_mutually_exclusive_group()
    which.add_argument("--squad", nargs="?", const=str(SQUAD_DEV), metavar="DIR",
                       help="calibrate on the SQuAD 2.0 dev sample (default: %(const)s)")
    which.add_argument("--squad-val", nargs="?", const=str(SQUAD_TRAIN), metavar="DIR",
                       help="the reader's validation split, val.jsonl (default: %(const)s)")
    which.add_argument("--set", metavar="DIR",
                       help="a held-out set: DIR/corpus/ and DIR/questions.jsonl in the suite's "
                            "format (e.g. evals/newsval)")
    which.add_argument("--counterfactual", action="store_true",
                       help="both values shown, or only the wrong one, on evals/counterfactual/")
    p.add_argument("--limit", type=int, default=0,
                   help="with --squad or --squad-val: an evenly spaced subset of N questions")
    p.add_argument("--ablation", action="store_true",
                   help="what the reader and each answer rule change (one row per variant)")
    p.set_defaults(func=run)


def _report(args: argparse.Namespace, settings: Settings, workdir: Path):
    """The report of the questions `args` selects, answered with `settings`."""
    from rag.tools.evaluate.squad import evaluate_squad, evaluate_squad_val
    from rag.tools.evaluate.suite import evaluate, evaluate_corpora

    if args.squad:
        return evaluate_squad(Path(args.squad), workdir, args.limit, settings)
    if args.squad_val:
        return evaluate_squad_val(Path(args.squad_val), workdir, args.limit, settings)
    if args.set:
        return evaluate_corpora(_held_out(Path(args.set)), workdir, settings)
    return evaluate(workdir, settings)


def _held_out(folder: Path):
    """The (name, corpus, records) set of a `--set` folder."""
    from rag.tools.evaluate.data import load_records

    if not (folder / "questions.jsonl").is_file() or not (folder / "corpus").is_dir():
        raise FileNotFoundError(f"{folder} has no questions.jsonl and corpus/")
    return [(folder.name, folder / "corpus", load_records(folder / "questions.jsonl",
                                                          folder.name))]


def _question_sets(args: argparse.Namespace, workdir: Path):
    """The (name, corpus, records) sets `args` selects, for the ablation."""
    from rag.tools.evaluate.data import load_records
    from rag.tools.evaluate.squad import squad_records, val_corpus
    from rag.tools.evaluate.suite import SUITES

    if args.squad:
        folder = Path(args.squad)
        return [("squad", folder / "corpus", squad_records(folder / "questions.jsonl",
                                                           args.limit))]
    if args.squad_val:
        folder = Path(args.squad_val)
        records = squad_records(folder / "val.jsonl", args.limit)
        return [("squad-val", val_corpus(folder, records, workdir), records)]
    if args.set:
        return _held_out(Path(args.set))
    return [(name, corpus, load_records(questions, name)) for name, corpus, questions in SUITES]


def _ablation(args: argparse.Namespace, settings: Settings) -> int:
    from rag.tools.evaluate.ablation import ablate

    with tempfile.TemporaryDirectory(prefix="sitrep-eval-") as workdir:
        ablate(_question_sets(args, Path(workdir)), Path(workdir), settings,
               log=lambda text: print(text, flush=True))
    return 0


def run(args: argparse.Namespace, settings: Settings) -> int:
    from rag.tools.evaluate.report import render_json, render_text

    if args.counterfactual:
        from rag.tools.evaluate.conflicts import run_counterfactual
        with tempfile.TemporaryDirectory(prefix="sitrep-eval-") as workdir:
            return run_counterfactual(Path(workdir), settings, args.json, args.verbose)
    if args.ablation:
        return _ablation(args, settings)
    with tempfile.TemporaryDirectory(prefix="sitrep-eval-") as workdir:
        try:
            report = _report(args, settings, Path(workdir))
        except FileNotFoundError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
    squad = bool(args.squad or args.squad_val or args.set)
    title = ("Held-out set (thresholds are the shipped suite's, shown for comparison only)"
             if squad else "Sitrep evaluation")
    if args.json:
        print(json.dumps(render_json(report), ensure_ascii=False, indent=1))
    else:
        print(render_text(report, args.verbose, title))
    return 0 if squad or report.passed else 1
