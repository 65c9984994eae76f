"""`python -m rag eval [--json] [--verbose] [--squad [DIR] [--limit N]]`: print the report.

`add_parser(sub)` registers the subcommand; `run(args, settings)` builds fresh indexes in a
temporary folder, runs the suite (or the SQuAD calibration) and prints the report. Exit code 0
when every metric meets its threshold (always 0 for SQuAD, which is calibration only), else 1.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

from rag.config import Settings

# The shared SQuAD 2.0 dev folder sits beside the repository (../shared/datasets/squad2-dev).
SQUAD_DEFAULT = Path(__file__).resolve().parents[3] / "shared" / "datasets" / "squad2-dev"


def add_parser(sub) -> None:
    p = sub.add_parser("eval", help="run the offline evaluation and print the report")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.add_argument("--verbose", action="store_true", help="add one line per question")
    p.add_argument("--squad", nargs="?", const=str(SQUAD_DEFAULT), metavar="DIR",
                   help="calibrate on SQuAD 2.0 dev instead (default: %(const)s)")
    p.add_argument("--limit", type=int, default=0,
                   help="with --squad: an evenly spaced subset of N questions")
    p.set_defaults(func=run)


def run(args: argparse.Namespace, settings: Settings) -> int:
    from rag.evaluate.report import render_json, render_text
    from rag.evaluate.squad import evaluate_squad
    from rag.evaluate.suite import evaluate

    with tempfile.TemporaryDirectory(prefix="sitrep-eval-") as workdir:
        if args.squad:
            try:
                report = evaluate_squad(Path(args.squad), Path(workdir), args.limit, settings)
            except FileNotFoundError as exc:
                print(f"error: {exc}", file=sys.stderr)
                return 1
            title = ("SQuAD 2.0 dev calibration (thresholds are the shipped suite's, shown for "
                     "comparison only)")
        else:
            report = evaluate(Path(workdir), settings)
            title = "Sitrep evaluation"
    if args.json:
        print(json.dumps(render_json(report), ensure_ascii=False, indent=1))
    else:
        print(render_text(report, args.verbose, title))
    return 0 if args.squad or report.passed else 1
