"""ASGI guards around the whole app (API, widget and Gradio UI): log, CORS, size, auth, rate.

`install_guards(app, settings)` wraps a Starlette/FastAPI app, outermost first:

- with SITREP_TRUSTED_PROXIES set, uvicorn's `ProxyHeadersMiddleware`: `X-Forwarded-For` and
  `X-Forwarded-Proto` count only on connections from those proxies; without it they are
  ignored, so every guard below sees the connecting peer's address (`app.py` runs uvicorn with
  its own proxy-header handling off, which trusts 127.0.0.1 by default).
- `RequestLog`: one JSON line per request on the `sitrep.requests` logger (method, path, status,
  latency, caller name, counts the routes put in `scope["state"]["log"]`); never a header, a
  query string or a secret; the question text only with SITREP_LOG_QUESTIONS.
- `AllowedHosts`: a `Host` header naming none of SITREP_ALLOWED_HOSTS (default: the listen
  host, localhost, 127.0.0.1) → 400, before anything else runs (DNS rebinding: a page on
  another site whose name resolves to this server would otherwise count as same-origin).
- `Cors`: allowed origins (SITREP_CORS_ORIGINS) and the app's own origin get CORS headers; any
  other origin gets none, and its API calls and preflights are refused with 403.
- `BodyLimit`: `/api/*` bodies over SITREP_MAX_BODY_BYTES → 413; UI event bodies (POSTs to
  `/gradio_api/*` but uploads) over the larger of that and `UI_MAX_BODY_BYTES` → 413 (uploads
  are held to SITREP_MAX_FILE_MB per file by Gradio itself).
- `Auth`: with credentials configured, everything but `PUBLIC_PATHS` needs a valid
  bearer token or basic-auth pair → else 401. The `Caller` lands in `scope["state"]["caller"]`.
- `RateLimit`: calls that run work (`/api/*`, and every POST to `/gradio_api/*`: UI events and
  uploads) per minute per caller (or per IP when anonymous) → 429; one budget for both.
- `SessionBinding`: a Gradio `session_hash` names a session of the caller that sent it: the
  hash is suffixed with the caller's key before Gradio sees it, so replaying another caller's
  hash opens an empty session of one's own.

`SecurityHeaders` (outermost but the log) puts a Content-Security-Policy on every response:
the page may load scripts, styles, fonts, images and connections from its own origin only.
Removal permission (`removal_allowed`): SITREP_EDITOR_GROUPS with auth, SITREP_ALLOW_REMOVE
without.

Every refusal is JSON `{"error": "..."}`.
"""

from __future__ import annotations

import hashlib
import ipaddress
import json
import logging
import os
import threading
import time
from collections import deque
from collections.abc import Awaitable, Callable, MutableMapping, Sequence
from typing import Any
from urllib.parse import parse_qsl, urlencode

from starlette.applications import Starlette

from rag.config import ConfigError, Settings, _bool
from rag.serve.access import ANONYMOUS, Caller, auth_required, authenticate

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

PUBLIC_PATHS = ("/healthz", "/widget.js", "/openapi.json")  # nothing about documents
GRADIO_API = "/gradio_api/"
# UI events carry more than API calls: the chat's `restore` event sends the saved conversation
# (every answer with its citations) back from the browser's sessionStorage.
UI_MAX_BODY_BYTES = 1_000_000
# Only the app's own origin, for everything a page can load. Gradio's page needs inline
# scripts and styles (its bootstrap script, style attributes) and `eval` (it runs the `js=`
# and `js_on_load` snippets with `new Function`); images also from data: and blob: URLs.
CONTENT_SECURITY_POLICY = "; ".join((
    "default-src 'self'", "script-src 'self' 'unsafe-inline' 'unsafe-eval'",
    "style-src 'self' 'unsafe-inline'", "img-src 'self' data: blob:",
    "font-src 'self' data:", "media-src 'self' data: blob:", "connect-src 'self'",
    "worker-src 'self' blob:", "object-src 'none'", "base-uri 'self'", "form-action 'self'",
    "frame-ancestors 'self'")).encode()
log = logging.getLogger("sitrep.requests")


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key == name:
            return value.decode("latin-1")
    return None


def _size(content_length: str | None) -> int | None:
    """A declared body size, or None when absent or malformed."""
    return int(content_length) if content_length and content_length.isdigit() else None


def _is_api(scope: Scope) -> bool:
    return scope["path"].startswith("/api/")


def _is_ui_event(scope: Scope) -> bool:
    """A POST to Gradio's API: an event (queued or not), an upload, a cancel."""
    return scope.get("method") == "POST" and scope["path"].startswith(GRADIO_API)


def _is_upload(scope: Scope) -> bool:
    return scope["path"].startswith(GRADIO_API + "upload")


def _runs_work(scope: Scope) -> bool:
    """Does this request make the app do work (answer, brief, ingest, store) for the caller?"""
    return _is_api(scope) or _is_ui_event(scope)


def caller_key(scope: Scope) -> str:
    """Who the rate limit and the session binding count a request for: the authenticated
    caller's name, or the connecting address when anonymous."""
    caller = scope.get("state", {}).get("caller", ANONYMOUS)
    if caller == ANONYMOUS:
        return "ip:" + (scope.get("client") or ("?",))[0]
    return caller.name


async def read_body(receive: Receive, limit: int | None = None) -> tuple[bytes, int] | None:
    """The whole request body, or None when the client went away. With `limit`, reading stops
    once more than `limit` bytes came; the second value is the size read so far."""
    chunks, size, more = [], 0, True
    while more:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        chunks.append(message.get("body", b""))
        size += len(chunks[-1])
        more = message.get("more_body", False)
        if limit is not None and size > limit:
            break
    return b"".join(chunks), size


def replay(body: bytes, receive: Receive) -> Receive:
    """A `receive` that first hands over `body` (already read), then the client's messages."""
    pending: Message | None = {"type": "http.request", "body": body, "more_body": False}

    async def receive_again() -> Message:
        nonlocal pending
        if pending is None:
            return await receive()
        message, pending = pending, None
        return message

    return receive_again


async def send_error(send: Send, status: int, message: str,
                     headers: Sequence[tuple[bytes, bytes]] = ()) -> None:
    """Send a complete JSON `{"error": message}` response."""
    body = json.dumps({"error": message}).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"),
                            (b"content-length", str(len(body)).encode()), *headers]})
    await send({"type": "http.response.body", "body": body})


class RequestLog:
    """One structured log line per HTTP request."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app, self.settings = app, settings
        if not log.handlers:  # uvicorn configures only its own loggers; ours goes to stderr
            handler = logging.StreamHandler()
            handler.setFormatter(logging.Formatter("%(message)s"))
            log.addHandler(handler)
            log.setLevel(logging.INFO)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        started = time.perf_counter()
        state = scope.setdefault("state", {})
        status = {"code": 500}  # what a crash before any response start amounts to

        async def send_logged(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_logged)
        finally:
            caller = state.get("caller")
            line = {"event": "request", "method": scope["method"], "path": scope["path"],
                    "status": status["code"],
                    "ms": round((time.perf_counter() - started) * 1000, 1),
                    "caller": caller.name if caller else None,
                    "client": (scope.get("client") or ("?",))[0],
                    "bytes_in": _size(_header(scope, b"content-length"))}
            fields = dict(state.get("log", {}))
            if not self.settings.log_questions:
                fields.pop("question", None)
            line.update(fields)
            log.info(json.dumps(line, ensure_ascii=False))


def trusted_proxies(env: dict[str, str] | None = None) -> tuple[str, ...]:
    """SITREP_TRUSTED_PROXIES: comma-separated addresses or networks (10.0.0.5, 10.0.0.0/24)
    of the reverse proxies whose `X-Forwarded-For` / `X-Forwarded-Proto` are believed; none by
    default, so nobody can pick the address the rate limit and the log see."""
    raw = (os.environ if env is None else env).get("SITREP_TRUSTED_PROXIES", "")
    proxies = []
    for entry in (e.strip() for e in raw.split(",")):
        if not entry:
            continue
        try:
            proxies.append(str(ipaddress.ip_network(entry, strict=False)))
        except ValueError:
            raise ConfigError(f"SITREP_TRUSTED_PROXIES entry {entry!r} must be an IP address "
                              "or network such as 10.0.0.5 or 10.0.0.0/24") from None
    return tuple(proxies)


def allowed_hosts(settings: Settings, env: dict[str, str] | None = None) -> tuple[str, ...]:
    """SITREP_ALLOWED_HOSTS: comma-separated names the `Host` header may carry (no scheme or
    port); `*.example.org` also matches its subdomains, `*` matches anything. Default: the
    listen host (SITREP_HOST), localhost and 127.0.0.1."""
    raw = (os.environ if env is None else env).get("SITREP_ALLOWED_HOSTS", "")
    hosts = []
    for entry in raw.split(","):
        host = entry.strip().lower()
        if not host:
            continue
        bare = host.strip("[]")
        if ("/" in host or any(ch.isspace() for ch in host) or bare.count(":") == 1
                or ("*" in host and host != "*" and not (host.startswith("*.")
                                                          and "*" not in host[2:]))):
            raise ConfigError(f"SITREP_ALLOWED_HOSTS entry {entry.strip()!r} must be a host "
                              "name or address such as sitrep.example, *.example.org or "
                              "10.0.0.5 (no scheme, port or path), or *")
        hosts.append(bare)
    default = (settings.host.strip("[]").lower(), "localhost", "127.0.0.1")
    return tuple(dict.fromkeys(hosts or default))


def _host_name(header: str | None) -> str | None:
    """The name in a `Host` header, without its port (`[::1]:7860` → `::1`)."""
    if not header:
        return None
    header = header.strip().lower()
    if header.startswith("["):
        return header[1:header.find("]")] if "]" in header else None
    name, _, port = header.partition(":")
    return name if not port or port.isdigit() else None


class AllowedHosts:
    """Refuse requests whose `Host` header names a host this server is not configured as."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app, self.hosts = app, allowed_hosts(settings)

    def allowed(self, name: str | None) -> bool:
        if name is None:
            return False
        return any(h == "*" or name == h or (h.startswith("*.") and name.endswith(h[1:]))
                   for h in self.hosts)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket") or self.allowed(
                _host_name(_header(scope, b"host"))):
            return await self.app(scope, receive, send)
        if scope["type"] == "websocket":
            return await send({"type": "websocket.close", "code": 1008})
        await send_error(send, 400, "this server does not answer to the host named in the "
                         "request's Host header; add the name clients use to "
                         "SITREP_ALLOWED_HOSTS")


class Cors:
    """CORS for the configured origins only; other origins get no CORS header at all."""

    ALLOW_HEADERS = b"authorization, content-type"
    ALLOW_METHODS = b"GET, POST, OPTIONS"

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app, self.origins = app, set(settings.cors_origins)

    def allowed(self, scope: Scope, origin: str) -> bool:
        host = _header(scope, b"host") or ""
        own = f"{scope.get('scheme', 'http')}://{host}".lower()
        return origin.lower() in self.origins or origin.lower() == own

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        origin = _header(scope, b"origin")
        if scope["type"] != "http" or origin is None:
            return await self.app(scope, receive, send)
        allowed = self.allowed(scope, origin)
        preflight = (scope["method"] == "OPTIONS"
                     and _header(scope, b"access-control-request-method") is not None)
        if not allowed and (preflight or _is_api(scope)):
            return await send_error(send, 403, f"origin {origin} is not allowed to call this "
                                    "API; add it to SITREP_CORS_ORIGINS")
        cors = [(b"access-control-allow-origin", origin.encode("latin-1")),
                (b"vary", b"Origin")] if allowed else []
        if preflight:
            await send({"type": "http.response.start", "status": 204, "headers": cors + [
                (b"access-control-allow-methods", self.ALLOW_METHODS),
                (b"access-control-allow-headers", self.ALLOW_HEADERS),
                (b"access-control-max-age", b"600")]})
            return await send({"type": "http.response.body", "body": b""})

        async def send_cors(message: Message) -> None:
            if message["type"] == "http.response.start":
                # Drop whatever CORS headers an inner app (Gradio allows localhost) added, then
                # add ours: only the configured origins ever see one.
                kept = [(k, v) for k, v in message.get("headers", [])
                        if not k.lower().startswith(b"access-control-")]
                varies = any(k.lower() == b"vary" and b"origin" in v.lower() for k, v in kept)
                message = {**message, "headers": kept + [
                    h for h in cors if not (varies and h[0] == b"vary")]}
            await send(message)

        await self.app(scope, receive, send_cors)


class BodyLimit:
    """Refuse `/api/*` request bodies over the configured size, and UI event bodies over the
    UI's, declared or streamed."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app, self.limit = app, settings.max_body_bytes
        self.ui_limit = max(settings.max_body_bytes, UI_MAX_BODY_BYTES)

    def limit_for(self, scope: Scope) -> int | None:
        """The body limit of this request; None for requests this guard leaves alone."""
        if scope["type"] != "http":
            return None
        if _is_api(scope):
            return self.limit
        if _is_ui_event(scope) and not _is_upload(scope):
            return self.ui_limit
        return None

    @staticmethod
    def too_big(size: int, limit: int) -> str:
        return (f"request body is {size} bytes, over the {limit}-byte limit "
                "(SITREP_MAX_BODY_BYTES)")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        limit = self.limit_for(scope)
        if limit is None:
            return await self.app(scope, receive, send)
        declared = _size(_header(scope, b"content-length"))
        if declared is not None and declared > limit:
            return await send_error(send, 413, self.too_big(declared, limit))
        # Read the body here (it is small by definition) so a chunked upload cannot get past.
        read = await read_body(receive, limit)
        if read is None:
            return
        body, size = read
        if size > limit:
            return await send_error(send, 413, self.too_big(size, limit) + " or more")
        await self.app(scope, replay(body, receive), send)


class Auth:
    """Bearer-token or basic auth for everything but the public paths, when configured."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app, self.settings = app, settings
        # Browsers show a login prompt for Basic, which is how people reach the UI.
        scheme = b'Basic realm="Sitrep"' if settings.basic_auth else b'Bearer realm="Sitrep"'
        self.challenge = [(b"www-authenticate", scheme)]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            return await self.app(scope, receive, send)
        caller = authenticate(_header(scope, b"authorization"), self.settings)
        if caller is None and scope["path"] in PUBLIC_PATHS:
            caller = ANONYMOUS
        if caller is None:
            if scope["type"] == "websocket":
                return await send({"type": "websocket.close", "code": 1008})
            return await send_error(send, 401, "authentication required: send "
                                    "'Authorization: Bearer <token>' (or basic auth)",
                                    self.challenge)
        scope.setdefault("state", {})["caller"] = caller
        await self.app(scope, receive, send)


class RateLimit:
    """At most N calls that run work (`/api/*`, UI events and uploads, one budget) per rolling
    minute per caller (per IP when anonymous)."""

    WINDOW = 60.0

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app, self.limit = app, settings.rate_limit
        self.calls: dict[str, deque[float]] = {}
        self.lock = threading.Lock()

    def wait(self, key: str, now: float) -> float:
        """Record a call now; return 0, or the seconds until the caller may call again."""
        with self.lock:
            calls = self.calls.setdefault(key, deque())
            while calls and calls[0] <= now - self.WINDOW:
                calls.popleft()
            if len(calls) >= self.limit:
                return calls[0] + self.WINDOW - now
            calls.append(now)
            if len(self.calls) > 10_000:  # forget idle clients so memory stays bounded
                self.calls = {k: v for k, v in self.calls.items() if v and v[-1] > now - 60}
            return 0.0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not self.limit or not _runs_work(scope):
            return await self.app(scope, receive, send)
        retry = self.wait(caller_key(scope), time.monotonic())
        if retry:
            seconds = max(1, int(retry + 0.999))
            return await send_error(send, 429, f"rate limit: at most {self.limit} API calls "
                                    f"per minute per client; retry in {seconds} s",
                                    [(b"retry-after", str(seconds).encode())])
        await self.app(scope, receive, send)


class SessionBinding:
    """Bind Gradio sessions to the caller: every `session_hash` a request names (JSON body
    field, query parameter, heartbeat path) gets the caller's key appended before Gradio sees
    it. Each caller's sessions are then its own: a replayed hash of another caller, or one
    forged to end like theirs, opens a fresh, empty session (state, event stream, heartbeat)."""

    HEARTBEAT = GRADIO_API + "heartbeat/"

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app

    @staticmethod
    def bound(session_hash: str, scope: Scope) -> str:
        """`session_hash` as this caller's own: suffixed with a digest of the caller's key."""
        owner = hashlib.sha256(caller_key(scope).encode()).hexdigest()[:16]
        return f"{session_hash}~{owner}"

    def bind_query(self, scope: Scope) -> Scope:
        """The scope with any `session_hash` query parameter bound."""
        query = parse_qsl(scope.get("query_string", b"").decode("latin-1"),
                          keep_blank_values=True)
        if not any(name == "session_hash" for name, _ in query):
            return scope
        query = [(name, self.bound(value, scope) if name == "session_hash" else value)
                 for name, value in query]
        return {**scope, "query_string": urlencode(query).encode("latin-1")}

    def bind_path(self, scope: Scope) -> Scope:
        """The scope with a heartbeat path's session hash bound."""
        if not scope["path"].startswith(self.HEARTBEAT):
            return scope
        path = self.HEARTBEAT + self.bound(scope["path"][len(self.HEARTBEAT):], scope)
        return {**scope, "path": path, "raw_path": path.encode()}

    def bind_body(self, scope: Scope, body: bytes) -> tuple[Scope, bytes]:
        """A JSON body's `session_hash` bound, with the content-length to match."""
        try:
            data = json.loads(body) if body else None
        except ValueError:
            return scope, body
        if not isinstance(data, dict) or not isinstance(data.get("session_hash"), str):
            return scope, body
        data["session_hash"] = self.bound(data["session_hash"], scope)
        body = json.dumps(data).encode()
        headers = [(k, v) for k, v in scope["headers"] if k != b"content-length"]
        headers.append((b"content-length", str(len(body)).encode()))
        return {**scope, "headers": headers}, body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(GRADIO_API):
            return await self.app(scope, receive, send)
        scope = self.bind_path(self.bind_query(scope))
        if not _is_ui_event(scope) or _is_upload(scope):
            return await self.app(scope, receive, send)
        read = await read_body(receive)  # BodyLimit has bounded it already
        if read is None:
            return
        scope, body = self.bind_body(scope, read[0])
        await self.app(scope, replay(body, receive), send)


class SecurityHeaders:
    """A Content-Security-Policy (`CONTENT_SECURITY_POLICY`) on every HTTP response: a page
    of the app (the UI, a document or brief it shows) loads nothing from another origin."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)

        async def send_with_policy(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", [])
                           if k.lower() != b"content-security-policy"]
                message = {**message, "headers": headers + [
                    (b"content-security-policy", CONTENT_SECURITY_POLICY)]}
            await send(message)

        await self.app(scope, receive, send_with_policy)


def editor_groups(env: dict[str, str] | None = None) -> frozenset[str]:
    """SITREP_EDITOR_GROUPS: comma-separated groups whose callers may remove documents when
    credentials are configured; none by default (then nobody removes through the UI)."""
    raw = (os.environ if env is None else env).get("SITREP_EDITOR_GROUPS", "")
    return frozenset(g.strip() for g in raw.split(",") if g.strip())


def removal_allowed(caller: Caller, settings: Settings,
                    env: dict[str, str] | None = None) -> bool:
    """May `caller` remove documents? With credentials configured: only a caller in one of
    SITREP_EDITOR_GROUPS. Without: nobody is identified, so removal is off unless
    SITREP_ALLOW_REMOVE=1 turns it on for everyone."""
    env = dict(os.environ if env is None else env)
    if auth_required(settings):
        return bool(caller.groups & editor_groups(env))
    return _bool(env, "SITREP_ALLOW_REMOVE")


def install_guards(app: Starlette, settings: Settings) -> None:
    """Add all guards to `app` (and so to anything later mounted in it), outermost first:
    forwarding headers (from trusted proxies only), log, security headers, allowed hosts,
    CORS, body size, auth, rate limit, session binding."""
    for layer in (SessionBinding, RateLimit, Auth, BodyLimit, Cors, AllowedHosts,
                  SecurityHeaders, RequestLog):
        app.add_middleware(layer, settings=settings)  # each call wraps the previous ones
    proxies = trusted_proxies()
    if proxies:
        from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=list(proxies))


__all__ = ["AllowedHosts", "Auth", "BodyLimit", "CONTENT_SECURITY_POLICY", "Cors",
           "PUBLIC_PATHS", "RateLimit", "RequestLog", "SecurityHeaders", "SessionBinding",
           "allowed_hosts", "caller_key", "editor_groups", "install_guards", "removal_allowed",
           "send_error", "trusted_proxies"]
