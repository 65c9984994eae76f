"""Attacks from issue 14, performed against a real app process (`python app.py`) on loopback.

The app runs in its own process over a tmp docs folder and index, the way `make run` runs it;
a second process (`python -m rag ingest`) changes the index under it. Requests are the ones an
attacker or a second operator would send: Gradio's own queue protocol, and the JSON API.
"""

from __future__ import annotations

import http.server
import json
import shutil
import subprocess
import sys
import threading
import time
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

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
def serving(root: Path, **env: str) -> Iterator[App]:
    """`python app.py` over `root`'s docs/ and index/ as they are, with `SITREP_*` from `env`
    (its stdin a pipe, for the `SITREP_PAUSE_AT` hook); stopped when the block ends."""
    docs, index = root / "docs", root / "index"
    port = free_port()
    log = root / "app.log"
    env = cli_env(SITREP_DOCS=str(docs), SITREP_INDEX=str(index), SITREP_HOST=LOOPBACK,
                  SITREP_PORT=str(port), **env)
    with log.open("w") as out:
        proc = subprocess.Popen([sys.executable, str(ROOT / "app.py")], cwd=root, env=env,
                                stdin=subprocess.PIPE, stdout=out, stderr=subprocess.STDOUT)
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
        if proc.poll() is None:
            proc.terminate()
        proc.wait(timeout=30)
        proc.stdin.close()


@contextmanager
def running_app(root: Path, extra: dict[str, str] | None = None, **env: str) -> Iterator[App]:
    """`python app.py` over a copy of docs/ plus the `extra` files (name → text), ingested in
    `root`, with `SITREP_*` from `env`."""
    docs = root / "docs"
    shutil.copytree(DOCS, docs)
    for name, text in (extra or {}).items():
        (docs / name).write_text(text, encoding="utf-8")
    done = cli(["ingest", str(docs), "--index", str(root / "index")], cwd=root)
    assert done.returncode == 0, done.stderr
    with serving(root, **env) as running:
        yield running


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


def fn_index(app: App, api_name: str, headers: dict[str, str] | None = None) -> int:
    """The id of the UI event named `api_name`, from the page's config."""
    config = httpx.get(app.url + "/config", headers=headers, timeout=30).json()
    return next(d["id"] for d in config["dependencies"] if d.get("api_name") == api_name)


def gradio_event(app: App, api_name: str, data: list, session: str | None = None,
                 headers: dict[str, str] | None = None) -> dict:
    """Run one UI event through Gradio's queue (join, then read the event stream) in
    `session` (default: a new one) and return its `process_completed` message."""
    session = session or f"attack-{time.monotonic_ns()}"
    joined = httpx.post(app.url + "/gradio_api/queue/join", headers=headers, timeout=30, json={
        "data": data, "fn_index": fn_index(app, api_name, headers), "session_hash": session,
        "event_data": None, "trigger_id": None})
    assert joined.status_code == 200, joined.text
    with httpx.stream("GET", app.url + "/gradio_api/queue/data", headers=headers,
                      params={"session_hash": session}, timeout=120) as stream:
        for line in stream.iter_lines():
            if line.startswith("data:"):
                message = json.loads(line[5:])
                if message.get("msg") == "process_completed":
                    return message
    raise AssertionError("the event stream ended without process_completed")


def gradio_run(app: App, api_name: str, data: list, session: str,
               headers: dict[str, str] | None = None) -> httpx.Response:
    """Run one UI event through Gradio's route for unqueued events, in `session`."""
    return httpx.post(f"{app.url}/gradio_api/run/{api_name}", headers=headers, timeout=120,
                      json={"data": data, "session_hash": session})


def gradio_upload(app: App, path: Path, headers: dict[str, str] | None = None) -> dict:
    """Upload `path` through Gradio's upload route; the file data the `add` event takes."""
    with path.open("rb") as handle:
        uploaded = httpx.post(app.url + "/gradio_api/upload", headers=headers, timeout=60,
                              files={"files": (path.name, handle, "text/markdown")})
    assert uploaded.status_code == 200, uploaded.text
    return {"path": uploaded.json()[0], "orig_name": path.name,
            "meta": {"_type": "gradio.FileData"}}


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
    done = gradio_event(app, "add", [[gradio_upload(app, upload)]])
    assert done.get("success"), done
    assert (app.docs / "uploads" / "harbour-note.md").exists()
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
    # The brief's event (topic, long) with its topic sent as null (the page never sends that).
    done = gradio_event(app, "run", [None, False])
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


# A deployment with tokens: alice may see the intel vault and remove documents; the others
# see public documents only (ops is a group of its own, not an editor).
ALICE = "alice-token-" + "a1" * 8
OPS = "ops-token-" + "o3" * 8
PUBLIC = "public-token-" + "p2" * 8
BURST = "burst-token-" + "b4" * 8
BULK = "bulk-token-" + "c5" * 8
NOSY = "nosy-token-" + "n6" * 8
VAULT = "---\ntitle: Ops vault\naccess: [intel]\n---\n" + SECRET
VAULT_QUESTION = "What is the vault code in the ops runbook?"
HARBOUR_LOG = ("---\ntitle: Harbour log\n---\n"
               "The harbour log says the tug Aurora towed 14 barges to Kotka on Friday.\n")
SECURE_LIMIT = 20  # UI and API calls per minute per caller


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture(scope="module")
def secure(tmp_path_factory) -> Iterator[App]:
    """The app with tokens, a restricted document, editors and a small rate limit."""
    tokens = f"{ALICE}=intel|editors,{OPS}=ops,{PUBLIC},{BURST},{BULK},{NOSY}"
    with running_app(tmp_path_factory.mktemp("secure"),
                     {"ops-vault.md": VAULT, "harbour-log.md": HARBOUR_LOG},
                     SITREP_API_TOKENS=tokens, SITREP_EDITOR_GROUPS="editors",
                     SITREP_RATE_LIMIT=str(SECURE_LIMIT)) as running:
        yield running


def listed_sources(app: App, headers: dict[str, str] | None = None) -> list[str]:
    """The sources `/api/documents` lists for the caller behind `headers`."""
    listed = httpx.get(app.url + "/api/documents", headers=headers, timeout=30)
    assert listed.status_code == 200, listed.text
    return [d["source"] for d in listed.json()["documents"]]


def test_replayed_session_hash_opens_an_empty_session(secure: App) -> None:
    """Issue 14, item 3: the public token replays alice's Gradio `session_hash` and must not
    get her earlier answers (restricted facts included); alice keeps her conversation."""
    session = f"alice-{time.monotonic_ns()}"
    posted = gradio_run(secure, "post", [VAULT_QUESTION, None], session, bearer(ALICE))
    assert posted.status_code == 200, posted.text
    answered = gradio_event(secure, "answer", [None], session, bearer(ALICE))
    assert "4471" in json.dumps(answered["output"]), answered  # alice may see the vault

    replayed = gradio_run(secure, "post", ["What is new?", None], session, bearer(PUBLIC))
    assert replayed.status_code == 200, replayed.text
    assert "4471" not in replayed.text and VAULT_QUESTION not in replayed.text, replayed.text

    again = gradio_run(secure, "post", ["And the spare keys?", None], session, bearer(ALICE))
    assert VAULT_QUESTION in again.text and "What is new?" not in again.text, again.text


def test_ui_routes_share_the_rate_limit_and_refuse_big_bodies(secure: App,
                                                              tmp_path: Path) -> None:
    """Issue 14, item 4: after `/api/ask` answers 429, the same token must not get more work
    done through `/gradio_api/run/*`, `/gradio_api/queue/join` or uploads; 8 MB bodies to
    those routes are refused, not kept in session state."""
    headers, session = bearer(BURST), f"burst-{time.monotonic_ns()}"
    for _ in range(SECURE_LIMIT):
        assert httpx.get(secure.url + "/api/documents", headers=headers,
                         timeout=30).status_code == 200
    asked = httpx.post(secure.url + "/api/ask", json={"question": "How many troops?"},
                       headers=headers, timeout=60)
    assert asked.status_code == 429, asked.text
    assert gradio_run(secure, "post", ["How many troops?", None], session,
                      headers).status_code == 429
    joined = httpx.post(secure.url + "/gradio_api/queue/join", headers=headers, timeout=30,
                        json={"data": [None], "fn_index": fn_index(secure, "answer", headers),
                              "session_hash": session})
    assert joined.status_code == 429, joined.text
    note = tmp_path / "note.md"
    note.write_text("The note says the ferry left at dawn.\n")
    with note.open("rb") as handle:
        uploaded = httpx.post(secure.url + "/gradio_api/upload", headers=headers, timeout=60,
                              files={"files": (note.name, handle, "text/markdown")})
    assert uploaded.status_code == 429, uploaded.text

    big, headers = "x" * 8_000_000, bearer(BULK)
    assert gradio_run(secure, "post", [big, None], session, headers).status_code == 413
    joined = httpx.post(secure.url + "/gradio_api/queue/join", headers=headers, timeout=60,
                        json={"data": [big], "fn_index": fn_index(secure, "run", headers),
                              "session_hash": session})
    assert joined.status_code == 413, joined.text[:300]
    assert gradio_run(secure, "post", ["How many troops?", None], session,
                      headers).status_code == 200  # a normal event still runs


def test_upload_named_like_a_restricted_document_answers_as_a_new_name(secure: App,
                                                                       tmp_path: Path) -> None:
    """Issue 14, item 7: uploading a file named like a document the caller may not see
    (`ops-vault.md`, intel only) must answer exactly as an upload under a new name."""
    headers, status = bearer(PUBLIC), {}
    for name, cars in (("ops-vault.md", 31), ("fresh-name.md", 47)):
        upload = tmp_path / name
        upload.write_text(f"The {name} note says the ferry left Kotka with {cars} cars.\n")
        done = gradio_event(secure, "add", [[gradio_upload(secure, upload, headers)]],
                            headers=headers)
        assert done.get("success"), done
        status[name] = done["output"]["data"][2].replace(name, "NAME")
    assert status["ops-vault.md"] == status["fresh-name.md"], status
    assert status["fresh-name.md"].startswith("Added **NAME**"), status
    assert (secure.docs / "ops-vault.md").read_text(encoding="utf-8") == VAULT  # untouched
    sources = listed_sources(secure, headers)
    assert sum(Path(s).name in ("ops-vault.md", "fresh-name.md") for s in sources) == 2


def test_upload_with_the_content_of_a_restricted_document_answers_as_new_content(
        secure: App, tmp_path: Path) -> None:
    """Issue 14, item 7 (residual): uploading a file whose content equals a document the caller
    may not see (`ops-vault.md`, intel only) answered "same content as docs/ops-vault.md;
    skipped", naming it and confirming its text. It must answer exactly as an upload of
    content the library lacks: as `.md` its own `access: [intel]` keeps it out, as `.txt` (no
    front matter, so public) it is added."""
    headers, status = bearer(NOSY), {}
    draft = VAULT.replace("4471-ORCHID", "9038-LOTUS")  # the same labels, content not held
    for name, text in (("vault-copy.md", VAULT), ("vault-draft.md", draft),
                       ("vault-copy.txt", VAULT), ("vault-draft.txt", draft)):
        upload = tmp_path / name
        upload.write_text(text, encoding="utf-8")
        done = gradio_event(secure, "add", [[gradio_upload(secure, upload, headers)]],
                            headers=headers)
        assert done.get("success"), done
        status[name] = done["output"]["data"][2].replace(name, "NAME")
        assert "ops-vault" not in status[name], status  # (the Library may list public uploads
        # of that name: item 7's test uploads one)
    assert status["vault-copy.md"] == status["vault-draft.md"], status
    assert "not added" in status["vault-draft.md"], status
    assert status["vault-copy.txt"] == status["vault-draft.txt"], status
    assert status["vault-draft.txt"].startswith("Added **NAME**"), status
    assert (secure.docs / "ops-vault.md").read_text(encoding="utf-8") == VAULT  # untouched


def test_removal_needs_an_editor_group(secure: App, app: App) -> None:
    """Issue 14, item 11: with auth on, a caller who can see a document but is in no group of
    SITREP_EDITOR_GROUPS cannot remove it (the UI's `drop` event); an editor can. Without
    auth, removal is off unless SITREP_ALLOW_REMOVE=1."""
    def drop(target: App, headers: dict[str, str] | None, doc_id: str) -> str:
        session = f"drop-{time.monotonic_ns()}"
        refreshed = gradio_run(target, "refresh", [], session, headers)  # the page's load
        assert refreshed.status_code == 200, refreshed.text
        done = gradio_event(target, "drop", [doc_id], session, headers)
        assert done.get("success"), done
        return done["output"]["data"][2]

    listed = httpx.get(secure.url + "/api/documents", headers=bearer(OPS), timeout=30).json()
    harbour = next(d for d in listed["documents"] if d["source"].endswith("harbour-log.md"))
    for token in (OPS, PUBLIC):
        assert "not enabled" in drop(secure, bearer(token), harbour["doc_id"])
        assert any(s.endswith("harbour-log.md") for s in listed_sources(secure, bearer(OPS)))
    assert "Removed" in drop(secure, bearer(ALICE), harbour["doc_id"])
    assert not any(s.endswith("harbour-log.md") for s in listed_sources(secure, bearer(OPS)))

    article = next(d for d in httpx.get(app.url + "/api/documents", timeout=30).json()[
        "documents"] if d["source"].endswith("russia-north-korea.txt"))
    assert "not enabled" in drop(app, None, article["doc_id"])
    assert any(s.endswith("russia-north-korea.txt") for s in listed_sources(app))


@pytest.mark.timeout(2 * TIMEOUT_S)  # two app starts and three ingests on a busy machine
def test_crash_mid_upload_leaves_no_stray_file(tmp_path: Path) -> None:
    """Issue 14, item 10: the app is killed (SIGKILL) while it embeds an upload. No file of it
    may be left in the library that the index lacks; at the next start, unfinished uploads are
    cleared and files in docs/ that the index lacks are ingested; uploading again adds it."""
    upload = tmp_path / "quartermaster.md"
    upload.write_text(QUARTERMASTER.format(n="3,917"))
    with running_app(tmp_path / "site", SITREP_PAUSE_AT="sentences:quartermaster.md") as first:
        data = gradio_upload(first, upload)

        def add() -> None:
            try:
                gradio_event(first, "add", [[data]])
            except (httpx.HTTPError, AssertionError):
                pass  # the app dies under it

        threading.Thread(target=add, daemon=True).start()
        deadline = time.monotonic() + TIMEOUT_S
        while "paused at sentences" not in first.log.read_text():
            assert time.monotonic() < deadline and first.proc.poll() is None
            time.sleep(0.2)
        first.proc.kill()
        first.proc.wait(timeout=30)
    docs = tmp_path / "site" / "docs"
    strays = [p for p in docs.rglob("quartermaster.md") if ".uploading" not in p.parts]
    assert not strays, strays  # was: docs/quartermaster.md, on disk but not in the index
    (docs / "depot-note.md").write_text("The depot note says 612 tents reached Pskov.\n")

    with serving(tmp_path / "site") as second:
        log = second.log.read_text()
        assert "removed unfinished upload quartermaster.md" in log, log[-3000:]
        assert not list((docs / ".uploading").rglob("*.md"))
        assert any(s.endswith("depot-note.md") for s in listed_sources(second))
        done = gradio_event(second, "add", [[gradio_upload(second, upload)]])
        assert done["output"]["data"][2].startswith("Added **quartermaster.md**"), done
        answer = second.ask("How many crates of rations did the quartermaster count?")
        assert "3,917" in answer.json()["answer"]


PIXEL_MEMO = ("---\ntitle: Pixel memo\n---\n# Pixel memo\n\n"
              "The pixel memo was signed by Colonel Arvo Tamm <img src={origin}/x.png> in "
              "Narva on Sunday.\n\nThe pixel memo asks for 80 field radios.\n")


@contextmanager
def recording_server() -> Iterator[tuple[str, list[str]]]:
    """An HTTP server on another loopback port (another origin): its URL, and the path of
    every request it gets."""
    hits: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (http.server's name)
            hits.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args) -> None:
            pass

    server = http.server.ThreadingHTTPServer((LOOPBACK, 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://{LOOPBACK}:{server.server_port}", hits
    finally:
        server.shutdown()
        server.server_close()


def own_origin_only(policy: str | None) -> bool:
    """Is this Content-Security-Policy one that lets a page load from its own origin only?"""
    directives = dict((d.strip().split(" ", 1) + [""])[:2] for d in (policy or "").split(";"))
    return (directives.get("default-src") == "'self'"
            and directives.get("img-src") == "'self' data: blob:"
            and not any("http" in v or "*" in v for v in directives.values()))


@pytest.mark.browser
def test_documents_shown_in_the_ui_load_nothing_from_other_origins(app: App, chromium) -> None:
    """Issue 14, item 6: a document holding `<img src=http://other-origin/x.png>`, quoted in
    an answer, opened in the document pane and in a brief, must not make the browser fetch
    it; every response of the UI and the widget carries the Content-Security-Policy."""
    from playwright.sync_api import expect

    with recording_server() as (origin, hits):
        (app.docs / "pixel-memo.md").write_text(PIXEL_MEMO.format(origin=origin))
        assert app.ingest().returncode == 0
        context = chromium.new_context(viewport={"width": 1360, "height": 900})
        responses: list = []
        context.on("response", lambda response: responses.append(response))
        page = context.new_page()
        page.set_default_timeout(60_000)
        page.goto(app.url + "/")
        box = page.get_by_role("textbox", name="Question", exact=True)
        box.fill("Who signed the pixel memo?")
        box.press("Enter")
        expect(page.locator("[data-testid=bot]").last).to_contain_text("Tamm", timeout=60_000)
        page.locator(".sitrep-cite", has_text="Pixel memo").first.click()
        expect(page.locator("#sitrep-selected")).to_contain_text("Tamm")
        page.get_by_role("tab", name="Brief").click()
        page.get_by_label("Topic (empty: the whole library)").fill("pixel memo")
        page.get_by_role("button", name="Write brief").click()
        expect(page.locator("#sitrep-brief")).to_contain_text("Tamm", timeout=60_000)
        page.wait_for_timeout(1000)  # any image request would have gone out by now
        context.close()
    assert hits == [], hits
    own = [r for r in responses if r.url.startswith(app.url + "/")]
    unguarded = [r.url for r in own if not own_origin_only(r.headers.get(
        "content-security-policy"))]
    assert own and not unguarded, unguarded
    widget = httpx.get(app.url + "/widget.js", timeout=30)
    assert own_origin_only(widget.headers.get("content-security-policy"))
