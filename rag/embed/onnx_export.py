"""Export a local sentence-transformers model to ONNX (float32 and int8), once per machine.

`exported_model(folder, quantised)` returns the path of `model.onnx` or `model-int8.onnx` for
the transformer of the model in `folder`, making it on first use from the local weights
(`torch.onnx.export` in a child process, then onnxruntime's `quantize_dynamic`, int8 weights
per channel). Nothing is downloaded. Files live in `SITREP_CACHE` (default `~/.cache/sitrep`)
under `onnx/<name>-<key>`, where the key changes when the model's weights or config change; a
file lock lets one process export while the others wait, and files appear whole (written
aside, then renamed).
"""

from __future__ import annotations

import hashlib
import logging
import os
import subprocess
import sys
import warnings
from pathlib import Path

import rag  # noqa: F401  (offline environment first)
from rag.config import cache_root

INPUTS = ("input_ids", "attention_mask", "token_type_ids")
OPSET = 17


def _key(folder: Path) -> str:
    """Changes when the model's weights or config change (size and mtime, not a 90 MB hash)."""
    parts = []
    for path in sorted(folder.iterdir()):
        if path.is_file() and path.suffix in (".json", ".safetensors", ".bin", ".txt"):
            stat = path.stat()
            parts.append(f"{path.name}:{stat.st_size}:{stat.st_mtime_ns}")
    return hashlib.sha256("|".join([str(folder.resolve()), *parts]).encode()).hexdigest()[:16]


def exported_model(folder: Path, quantised: bool) -> Path:
    """Path of the float32 (`quantised=False`) or int8 ONNX model for `folder`, made if needed."""
    from filelock import FileLock

    out = cache_root() / "onnx" / f"{folder.name}-{_key(folder)}"
    fp32, int8 = out / "model.onnx", out / "model-int8.onnx"
    wanted = int8 if quantised else fp32
    if wanted.exists():
        return wanted
    out.mkdir(parents=True, exist_ok=True)
    with FileLock(str(out / "export.lock")):
        if not fp32.exists():
            _export_in_child(folder, fp32)
        if quantised and not int8.exists():
            quantise(fp32, int8)
    return wanted


def _export_in_child(folder: Path, dest: Path) -> None:
    """Run `_export` in a child process: torch costs ~180 MB and ~1.5 s to import, and the
    ONNX backends exist so that a serving process never loads it."""
    root = str(Path(__file__).resolve().parents[2])  # where `rag` is, whatever the cwd
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        p for p in (root, os.environ.get("PYTHONPATH", "")) if p)}
    done = subprocess.run([sys.executable, "-m", "rag.embed.onnx_export", str(folder), str(dest)],
                          capture_output=True, text=True, env=env)
    if done.returncode != 0 or not dest.exists():
        raise OSError(f"ONNX export of {folder} failed: {done.stderr.strip()[-1500:]}")


def _export(folder: Path, dest: Path) -> None:
    """torch.onnx.export of the model's transformer: token ids in, last hidden state out."""
    import torch
    from transformers import AutoModel, AutoTokenizer

    model = AutoModel.from_pretrained(str(folder), local_files_only=True).eval()
    tokenizer = AutoTokenizer.from_pretrained(str(folder), local_files_only=True)
    sample = tokenizer(["an example sentence", "another one"], padding=True,
                       return_tensors="pt")
    names = [n for n in INPUTS if n in sample]

    class LastHiddenState(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.model = model

        def forward(self, *inputs):
            return self.model(**dict(zip(names, inputs))).last_hidden_state

    axes = {n: {0: "batch", 1: "tokens"} for n in [*names, "last_hidden_state"]}
    tmp = dest.with_suffix(".tmp")
    with warnings.catch_warnings(), torch.no_grad():
        # The TorchScript exporter is deprecated in favour of dynamo, which takes 10 s and
        # writes weights beside the graph; this one takes 1.5 s and one file.
        warnings.simplefilter("ignore")
        torch.onnx.export(LastHiddenState(), tuple(sample[n] for n in names), str(tmp),
                          input_names=names, output_names=["last_hidden_state"],
                          dynamic_axes=axes, opset_version=OPSET, dynamo=False)
    os.replace(tmp, dest)


def quantise(source: Path, dest: Path) -> None:
    """int8 weights, one scale per output channel (per tensor loses ~4% cosine to float32)."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    tmp = dest.with_suffix(".tmp")
    logging.disable(logging.WARNING)  # its advice to pre-process the graph is not actionable here
    try:
        quantize_dynamic(str(source), str(tmp), weight_type=QuantType.QInt8, per_channel=True)
    finally:
        logging.disable(logging.NOTSET)
    os.replace(tmp, dest)


if __name__ == "__main__":  # `python -m rag.embed.onnx_export FOLDER DEST`, run by _export_in_child
    _export(Path(sys.argv[1]), Path(sys.argv[2]))
