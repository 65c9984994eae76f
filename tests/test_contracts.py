"""The typed contracts stay dependency-free, and the pure text rules stay light to import.

`rag.contracts` holds the types the stages hand each other; `rag.answer.spans` is text rules over
spaCy's entities. Neither may pull in the index (chromadb), LangChain, numpy, YAML or the
model runtime: a tool or test that only needs the types or the rules should not pay for them.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import rag.contracts

HEAVY = ("chromadb", "langchain_core", "numpy", "yaml", "onnxruntime")


def test_contracts_import_only_the_standard_library():
    tree = ast.parse(Path(rag.contracts.__file__).read_text(encoding="utf-8"))
    imported = {alias.name.split(".")[0] for node in ast.walk(tree)
                if isinstance(node, ast.Import) for alias in node.names}
    imported |= {node.module.split(".")[0] for node in ast.walk(tree)
                 if isinstance(node, ast.ImportFrom) and node.module}
    assert imported <= set(sys.stdlib_module_names) | {"__future__"}, imported


def test_contracts_and_spans_import_without_heavy_dependencies():
    """In a fresh interpreter: importing the contracts and the span rules loads none of the
    heavy packages. (spaCy itself, which `rag.nlp` loads on first use, would bring numpy; the
    rules import it lazily, so importing them does not.)"""
    code = ("import json, sys\nimport rag.contracts, rag.answer.spans\n"
            f"print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=Path(__file__).resolve().parents[1])
    assert json.loads(out.stdout) == [], out.stdout
