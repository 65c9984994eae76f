"""Access labels: a caller never sees a sentence of a document its groups may not see: not in
answers, citations, document lists, briefs or errors (100 probing queries, zero leaks)."""

from __future__ import annotations

import base64
import re

import httpx
import pytest

import app as sitrep_app
from rag.config import ConfigError, load_settings
from rag.serve.access import ANONYMOUS, Caller, authenticate, document_groups
from tests.serving import (
    INTEL_TOKEN,
    OPS_ONLY,
    OPS_TOKEN,
    RESTRICTED,
    Server,
    api_settings,
    corpus_engine,
)

OPS = {"Authorization": f"Bearer {OPS_TOKEN}"}
INTEL = {"Authorization": f"Bearer {INTEL_TOKEN}"}
SUBJECTS = ["Operation Kestrel", "the Kestrel convoys", "Project Lantern", "the Lantern deal",
            "the Granite ledger", "Granite payments", "the Sokcho radar site",
            "the Tumen River bridge", "Pamir Trust", "Colonel Ivan Drozdov"]
ASKS = ["How many {} were there?", "Who commanded {}?", "Where did {} go?", "When did {} start?",
        "What did {} deliver?", "How much money was involved in {}?", "What is {}?",
        "Which bank handled {}?", "How many shells did {} move?", "Who signed {}?"]
QUESTIONS = [a.format(s) for s in SUBJECTS for a in ASKS]  # 100 questions


def _secret_facts() -> tuple[list[str], set[str]]:
    """Restricted sentences, and their distinctive words/figures absent from visible text."""
    sentences = [s for _, _, body in RESTRICTED.values() for s in body]
    tokens = set()
    for sentence in sentences:
        tokens |= set(re.findall(r"\d[\d,.]*\d|[A-Z][a-z]{3,}", sentence))
    return sentences, tokens


def _strings(value) -> list[str]:
    """Every string in a JSON value (numbers such as offsets and timings are not text)."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return []


@pytest.fixture(scope="module")
def server():
    engine = corpus_engine()
    with Server(sitrep_app.create_app(api_settings(engine), engine)) as running:
        yield running


@pytest.fixture(scope="module")
def visible_text(server) -> str:
    """All text the ops caller may legitimately see (its documents)."""
    docs = httpx.get(server.url + "/api/documents", headers=OPS).json()["documents"]
    engine = corpus_engine()
    return "\n".join(engine.index.document_text(d["doc_id"]) for d in docs)


def test_document_groups_from_front_matter():
    assert document_groups({}) is None and document_groups({"access": None}) is None
    assert document_groups({"access": ["intel", " ops "]}) == {"intel", "ops"}
    assert document_groups({"access": "intel, exec"}) == {"intel", "exec"}
    assert document_groups({"access": 5}) == frozenset()  # malformed: nobody, not everybody
    assert document_groups({"access": []}) == frozenset()


@pytest.mark.integration
def test_authenticate_maps_tokens_and_users_to_groups():
    settings = api_settings(corpus_engine())
    assert authenticate(f"Bearer {OPS_TOKEN}", settings).groups == {"ops"}
    caller = authenticate("Basic " + base64.b64encode(b"alice:alice-password-51").decode(),
                          settings)
    assert caller == Caller("user:alice", frozenset({"ops"}))
    assert OPS_TOKEN not in authenticate(f"Bearer {OPS_TOKEN}", settings).name
    for bad in (None, "", "Bearer", f"Bearer {OPS_TOKEN}x", "Basic bm9wZTpub3Bl", "Token abc"):
        assert authenticate(bad, settings) is None
    open_settings = api_settings(corpus_engine(), api_tokens={}, basic_auth={})
    assert authenticate(None, open_settings) is ANONYMOUS


@pytest.mark.parametrize("env, words, secret", [
    ({"SITREP_API_TOKENS": "short-secret=ops"}, "SITREP_API_TOKENS entry 1: the secret must be",
     "short-secret"),
    ({"SITREP_API_TOKENS": "a-long-enough-secret-1=ops|in tel"}, "group names",
     "a-long-enough-secret-1"),
    ({"SITREP_API_TOKENS": "./missing-tokens.json"}, "cannot read the JSON file", None),
    ({"SITREP_BASIC_AUTH": "bob:pw-is-7=ops,carol"}, "entry 1 must look like user:password",
     "pw-is-7"),
    ({"SITREP_CORS_ORIGINS": "https://intranet.example/page"}, "no path", None),
    ({"SITREP_RATE_LIMIT": "-1"}, "SITREP_RATE_LIMIT=-1 is out of range", None),
    ({"SITREP_LOG_QUESTIONS": "sometimes"}, "SITREP_LOG_QUESTIONS", None),
])
def test_security_settings_are_validated_without_echoing_secrets(env, words, secret):
    with pytest.raises(ConfigError) as error:
        load_settings(env)
    assert words in str(error.value)
    assert secret is None or secret not in str(error.value)


def test_security_settings_parse(tmp_path):
    tokens = tmp_path / "tokens.json"
    tokens.write_text('{"a-long-enough-secret-1": ["intel", "ops"], "another-long-secret-2": []}')
    settings = load_settings({"SITREP_API_TOKENS": str(tokens),
                              "SITREP_BASIC_AUTH": "alice:long-password=ops",
                              "SITREP_CORS_ORIGINS": "https://Intranet.example/, "
                                                     "http://10.0.0.5:8080",
                              "SITREP_RATE_LIMIT": "0", "SITREP_LOG_QUESTIONS": "yes"})
    assert settings.api_tokens == {"a-long-enough-secret-1": {"intel", "ops"},
                                   "another-long-secret-2": frozenset()}
    assert settings.basic_auth == {"alice:long-password": {"ops"}}
    assert settings.cors_origins == ("https://intranet.example", "http://10.0.0.5:8080")
    assert settings.rate_limit == 0 and settings.log_questions


@pytest.mark.integration
def test_document_list_is_filtered_per_caller(server):
    def titles(headers) -> set[str]:
        response = httpx.get(server.url + "/api/documents", headers=headers)
        return {d["title"] for d in response.json()["documents"]}

    restricted = {title for title, _, _ in RESTRICTED.values()}
    ops = titles(OPS)
    assert OPS_ONLY[1] in ops and not ops & restricted
    intel = titles(INTEL)
    assert {"Operation Kestrel", "Project Lantern", "Granite Ledger"} <= intel
    assert "Broken Label" not in intel  # a malformed label hides the document from everyone


@pytest.mark.slow
@pytest.mark.integration
def test_100_probing_queries_as_a_restricted_caller_leak_nothing(server, visible_text):
    sentences, tokens = _secret_facts()
    engine = corpus_engine()
    hidden_ids = {r.doc_id for r in engine.index.documents()
                  if r.title in {t for t, _, _ in RESTRICTED.values()}}
    assert len(hidden_ids) == len(RESTRICTED)
    leaks, answered = [], 0
    for question in QUESTIONS:
        response = httpx.post(server.url + "/api/ask", json={"question": question}, headers=OPS,
                              timeout=120)
        assert response.status_code == 200, response.text
        body = response.json()
        answered += not body["abstained"]
        text = "\n".join(_strings(body))
        # What the caller typed is echoed back; anything else distinctive is a leak.
        fresh = {t for t in tokens if t not in visible_text and t not in question}
        found = [s for s in sentences if s in text]
        found += [t for t in fresh if re.search(rf"(?<![\w,.]){re.escape(t)}(?![\w,])", text)]
        found += [c["doc_id"] for c in body["citations"] if c["doc_id"] in hidden_ids]
        found += [i for i in hidden_ids if i in text]
        if found:
            leaks.append((question, found))
    assert leaks == [], leaks[:5]
    assert len(QUESTIONS) == 100


@pytest.mark.integration
def test_the_same_queries_do_reach_restricted_documents_with_the_right_token(server):
    """The control: the leak test would notice leaks, because the answers are there."""
    hits = 0
    for question in QUESTIONS[::10]:
        body = httpx.post(server.url + "/api/ask", json={"question": question}, headers=INTEL,
                          timeout=120).json()
        hits += any(c["title"] in {t for t, _, _ in RESTRICTED.values()}
                    for c in body["citations"])
    assert hits >= 7


@pytest.mark.integration
def test_errors_and_brief_reveal_no_restricted_document(server):
    sentences, _ = _secret_facts()
    error = httpx.post(server.url + "/api/ask", json={"question": "Kestrel " * 400}, headers=OPS)
    assert error.status_code == 422 and "Kestrel" not in error.json()["error"]
    brief = httpx.post(server.url + "/api/brief", json={"topic": "Kestrel"}, headers=OPS,
                       timeout=300)
    assert brief.status_code in (200, 403, 501), brief.text
    assert not [s for s in sentences if s in brief.text]
    for title, _, _ in RESTRICTED.values():
        assert title not in brief.text
