"""The Sitrep web app: one server for the Gradio chat UI, the JSON API and the widget.

Run `python app.py` (or `make run`); it serves on SITREP_HOST:SITREP_PORT (127.0.0.1:7860).
`create_app(settings)` builds the ASGI app, for tests and for other ASGI servers; `main`
first reconciles the docs folder with the index (`rag.serve.library.reconcile`).
"""

from __future__ import annotations

import sys

import rag  # noqa: F401  (offline environment before gradio loads)

# isort: split
import gradio as gr
import uvicorn
from fastapi import FastAPI

from rag.config import Settings, load_settings
from rag.engine import Engine
from rag.ingest.store import StoreError
from rag.serve.api import build_api
from rag.serve.library import reconcile
from rag.serve.ui import build_ui, mount_options


def create_app(settings: Settings | None = None, engine: Engine | None = None) -> FastAPI:
    """The API routes plus the UI mounted at `/`, sharing one warmed-up engine."""
    settings = settings or load_settings()
    engine = engine or Engine(settings)
    engine.warm_up()
    return gr.mount_gradio_app(build_api(engine, settings), build_ui(engine, settings),
                               path="/", **mount_options(settings))


def reconcile_library(engine: Engine, settings: Settings) -> None:
    """Bring the docs folder and the index into agreement before serving (an upload cut short
    by a crash, files added while the app was down); say on stderr what changed."""
    try:
        report = reconcile(engine.index, settings.docs_dir)
    except StoreError as exc:  # e.g. another process is writing: it will be consistent
        print(f"sitrep: library not reconciled at start: {exc}", file=sys.stderr)
        return
    for line in report.lines():
        print(f"sitrep: {line}", file=sys.stderr)


def main() -> None:
    settings = load_settings()
    engine = Engine(settings)
    reconcile_library(engine, settings)
    # No uvicorn access log: it prints every URL with its query string (session hashes,
    # `?token=`); the structured request log (rag.serve.guard) is the one log of requests. No
    # uvicorn proxy headers: it believes X-Forwarded-For from 127.0.0.1 (any local caller);
    # the guards believe it only from SITREP_TRUSTED_PROXIES.
    uvicorn.run(create_app(settings, engine), host=settings.host, port=settings.port,
                log_level="info", access_log=False, proxy_headers=False)


if __name__ == "__main__":
    main()
