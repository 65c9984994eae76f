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
# Data flows one way, and so do imports: tooling → CLI → serving → engine → stages → shared
# modules → contracts. The table names the layers by package or module (a name covers its
# submodules). Why each split:
#
# - TOOLING measures and trains; the process that serves answers never needs it, so the runtime
#   never imports it (reachable only through `python -m rag eval|bench|train-reader`, whose
#   dispatch imports it inside the command functions, so the CLI starts without it).
#   rag/embed/onnx_export.py is not tooling: rag/embed/model.py calls it at run time to make the
#   ONNX export once per machine (rag/reader/train.py reuses its `quantise`).
# - CONTRACTS are the typed hand-offs between stages: they depend on no stage.
# - SHARED are the settings, tuning values, rule names and text utilities every stage may use;
#   they import nothing but each other and the contracts.
# - STAGES run in data-flow order, lowest first: the embedding model; ingest (documents, chunks,
#   the store); retrieval (the sentence table, the retriever); then what reads the retrieved
#   sentences: the answer, the brief and the learned reader, which do not import each other
#   (the engine joins them). A stage imports the shared modules and the stages below it only.
# - SERVING is the HTTP API, its guards and access rules, the Gradio UI and what only the UI
#   needs (its HTML, the library's uploads and removals, the example questions): the stages and
#   the engine never reach up into it.
# - ENGINE is the one facade that answers a question; only what sits above it (serving, the CLI,
#   app.py, tooling) may hold one, so the stages stay usable without the whole pipeline.
TOOLING = ("rag.tools", "rag.reader.train", "rag.reader.pairs", "rag.reader.calibrate")
CLI = "rag.__main__"
CONTRACTS = "rag.contracts"
SHARED = ("rag.contracts", "rag.config", "rag.tuning", "rag.rules", "rag.text", "rag.nlp",
          "rag.tradecraft")
STAGES = (("rag.embed",), ("rag.ingest",), ("rag.retrieval",),
          ("rag.answer", "rag.brief", "rag.reader"))
SERVING = ("rag.serve",)
ENGINE = "rag.engine"
APP = "app"  # app.py: the server's entry point (runtime, above serving)
PACKAGE = "rag"  # rag/__init__.py: sets the offline environment; anything may import it


@dataclass(frozen=True)
class Import:
    importer: str  # module name, e.g. "rag.answer.compose"
    target: str  # the rag module imported, e.g. "rag.answer.spans"
    lazy: bool  # inside a function body
    where: str  # "rag/answer/compose.py:35"

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
    named = [*TOOLING, CLI, *SHARED, *(n for level in STAGES for n in level), *SERVING, ENGINE,
             APP]
    assert [n for n in named if n not in MODULES] == []


def test_every_module_has_a_place():
    """A new module is placed in a layer, so the rules below apply to it."""
    placed = (*TOOLING, CLI, *SHARED, *(n for level in STAGES for n in level), *SERVING,
              ENGINE, APP)
    assert [m for m in MODULES if m != PACKAGE and not _in(m, placed)] == []


def test_the_parser_sees_imports_at_every_level():
    """The contract is only as good as the parser: module-level, lazy and relative imports."""
    lazy = {(i.importer, i.target) for i in IMPORTS if i.lazy}
    eager = {(i.importer, i.target) for i in IMPORTS if not i.lazy}
    assert ("rag.engine", "rag.answer.compose") in eager
    assert ("rag.engine", "rag.nlp") in eager  # `from rag import nlp, ...`
    assert ("rag.__main__", "rag.tools.bench") in lazy
    assert ("rag.ingest.store", "rag.ingest.pipeline") in lazy  # and in `TYPE_CHECKING`


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


def _level(module: str) -> int | None:
    return next((n for n, level in enumerate(STAGES) if _in(module, level)), None)


def test_the_shared_modules_import_no_stage():
    broken = [i for i in IMPORTS if _in(i.importer, SHARED)
              and not (_in(i.target, SHARED) or i.target == PACKAGE)]
    _check(broken, "a shared module (contracts, config, tuning, rules, text, nlp, tradecraft) "
                   "imports beyond the shared modules")


def test_a_stage_imports_only_the_stages_below_it():
    """ingest ← retrieval ← answer (and the brief, the reader): never up, never sideways."""
    broken = []
    for i in IMPORTS:
        level = _level(i.importer)
        if level is None or _in(i.importer, TOOLING) or _in(i.target, SHARED) \
                or i.target == PACKAGE:
            continue
        target = _level(i.target)
        same_package = i.target.split(".")[:2] == i.importer.split(".")[:2]
        if not (same_package or (target is not None and target < level)):
            broken.append(i)
    _check(broken, "a stage imports a stage above it or beside it, or a layer above the stages "
                   f"(order, lowest first: {STAGES})")


@pytest.mark.parametrize("source, rule", [
    ("import rag.tools.bench\n", test_the_runtime_never_imports_tooling),
    ("def f():\n    from rag.tools.evaluate import metrics\n",
     test_the_runtime_never_imports_tooling),
    ("from rag.serve import ui\n", test_nothing_below_serving_imports_serving),
    ("from ..engine import Engine\n", test_only_the_layers_above_hold_the_engine),
    ("from rag.reader.model import Reader\n", test_a_stage_imports_only_the_stages_below_it),
    ("def f():\n    from rag.brief import brief\n", test_a_stage_imports_only_the_stages_below_it),
])
def test_a_bad_import_fails(source: str, rule, monkeypatch):
    """Each rule catches the import it forbids, planted in a stage module (rag/answer/spans.py).
    """
    path = MODULES["rag.answer.spans"]
    planted = _imports("rag.answer.spans", path, path.read_text(encoding="utf-8") + source)
    extra = [i for i in planted if i not in IMPORTS]
    assert extra, "the planted import was not parsed"
    monkeypatch.setitem(globals(), "IMPORTS", IMPORTS + extra)
    planted_at = r"rag/answer/spans\.py:\d+: rag\.answer\.spans imports"
    with pytest.raises(AssertionError, match=planted_at):
        rule()
