"""The shipped reader at run time: onnxruntime and the model's tokenizer, no torch.

`Reader.load(folder)` opens `reader-int8.onnx` (or `reader.onnx`) and `card.json` from a model
folder (default: `rag/models/reader/`, shipped in the package). `Reader.read(question,
sentences)` scores every sentence at once and returns one `Reading` each: the probability that
the sentence answers the question and the most likely answer span inside it, as exact character
offsets into the sentence.
"""

from __future__ import annotations

import json
import os
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from rag.contracts import Calibration
from rag.reader.encode import encode_pairs, load_tokenizer

MODEL_DIR = Path(__file__).resolve().parents[1] / "models" / "reader"
MAX_SPAN_TOKENS = 24  # SQuAD answers are short; longer spans are the decoder wandering off
BATCH_CHARS = 8_000  # longest pair x rows per onnxruntime call (see rag/embed/model.py)


class ReaderError(RuntimeError):
    """The reader's model files are missing or unreadable; the message says what to do."""


@dataclass(frozen=True)
class Reading:
    """What the reader made of one (question, sentence) pair."""

    logit: float  # raw score; higher: more likely the sentence answers the question
    probability: float  # sigmoid(logit)
    span: tuple[int, int]  # answer span, char offsets into the sentence
    span_logit: float  # start + end logit of that span: how sure the span is


def _best_span(start: np.ndarray, end: np.ndarray, offsets: np.ndarray,
               inside: np.ndarray) -> tuple[tuple[int, int], float]:
    """The (start token ≤ end token ≤ start + MAX_SPAN_TOKENS) pair with the highest summed
    logit, among the sentence's tokens, as char offsets into the sentence."""
    tokens = np.flatnonzero(inside)
    if not len(tokens):
        return (0, 0), float("-inf")
    s, e = start[tokens], end[tokens]
    grid = s[:, None] + e[None, :]
    n = len(tokens)
    rows, cols = np.indices((n, n))
    grid[(cols < rows) | (cols - rows >= MAX_SPAN_TOKENS)] = -np.inf
    i, j = np.unravel_index(int(np.argmax(grid)), grid.shape)
    return (int(offsets[tokens[i], 0]), int(offsets[tokens[j], 1])), float(grid[i, j])


class Reader:
    """Scores (question, sentence) pairs with the exported network. Thread-safe."""

    def __init__(self, model_file: Path, tokenizer_folder: str, card: dict) -> None:
        import onnxruntime

        options = onnxruntime.SessionOptions()
        threads = int(os.environ.get("OMP_NUM_THREADS", "0") or 0)
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        self.session = onnxruntime.InferenceSession(str(model_file), options,
                                                    providers=["CPUExecutionProvider"])
        self.tokenizer = load_tokenizer(tokenizer_folder)
        self.card = card
        self.calibration = Calibration(**card.get("calibration", {}))
        self.model_file = model_file
        self._lock = threading.Lock()  # the tokenizer's padding state is shared

    @classmethod
    def load(cls, folder: str | Path = "", tokenizer_folder: str = "") -> Reader:
        """Open the reader in `folder` (default: the shipped one), int8 when it is there."""
        from rag.embed.model import default_model_path

        folder = Path(folder) if folder else MODEL_DIR
        model = next((folder / n for n in ("reader-int8.onnx", "reader.onnx")
                      if (folder / n).is_file()), None)
        if model is None:
            raise ReaderError(f"no reader model in {folder}: run `python -m rag train-reader "
                              f"--out {folder}` (or set SITREP_READER to a folder holding "
                              "reader.onnx)")
        card_file = folder / "card.json"
        card = json.loads(card_file.read_text(encoding="utf-8")) if card_file.is_file() else {}
        return cls(model, tokenizer_folder or default_model_path(), card)

    def read(self, question: str, sentences: list[str]) -> list[Reading]:
        """One `Reading` per sentence, in order."""
        readings: list[Reading] = []
        width = max(1, BATCH_CHARS // max(1, max((len(s) for s in sentences), default=1)
                                           + len(question)))
        for at in range(0, len(sentences), width):
            part = sentences[at:at + width]
            with self._lock:
                batch = encode_pairs(self.tokenizer, question, part)
            score, start, end = self.session.run(None, {
                "input_ids": batch.input_ids, "attention_mask": batch.attention_mask,
                "token_type_ids": batch.token_type_ids})
            for n in range(len(part)):
                span, span_logit = _best_span(start[n], end[n], batch.offsets[n],
                                              batch.in_sentence[n])
                logit = float(score[n])
                readings.append(Reading(logit, float(1 / (1 + np.exp(-logit))), span,
                                        span_logit))
        return readings
