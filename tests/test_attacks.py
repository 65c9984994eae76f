"""Attacks from issue 14, performed against a real app process (`python app.py`) on loopback.

The app runs in its own process over a tmp docs folder and index, the way `make run` runs it;
a second process (`python -m rag ingest`) changes the index under it. Requests are the ones an
attacker or a second operator would send: Gradio's own queue protocol, and the JSON API.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import threading
import time
import zlib
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import httpx
import pytest

from .conftest import DOCS, ROOT
from .proc import TIMEOUT_S, cli, cli_env
from .serving import LOOPBACK, free_port

pytestmark = pytest.mark.integration

SECRET = ("The ops runbook says the vault code is 4471-ORCHID and the spare keys hang "
          "behind the boiler in building nine.\n")
QUARTERMASTER = ("---\ntitle: Quartermaster report\n---\n# Stores\n\n"
                 "The quartermaster counted {n} crates of rations in Vyborg on Monday.\n\n"
                 "The rations were sent north by truck the next morning.\n")


@dataclass
class App:
    """A running `python app.py`: its URL, folders and log."""

    url: str
    root: Path
    docs: Path
    index: Path
    log: Path
    proc: subprocess.Popen

    def ask(self, question: str) -> httpx.Response:
        return httpx.post(self.url + "/api/ask", json={"question": question}, timeout=120)

    def ingest(self) -> subprocess.CompletedProcess:
        """`python -m rag ingest docs` in another process, as an operator would run it."""
        return cli(["ingest", str(self.docs), "--index", str(self.index)], cwd=self.root)


@contextmanager
def running_app(root: Path, **env: str) -> Iterator[App]:
    """`python app.py` over a copy of docs/ ingested in `root`, with `SITREP_*` from `env`."""
    docs, index = root / "docs", root / "index"
    shutil.copytree(DOCS, docs)
    done = cli(["ingest", str(docs), "--index", str(index)], cwd=root)
    assert done.returncode == 0, done.stderr
    port = free_port()
    log = root / "app.log"
    env = cli_env(SITREP_DOCS=str(docs), SITREP_INDEX=str(index), SITREP_HOST=LOOPBACK,
                  SITREP_PORT=str(port), **env)
    with log.open("w") as out:
        proc = subprocess.Popen([sys.executable, str(ROOT / "app.py")], cwd=root, env=env,
                                stdout=out, stderr=subprocess.STDOUT)
    running = App(f"http://{LOOPBACK}:{port}", root, docs, index, log, proc)
    try:
        deadline = time.monotonic() + TIMEOUT_S
        while True:
            assert proc.poll() is None, log.read_text()
            try:
                if httpx.get(running.url + "/healthz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "app did not start"
            time.sleep(0.2)
        yield running
    finally:
        proc.terminate()
        proc.wait(timeout=30)


@pytest.fixture(scope="module")
def app(tmp_path_factory) -> Iterator[App]:
    with running_app(tmp_path_factory.mktemp("attack")) as running:
        yield running


def one_page_pdf(content: bytes) -> bytes:
    """A well-formed one-page PDF (Helvetica) whose page content is `content`, Flate-compressed."""
    stream = zlib.compress(content, 9)
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>",
               b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
               b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
               b"/Resources << /Font << /F1 5 0 R >> >> >>",
               b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(stream) + stream
               + b"\nendstream",
               b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1, xref)
    return bytes(out)


def gradio_event(app: App, api_name: str, data: list) -> dict:
    """Run one UI event through Gradio's queue (join, then read the event stream) and return
    its `process_completed` message."""
    config = httpx.get(app.url + "/config", timeout=30).json()
    fn_index = next(d["id"] for d in config["dependencies"] if d.get("api_name") == api_name)
    session = f"attack-{time.monotonic_ns()}"
    joined = httpx.post(app.url + "/gradio_api/queue/join", timeout=30, json={
        "data": data, "fn_index": fn_index, "session_hash": session, "event_data": None,
        "trigger_id": None})
    assert joined.status_code == 200, joined.text
    with httpx.stream("GET", app.url + "/gradio_api/queue/data",
                      params={"session_hash": session}, timeout=120) as stream:
        for line in stream.iter_lines():
            if line.startswith("data:"):
                message = json.loads(line[5:])
                if message.get("msg") == "process_completed":
                    return message
    raise AssertionError("the event stream ended without process_completed")


def test_ui_upload_refuses_a_file_from_the_server_disk(app: App, tmp_path: Path) -> None:
    """Issue 14, item 1: the upload event names a server file instead of an uploaded one."""
    secret = tmp_path / "private" / "ops-runbook.md"
    secret.parent.mkdir()
    secret.write_text(SECRET, encoding="utf-8")
    done = gradio_event(app, "add", [[{"path": str(secret),
                                        "meta": {"_type": "gradio.FileData"}}]])
    assert not done.get("success"), done
    assert "not uploaded" in json.dumps(done.get("output")), done  # a clear refusal
    assert not (app.docs / "ops-runbook.md").exists()
    listed = httpx.get(app.url + "/api/documents", timeout=30).json()["documents"]
    assert all("ops-runbook" not in d["source"] for d in listed)
    answer = app.ask("What is the vault code in the ops runbook?").json()
    assert "4471" not in json.dumps(answer)

    # A file that did go through the upload route is still added.
    upload = tmp_path / "harbour-note.md"
    upload.write_text("The harbour note says the tug Aurora towed 14 barges to Kotka.\n")
    with upload.open("rb") as handle:
        paths = httpx.post(app.url + "/gradio_api/upload", timeout=60,
                           files={"files": (upload.name, handle, "text/markdown")}).json()
    done = gradio_event(app, "add", [[{"path": paths[0], "orig_name": upload.name,
                                        "meta": {"_type": "gradio.FileData"}}]])
    assert done.get("success"), done
    assert (app.docs / "harbour-note.md").exists()
    assert "14 barges" in app.ask("How many barges did the tug Aurora tow?").json()["answer"]


def test_running_app_answers_from_another_process_ingest(app: App) -> None:
    """Issue 14, item 2: add, then change, a document and ingest it from another process while
    the app serves; questions asked meanwhile never fail, and the next one sees the change."""
    statuses: list[int] = []
    stop = threading.Event()

    def keep_asking() -> None:
        while not stop.is_set():
            for path, body in (("/api/ask", {"question": "How many crates of rations?"}),
                               ("/api/brief", {})):
                statuses.append(httpx.post(app.url + path, json=body, timeout=120).status_code)
            time.sleep(0.2)

    asker = threading.Thread(target=keep_asking, daemon=True)
    asker.start()
    try:
        for crates in ("3,917", "5,208"):  # added, then changed
            (app.docs / "quartermaster.md").write_text(QUARTERMASTER.format(n=crates))
            done = app.ingest()
            assert done.returncode == 0, done.stderr
            answer = app.ask("How many crates of rations did the quartermaster count?")
            assert answer.status_code == 200, app.log.read_text()[-3000:]
            assert crates in answer.json()["answer"]
            assert any(c["source"].endswith("quartermaster.md")
                       for c in answer.json()["citations"])
            brief = httpx.post(app.url + "/api/brief", json={}, timeout=120)
            assert brief.status_code == 200, app.log.read_text()[-3000:]
    finally:
        stop.set()
        asker.join(timeout=120)
    assert statuses and set(statuses) == {200}, statuses


def test_access_log_keeps_no_query_strings(app: App) -> None:
    """Issue 14, item 8: session hashes and `?token=` in URLs must not reach stdout."""
    token, session = "leaky-token-" + "x4" * 8, "leaky-session-" + "y5" * 8
    httpx.get(app.url + "/", params={"token": token}, timeout=30)
    try:  # an unknown session's event stream is cut short: only the log line matters here
        httpx.get(app.url + "/gradio_api/queue/data", params={"session_hash": session},
                  timeout=5)
    except httpx.HTTPError:
        pass
    httpx.get(app.url + "/healthz", timeout=30)
    time.sleep(0.5)  # let the process flush its log
    log = app.log.read_text()
    assert token not in log and session not in log


def test_get_on_a_post_route_answers_405(app: App) -> None:
    """Issue 14, item 11: a known route asked with the wrong method is 405, not 404."""
    response = httpx.get(app.url + "/api/ask", timeout=30)
    assert response.status_code == 405, response.text
    assert response.headers["allow"] == "POST" and "POST" in response.json()["error"]


def test_hostile_pdfs_are_skipped_and_the_rest_is_indexed(tmp_path: Path) -> None:
    """Issue 14, item 5: a PDF whose content stream inflates past pypdf's limit (80 MB from
    78 KB: `LimitReachedError`, not a `PdfReadError`) and one whose 3 KB draw 20,000 sentences,
    in the docs folder beside good files; `python -m rag ingest`, as `make run` runs it first."""
    docs = tmp_path / "docs"
    shutil.copytree(DOCS, docs)
    (docs / "quartermaster.md").write_text(QUARTERMASTER.format(n="2,604"))
    (docs / "bomb.pdf").write_bytes(one_page_pdf(b"q Q\n" * 20_000_000))
    (docs / "convoy-log.pdf").write_bytes(one_page_pdf(
        b"BT /F1 10 Tf 12 TL 72 720 Td\n" + b"(The convoy moved north at dawn.) '\n" * 20_000
        + b"ET\n"))
    assert (docs / "bomb.pdf").stat().st_size < 100_000
    assert (docs / "convoy-log.pdf").stat().st_size < 5_000
    index = str(tmp_path / "index")
    done = cli(["ingest"], cwd=tmp_path, SITREP_INDEX=index)
    assert done.returncode == 0, done.stderr[-3000:]  # `make run` goes on to start the app
    assert "Traceback" not in done.stderr, done.stderr[-3000:]
    skipped = [line for line in done.stderr.splitlines() if line.startswith("skipped: ")]
    assert any("bomb.pdf" in line and "cannot read PDF" in line for line in skipped), skipped
    assert any("convoy-log.pdf" in line and "SITREP_MAX_DOC_SENTENCES" in line
               for line in skipped), skipped
    assert "added 2," in done.stdout and "errors 2;" in done.stdout, done.stdout
    asked = cli(["ask", "--json", "How many crates of rations did the quartermaster count?"],
                cwd=tmp_path, SITREP_INDEX=index)
    assert asked.returncode == 0, asked.stderr[-3000:]
    assert "2,604" in json.loads(asked.stdout)["answer"]


def test_ui_errors_show_a_neutral_message_and_log_the_detail(app: App) -> None:
    """Issue 14, item 11: an event that fails inside the app must not send the exception's text
    (it may quote paths, document text or internals) to the browser; the log keeps it."""
    neutral = "Something went wrong answering that; the error is logged."
    # The brief's event with its topic sent as null (the page never sends that): queued.
    done = gradio_event(app, "run", [None])
    assert not done.get("success"), done
    assert done["output"]["error"] == neutral, done
    assert "NoneType" not in json.dumps(done), done
    # A source-list click with no event data, through Gradio's non-queued route.
    response = httpx.post(app.url + "/gradio_api/run/show", json={"data": [None]}, timeout=30)
    assert response.status_code == 500 and response.json()["error"] == neutral, response.text
    time.sleep(0.5)  # let the process flush its log
    log = app.log.read_text()
    assert "'NoneType' object has no attribute 'strip'" in log  # the detail, for the operator
    assert "UI event run failed" in log and "UI event show failed" in log


def test_forged_host_header_is_refused(app: App) -> None:
    """Issue 14, item 11: a Host header naming another host is refused. DNS rebinding: a page on
    evil.example whose name now resolves to this server sends `Host: evil.example` and, from
    its own page, `Origin: http://evil.example`, which the CORS guard took for the app's own
    origin."""
    port = app.url.rsplit(":", 1)[1]
    evil = f"evil.example:{port}"
    asked = httpx.post(app.url + "/api/ask", json={"question": "How many troops?"}, timeout=60,
                       headers={"Host": evil, "Origin": f"http://{evil}"})
    assert asked.status_code == 400, asked.text
    assert "SITREP_ALLOWED_HOSTS" in asked.json()["error"]
    assert httpx.get(app.url + "/", headers={"Host": evil}, timeout=30).status_code == 400
    assert httpx.get(app.url + "/config", headers={"Host": evil}, timeout=30).status_code == 400
    for host in (f"{LOOPBACK}:{port}", f"localhost:{port}"):  # the listen address, localhost
        listed = httpx.get(app.url + "/api/documents", headers={"Host": host}, timeout=30)
        assert listed.status_code == 200, listed.text


def test_forwarded_for_counts_only_from_configured_proxies(app: App, tmp_path: Path) -> None:
    """Issue 14, item 9: a local caller rotating `X-Forwarded-For` was never rate-limited, and
    the log showed the forged address. Only proxies named in SITREP_TRUSTED_PROXIES count."""
    # Default, no proxies: the header is ignored; the log shows the connecting address.
    httpx.get(app.url + "/api/documents", headers={"X-Forwarded-For": "203.0.113.77"},
              timeout=30)
    time.sleep(0.5)  # let the process flush its log
    assert "203.0.113.77" not in app.log.read_text()

    # A proxy at 127.0.0.2 (a loopback address of its own), 5 API calls a minute per client.
    with running_app(tmp_path, SITREP_TRUSTED_PROXIES="127.0.0.2",
                     SITREP_RATE_LIMIT="5") as proxied:
        url = proxied.url + "/api/documents"
        rotated = [httpx.get(url, headers={"X-Forwarded-For": f"198.51.100.{n}"},
                             timeout=30).status_code for n in range(8)]
        assert rotated == [200] * 5 + [429] * 3, rotated  # 127.0.0.1 is not a proxy
        with httpx.Client(transport=httpx.HTTPTransport(local_address="127.0.0.2"),
                          timeout=30) as proxy:
            forwarded = [proxy.get(url, headers={"X-Forwarded-For": "192.0.2.10"}).status_code
                         for _ in range(6)]
            assert forwarded == [200] * 5 + [429], forwarded  # the proxy's client is counted
            other = proxy.get(url, headers={"X-Forwarded-For": "192.0.2.11"})
            assert other.status_code == 200  # and another client behind it has its own budget
        time.sleep(0.5)
        log = proxied.log.read_text()
    assert "198.51.100." not in log
    assert '"client": "192.0.2.10"' in log and '"client": "127.0.0.1"' in log
