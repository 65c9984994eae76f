"""Settings from `SITREP_*` environment variables, validated once.

`load_settings()` reads the environment and returns a frozen `Settings`; a bad value raises
`ConfigError` naming the variable and what it expects.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from urllib.parse import urlparse


class ConfigError(ValueError):
    """A `SITREP_*` variable holds a value Sitrep cannot use."""


@dataclass(frozen=True)
class Settings:
    """Everything configurable, with defaults that serve the shipped corpus."""

    docs_dir: Path = Path("docs")
    index_dir: Path = Path(".sitrep/index")
    model_path: str = ""  # empty: the packaged all-MiniLM-L6-v2
    chroma_url: str = ""  # empty: embedded Chroma under index_dir
    collection: str = "sitrep"
    host: str = "127.0.0.1"
    port: int = 7860
    max_file_mb: float = 20.0
    max_question_chars: int = 2000
    chunk_tokens: int = 200
    extra: dict[str, str] = field(default_factory=dict)

    def with_index(self, index_dir: str | Path | None) -> "Settings":
        """Return a copy that uses `index_dir` (when given) instead of the configured one."""
        return self if index_dir is None else replace(self, index_dir=Path(index_dir))


def _int(env: dict[str, str], name: str, default: int, low: int, high: int) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name}={raw!r} is not a whole number") from None
    if not low <= value <= high:
        raise ConfigError(f"{name}={value} is out of range ({low}..{high})")
    return value


def _float(env: dict[str, str], name: str, default: float, low: float, high: float) -> float:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{name}={raw!r} is not a number") from None
    if not low <= value <= high:
        raise ConfigError(f"{name}={value} is out of range ({low}..{high})")
    return value


def load_settings(env: dict[str, str] | None = None) -> Settings:
    """Read `SITREP_*` variables from `env` (default: the process environment)."""
    env = dict(os.environ if env is None else env)
    model_path = env.get("SITREP_MODEL", "")
    if model_path and not Path(model_path).is_dir():
        raise ConfigError(
            f"SITREP_MODEL={model_path!r} is not a folder; point it at a local "
            "sentence-transformers model folder"
        )
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
        chroma_url=chroma_url,
        collection=collection,
        host=env.get("SITREP_HOST", "127.0.0.1"),
        port=_int(env, "SITREP_PORT", 7860, 1, 65535),
        max_file_mb=_float(env, "SITREP_MAX_FILE_MB", 20.0, 0.001, 1024.0),
        max_question_chars=_int(env, "SITREP_MAX_QUESTION_CHARS", 2000, 10, 100_000),
        chunk_tokens=_int(env, "SITREP_CHUNK_TOKENS", 200, 32, 256),
        extra={k: v for k, v in env.items() if k.startswith("SITREP_")},
    )
