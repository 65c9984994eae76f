"""Tokenising (question, sentence) pairs the same way for training and for serving.

`load_tokenizer(folder)` returns the model's fast tokenizer set to pad and to truncate only the
sentence; `encode_pairs(tokenizer, question, sentences)` returns the `Batch` the network takes,
with each token's character span in its sentence so a predicted span maps back to exact offsets.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

MAX_TOKENS = 96  # question + sentence; SQuAD pairs average ~55 tokens, 97% fit


@dataclass
class Batch:
    """Network inputs for N pairs of T tokens, and where each token lies in its sentence."""

    input_ids: np.ndarray  # (N, T) int64
    attention_mask: np.ndarray  # (N, T) int64
    token_type_ids: np.ndarray  # (N, T) int64
    offsets: np.ndarray  # (N, T, 2) int64: char span in the sentence, (0, 0) outside it
    in_sentence: np.ndarray  # (N, T) bool: the token belongs to the sentence


def load_tokenizer(folder: str | Path, max_tokens: int = MAX_TOKENS):
    """The `tokenizers.Tokenizer` of a sentence-transformers folder, padding and truncating
    pairs to `max_tokens` by cutting the sentence, never the question."""
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(Path(folder) / "tokenizer.json"))
    tokenizer.enable_truncation(max_tokens, strategy="only_second")
    tokenizer.enable_padding()
    return tokenizer


def encode_pairs(tokenizer, question: str, sentences: list[str]) -> Batch:
    """Encode (question, sentence) for each sentence; see `Batch` for what comes back."""
    return encode_pair_list(tokenizer, [(question, s) for s in sentences])


def encode_pair_list(tokenizer, pairs: list[tuple[str, str]]) -> Batch:
    """Encode arbitrary (question, sentence) pairs, padded to the longest."""
    encoded = tokenizer.encode_batch(pairs)
    ids = np.array([e.ids for e in encoded], dtype=np.int64)
    mask = np.array([e.attention_mask for e in encoded], dtype=np.int64)
    types = np.array([e.type_ids for e in encoded], dtype=np.int64)
    in_sentence = np.array([[s == 1 for s in e.sequence_ids] for e in encoded], dtype=bool)
    offsets = np.array([e.offsets for e in encoded], dtype=np.int64)
    offsets[~in_sentence] = 0
    return Batch(ids, mask, types, offsets, in_sentence)
