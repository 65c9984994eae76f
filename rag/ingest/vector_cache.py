"""Encode each distinct text once per process: a bounded LRU of text → unit vector.

`cached_encode(embedder, texts)` returns the same (n, dim) float32 array as
`embedder.encode(texts)` plus how many rows came from the cache. Ingest uses it so that text
repeated across documents (boilerplate, disclaimers, recurring bullet lists, the unchanged
paragraphs of a re-ingested file) goes through the model once per process. Vectors are
deterministic for a given model, so reuse changes no result. The cache is per model and backend
and holds at most `CAPACITY` texts (about 1.6 KB each for a 384-dim model: ~80 MB when full).
"""

from __future__ import annotations

import threading
from collections import OrderedDict

import numpy as np

from rag.embed.model import Embedder

CAPACITY = 50_000


class VectorCache:
    """A thread-safe LRU of text → vector for one model."""

    def __init__(self, capacity: int = CAPACITY) -> None:
        self.capacity = capacity
        self._vectors: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def encode(self, embedder: Embedder, texts: list[str]) -> tuple[np.ndarray, int]:
        """Vectors for `texts` (rows in order) and how many rows the model did not encode."""
        if not texts:
            return embedder.encode([]), 0
        with self._lock:
            known = {t: self._vectors[t] for t in texts if t in self._vectors}
            for text in known:
                self._vectors.move_to_end(text)
        missing = list(dict.fromkeys(t for t in texts if t not in known))
        fresh = dict(zip(missing, embedder.encode(missing))) if missing else {}
        with self._lock:
            self._vectors.update(fresh)
            while len(self._vectors) > self.capacity:
                self._vectors.popitem(last=False)
        vectors = {**known, **fresh}
        return np.stack([vectors[t] for t in texts]), len(texts) - len(missing)


_caches: dict[tuple[str, str], VectorCache] = {}
_caches_lock = threading.Lock()


def cached_encode(embedder: Embedder, texts: list[str]) -> tuple[np.ndarray, int]:
    """`embedder.encode(texts)` through the process-wide cache of that model."""
    with _caches_lock:
        cache = _caches.setdefault((embedder.model_path, embedder.backend), VectorCache())
    return cache.encode(embedder, texts)
