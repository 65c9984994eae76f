"""The learned reader: its training command runs for real on a tiny slice, the shipped model
reproduces its card on validation questions, and a bottom-line value always stands inside a
cited sentence."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from rag.config import SQUAD_TRAIN
from rag.contracts import Calibration
from rag.reader.calibrate import Readout, choose, figures, top_k
from rag.reader.model import MODEL_DIR, Reader, _best_span

ROOT = Path(__file__).resolve().parent.parent


# ---- pure logic --------------------------------------------------------------------------------

def test_best_span_keeps_start_before_end_inside_the_sentence():
    start = np.array([9.0, 0.0, 1.0, 5.0, 0.0])
    end = np.array([9.0, 0.0, 4.0, 0.0, 3.0])
    offsets = np.array([[0, 0], [0, 4], [5, 9], [10, 14], [15, 20]])
    inside = np.array([False, True, True, True, True])  # token 0 is the question's
    span, logit = _best_span(start, end, offsets, inside)
    assert span == (10, 20) and logit == 8.0  # start 3 + end 4, not the question's token 0


def _readout(answerable: bool, scores, probs, gold) -> Readout:
    return Readout(answerable, np.array(scores, float), np.array(probs, float),
                   np.array(gold, bool), False)


def test_choose_weights_the_reader_when_it_ranks_gold_first_and_sets_a_threshold():
    readouts = [_readout(True, [0.9, 0.5], [0.1, 0.9], [False, True]) for _ in range(9)]
    readouts += [_readout(False, [0.9, 0.5], [0.05, 0.02], [False, False]) for _ in range(9)]
    calibration = choose(readouts, max_false_abstention=0.0)
    assert calibration.weight > 0.4  # 0.5 + w·0.9 must beat 0.9 + w·0.1
    assert top_k(readouts, calibration.weight, 1) == 1.0
    found = figures(readouts, calibration)
    assert found["abstention_on_unanswerable"] == 1.0 and found["false_abstention"] == 0.0


def _deep_readout(gold_at: int) -> Readout:
    """20 candidates in falling retrieval order, gold at `gold_at`, which the reader favours."""
    probs = [0.9 if n == gold_at else 0.1 for n in range(20)]
    return _readout(True, np.linspace(1.0, 0.6, 20), probs, [n == gold_at for n in range(20)])


def test_choose_reads_only_as_deep_as_validation_needs():
    shallow = choose([_deep_readout(2) for _ in range(10)])
    assert shallow.read_top == 5  # gold always among the first five: reading more buys nothing
    deep = choose([_deep_readout(2) for _ in range(5)] + [_deep_readout(13) for _ in range(5)])
    assert deep.read_top == 15  # half the gold sits at rank 14: the read must reach it
    assert figures([_deep_readout(13)], deep)["top1"] == 1.0
    assert figures([_deep_readout(13)], shallow)["top1"] == 0.0  # unread, it stays 14th


def test_fusion_adds_the_weighted_probability():
    assert Calibration(weight=2.0).fuse(0.5, 0.25) == 1.0


# ---- real parts --------------------------------------------------------------------------------

def _mini_squad(tmp: Path) -> Path:
    """A SQuAD folder with one training and one validation article and a few questions each."""
    folder = tmp / "squad"
    (folder / "corpus").mkdir(parents=True)
    for split, keep in (("train", 24), ("val", 12)):
        lines = (SQUAD_TRAIN / f"{split}.jsonl").read_text(encoding="utf-8").splitlines()
        first = json.loads(lines[0])["title"]
        chosen = [line for line in lines if json.loads(line)["title"] == first][:keep]
        (folder / f"{split}.jsonl").write_text("\n".join(chosen) + "\n", encoding="utf-8")
        (folder / "corpus" / f"{first}.txt").write_bytes(
            (SQUAD_TRAIN / "corpus" / f"{first}.txt").read_bytes())
    return folder


@pytest.mark.integration
def test_train_reader_runs_exports_and_scores_a_pair(tmp_path):
    data, out = _mini_squad(tmp_path), tmp_path / "reader"
    env = {**os.environ, "SITREP_CACHE": str(tmp_path / "cache")}
    done = subprocess.run([sys.executable, "-m", "rag", "train-reader", "--data", str(data),
                           "--out", str(out), "--max-steps", "3", "--seed", "1"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]
    card = json.loads((out / "card.json").read_text())
    assert card["training"]["steps"] == 3 and card["seed"] == 1
    assert card["validation"]["questions"] == 12
    assert {"weight", "threshold", "read_top"} <= set(card["calibration"])
    assert "CC BY-SA 4.0" in (out / "README.md").read_text()
    shipped = [p.name for p in out.glob("*.onnx")]
    assert shipped == [card["model_file"]]  # one model file, the one the card names
    sentence = "The plague reached Crimea by 1343."
    (reading,) = Reader.load(out).read("When did the plague reach Crimea?", [sentence])
    assert 0.0 <= reading.probability <= 1.0
    assert 0 <= reading.span[0] < reading.span[1] <= len(sentence)
    # Recalibrating (no training) rewrites the card's calibration and keeps its training.
    (out / "card.json").write_text(json.dumps({**card, "calibration": {}}), encoding="utf-8")
    again = subprocess.run([sys.executable, "-m", "rag", "train-reader", "--data", str(data),
                            "--out", str(out), "--recalibrate"],
                           cwd=ROOT, env=env, capture_output=True, text=True, timeout=900)
    assert again.returncode == 0, again.stderr[-3000:]
    recalibrated = json.loads((out / "card.json").read_text())
    assert recalibrated["calibration"] == card["calibration"]
    assert recalibrated["training"] == card["training"] and "--recalibrate" in (
        recalibrated["recalibrated"]["command"])
    assert [p.name for p in out.glob("*.onnx")] == [card["model_file"]]


def test_recalibrating_a_folder_without_a_card_says_so(tmp_path):
    done = subprocess.run([sys.executable, "-m", "rag", "train-reader", "--recalibrate",
                           "--out", str(tmp_path)], cwd=ROOT, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 1 and "Traceback" not in done.stderr, done.stderr[-2000:]
    assert f"cannot recalibrate {tmp_path}" in done.stderr and "card.json" in done.stderr


def test_shipped_reader_is_small_and_carded():
    card = json.loads((MODEL_DIR / "card.json").read_text())
    model = MODEL_DIR / card["model_file"]
    assert model.stat().st_size <= 30 * 1024 * 1024
    assert card["calibration"]["threshold"] > 0
    assert "SQuAD" in (MODEL_DIR / "README.md").read_text()


@pytest.mark.integration
def test_shipped_card_figures_reproduce_on_200_validation_questions(tmp_path):
    from dataclasses import replace

    from rag.config import load_settings
    from rag.reader.calibrate import read_questions
    from rag.tools.evaluate.squad import squad_records, val_corpus
    from rag.tools.evaluate.suite import open_engine

    card = json.loads((MODEL_DIR / "card.json").read_text())
    expected = card["validation_slice200"]
    records = squad_records(SQUAD_TRAIN / "val.jsonl", 200)
    engine = open_engine(val_corpus(SQUAD_TRAIN, records, tmp_path), tmp_path / "index",
                         replace(load_settings(), reader_path="off"))
    reader = Reader.load()
    found = figures(read_questions(engine, reader, records), reader.calibration)
    for name in ("top1", "top3", "abstention_on_unanswerable", "false_abstention"):
        assert abs(found[name] - expected[name]) <= 0.03, (name, found[name], expected[name])


QUESTIONS = ["how many troops?", "Who visited North Korea?", "What did North Korea get in return?",
             "When was the treaty signed?", "What does the partnership mean for Ukraine?",
             "How many North Korean soldiers have been killed?", "What did Shoigu thank them for?"]


@pytest.mark.integration
@pytest.mark.parametrize("question", QUESTIONS)
def test_a_bottom_line_value_stands_inside_its_citation(engine, question):
    answer = engine.ask(question).to_dict()
    value = answer["value"]
    if answer["abstained"]:
        assert value is None
        return
    if question == QUESTIONS[0]:
        assert value is not None  # a count is a value, not a sentence
    if value is not None:
        assert value["text"].casefold() in answer["bluf"].casefold()
        cited = answer["citations"][value["n"] - 1]
        text = Path(cited["source"]).read_text(encoding="utf-8")
        assert text[value["start"]:value["end"]] == value["text"]
        assert cited["start"] <= value["start"] < value["end"] <= cited["end"]


@pytest.mark.integration
def test_the_reader_abstains_only_when_configured(engine):
    """SITREP_READER_ABSTAIN=1 lets the card's threshold refuse; by default its floor is 0 (the
    reader ranks and picks values, the answer rules alone refuse) and the threshold only says
    which sentences the reader holds as answering."""
    from dataclasses import replace

    from rag.config import load_settings
    from rag.engine import Engine

    assert load_settings({}).reader_abstains is False
    assert load_settings({"SITREP_READER_ABSTAIN": "1"}).reader_abstains is True
    card = Reader.load().calibration.threshold
    assert card > 0
    question = "What did North Korea get in return?"
    default = engine._read(question, engine.retriever.retrieve(question))
    strict = Engine(replace(engine.settings, reader_abstains=True), engine.index)
    configured = strict._read(question, strict.retriever.retrieve(question))
    assert default.floor == 0.0 and configured.floor == card
    assert default.threshold == configured.threshold == card
