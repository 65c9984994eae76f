"""Sitrep: an offline briefing chatbot that answers from docs/ with exact citations."""

import os

# Set before sentence-transformers, transformers, gradio or onnxruntime are imported anywhere:
# they look the model hub up (even for a local path) and send analytics unless told not to.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
# onnxruntime ≥ 1.2x sends 1DS telemetry on Linux too, with a device id written under
# ~/.cache/Microsoft; this variable, read once when it loads, stops all of it.
os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")

__version__ = "0.1.0"
