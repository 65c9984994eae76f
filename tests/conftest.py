"""Shared fixtures: a real index of docs/ (real model, embedded Chroma) in a tmp dir."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

import rag  # noqa: F401  (offline environment first)
from rag.config import Settings, load_settings
from rag.engine import Engine
from rag.ingest.store import Index

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"


def make_settings(index_dir: Path, **overrides) -> Settings:
    """Settings pointing at `index_dir`, ignoring any SITREP_INDEX of the caller."""
    from dataclasses import replace

    return replace(load_settings(), index_dir=index_dir, **overrides)


# Fixtures that start the real embedding model, Chroma or Chromium (`report`: evals/conftest.py).
# A test using one belongs to the `integration` tier (pyproject.toml), and must say so.
INTEGRATION_FIXTURES = frozenset({"engine", "fresh_index", "chromium", "report"})


def pytest_collection_modifyitems(config, items) -> None:
    """Refuse a run where a test uses an integration fixture without the `integration` marker,
    so `make test-fast` (-m "not integration and not slow") never loads the model by surprise."""
    unmarked = [item.nodeid for item in items
                if INTEGRATION_FIXTURES & set(getattr(item, "fixturenames", ()))
                and item.get_closest_marker("integration") is None]
    if unmarked:
        raise pytest.UsageError("mark these tests integration (they use "
                                f"{', '.join(sorted(INTEGRATION_FIXTURES))}): "
                                + ", ".join(unmarked))


@pytest.fixture(scope="session")
def docs_copy(tmp_path_factory) -> Path:
    """A private copy of docs/ (tests may read offsets from it)."""
    target = tmp_path_factory.mktemp("corpus") / "docs"
    shutil.copytree(DOCS, target)
    return target


@pytest.fixture(scope="session")
def engine(tmp_path_factory, docs_copy) -> Engine:
    """An engine over a fresh index of the shipped corpus."""
    settings = make_settings(tmp_path_factory.mktemp("index"))
    index = Index(settings)
    report = index.ingest([docs_copy])
    assert report.added and not report.errors
    eng = Engine(settings, index)
    eng.warm_up()
    return eng


@pytest.fixture
def fresh_index(tmp_path) -> Index:
    """An empty index in a tmp dir, sharing the process's loaded model."""
    return Index(make_settings(tmp_path / "index"))


CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="module")
def chromium():
    """Debian's headless Chromium driven by Playwright, one per test module (Playwright's sync
    API allows one running instance per process, so it must close before the next starts)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium",
                                             args=CHROMIUM_ARGS)
        yield browser
        browser.close()
