"""Command line: `python -m rag ingest|ask|docs|remove|brief ...` (see README for the contract).

Exit codes: 0 success, 1 a user error (message on stderr), 2 bad usage.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from typing import Any

import rag  # noqa: F401  (offline environment first)
from rag.config import SQUAD_DEV, SQUAD_TRAIN, ConfigError, Settings, load_settings
from rag.reader.model import MODEL_DIR as READER_DIR


def _progress_bar():
    """A tqdm bar on stderr for long ingests; silent when stderr is not a terminal."""
    from tqdm import tqdm

    bar = None

    def update(done: int, total: int, source: str) -> None:
        nonlocal bar
        if bar is None:
            bar = tqdm(total=total, unit="sent", desc="embedding", file=sys.stderr,
                       disable=not sys.stderr.isatty() or total < 200)
        bar.n = done
        bar.set_postfix_str(Path(source).name[:30])
        bar.refresh()
        if done >= total:
            bar.close()

    return update


def _open_engine(settings: Settings, must_exist: bool = True):
    from rag.engine import Engine

    if must_exist and not settings.chroma_url and not (settings.index_dir / "chroma").exists():
        raise SystemExit(_fail(f"no index at {settings.index_dir}; run `python -m rag ingest` "
                               "first (or pass --index DIR)"))
    return Engine(settings)


def _fail(message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return 1


def cmd_ingest(args: argparse.Namespace, settings: Settings) -> int:
    from rag.ingest.store import Index

    paths = args.paths or [str(settings.docs_dir)]
    missing = [p for p in paths if not Path(p).exists()]
    if missing:
        return _fail(f"no such file or folder: {', '.join(missing)}")
    index = Index(settings)
    report = index.ingest(paths, progress=_progress_bar())
    if report.changed:
        from rag.retrieval.sentence_table import SentenceTable

        SentenceTable.load(index)  # builds and saves the snapshot: the app then starts fast
    for error in report.errors:
        print(f"skipped: {error}", file=sys.stderr)
    print(report.summary())
    return 1 if report.errors and not (report.added or report.updated or report.unchanged) \
        else 0


def _read_history(path: str | None) -> list[dict] | None:
    if not path:
        return None
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise SystemExit(_fail(f"cannot read history file {path}: {exc}")) from None
    return data.get("history", data) if isinstance(data, dict) else data


# Terminal controls (C0 but tab and newline, DEL, C1) and bidi overrides a document may hold.
_UNPRINTABLE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def _inert(text: str) -> str:
    """Document text for a terminal: control characters shown as escapes, never obeyed."""
    return _UNPRINTABLE.sub(lambda m: m.group().encode("unicode_escape").decode(), text)


def _print_answer(answer: dict[str, Any]) -> None:
    """The answer, then its sources: each quote once, in the numbered source list (the answer
    written from its fields as the chat shows it, `rag.answer.render.display`; `--json` gives the
    answer object with its Markdown `answer` text)."""
    from rag.answer.render import display
    from rag.serve.ui_render import place, quoted

    citations = answer["citations"]
    print(_inert(display(answer)))
    if citations:
        print()
    for c in citations:
        where = f"{c['source']}:{c['start']}-{c['end']}"
        print(_inert(f"[{c['n']}] {quoted(c['sentence'])} — {' · '.join(place(c))} ({where})"))


def cmd_ask(args: argparse.Namespace, settings: Settings) -> int:
    from rag.engine import QuestionError

    engine = _open_engine(settings)
    if args.batch:
        return _ask_batch(engine, args.batch)
    if args.question is None:
        return _fail("give a QUESTION or --batch FILE")
    try:
        answer = engine.ask(args.question, _read_history(args.history)).to_dict()
    except QuestionError as exc:
        return _fail(str(exc))
    from rag.ingest.documents import add_source_spans  # HTML citations: offsets into the raw file

    add_source_spans(answer["citations"], engine.index.document_text)
    if args.json:
        print(json.dumps(answer, ensure_ascii=False))
    else:
        _print_answer(answer)
    return 0


def _ask_batch(engine, path: str) -> int:
    """One JSON answer line per input line; a bad line yields an error object, not a crash."""
    from rag.engine import QuestionError

    stream = sys.stdin if path == "-" else None
    try:
        lines = (stream or open(path, encoding="utf-8")).read().splitlines()
    except OSError as exc:
        return _fail(f"cannot read {path}: {exc.strerror}")
    except UnicodeDecodeError:
        return _fail(f"{path} is not UTF-8 text")
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        item: Any = None
        try:
            item = json.loads(line)
            if not isinstance(item, dict):
                raise ValueError("line is not a JSON object")
            out = engine.ask(item.get("question"), item.get("history"), item.get("id")).to_dict()
            from rag.ingest.documents import add_source_spans

            add_source_spans(out["citations"], engine.index.document_text)
        except (ValueError, QuestionError) as exc:
            out = {"id": item.get("id") if isinstance(item, dict) else None, "line": number,
                   "error": str(exc)}
        print(json.dumps(out, ensure_ascii=False), flush=True)
    return 0


def cmd_docs(args: argparse.Namespace, settings: Settings) -> int:
    from dataclasses import asdict

    engine = _open_engine(settings)
    records = engine.index.documents()
    if args.text:
        return _print_document_text(engine, records, args.text, args.json)
    if args.json:
        print(json.dumps([asdict(r) for r in records], ensure_ascii=False))
    for r in records if not args.json else []:
        print(f"{r.doc_id}  {r.sentences:5d} sentences {r.chunks:4d} chunks  {r.source}  "
              f"({r.title})")
    return 0


def _print_document_text(engine, records, doc: str, as_json: bool) -> int:
    """The text a document's citation offsets index (extracted for HTML, PDF, DOCX, EML)."""
    from rag.ingest.documents import display_source

    by_source = {r.source: r for r in records}
    record = next((r for r in records if r.doc_id == doc), None) or by_source.get(doc) or \
        by_source.get(display_source(Path(doc)))
    text = engine.index.document_text(record.doc_id) if record else None
    if record is None or text is None:
        return _fail(f"no document {doc!r} in the index (see `python -m rag docs`)")
    if as_json:
        print(json.dumps({"doc_id": record.doc_id, "source": record.source,
                          "title": record.title, "text": text}, ensure_ascii=False))
    else:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
    return 0


def cmd_remove(args: argparse.Namespace, settings: Settings) -> int:
    engine = _open_engine(settings)
    targets = {r.doc_id: r for r in engine.index.documents()}
    by_source = {r.source: r.doc_id for r in targets.values()}
    doc_id = args.doc if args.doc in targets else by_source.get(args.doc)
    if doc_id is None:
        return _fail(f"no document {args.doc!r} in the index (see `python -m rag docs`)")
    engine.index.remove(doc_id)
    print(f"removed {targets[doc_id].source}")
    return 0


def cmd_brief(args: argparse.Namespace, settings: Settings) -> int:
    from rag.brief import brief
    from rag.brief.export import format_of, render

    result = brief(_open_engine(settings), args.topic, long=args.long)
    if args.out:
        out = Path(args.out)
        try:
            out.write_bytes(render(result, args.format or format_of(out)))
        except (OSError, ValueError) as exc:
            return _fail(f"cannot write the brief to {out}: {exc}")
        print(f"wrote {out} ({result.word_count()} words, {len(result.sources)} sources)")
        return 0
    print(json.dumps(result.to_dict(), ensure_ascii=False) if args.json
          else result.to_markdown())
    return 0


def cmd_bench(args: argparse.Namespace, settings: Settings) -> int:
    from rag.tools.bench import command

    try:
        sizes = [int(size) for size in args.sizes.split(",") if size.strip()]
    except ValueError:
        return _fail(f"--sizes {args.sizes!r} must be whole numbers, e.g. 1000,10000")
    return command(sizes, args.json, args.workdir, set(args.http.split(",")),
                   frozenset(args.server.split(",")) if args.server else frozenset(),
                   squad=Path(args.squad))


def cmd_train_reader(args: argparse.Namespace, settings: Settings) -> int:
    from rag.reader.train import TrainConfig, finish, recalibrate, train

    data = Path(args.data)
    if not all((data / n).exists() for n in ("train.jsonl", "val.jsonl", "corpus")):
        return _fail(f"{data} needs train.jsonl, val.jsonl and corpus/ (see GUIDE.md, "
                     "'Data to learn and calibrate on')")
    config = TrainConfig(data=data, out=Path(args.out), minutes=args.minutes, seed=args.seed,
                         epochs=args.epochs, max_steps=args.max_steps, train_limit=args.train_limit,
                         val_limit=args.val_limit)
    command = "python -m rag " + " ".join(sys.argv[1:] if sys.argv[0].endswith("rag") or
                                          "__main__" in sys.argv[0] else ["train-reader"])
    card = (recalibrate(config, command) if args.recalibrate
            else finish(config, train(config), command))
    print(json.dumps(card["validation"], indent=1))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m rag", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("ingest", help="index files or folders (default: docs/); idempotent")
    p.add_argument("paths", nargs="*")
    p.add_argument("--index")
    p.set_defaults(func=cmd_ingest)
    p = sub.add_parser("ask", help="answer a question with citations")
    p.add_argument("question", nargs="?")
    p.add_argument("--index")
    p.add_argument("--json", action="store_true", help="print the answer object as JSON")
    p.add_argument("--history", help="JSON file: a list of {role, content} turns")
    p.add_argument("--batch", help="JSONL file of {question, id?, history?} ('-' for stdin)")
    p.set_defaults(func=cmd_ask)
    p = sub.add_parser("docs", help="list the indexed documents")
    p.add_argument("--index")
    p.add_argument("--json", action="store_true")
    p.add_argument("--text", metavar="DOC",
                   help="print the text DOC's citation offsets index (DOC: id or source path)")
    p.set_defaults(func=cmd_docs)
    p = sub.add_parser("remove", help="remove a document (by id or source path)")
    p.add_argument("doc")
    p.add_argument("--index")
    p.set_defaults(func=cmd_remove)
    p = sub.add_parser("brief", help="a cited one-page brief on the corpus or a TOPIC")
    p.add_argument("topic", nargs="?")
    p.add_argument("--index")
    p.add_argument("--json", action="store_true", help="print the brief as JSON")
    p.add_argument("--long", action="store_true",
                   help="more than one page: key figures, quotes, assessments, cited sentences")
    p.add_argument("--out", metavar="FILE", help="write the brief to FILE (.docx: Word, else "
                   "Markdown) instead of printing it")
    p.add_argument("--format", choices=["md", "docx"], help="the --out format, when its "
                   "extension does not say")
    p.set_defaults(func=cmd_brief)
    from rag.tools.evaluate import command as eval_command

    eval_command.add_parser(sub)
    p = sub.add_parser("train-reader",
                       help="fine-tune, export and calibrate the learned reader (needs torch)")
    p.add_argument("--data", default=str(SQUAD_TRAIN),
                   help="a folder with train.jsonl, val.jsonl and corpus/ (default: %(default)s)")
    p.add_argument("--out", default=str(READER_DIR), help="model folder (default: %(default)s)")
    p.add_argument("--minutes", type=float, default=50.0, help="training time budget")
    p.add_argument("--seed", type=int, default=13)
    p.add_argument("--epochs", type=float, default=1.0,
                   help="passes over the training pairs, if --minutes allows (default: 1)")
    p.add_argument("--max-steps", type=int, default=0, help="stop after N steps (0: no cap)")
    p.add_argument("--train-limit", type=int, default=0,
                   help="train on an evenly spaced N of the training questions (0: all)")
    p.add_argument("--val-limit", type=int, default=0,
                   help="calibrate on an evenly spaced N of the validation questions (0: all)")
    p.add_argument("--recalibrate", action="store_true",
                   help="do not train: calibrate the model in --out again and rewrite its card")
    p.set_defaults(func=cmd_train_reader)
    p = sub.add_parser("bench", help="measure ingest, ask latency, cold start, memory, HTTP load")
    p.add_argument("--sizes", default="1000,10000,100000",
                   help="synthetic corpus sizes in chunks, comma-separated")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.add_argument("--workdir", help="keep corpora and indexes here and reuse them next time")
    p.add_argument("--http", default="shipped",
                   help="corpora to load-test over HTTP, comma-separated (e.g. shipped,100k)")
    p.add_argument("--server", default="",
                   help="corpora to ask again through a `chroma run` server (e.g. 100k)")
    p.add_argument("--squad", default=str(SQUAD_DEV), metavar="DIR",
                   help="a SQuAD 2.0 dev sample (corpus/, questions.jsonl) whose text and "
                        "questions join the synthetic corpora's, when it exists "
                        "(default: %(default)s)")
    p.set_defaults(func=cmd_bench)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = load_settings().with_index(getattr(args, "index", None))
    except ConfigError as exc:
        return _fail(str(exc))
    from rag.embed.model import ModelError
    from rag.ingest.store import StoreError
    from rag.reader.model import ReaderError

    try:
        return args.func(args, settings)
    except (StoreError, ModelError, ReaderError) as exc:
        return _fail(str(exc))


if __name__ == "__main__":
    sys.exit(main())
