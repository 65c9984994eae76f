"""Settings from `SITREP_*` environment variables, validated once.

`load_settings()` reads the environment and returns a frozen `Settings`; a bad value raises
`ConfigError` naming the variable and what it expects.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from urllib.parse import urlparse

from rag.rules import RULES

BACKENDS = ("onnx", "torch", "onnx-int8")  # embedding backends, see rag/embed/model.py

# Data the tooling reads, by default (issue 16): the one place these paths are written. The CLI
# uses them as the defaults of `eval --squad / --squad-val`, `train-reader --data` and
# `bench --squad`; the tooling modules take every path as a parameter. The shared datasets sit
# beside the repository (../shared/datasets, see ../shared/GUIDE.md), not inside it.
REPO_ROOT = Path(__file__).resolve().parents[1]
DATASETS = REPO_ROOT.parent / "shared" / "datasets"
SQUAD_DEV = DATASETS / "squad2-dev"  # SQuAD 2.0 dev sample: corpus/, questions.jsonl
SQUAD_TRAIN = DATASETS / "squad-train"  # the reader's data: train.jsonl, val.jsonl, corpus/


class ConfigError(ValueError):
    """A `SITREP_*` variable holds a value Sitrep cannot use."""


@dataclass(frozen=True)
class Settings:
    """Everything configurable, with defaults that serve the shipped corpus."""

    docs_dir: Path = Path("docs")
    index_dir: Path = Path(".sitrep/index")
    model_path: str = ""  # empty: the packaged all-MiniLM-L6-v2
    backend: str = "onnx"  # embedding backend: onnx, torch or onnx-int8 (rag/embed/model.py)
    chroma_url: str = ""  # empty: embedded Chroma under index_dir
    collection: str = "sitrep"
    host: str = "127.0.0.1"
    port: int = 7860
    max_file_mb: float = 20.0
    max_question_chars: int = 2000
    chunk_tokens: int = 200
    # The learned reader (rag/reader/): "on" (the default: the shipped model ranks, picks values
    # and citations), "off" (retrieval and rules alone), or a model folder made by
    # `python -m rag train-reader`.
    reader_path: str = "on"
    # Abstain when the reader's best probability is below its card's threshold. Off by default:
    # end to end on validation it cost more answerable questions than it saved
    # (evals/README.md, "What each rule pays").
    reader_abstains: bool = False
    # Answer rules switched off (names in rag/rules.py): for `python -m rag eval --ablation`
    # and for trying a deployment without one.
    rules_off: frozenset[str] = frozenset()
    # HTTP API and widget (see rag/serve/api.py, rag/serve/access.py).
    cors_origins: tuple[str, ...] = ()  # origins allowed to embed the widget / call the API
    api_tokens: dict[str, frozenset[str]] = field(default_factory=dict)  # token → groups
    basic_auth: dict[str, frozenset[str]] = field(default_factory=dict)  # "user:pw" → groups
    rate_limit: int = 60  # requests per minute per client; 0 turns the limit off
    max_body_bytes: int = 65_536
    log_questions: bool = False  # put the question text in the request log

    def with_index(self, index_dir: str | Path | None) -> Settings:
        """Return a copy that uses `index_dir` (when given) instead of the configured one."""
        return self if index_dir is None else replace(self, index_dir=Path(index_dir))


def _number(env: dict[str, str], name: str, default, low, high, kind=int):
    """Read a whole number (`kind=int`) or a number (`kind=float`) within [low, high]."""
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = kind(raw)
    except ValueError:
        what = "a whole number" if kind is int else "a number"
        raise ConfigError(f"{name}={raw!r} is not {what}") from None
    if not low <= value <= high:
        raise ConfigError(f"{name}={value} is out of range ({low}..{high})")
    return value


def _origins(env: dict[str, str]) -> tuple[str, ...]:
    """SITREP_CORS_ORIGINS: comma-separated origins such as https://intranet.example:8443."""
    origins = []
    for raw in env.get("SITREP_CORS_ORIGINS", "").split(","):
        origin = raw.strip().rstrip("/")
        if not origin:
            continue
        parsed = urlparse(origin)
        if (parsed.scheme not in ("http", "https") or not parsed.hostname
                or parsed.path or parsed.query or parsed.fragment):
            raise ConfigError(f"SITREP_CORS_ORIGINS entry {origin!r} must be an origin like "
                              "https://intranet.example or http://127.0.0.1:8080 (no path)")
        origins.append(origin.lower())
    return tuple(origins)


_GROUP = re.compile(r"^[A-Za-z0-9_.-]+$")


def _credentials(env: dict[str, str], name: str, min_secret: int) -> dict[str, frozenset[str]]:
    """Secret → groups, from "secret=group1|group2,secret2" or a JSON file {"secret": [groups]}.

    Error messages name the entry by position, never by value: the values are secrets.
    """
    raw = env.get(name, "").strip()
    if not raw:
        return {}
    if raw.endswith(".json") or raw.startswith(("/", "./")):
        try:
            data = json.loads(Path(raw).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ConfigError(f"{name}: cannot read the JSON file {raw!r} ({exc})") from None
        if not isinstance(data, dict) or not all(
                isinstance(g, list) and all(isinstance(x, str) for x in g) for g in data.values()):
            raise ConfigError(f'{name}: {raw!r} must hold {{"secret": ["group", ...], ...}}')
        pairs = [(str(k), list(v)) for k, v in data.items()]
    else:
        pairs = []
        for entry in raw.split(","):
            secret, _, listed = entry.strip().partition("=")
            pairs.append((secret, [g for g in listed.split("|") if g]))
    result = {}
    for position, (secret, groups) in enumerate(pairs, 1):
        if len(secret) < min_secret or any(ch.isspace() for ch in secret):
            raise ConfigError(
                f"{name} entry {position}: the secret must be {min_secret}+ characters without "
                "spaces; make one with: "
                "python -c 'import secrets; print(secrets.token_urlsafe(24))'")
        bad = [g for g in groups if not _GROUP.match(g)]
        if bad:
            raise ConfigError(f"{name} entry {position}: group names may use letters, digits, "
                              f"'_', '.' and '-' only (got {bad[0]!r})")
        result[secret] = frozenset(groups)
    return result


def _basic_auth(env: dict[str, str]) -> dict[str, frozenset[str]]:
    """SITREP_BASIC_AUTH: "user:password=group1|group2,..." (or a JSON file), password 8+."""
    users = _credentials(env, "SITREP_BASIC_AUTH", 3)
    for position, secret in enumerate(users, 1):
        user, _, password = secret.partition(":")
        if not user or len(password) < 8:
            raise ConfigError(f"SITREP_BASIC_AUTH entry {position} must look like "
                              "user:password (password 8+ characters)")
    return users


def _bool(env: dict[str, str], name: str) -> bool:
    raw = env.get(name, "").strip().lower()
    if raw in ("", "0", "false", "no", "off"):
        return False
    if raw in ("1", "true", "yes", "on"):
        return True
    raise ConfigError(f"{name}={raw!r} must be 1/true/yes/on or 0/false/no/off")


def _reader_path(env: dict[str, str]) -> str:
    """SITREP_READER: "on" (default: the shipped reader), "off" or a folder holding
    reader.onnx or reader-int8.onnx."""
    value = env.get("SITREP_READER", "") or "on"
    if value not in ("off", "on") and not Path(value).is_dir():
        raise ConfigError(f"SITREP_READER={value!r} is not a folder; point it at a folder "
                          "made by `python -m rag train-reader`, or set it to on or off")
    return value


def _rules_off(env: dict[str, str]) -> frozenset[str]:
    """SITREP_RULES_OFF: comma-separated names from rag/rules.py (default: none)."""
    names = frozenset(n.strip() for n in env.get("SITREP_RULES_OFF", "").split(",") if n.strip())
    unknown = sorted(names - RULES.keys())
    if unknown:
        raise ConfigError(f"SITREP_RULES_OFF names no rule {', '.join(unknown)}; the rules are "
                          f"{', '.join(RULES)}")
    return names


def cache_root() -> Path:
    """Where machine-local derived files are kept: ONNX exports and, in server mode, sentence
    table snapshots (`SITREP_CACHE`, default `~/.cache/sitrep`)."""
    return Path(os.environ.get("SITREP_CACHE") or Path.home() / ".cache" / "sitrep")


def load_settings(env: dict[str, str] | None = None) -> Settings:
    """Read `SITREP_*` variables from `env` (default: the process environment)."""
    env = dict(os.environ if env is None else env)
    model_path = env.get("SITREP_MODEL", "")
    if model_path and not Path(model_path).is_dir():
        raise ConfigError(
            f"SITREP_MODEL={model_path!r} is not a folder; point it at a local "
            "sentence-transformers model folder"
        )
    backend = env.get("SITREP_BACKEND", "") or "onnx"
    if backend not in BACKENDS:
        raise ConfigError(f"SITREP_BACKEND={backend!r} must be one of {', '.join(BACKENDS)}")
    chroma_url = env.get("SITREP_CHROMA_URL", "")
    if chroma_url:
        parsed = urlparse(chroma_url)
        if parsed.scheme not in ("http", "https") or not parsed.hostname:
            raise ConfigError(
                f"SITREP_CHROMA_URL={chroma_url!r} must look like http://127.0.0.1:8000"
            )
    collection = env.get("SITREP_COLLECTION", "sitrep")
    if len(collection) < 3 or not collection.replace("-", "").replace("_", "").isalnum():
        raise ConfigError(
            f"SITREP_COLLECTION={collection!r} must be 3+ letters, digits, '-' or '_'"
        )
    return Settings(
        docs_dir=Path(env.get("SITREP_DOCS", "docs")),
        index_dir=Path(env.get("SITREP_INDEX", ".sitrep/index")),
        model_path=model_path,
        backend=backend,
        chroma_url=chroma_url,
        collection=collection,
        host=env.get("SITREP_HOST", "127.0.0.1"),
        port=_number(env, "SITREP_PORT", 7860, 1, 65535),
        max_file_mb=_number(env, "SITREP_MAX_FILE_MB", 20.0, 0.001, 1024.0, kind=float),
        max_question_chars=_number(env, "SITREP_MAX_QUESTION_CHARS", 2000, 10, 100_000),
        chunk_tokens=_number(env, "SITREP_CHUNK_TOKENS", 200, 32, 256),
        reader_path=_reader_path(env),
        reader_abstains=_bool(env, "SITREP_READER_ABSTAIN"),
        rules_off=_rules_off(env),
        cors_origins=_origins(env),
        api_tokens=_credentials(env, "SITREP_API_TOKENS", 16),
        basic_auth=_basic_auth(env),
        rate_limit=_number(env, "SITREP_RATE_LIMIT", 60, 0, 1_000_000),
        max_body_bytes=_number(env, "SITREP_MAX_BODY_BYTES", 65_536, 1024, 100_000_000),
        log_questions=_bool(env, "SITREP_LOG_QUESTIONS"),
    )
