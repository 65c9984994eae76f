"""Real servers for the API, access and widget tests.

`corpus_engine()` builds (once per process) an index of docs/ plus the labelled test documents
below and returns a warmed-up engine over it. `Server(app)` runs an ASGI app under a real
uvicorn on a free 127.0.0.1 port in a background thread; `StaticServer(folder)` serves files
(the widget's host pages) from another port, i.e. another origin.
"""

from __future__ import annotations

import functools
import http.server
import logging
import os
import shutil
import socket
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

import httpx
import uvicorn

import rag  # noqa: F401  (offline environment first)
from rag.config import Settings, load_settings
from rag.engine import Engine
from rag.ingest.store import Index

ROOT = Path(__file__).resolve().parent.parent
LOOPBACK = "127.0.0.1"

# Tokens and passwords the tests configure; the log test asserts none of them is ever logged.
INTEL_TOKEN = "intel-token-" + "k3" * 10
OPS_TOKEN = "ops-token-" + "q7" * 10
PUBLIC_TOKEN = "public-token-" + "z9" * 10
BASIC_USER, BASIC_PASSWORD = "alice", "alice-password-51"
SECRETS = (INTEL_TOKEN, OPS_TOKEN, PUBLIC_TOKEN, BASIC_PASSWORD)

# Restricted documents: the best (only) answers to the leak test's questions sit here.
RESTRICTED = {
    "kestrel.md": ("Operation Kestrel", "[intel]", [
        "Operation Kestrel moved 48,317 artillery shells from Rason to Vladivostok by rail.",
        "The Kestrel convoys were commanded by Colonel Ivan Drozdov of the 71st Logistics Brigade.",
        "Kestrel shipments left Rason every Tuesday at 04:00 under radio silence.",
        "Analysts assess that Kestrel will end when the Tumen River bridge closes for repairs.",
    ]),
    "lantern.md": ("Project Lantern", "[intel, exec]", [
        "Project Lantern paid North Korean engineers 9,250 tonnes of wheat for drone parts.",
        "Lantern drone parts were assembled at the Zelenodolsk plant near Kazan.",
        "General Park Sun-ho signed the Lantern contract in Khabarovsk on 3 March.",
        "The Lantern deal includes 214 Shahed-type airframes delivered by sea.",
    ]),
    "granite.md": ("Granite Ledger", "intel", [
        "The Granite ledger records 1.7 billion dollars in oil credits owed to Pyongyang.",
        "Granite payments are routed through a bank in Dushanbe called Pamir Trust.",
        "The ledger lists 63 tankers that loaded fuel at Nakhodka for Nampo.",
        "Granite auditors found that 18 percent of the credits were never delivered.",
    ]),
    "broken-label.md": ("Broken Label", "5", [
        "The broken label file says the Sokcho radar site has 12 new antennas.",
    ]),
}
# Visible to the ops group only (the restricted caller below is in ops, not intel).
OPS_ONLY = ("ops-roster.md", "Ops Roster", "[ops]", [
    "The ops roster assigns Captain Mira Holt to the night desk in Tallinn.",
])
# A public document whose text is an attack on whatever renders it.
XSS_SENTENCE = ('The hostile memo reads <script>window.__pwned = 1; alert("xss")</script> and '
                '<img src=x onerror="window.__pwned = 2; alert(1)"> as its signature.')
XSS_DOC = ("hostile-memo.md", "Hostile <b>Memo</b>", None, [
    XSS_SENTENCE,
    "The hostile memo was found on a shared drive in Riga.",
])


def _markdown(title: str, access: str | None, sentences: list[str]) -> str:
    front = f"---\ntitle: \"{title}\"\n" + (f"access: {access}\n" if access else "") + "---\n"
    return front + f"# {title}\n\n" + "\n\n".join(sentences) + "\n"


def write_corpus(target: Path) -> Path:
    """docs/ plus the labelled and hostile test documents, in `target`."""
    shutil.copytree(ROOT / "docs", target)
    for name, (title, access, sentences) in RESTRICTED.items():
        (target / name).write_text(_markdown(title, access, sentences), encoding="utf-8")
    for name, title, access, sentences in (OPS_ONLY, XSS_DOC):
        (target / name).write_text(_markdown(title, access, sentences), encoding="utf-8")
    return target


@functools.lru_cache(maxsize=1)
def corpus_engine() -> Engine:
    """One warmed-up engine over a private index of the test corpus, shared by the tests."""
    base = Path(tempfile.mkdtemp(prefix="sitrep-api-"))
    docs = write_corpus(base / "docs")
    settings = replace(load_settings({}), index_dir=base / "index")
    index = Index(settings)
    report = index.ingest([docs])
    ours = {*RESTRICTED, OPS_ONLY[0], XSS_DOC[0], "russia-north-korea.txt"}
    assert not report.errors and ours <= {Path(a).name for a in report.added}, report.summary()
    engine = Engine(settings, index)
    engine.warm_up()
    return engine


def api_settings(engine: Engine, **overrides) -> Settings:
    """Secure settings over the engine's index: tokens, basic auth, small limits."""
    values = dict(
        api_tokens={INTEL_TOKEN: frozenset({"intel", "ops", "exec"}),
                    OPS_TOKEN: frozenset({"ops"}), PUBLIC_TOKEN: frozenset()},
        basic_auth={f"{BASIC_USER}:{BASIC_PASSWORD}": frozenset({"ops"})},
        rate_limit=100_000, max_body_bytes=8192)
    values.update(overrides)
    return replace(engine.settings, **values)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((LOOPBACK, 0))
        return sock.getsockname()[1]


class Server:
    """A real uvicorn server for `app` on a free loopback port, in a daemon thread."""

    def __init__(self, app, port: int | None = None) -> None:
        self.port = port or free_port()
        self.url = f"http://{LOOPBACK}:{self.port}"
        config = uvicorn.Config(app, host=LOOPBACK, port=self.port, log_level="warning",
                                access_log=False, lifespan="on", timeout_graceful_shutdown=2)
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> Server:
        self.thread.start()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(self.url + "/healthz", timeout=2).status_code == 200:
                    return self
            except httpx.HTTPError:
                time.sleep(0.1)
        raise RuntimeError(f"server on {self.url} did not start")

    def __exit__(self, *exc) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:  # keep test output readable
        pass


class StaticServer:
    """A plain http.server for `folder` on a free loopback port (a different origin)."""

    def __init__(self, folder: Path, port: int | None = None) -> None:
        self.port = port or free_port()
        self.url = f"http://{LOOPBACK}:{self.port}"
        handler = functools.partial(_QuietHandler, directory=str(folder))
        self.httpd = http.server.ThreadingHTTPServer((LOOPBACK, self.port), handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> StaticServer:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


class LogCapture(logging.Handler):
    """Every log record of the process, formatted, for assertions about what is logged."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))

    def __enter__(self) -> LogCapture:
        logging.getLogger().addHandler(self)
        logging.getLogger("sitrep.requests").setLevel(logging.INFO)
        return self

    def __exit__(self, *exc) -> None:
        logging.getLogger().removeHandler(self)


@contextmanager
def serve_library(root: Path, extra: dict[str, str], shipped: bool = True) -> Iterator[str]:
    """The app (UI and API) under a real server over a copy of docs/ (without it when not
    `shipped`) in `root`/docs plus the `extra` files (name → text), indexed; no rate limit
    (one browser does everything) and removal on without sign-in (SITREP_ALLOW_REMOVE=1).
    Yields the server's URL."""
    from app import create_app

    from .conftest import DOCS, make_settings

    docs_dir = root / "docs"
    if shipped:
        shutil.copytree(DOCS, docs_dir)
    else:
        docs_dir.mkdir(parents=True)
    for name, text in extra.items():
        (docs_dir / name).write_text(text, encoding="utf-8")
    settings = make_settings(root / "index", docs_dir=docs_dir, rate_limit=0)
    index = Index(settings)
    assert not index.ingest([docs_dir]).errors
    old = os.environ.get("SITREP_ALLOW_REMOVE")
    os.environ["SITREP_ALLOW_REMOVE"] = "1"  # read when a removal is asked for
    try:
        with Server(create_app(settings, Engine(settings, index))) as server:
            yield server.url
    finally:
        if old is None:
            os.environ.pop("SITREP_ALLOW_REMOVE", None)
        else:
            os.environ["SITREP_ALLOW_REMOVE"] = old
