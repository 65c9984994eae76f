"""No egress: ingest, ask and the web server run under strace; any connection attempt to a
non-loopback address, and any DNS lookup (port 53, wherever it goes), fails the test. They run
with an empty home, so the ONNX export is made under the trace too, and nothing may leave a
telemetry trail there (onnxruntime's device id and offline event cache).

strace logs every connect/sendto/sendmsg of the process and its threads and children. Unix
sockets (local IPC) and netlink are local by construction and allowed.
"""

from __future__ import annotations

import ipaddress
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

from .conftest import DOCS, ROOT
from .proc import TIMEOUT_S, cli_env

TRACE = ["strace", "-f", "-qq", "--seccomp-bpf", "-e", "trace=connect,sendto,sendmsg",
         "-e", "signal=none"]
_INET = re.compile(r"sa_family=AF_INET6?, sin6?_port=htons\((\d+)\)")
_ADDRESS = re.compile(r'inet_addr\("([^"]+)"\)|inet_pton\(AF_INET6, "([^"]+)"')


@dataclass(frozen=True)
class Attempt:
    """One traced network call to an internet address."""

    address: str
    port: int
    line: str

    @property
    def allowed(self) -> bool:
        ip = ipaddress.ip_address(self.address)
        mapped = getattr(ip, "ipv4_mapped", None)
        return (mapped or ip).is_loopback and self.port != 53


def inet_attempts(trace_log: str) -> list[Attempt]:
    """Every AF_INET/AF_INET6 address a traced process tried to reach."""
    found = []
    for line in trace_log.splitlines():
        port, address = _INET.search(line), _ADDRESS.search(line)
        if port and address:
            found.append(Attempt(address.group(1) or address.group(2), int(port.group(1)),
                                 line.strip()))
    return found


def test_attempt_parser_flags_dns_and_remote_addresses():
    log = "\n".join([
        '9 connect(3, {sa_family=AF_UNIX, sun_path="/run/nscd/socket"}, 110) = -1 ENOENT',
        '9 connect(4, {sa_family=AF_INET, sin_port=htons(7860), '
        'sin_addr=inet_addr("127.0.0.1")}, 16) = 0',
        '9 sendto(5, "x", 1, 0, {sa_family=AF_INET, sin_port=htons(53), '
        'sin_addr=inet_addr("127.0.0.53")}, 16) = 1',
        '9 connect(6, {sa_family=AF_INET6, sin6_port=htons(443), sin6_flowinfo=htonl(0), '
        'inet_pton(AF_INET6, "2606:4700::1", &sin6_addr), sin6_scope_id=0}, 28) = -1',
    ])
    assert [a.allowed for a in inet_attempts(log)] == [True, False, False]


def _traced(args: list[str], log: Path, cwd: Path, home: Path, **env: str) -> subprocess.Popen:
    return subprocess.Popen([*TRACE, "-o", str(log), "--", sys.executable, *args], cwd=cwd,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=cli_env(HOME=str(home), **env), start_new_session=True)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _serve_and_ask(work: Path, log: Path, control_log: Path, home: Path) -> dict:
    """Start `python app.py` under strace, POST one question over loopback, stop it.

    A control client, traced the same way, fetches /healthz: its trace must show the
    loopback connect, which proves the tracing sees connections at all.
    """
    port = _free_port()
    server = _traced(["app.py"], log, ROOT, home, SITREP_PORT=str(port),
                     SITREP_INDEX=str(work / "idx"))
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + TIMEOUT_S
        while True:
            assert server.poll() is None, server.communicate()[1][-2000:]
            try:
                urllib.request.urlopen(f"{base}/healthz", timeout=5).read()
                break
            except OSError:
                assert time.monotonic() < deadline, "the server did not come up"
                time.sleep(0.5)
        fetch = f"import urllib.request; urllib.request.urlopen('{base}/healthz')"
        control = _traced(["-c", fetch], control_log, ROOT, home)
        assert control.wait(timeout=TIMEOUT_S) == 0
        request = urllib.request.Request(
            f"{base}/api/ask", data=json.dumps({"question": "how many troops?"}).encode(),
            headers={"Content-Type": "application/json"})
        return json.loads(urllib.request.urlopen(request, timeout=TIMEOUT_S).read())
    finally:
        os.killpg(server.pid, signal.SIGTERM)  # strace and the app share the session
        server.communicate(timeout=TIMEOUT_S)


@pytest.mark.integration
def test_ingest_ask_and_server_never_leave_the_machine(tmp_path: Path):
    if shutil.which("strace") is None:
        pytest.fail("strace is missing: apt-get install -y strace (make test installs it)")
    work = tmp_path / "work"
    shutil.copytree(DOCS, work / "docs")
    home = tmp_path / "home"
    home.mkdir()
    logs = {name: tmp_path / f"{name}.strace" for name in ("ingest", "ask", "server")}
    control_log = tmp_path / "control.strace"

    ingest = _traced(["-m", "rag", "ingest", "docs", "--index", "idx"], logs["ingest"], work,
                     home)
    out, err = ingest.communicate(timeout=TIMEOUT_S)
    assert ingest.returncode == 0 and "added 1" in out, err

    def ask() -> dict:
        proc = _traced(["-m", "rag", "ask", "how many troops?", "--index", "idx", "--json"],
                       logs["ask"], work, home)
        out, err = proc.communicate(timeout=TIMEOUT_S)
        assert proc.returncode == 0, err
        return json.loads(out)

    with ThreadPoolExecutor(2) as pool:  # ask and the server only read the index
        asked = pool.submit(ask)
        served = pool.submit(_serve_and_ask, work, logs["server"], control_log, home)
        answers = [asked.result(), served.result()]
    for answer in answers:
        assert "12,000" in answer["answer"], answer

    for name, log in logs.items():
        attempts = inet_attempts(log.read_text())
        refused = [a.line for a in attempts if not a.allowed]
        assert not refused, f"{name} tried to reach the network:\n" + "\n".join(refused)
    assert [a.allowed for a in inet_attempts(control_log.read_text())] == [True]
    made = sorted(str(p.relative_to(home)) for p in home.rglob("*"))
    assert any(p.endswith("model.onnx") for p in made), made  # the export ran, traced
    assert not [p for p in made if "Microsoft" in p or "deviceid" in p], made
