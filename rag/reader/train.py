"""`python -m rag train-reader`: fine-tune the packaged MiniLM into the reader, export ONNX, and
write a model card (tooling; imports torch, never imported by the serving process).

The network is all-MiniLM-L6-v2 with two heads: a logit that the sentence answers the question
(mean-pooled tokens → linear) and start/end logits over the sentence's tokens (linear). Loss:
binary cross-entropy on the logit for every pair, plus cross-entropy on start and end for pairs
whose sentence holds the answer. AdamW with linear warm-up and decay, `--epochs` passes over the
pairs (reshuffled each pass) or as many steps as `--minutes` allows (the schedule is fitted to the
measured step time).
Everything random draws from `--seed`; the card records the seed, the data's hash and the commit.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from rag.embed.onnx_export import quantise
from rag.reader.encode import encode_pair_list, load_tokenizer
from rag.reader.pairs import Pair

HIDDEN = 384
HEAD_LR_FACTOR = 20  # the new heads start from random weights: they learn faster than MiniLM


@dataclass
class TrainConfig:
    """What one training run does; the defaults are the shipped model's."""

    data: Path
    out: Path
    minutes: float = 50.0
    seed: int = 13
    batch: int = 32
    lr: float = 5e-5
    warmup: float = 0.06
    epochs: float = 1.0  # passes over the pairs (or what `minutes` allows)
    max_steps: int = 0  # 0: no cap beyond `epochs` and `minutes`
    train_limit: int = 0  # 0: every training question
    val_limit: int = 0  # 0: every validation question
    paragraph_negatives: int = 2
    mined_negatives: int = 3


def _say(message: str) -> None:
    """Progress on stderr, unbuffered: training runs for most of an hour."""
    print(message, file=sys.stderr, flush=True)


def _network(model_folder: str):
    """MiniLM with the score and span heads, as a torch module taking ids, mask, types."""
    import torch
    from transformers import AutoModel

    class ReaderNet(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.encoder = AutoModel.from_pretrained(model_folder, local_files_only=True)
            self.score_head = torch.nn.Linear(HIDDEN, 1)
            self.span_head = torch.nn.Linear(HIDDEN, 2)

        def forward(self, input_ids, attention_mask, token_type_ids):
            states = self.encoder(input_ids=input_ids, attention_mask=attention_mask,
                                  token_type_ids=token_type_ids).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(states.dtype)
            pooled = (states * mask).sum(1) / mask.sum(1).clamp(min=1.0)
            score = self.score_head(pooled).squeeze(-1)
            start, end = self.span_head(states).unbind(-1)
            return score, start, end

    return ReaderNet()


def _span_targets(batch, pairs: list[Pair]) -> tuple[np.ndarray, np.ndarray]:
    """Token indices of each labelled answer's first and last token; -100 where none (or the
    answer was cut off by truncation)."""
    starts = np.full(len(pairs), -100, dtype=np.int64)
    ends = np.full(len(pairs), -100, dtype=np.int64)
    for n, pair in enumerate(pairs):
        if pair.span is None:
            continue
        a, b = pair.span
        inside = batch.in_sentence[n]
        tok_start, tok_end = batch.offsets[n, :, 0], batch.offsets[n, :, 1]
        first = np.flatnonzero(inside & (tok_end > a))
        last = np.flatnonzero(inside & (tok_start < b))
        if len(first) and len(last) and first[0] <= last[-1]:
            starts[n], ends[n] = first[0], last[-1]
    return starts, ends


def _batches(pairs: list[Pair], size: int, rng: random.Random) -> list[list[Pair]]:
    """Batches of similar length (less padding), in random order."""
    order = sorted(range(len(pairs)), key=lambda i: len(pairs[i].question) + len(pairs[i].sentence))
    groups = [[pairs[i] for i in order[k:k + size]] for k in range(0, len(order), size)]
    rng.shuffle(groups)
    return groups


def train(config: TrainConfig, log=_say) -> dict:
    """Train, export and evaluate; returns the card's figures. See the module docstring."""
    import torch

    from rag.embed.model import default_model_path, get_embedder
    from rag.reader import pairs as mining

    random.seed(config.seed)
    np.random.seed(config.seed)
    torch.manual_seed(config.seed)
    torch.set_num_threads(max(1, os.cpu_count() or 1))
    model_folder = default_model_path()
    tokenizer = load_tokenizer(model_folder)

    t0 = time.perf_counter()
    questions, articles = mining.load_split(config.data, "train", config.train_limit)
    ranker = mining.ArticleRanker(articles, get_embedder())
    ranked = ranker.rank(questions)
    pairs = mining.training_pairs(questions, articles, ranked, config.seed,
                                  config.paragraph_negatives, config.mined_negatives)
    log(f"{len(pairs)} pairs from {len(questions)} questions "
        f"({sum(p.label for p in pairs):.0f} positive) in {time.perf_counter() - t0:.0f} s")

    net = _network(model_folder)
    net.train()
    # The word embeddings stay as packaged: they are half of MiniLM's weights, so updating them
    # costs a large share of each step, and the retrieval embedder shares their vocabulary.
    net.encoder.embeddings.word_embeddings.weight.requires_grad_(False)
    trainable = [(n, p) for n, p in net.named_parameters() if p.requires_grad]
    heads = [p for n, p in trainable if not n.startswith("encoder.")]
    body = [p for n, p in trainable if n.startswith("encoder.")]
    optimiser = torch.optim.AdamW([{"params": body, "lr": config.lr},
                                   {"params": heads, "lr": config.lr * HEAD_LR_FACTOR}],
                                  weight_decay=0.01)
    rng = random.Random(config.seed)
    passes = max(1, int(np.ceil(config.epochs)))
    batches = [group for _ in range(passes) for group in _batches(pairs, config.batch, rng)]
    planned = round(len(batches) / passes * config.epochs)
    planned = min(planned, config.max_steps or planned)
    budget = config.minutes * 60
    bce = torch.nn.BCEWithLogitsLoss()
    ce = torch.nn.CrossEntropyLoss(ignore_index=-100)
    started = time.perf_counter()
    step = 0
    running = 0.0
    for step, group in enumerate(batches[:planned], 1):
        # Progress is whichever is further along, steps or the time budget, so the schedule
        # warms up and decays to zero within `minutes` however fast the machine runs today.
        progress = max((step - 1) / planned, (time.perf_counter() - started) / budget)
        if progress >= 1.0:
            step -= 1
            break
        factor = progress / config.warmup if progress < config.warmup else \
            (1.0 - progress) / (1.0 - config.warmup)
        for g, base in zip(optimiser.param_groups, (config.lr, config.lr * HEAD_LR_FACTOR)):
            g["lr"] = base * factor
        batch = encode_pair_list(tokenizer, [(p.question, p.sentence) for p in group])
        starts, ends = _span_targets(batch, group)
        score, start, end = net(torch.from_numpy(batch.input_ids),
                                torch.from_numpy(batch.attention_mask),
                                torch.from_numpy(batch.token_type_ids))
        not_sentence = torch.from_numpy(~batch.in_sentence)
        start = start.masked_fill(not_sentence, -1e4)
        end = end.masked_fill(not_sentence, -1e4)
        labels = torch.tensor([p.label for p in group], dtype=torch.float32)
        loss = bce(score, labels)
        if (starts >= 0).any():
            loss = loss + 0.5 * (ce(start, torch.from_numpy(starts))
                                 + ce(end, torch.from_numpy(ends)))
        optimiser.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(net.parameters(), 1.0)
        optimiser.step()
        running = 0.98 * running + 0.02 * loss.item() if step > 1 else loss.item()
        if step % 50 == 0:
            log(f"step {step} ({progress:.0%} of the schedule) loss {running:.3f} "
                f"{time.perf_counter() - started:.0f} s")
    train_seconds = time.perf_counter() - started
    log(f"trained {step} steps in {train_seconds:.0f} s")
    net.eval()
    config.out.mkdir(parents=True, exist_ok=True)
    fp32 = config.out / "reader.onnx"
    _export(net, tokenizer, fp32)
    int8 = config.out / "reader-int8.onnx"
    quantise(fp32, int8)
    return {"train_questions": len(questions), "pairs": len(pairs),
            "positives": int(sum(p.label for p in pairs)), "steps": step,
            "train_seconds": round(train_seconds), "data_sha256": data_hash(config.data)}


def _export(net, tokenizer, dest: Path) -> None:
    """ONNX of the network: ids, mask, types in; score (N,), start and end (N, T) out."""
    import warnings

    import torch

    sample = encode_pair_list(tokenizer, [("a question?", "an example sentence."),
                                          ("another", "one more")])
    names = ["input_ids", "attention_mask", "token_type_ids"]
    axes = {n: {0: "batch", 1: "tokens"} for n in names}
    axes.update({"score": {0: "batch"}, "start": {0: "batch", 1: "tokens"},
                 "end": {0: "batch", 1: "tokens"}})
    tmp = dest.with_suffix(".tmp")
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")  # the TorchScript exporter's deprecation notice
        torch.onnx.export(net, tuple(torch.from_numpy(getattr(sample, n)) for n in names),
                          str(tmp), input_names=names, output_names=["score", "start", "end"],
                          dynamic_axes=axes, opset_version=17, dynamo=False)
    os.replace(tmp, dest)


def data_hash(folder: Path) -> str:
    """sha256 over the split files, so the card names exactly the data it was trained on."""
    digest = hashlib.sha256()
    for name in ("train.jsonl", "val.jsonl"):
        digest.update((folder / name).read_bytes())
    return digest.hexdigest()


def data_label(folder: Path) -> str:
    """How the card names the data: its path from the folder that holds the repository
    (`shared/datasets/squad-train` for the default `--data`), else the path as given."""
    from rag.config import REPO_ROOT

    try:
        return folder.resolve().relative_to(REPO_ROOT.parent).as_posix()
    except ValueError:
        return str(folder)


def commit() -> str:
    """The git commit of the code that trained (with '+dirty' when it had local changes)."""
    root = Path(__file__).resolve().parents[2]
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=root,
                              capture_output=True, text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "rag"], cwd=root,
                               capture_output=True, text=True).stdout.strip()
        return head + ("+dirty" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"




CARD_TEMPLATE = """# Sitrep reader

A cross-encoder that reads one (question, sentence) pair and gives (a) the probability that the
sentence answers the question and (b) the answer's start and end inside the sentence.
Fine-tuned from the packaged all-MiniLM-L6-v2 (Apache-2.0) on this machine's CPU.

- **Data:** SQuAD 2.0 / 1.1 dev questions as split in `{data_label}`: trained on
  `train.jsonl` ({train_questions} questions over 31 Wikipedia articles; {pairs} pairs, {positives}
  positive), thresholds chosen and figures reported on `val.jsonl` (7 other articles). Data hash
  (sha256 of train.jsonl + val.jsonl): `{data_sha256}`.
- **Licence and credit:** the weights derive from SQuAD (Rajpurkar et al. 2016, "SQuAD: 100,000+
  Questions for Machine Comprehension of Text"; Rajpurkar, Jia & Liang 2018, "Know What You
  Don't Know: Unanswerable Questions for SQuAD"), CC BY-SA 4.0, and all-MiniLM-L6-v2
  (sentence-transformers, Apache-2.0). This model is shared under CC BY-SA 4.0.
- **Command:** `{command}` (seed {seed}, commit {commit}); {steps} steps of {batch} pairs in
  {train_seconds} s ({passes:.2f} passes over the pairs), word embeddings frozen as
  packaged.{recalibrated}
- **File:** `{model_file}` ({size_mb:.1f} MB). Validation top-1 on {compare_n} questions: int8
  {int8_top1}, float32 {fp32_top1} (int8 ships when within one point).

## Validation ({questions} questions of val.jsonl, {answerable} answerable)

Candidates are the product's retrieval (dense + BM25 over the validation articles' index, top
{read_top}, the fewest that keep top-1 and top-3 within half a point of reading 20); "top-k" is
the share of answerable questions with a gold answer in the k best.

| | top-1 | top-3 |
|---|---|---|
| retrieval alone | {retrieval_top1} | {retrieval_top3} |
| retrieval + reader (fused, weight {weight}) | {top1} | {top3} |

- Gold answer among the {read_top} read candidates: {candidates_hold_answer}.
- The reader's span in its best sentence holds a gold answer: {span_holds_answer}.
- Abstention threshold {threshold} (reader probability), chosen for ≤ 7 % false abstention:
  unanswerable questions abstained on {abstention_on_unanswerable}, answerable
  {false_abstention}. The engine applies it only with `SITREP_READER_ABSTAIN=1`: end to end
  (with the answer rules' own refusals) it cost more answerable questions than it saved.
"""


SLICE = 200  # questions of val.jsonl that the tests re-measure against the card


def finish(config: TrainConfig, stats: dict, command: str, log=_say) -> dict:
    """Calibrate the freshly exported model on `val.jsonl`, keep int8 when it holds within one
    point of float32, and write `card.json` and `README.md` into `config.out`."""
    return _calibrate(config, log, {"training": stats, "seed": config.seed, "command": command,
                                    "commit": commit()})


def recalibrate(config: TrainConfig, command: str, log=_say) -> dict:
    """Calibrate the model already in `config.out` again, without training: after a change to
    how the reader reads its pairs. The card keeps its training figures, seed, command and the
    int8/float32 comparison, and records this command and commit as the recalibration."""
    from rag.reader.model import ReaderError

    keys = ("training", "seed", "command", "commit", "model_file", "int8_vs_float32_top1")
    try:
        card = json.loads((config.out / "card.json").read_text(encoding="utf-8"))
        kept = {key: card[key] for key in keys}
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ReaderError(f"cannot recalibrate {config.out}: it needs the card.json "
                          f"`train-reader` wrote there, with {', '.join(keys)} ({exc!r})") from exc
    if not (config.out / kept["model_file"]).is_file():
        raise ReaderError(f"cannot recalibrate {config.out}: {kept['model_file']} is missing")
    return _calibrate(config, log, {**kept, "recalibrated": {"command": command,
                                                             "commit": commit()}})


def _keep_int8(config: TrainConfig, engine, records: list, tokenizer_folder: str, log) -> dict:
    """Compare the exported int8 and float32 models on up to 600 validation questions, delete
    the one not kept, and say which stays (`model_file`) with the comparison."""
    from rag.reader.calibrate import read_questions, top_k
    from rag.reader.model import Reader

    int8, fp32 = config.out / "reader-int8.onnx", config.out / "reader.onnx"
    compare = records[::max(1, len(records) // 600)]
    scores = {name: top_k(read_questions(engine, Reader(path, tokenizer_folder, {}), compare),
                          1.0, 1) for name, path in (("int8", int8), ("fp32", fp32))}
    keep = int8 if scores["int8"] >= scores["fp32"] - 0.01 else fp32
    log(f"top-1 on {len(compare)}: int8 {scores['int8']:.3f}, float32 {scores['fp32']:.3f}: "
        f"keeping {keep.name}")
    (fp32 if keep == int8 else int8).unlink()
    return {"model_file": keep.name, "int8_vs_float32_top1": {"n": len(compare), **scores}}


def _calibrate(config: TrainConfig, log, card: dict) -> dict:
    """Choose the calibration on `val.jsonl` for the model in `config.out` (after picking int8
    or float32 when `card` names no model yet), and write the card (`card` plus the figures)."""
    import tempfile
    from dataclasses import asdict, replace

    from rag.config import load_settings
    from rag.embed.model import default_model_path
    from rag.reader.calibrate import choose, figures, read_questions
    from rag.reader.model import Reader
    from rag.tools.evaluate.squad import evenly_spaced, squad_records, val_corpus
    from rag.tools.evaluate.suite import open_engine

    records = squad_records(config.data / "val.jsonl", config.val_limit)
    with tempfile.TemporaryDirectory(prefix="sitrep-reader-val-") as tmp:
        settings = replace(load_settings(), reader_path="off")
        engine = open_engine(val_corpus(config.data, records, Path(tmp)), Path(tmp) / "index",
                             settings)
        tokenizer_folder = engine.settings.model_path or default_model_path()
        if "model_file" not in card:
            card = {**card, **_keep_int8(config, engine, records, tokenizer_folder, log)}
        model_file = config.out / card["model_file"]
        readouts = read_questions(engine, Reader(model_file, tokenizer_folder, {}), records)
    calibration = choose(readouts)
    found = figures(readouts, calibration)
    # The same figures on the evenly spaced 200-question slice the tests re-measure.
    picked = set(evenly_spaced(len(records), SLICE))
    on_slice = figures([r for n, r in enumerate(readouts) if n in picked], calibration)
    card = {"calibration": asdict(calibration), "validation": found,
            f"validation_slice{SLICE}": on_slice, **card, "data": data_label(config.data),
            "licence": "CC BY-SA 4.0 (SQuAD); base model all-MiniLM-L6-v2, Apache-2.0"}
    (config.out / "card.json").write_text(json.dumps(card, indent=1) + "\n", encoding="utf-8")
    again = card.get("recalibrated")
    compared = card["int8_vs_float32_top1"]
    (config.out / "README.md").write_text(CARD_TEMPLATE.format(
        **card["training"], command=card["command"], data_label=card["data"],
        seed=card["seed"], commit=card["commit"], batch=config.batch,
        passes=card["training"]["steps"] * config.batch / max(1, card["training"]["pairs"]),
        recalibrated=(f" Recalibrated without training by `{again['command']}` at commit "
                      f"{again['commit']}." if again else ""),
        model_file=model_file.name, size_mb=model_file.stat().st_size / 1e6,
        compare_n=compared["n"], int8_top1=round(compared["int8"], 4),
        fp32_top1=round(compared["fp32"], 4), **found, **asdict(calibration)), encoding="utf-8")
    return card
