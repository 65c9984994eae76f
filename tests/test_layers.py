"""The layering contract (issue 16): which modules of `rag/` may import which.

Every module's imports are read with `ast` (module level, function level and `TYPE_CHECKING`
blocks alike: a lazy import is still a dependency), nothing is imported, so this is a unit
test that runs in well under a second.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# ---- the layer table ------------------------------------------------------------------------
# Data flows one way, and so do imports: tooling → CLI → serving → engine → stages → contracts.
# The table names the layers by module (a name covers its submodules); every module under rag/
# that no layer names is a runtime stage (documents, chunking, store, ingest, retrieval, the
# answer rules, render, the brief, the reader's runtime, config, tuning, ...). Why each split:
#
# - TOOLING measures and trains; the process that serves answers never needs it, so the runtime
#   never imports it (reachable only through `python -m rag eval|bench|train-reader`, whose
#   dispatch imports it inside the command functions, so the CLI starts without it).
#   rag/onnx_export.py is not tooling: rag/embeddings.py calls it at run time to make the ONNX
#   export once per machine (rag/reader/train.py reuses its `quantise`).
# - CONTRACTS are the typed hand-offs between stages: they depend on no stage.
# - SERVING is the HTTP API, its guards and access rules, the Gradio UI and what only the UI
#   needs (its HTML, the library's uploads and removals, the example questions): the stages and
#   the engine never reach up into it.
# - ENGINE is the one facade that answers a question; only what sits above it (serving, the CLI,
#   app.py, tooling) may hold one, so the stages stay usable without the whole pipeline.
TOOLING = ("rag.bench", "rag.bench_corpus", "rag.evaluate", "rag.reader.train",
           "rag.reader.pairs", "rag.reader.calibrate")
CLI = "rag.__main__"
CONTRACTS = "rag.contracts"
SERVING = ("rag.api", "rag.guard", "rag.access", "rag.library", "rag.suggest", "rag.ui",
           "rag.ui_render", "rag.ui_markdown", "rag.ui_grades", "rag.ui_upload")
ENGINE = "rag.engine"
APP = "app"  # app.py: the server's entry point (runtime, above serving)


@dataclass(frozen=True)
class Import:
    importer: str  # module name, e.g. "rag.answer"
    target: str  # the rag module imported, e.g. "rag.spans"
    lazy: bool  # inside a function body
    where: str  # "rag/answer.py:35"

    def __str__(self) -> str:
        return f"{self.where}: {self.importer} imports {self.target}" + (
            " (inside a function)" if self.lazy else "")


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _sources() -> dict[str, Path]:
    files = sorted((ROOT / "rag").rglob("*.py")) + [ROOT / "app.py"]
    return {_module_name(path): path for path in files}


MODULES = _sources()


def _resolve(node: ast.ImportFrom, importer: str, is_package: bool) -> str:
    if not node.level:
        return node.module or ""
    base = importer.split(".") if is_package else importer.split(".")[:-1]
    base = base[:len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def _imports(name: str, path: Path, source: str | None = None) -> list[Import]:
    """The rag modules `name` (at `path`, or written as `source`) imports."""
    text = path.read_text(encoding="utf-8") if source is None else source
    tree = ast.parse(text, filename=str(path))
    where = path.relative_to(ROOT)
    found: list[Import] = []

    def visit(node: ast.AST, lazy: bool) -> None:
        for child in ast.iter_child_nodes(node):
            targets: list[str] = []
            if isinstance(child, ast.Import):
                targets = [alias.name for alias in child.names]
            elif isinstance(child, ast.ImportFrom):
                module = _resolve(child, name, path.name == "__init__.py")
                # `from rag import nlp` imports the module rag.nlp; `from rag.x import f`, rag.x
                targets = [f"{module}.{a.name}" if f"{module}.{a.name}" in MODULES else module
                           for a in child.names]
            for target in targets:
                if target == "rag" or target.startswith("rag."):
                    found.append(Import(name, target, lazy, f"{where}:{child.lineno}"))
            visit(child, lazy or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef,
                                                    ast.Lambda)))

    visit(tree, False)
    return found


IMPORTS = [imp for name, path in MODULES.items() for imp in _imports(name, path)]


def _in(module: str, layer: str | tuple[str, ...]) -> bool:
    names = (layer,) if isinstance(layer, str) else layer
    return any(module == n or module.startswith(n + ".") for n in names)


def _check(broken: list[Import], rule: str) -> None:
    assert not broken, f"{rule}:\n  " + "\n  ".join(map(str, broken))


def test_the_table_names_modules_that_exist():
    """A renamed or moved module must move in the table too, or its rules would lapse."""
    named = [*TOOLING, CLI, CONTRACTS, *SERVING, ENGINE, APP]
    assert [n for n in named if n not in MODULES] == []


def test_the_parser_sees_imports_at_every_level():
    """The contract is only as good as the parser: module-level, lazy and relative imports."""
    lazy = {(i.importer, i.target) for i in IMPORTS if i.lazy}
    eager = {(i.importer, i.target) for i in IMPORTS if not i.lazy}
    assert ("rag.engine", "rag.answer") in eager
    assert ("rag.engine", "rag.nlp") in eager  # `from rag import nlp, ...`
    assert ("rag.__main__", "rag.bench") in lazy


def test_the_runtime_never_imports_tooling():
    """Tooling is imported only by tooling, and by the CLI's dispatch inside a function."""
    broken = [i for i in IMPORTS if _in(i.target, TOOLING) and not _in(i.importer, TOOLING)
              and not (i.importer == CLI and i.lazy)]
    _check(broken, "the runtime imports tooling (only tooling, or the CLI inside a command "
                   "function, may)")


def test_the_contracts_import_nothing_from_rag():
    _check([i for i in IMPORTS if i.importer == CONTRACTS],
           f"{CONTRACTS} must stay dependency-free")


def test_nothing_below_serving_imports_serving():
    above = (*SERVING, *TOOLING, CLI, APP)
    broken = [i for i in IMPORTS if _in(i.target, SERVING) and not _in(i.importer, above)]
    _check(broken, "a module below the serving layer imports it (API, guards, access, UI, "
                   "library, suggestions)")


def test_only_the_layers_above_hold_the_engine():
    above = (*SERVING, *TOOLING, CLI, APP)
    broken = [i for i in IMPORTS if _in(i.target, ENGINE) and not _in(i.importer, above)]
    _check(broken, f"only serving, the CLI, app.py and tooling may import {ENGINE}")


@pytest.mark.parametrize("source, rule", [
    ("import rag.bench\n", test_the_runtime_never_imports_tooling),
    ("def f():\n    from rag.evaluate import metrics\n", test_the_runtime_never_imports_tooling),
    ("from rag import ui\n", test_nothing_below_serving_imports_serving),
    ("from .engine import Engine\n", test_only_the_layers_above_hold_the_engine),
])
def test_a_bad_import_fails(source: str, rule, monkeypatch):
    """Each rule catches the import it forbids, planted in a stage module (rag/spans.py)."""
    path = MODULES["rag.spans"]
    planted = _imports("rag.spans", path, path.read_text(encoding="utf-8") + source)
    extra = [i for i in planted if i not in IMPORTS]
    assert extra, "the planted import was not parsed"
    monkeypatch.setitem(globals(), "IMPORTS", IMPORTS + extra)
    with pytest.raises(AssertionError, match=r"rag/spans\.py:\d+: rag\.spans imports"):
        rule()
