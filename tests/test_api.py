"""The JSON API through a real uvicorn server on loopback: contract, errors, auth, CORS, limits,
logs, and schemathesis property-based tests against /openapi.json (no 5xx on any input)."""

from __future__ import annotations

import base64
import json
import time
from pathlib import Path

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from schemathesis import checks as sc

import app as sitrep_app
from rag.serve.api import attachment
from tests.serving import (
    BASIC_PASSWORD,
    BASIC_USER,
    INTEL_TOKEN,
    OPS_TOKEN,
    PUBLIC_TOKEN,
    SECRETS,
    LogCapture,
    Server,
    api_settings,
    corpus_engine,
)

pytestmark = pytest.mark.integration

ALLOWED = "http://127.0.0.1:8123"  # an intranet page allowed to embed the widget
REFUSED = "http://localhost:8124"  # Gradio itself would allow localhost: we must not
OPS = {"Authorization": f"Bearer {OPS_TOKEN}"}
INTEL = {"Authorization": f"Bearer {INTEL_TOKEN}"}


@pytest.fixture(scope="module")
def logs():
    with LogCapture() as capture:
        yield capture


@pytest.fixture(scope="module")
def secure(logs):
    """The whole app (API + Gradio UI) with tokens, basic auth, CORS and small limits."""
    engine = corpus_engine()
    app = sitrep_app.create_app(api_settings(engine, cors_origins=(ALLOWED,)), engine)
    with Server(app) as server:
        yield server


@pytest.fixture(scope="module")
def limited(logs):
    """An API allowing 3 calls a minute per client, logging question text."""
    engine = corpus_engine()
    settings = api_settings(engine, rate_limit=3, log_questions=True)
    with Server(sitrep_app.create_app(settings, engine)) as server:
        yield server


def ask(server: Server, body, headers=OPS, **kwargs) -> httpx.Response:
    return httpx.post(server.url + "/api/ask", json=body, headers=headers, timeout=120,
                      **kwargs)


def test_ask_returns_the_answer_object_with_verbatim_citations(secure):
    response = ask(secure, {"question": "how many troops?", "id": "q1"})
    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["id"] == "q1" and not answer["abstained"] and "12,000" in answer["answer"]
    assert {"question", "answer", "citations", "timings_ms"} <= answer.keys()
    for c in answer["citations"]:
        assert Path(c["source"]).read_text(encoding="utf-8")[c["start"]:c["end"]] == c["sentence"]


def test_follow_up_uses_history(secure):
    first = ask(secure, {"question": "Who visited North Korea?"}).json()
    history = [{"role": "user", "content": "Who visited North Korea?"},
               {"role": "assistant", "content": first["answer"]}]
    follow = ask(secure, {"question": "What did he thank them for?", "history": history}).json()
    assert "Shoigu" in first["answer"] and follow["citations"]
    assert "shoigu" in follow["resolved_question"].lower()  # the history reached the engine


@pytest.mark.parametrize("body, status, words", [
    ({"question": ""}, 422, "empty"),
    ({"question": "   \x00\x07  "}, 422, "empty"),
    ({"question": "x" * 2001}, 422, "SITREP_MAX_QUESTION_CHARS"),
    ({"question": 5}, 422, "question"),
    ({}, 422, "question: Field required"),
    ({"question": "hi", "history": [{"role": "system", "content": "x"}]}, 422, "history.0.role"),
    ({"question": "hi", "history": "nope"}, 422, "history"),
])
def test_bad_input_gets_a_clear_json_error(secure, body, status, words):
    response = ask(secure, body)
    assert response.status_code == status and words in response.json()["error"]


def test_malformed_json_and_lone_surrogates(secure):
    response = httpx.post(secure.url + "/api/ask", content=b'{"question": ',
                          headers={**OPS, "content-type": "application/json"})
    assert response.status_code == 400
    assert response.json() == {"error": "request body is not valid JSON"}
    response = httpx.post(secure.url + "/api/ask", content=b'{"question": "a\\ud800b"}',
                          headers={**OPS, "content-type": "application/json"})
    assert response.status_code == 422 and "surrogate" in response.json()["error"]


def test_unknown_api_routes_get_json_errors(secure):
    response = httpx.post(secure.url + "/api/nope", headers=OPS)
    assert response.status_code == 404 and "/openapi.json" in response.json()["error"]
    for method, path, allow in (("GET", "/api/ask", "POST"), ("DELETE", "/api/documents", "GET")):
        response = httpx.request(method, secure.url + path, headers=OPS)
        assert response.status_code == 405 and response.headers["allow"] == allow
        assert allow in response.json()["error"]


def test_body_size_limit_declared_and_streamed(secure):
    response = ask(secure, {"question": "troops " * 2000})
    assert response.status_code == 413 and "8192-byte limit" in response.json()["error"]

    def chunks():  # no Content-Length: the server must count the bytes itself
        yield b'{"question": "'
        for _ in range(20):
            yield b"troops " * 100
        yield b'"}'

    response = httpx.post(secure.url + "/api/ask", content=chunks(),
                          headers={**OPS, "content-type": "application/json"})
    assert response.status_code == 413 and "SITREP_MAX_BODY_BYTES" in response.json()["error"]


def test_auth_on_api_and_ui(secure):
    for headers in ({}, {"Authorization": "Bearer wrong-token-xxxxxxxxxxxx"},
                    {"Authorization": "Basic " + "YWxpY2U6d3Jvbmc="}, {"Authorization": "Basic !"}):
        for path in ("/api/documents", "/"):
            response = httpx.get(secure.url + path, headers=headers)
            assert response.status_code == 401, (path, headers)
            assert "authentication required" in response.json()["error"]
            assert response.headers["www-authenticate"].startswith("Basic")
    assert httpx.get(secure.url + "/api/documents", headers=OPS).status_code == 200
    basic = httpx.get(secure.url + "/", auth=(BASIC_USER, BASIC_PASSWORD))
    assert basic.status_code == 200 and "<html" in basic.text.lower()
    for public in ("/healthz", "/widget.js", "/openapi.json"):
        assert httpx.get(secure.url + public).status_code == 200
    assert httpx.get(secure.url + "/docs").status_code != 200  # Swagger UI would load a CDN


def _cors_headers(response: httpx.Response) -> dict[str, str]:
    return {k: v for k, v in response.headers.items() if k.lower().startswith("access-control")}


def test_cors_only_for_configured_origins(secure):
    preflight = {"Access-Control-Request-Method": "POST",
                 "Access-Control-Request-Headers": "authorization, content-type"}
    ok = httpx.options(secure.url + "/api/ask", headers={"Origin": ALLOWED, **preflight})
    assert ok.status_code == 204 and ok.headers["access-control-allow-origin"] == ALLOWED
    assert "authorization" in ok.headers["access-control-allow-headers"]
    answered = ask(secure, {"question": "how many troops?"}, headers={**OPS, "Origin": ALLOWED})
    assert answered.headers["access-control-allow-origin"] == ALLOWED

    refused = httpx.options(secure.url + "/api/ask", headers={"Origin": REFUSED, **preflight})
    assert refused.status_code == 403 and not _cors_headers(refused)
    assert "SITREP_CORS_ORIGINS" in refused.json()["error"]
    posted = ask(secure, {"question": "how many troops?"}, headers={**OPS, "Origin": REFUSED})
    assert posted.status_code == 403 and not _cors_headers(posted)
    # The Gradio UI's own routes: no CORS header for a foreign origin either.
    for path in ("/", "/config", "/gradio_api/info"):
        ui = httpx.get(secure.url + path, headers={"Origin": REFUSED},
                       auth=(BASIC_USER, BASIC_PASSWORD))
        assert not _cors_headers(ui), path
    # Errors from inner layers still carry CORS headers for the allowed origin (readable).
    unauth = httpx.get(secure.url + "/api/documents", headers={"Origin": ALLOWED})
    assert unauth.status_code == 401 and unauth.headers["access-control-allow-origin"] == ALLOWED


def test_rate_limit_per_client(limited):
    codes = [ask(limited, {"question": "how many troops?"}).status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    refused = ask(limited, {"question": "how many troops?"})
    assert refused.status_code == 429 and "3 API calls per minute" in refused.json()["error"]
    assert 1 <= int(refused.headers["retry-after"]) <= 60
    other = ask(limited, {"question": "how many troops?"}, headers=INTEL)
    assert other.status_code == 200  # another caller has its own budget
    assert httpx.get(limited.url + "/healthz").status_code == 200  # not an API call


def test_one_json_log_line_per_request_and_no_secret(secure, limited, logs):
    start = len(logs.lines)
    ask(secure, {"question": "what did North Korea get in return?"})
    httpx.get(secure.url + "/", auth=(BASIC_USER, BASIC_PASSWORD))
    httpx.get(secure.url + "/api/documents", headers={"Authorization": f"Bearer {PUBLIC_TOKEN}"})
    ask(limited, {"question": "where is the Kursk region?"}, headers={
        "Authorization": f"Bearer {PUBLIC_TOKEN}"})
    def request_lines() -> list[dict]:  # (minus the fixtures' start-up /healthz polls)
        lines = [json.loads(line) for line in logs.lines[start:] if line.startswith('{"event"')]
        return [line for line in lines if line["path"] != "/healthz"]

    deadline = time.monotonic() + 10  # a line is written just after its response is sent
    while len(request_lines()) < 4 and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.3)
    lines = request_lines()
    assert len(lines) == 4, lines
    asked = [line for line in lines if line.get("question_chars") == 35]
    assert len(asked) == 1 and asked[0]["status"] == 200
    assert {"ms", "caller", "citations", "abstained", "documents"} <= asked[0].keys()
    assert "question" not in asked[0]  # SITREP_LOG_QUESTIONS is off on `secure`
    assert [line for line in lines if line.get("question") == "where is the Kursk region?"]
    assert [line for line in lines if line["path"] == "/" and line["status"] == 200
            and line["caller"] == f"user:{BASIC_USER}"]
    everything = "\n".join(logs.lines)
    assert '{"event"' in everything
    basic = base64.b64encode(f"{BASIC_USER}:{BASIC_PASSWORD}".encode()).decode()
    for secret in (*SECRETS, basic):
        assert secret not in everything


@pytest.fixture(scope="module")
def api_schema(secure):
    return schemathesis.openapi.from_url(secure.url + "/openapi.json")


CHECKS = [sc.not_a_server_error, sc.status_code_conformance, sc.content_type_conformance,
          sc.response_schema_conformance]


def test_schema_fuzzing_never_gets_a_5xx(secure, api_schema):
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert {op.label for op in operations} >= {"POST /api/ask", "GET /api/documents",
                                               "GET /healthz", "POST /api/brief"}
    modes = [schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE]
    strategy = st.one_of([op.as_strategy(mode) for op in operations for mode in modes])
    seen: set[int] = set()

    @given(case=strategy)
    @hsettings(max_examples=400, deadline=None, database=None,
               suppress_health_check=list(HealthCheck))
    def run(case):
        response = case.call(base_url=secure.url, headers=INTEL, timeout=120)
        seen.add(response.status_code)
        case.validate_response(response, checks=CHECKS)

    run()
    assert 200 in seen and seen & {400, 422}  # both accepted and refused inputs were tried


def test_gradio_client_as_in_the_readme(secure):
    from gradio_client import Client

    client = Client(secure.url + "/", headers=OPS, verbose=False)
    client.predict("How many troops?", api_name="/post")
    messages = client.predict(api_name="/answer")[0]
    assert "12,000" in messages[-1]["content"][0]["text"]
    # The UI applies the caller's access labels too.
    client.predict("How many artillery shells did Operation Kestrel move?", api_name="/post")
    assert "48,317" not in str(client.predict(api_name="/answer"))


def test_a_download_name_beyond_ascii_is_sent_as_utf8():
    """A brief on a topic in another script: its file name cannot be a Latin-1 header value
    (the schema fuzzer's 500 on /api/brief/export); it goes as RFC 6266 filename*."""
    assert attachment("brief-red-sea.md") == 'attachment; filename="brief-red-sea.md"'
    header = attachment("brief-\U00030f05-zürich.docx")
    header.encode("latin-1")
    assert header == ('attachment; filename="brief---z-rich.docx"; '
                      "filename*=UTF-8''brief-%F0%B0%BC%85-z%C3%BCrich.docx")
