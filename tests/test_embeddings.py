"""Embedding backends: torch matches sentence-transformers exactly; the ONNX exports (made
locally into SITREP_CACHE) stay close to it and answer; onnx (the default) reads a torch index
and never loads torch; an index refuses a backend of another vector space."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from rag.config import ConfigError, load_settings
from rag.embed.model import BATCH_CHARS, Embedder
from rag.engine import Engine
from rag.ingest.store import Index, StoreError
from tests.conftest import make_settings

ROOT = Path(__file__).resolve().parent.parent
TEXTS = [line.strip() for line in (ROOT / "docs/russia-north-korea.txt").read_text(
    encoding="utf-8").splitlines() if line.strip()] + ["troops", "Beijing", "how many troops?"]


@pytest.fixture(scope="module")
def onnx_cache(tmp_path_factory) -> Path:
    """An empty export cache: the ONNX files must be made here, from the local model."""
    folder = tmp_path_factory.mktemp("sitrep-cache")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SITREP_CACHE", str(folder))
        yield folder


@pytest.fixture(scope="module")
def torch_vectors() -> np.ndarray:
    return Embedder("", "torch").encode(TEXTS)


@pytest.mark.integration
def test_torch_backend_gives_sentence_transformers_vectors_bit_for_bit(torch_vectors):
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(Embedder().model_path, device="cpu", local_files_only=True)
    reference = model.encode(TEXTS, batch_size=64, normalize_embeddings=True,
                             convert_to_numpy=True, show_progress_bar=False)
    assert np.array_equal(torch_vectors, reference.astype(np.float32))


@pytest.mark.integration
@pytest.mark.parametrize("backend, min_cosine", [("onnx", 0.9999), ("onnx-int8", 0.95)])
def test_onnx_backends_stay_close_to_torch(onnx_cache, torch_vectors, backend, min_cosine):
    embedder = Embedder("", backend)
    vectors = embedder.encode(TEXTS)
    cosines = (vectors * torch_vectors).sum(axis=1)
    assert cosines.min() >= min_cosine
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert embedder.token_counts(TEXTS) == Embedder("", "torch").token_counts(TEXTS)
    exported = "model-int8.onnx" if backend == "onnx-int8" else "model.onnx"
    assert list(onnx_cache.glob(f"onnx/*/{exported}")), "the export was not made locally"


@pytest.mark.integration
def test_int8_index_answers_and_refuses_another_backend(onnx_cache, docs_copy, tmp_path):
    settings = make_settings(tmp_path / "index", backend="onnx-int8")
    index = Index(settings, Embedder("", "onnx-int8"))
    assert index.ingest([docs_copy]).added
    answer = Engine(settings, index).ask("how many troops?")
    assert not answer.abstained and "12,000" in answer.bluf
    with pytest.raises(StoreError, match="SITREP_BACKEND=onnx-int8"):
        Index(make_settings(tmp_path / "index", backend="torch"))


def test_backend_setting_is_validated():
    assert load_settings({"SITREP_BACKEND": "onnx-int8"}).backend == "onnx-int8"
    assert load_settings({}).backend == "onnx"
    with pytest.raises(ConfigError, match="SITREP_BACKEND"):
        load_settings({"SITREP_BACKEND": "tensorrt"})


@pytest.mark.integration
def test_onnx_reads_a_torch_index_and_answers_alike(docs_copy, tmp_path):
    torch_settings = make_settings(tmp_path / "index", backend="torch")
    torch_index = Index(torch_settings, Embedder("", "torch"))
    assert torch_index.ingest([docs_copy]).added
    onnx_settings = make_settings(tmp_path / "index", backend="onnx")
    questions = ["how many troops?", "Who visited North Korea?", "What is China's concern?"]
    by_torch = [Engine(torch_settings, torch_index).ask(q) for q in questions]
    by_onnx = [Engine(onnx_settings, Index(onnx_settings, Embedder("", "onnx"))).ask(q)
               for q in questions]
    assert [a.answer for a in by_onnx] == [a.answer for a in by_torch]
    assert [[c.start for c in a.citations] for a in by_onnx] == \
        [[c.start for c in a.citations] for a in by_torch]


@pytest.mark.integration
def test_a_process_serving_with_onnx_never_imports_torch(docs_copy, tmp_path):
    """torch costs ~180 MB and ~1.5 s of a cold start; ingest, the NER model and answering
    must not load it (the export, when needed, runs in a child process)."""
    script = f"""
import json, sys
from rag.config import load_settings
from rag.engine import Engine
from rag.ingest.store import Index
settings = load_settings().with_index({str(tmp_path / "index")!r})
index = Index(settings)
index.ingest([{str(docs_copy)!r}])
engine = Engine(settings, index)
engine.warm_up()
answer = engine.ask("how many troops?")
print(json.dumps({{"bluf": answer.bluf, "torch": "torch" in sys.modules,
                  "backend": index.embedder.backend}}))
"""
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True,
                          text=True, env={**os.environ, "SITREP_BACKEND": ""}, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["backend"] == "onnx" and "12,000" in result["bluf"]
    assert result["torch"] is False


class _RecordingRunner:
    """Stands in for the model in a test of batching alone: a text's vector is its length."""

    dimension = 2

    def __init__(self) -> None:
        self.batches: list[list[str]] = []

    def embed(self, texts: list[str]) -> np.ndarray:
        self.batches.append(texts)
        return np.array([[len(t), 1.0] for t in texts], dtype=np.float32)


@pytest.mark.parametrize("backend", ["onnx", "torch"])
def test_onnx_batches_are_capped_by_characters_and_rows_keep_their_order(backend):
    texts = [("chunk " * 300)[:1000 + i] for i in range(40)]
    texts += [f"sentence {i}" for i in range(100)]
    embedder = Embedder("", backend)
    embedder._runner = runner = _RecordingRunner()
    vectors = embedder.encode(texts)
    assert vectors[:, 0].tolist() == [len(t) for t in texts]
    assert sorted(len(b) for b in runner.batches)[-1] == 64
    if backend == "torch":  # sentence-transformers' batching, for identical vectors
        assert [len(b) for b in runner.batches] == [64, 64, 12]
    else:
        assert all(len(b) * max(map(len, b)) <= BATCH_CHARS for b in runner.batches)
