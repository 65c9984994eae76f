"""Who is calling and which documents they may see.

`authenticate(header, settings)` turns an `Authorization` header into a `Caller` (or `None` for
wrong credentials). A document's front matter `access: [group, ...]` restricts it to callers in
one of those groups; documents without `access` are public. `DocumentAccess(index)` gives the
set of doc ids a caller may see (`allowed_docs(caller)`), which the engine's retrieval takes as
`allowed_docs=`, so a restricted sentence never becomes a candidate at all.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from rag.config import Settings
from rag.contracts import DocRecord
from rag.ingest.store import Index


@dataclass(frozen=True)
class Caller:
    """An authenticated (or anonymous) client. `name` is safe to log: it never holds a secret."""

    name: str
    groups: frozenset[str] = frozenset()


ANONYMOUS = Caller("anonymous")


def auth_required(settings: Settings) -> bool:
    """True when any credentials are configured: then every caller must present one."""
    return bool(settings.api_tokens or settings.basic_auth)


def _fingerprint(secret: str) -> str:
    """A short, one-way label for a secret, so logs can tell callers apart without the secret."""
    return hashlib.sha256(secret.encode()).hexdigest()[:8]


def _match(secret: str, known: Mapping[str, frozenset[str]]) -> str | None:
    """The configured secret equal to `secret`, compared in constant time."""
    found = None
    for candidate in known:
        if hmac.compare_digest(candidate.encode(), secret.encode()):
            found = candidate
    return found


def authenticate(header: str | None, settings: Settings) -> Caller | None:
    """`Authorization` header → `Caller`; `None` when credentials are required and wrong.

    Without configured credentials everyone is `ANONYMOUS` (public documents only).
    """
    if not auth_required(settings):
        return ANONYMOUS
    scheme, _, value = (header or "").strip().partition(" ")
    value = value.strip()
    if scheme.lower() == "bearer" and value:
        token = _match(value, settings.api_tokens)
        if token is not None:
            return Caller(f"token:{_fingerprint(token)}", settings.api_tokens[token])
    elif scheme.lower() == "basic" and value:
        try:
            pair = base64.b64decode(value, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return None
        user = _match(pair, settings.basic_auth)
        if user is not None:
            return Caller(f"user:{user.partition(':')[0]}", settings.basic_auth[user])
    return None


def caller_from_headers(headers: Mapping[str, str], settings: Settings) -> Caller:
    """The caller behind a request's headers, e.g. a Gradio `gr.Request.headers`.

    The guards have already refused bad credentials, so a mismatch here means anonymous.
    """
    return authenticate(headers.get("authorization"), settings) or ANONYMOUS


def document_groups(metadata: Mapping[str, Any]) -> frozenset[str] | None:
    """The groups named by front matter `access`; `None` when the document is public.

    A malformed `access` value (not a string or list of strings) fails closed: nobody sees the
    document, rather than everybody.
    """
    if "access" not in metadata or metadata["access"] is None:
        return None
    value = metadata["access"]
    if isinstance(value, str):
        return frozenset(g.strip() for g in value.split(",") if g.strip())
    if isinstance(value, list) and all(isinstance(g, str) for g in value):
        return frozenset(g.strip() for g in value if g.strip())
    return frozenset()


def can_see(caller: Caller, record: DocRecord) -> bool:
    """May `caller` see this document?"""
    groups = document_groups(record.metadata)
    return groups is None or bool(groups & caller.groups)


class DocumentAccess:
    """Visible documents per caller over one index, recomputed when the index changes."""

    def __init__(self, index: Index) -> None:
        self.index = index
        self._lock = threading.Lock()
        self._generation: tuple[str, tuple[int, ...]] | None = None
        self._records: list[DocRecord] = []

    def records(self) -> list[DocRecord]:
        """All committed documents (cached per index generation and version of the analysts'
        metadata edits)."""
        generation = (self.index.generation(), self.index.edits.version())
        with self._lock:
            if generation != self._generation:
                self._records = self.index.documents()
                self._generation = generation
            return self._records

    def visible(self, caller: Caller) -> list[DocRecord]:
        """The documents `caller` may see, sorted by source."""
        return [r for r in self.records() if can_see(caller, r)]

    def allowed_docs(self, caller: Caller) -> set[str]:
        """Doc ids for `engine.ask(..., allowed_docs=...)`: always a set, never "everything"."""
        return {r.doc_id for r in self.visible(caller)}


__all__ = ["ANONYMOUS", "Caller", "DocumentAccess", "auth_required", "authenticate",
           "caller_from_headers", "can_see", "document_groups"]
