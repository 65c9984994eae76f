"""Group a brief's documents by topic: average-linkage clustering of document centroids.

Two documents share a topic when their centroids (the mean of their sampled sentence vectors,
`rag.brief.scope.Scope.centroids`) are close: groups merge while the average cosine between
their members is at least `SAME_TOPIC`. Measured with all-MiniLM-L6-v2: two reports on one
event 0.70 (tests/fixtures/brief), two accounts of one dam 0.75 and a city's port history and
its metro 0.64 (evals/fixture/corpus); unrelated documents 0.15–0.24 in the first, 0.21–0.58
in the second (one fictional region, one house style), and 0.54 between its dam pair and its
city pair on average.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from rag.text import stem

if TYPE_CHECKING:
    from spacy.tokens import Doc, Token

SAME_TOPIC = 0.6
_PLACES = {"GPE", "LOC", "FAC", "EVENT", "ORG"}  # what a topic's label may be named after
_REGIONS = {"GPE", "LOC"}  # two of these named together make a relation ("Russia–North Korea")
_INVERTED = {"on", "against"}  # "attacks on shipping" → "shipping attacks"


def group_documents(centroids: dict[str, np.ndarray], order: list[str]) -> list[list[str]]:
    """Documents (in `order`) grouped by topic; groups largest first, then in `order`."""
    docs = [d for d in order if d in centroids]
    if not docs:
        return []
    matrix = np.stack([centroids[d] for d in docs])
    similarity = matrix @ matrix.T
    np.fill_diagonal(similarity, -np.inf)
    members = [[i] for i in range(len(docs))]
    alive = np.ones(len(docs), dtype=bool)
    while alive.sum() > 1:
        masked = np.where(alive[:, None] & alive[None, :], similarity, -np.inf)
        a, b = np.unravel_index(int(np.argmax(masked)), masked.shape)
        if masked[a, b] < SAME_TOPIC:
            break
        a, b = min(a, b), max(a, b)
        size_a, size_b = len(members[a]), len(members[b])
        merged = (size_a * similarity[a] + size_b * similarity[b]) / (size_a + size_b)
        similarity[a], similarity[:, a] = merged, merged
        similarity[a, a] = -np.inf
        members[a] += members[b]
        alive[b] = False
    groups = [sorted(members[i]) for i in np.flatnonzero(alive)]
    groups.sort(key=lambda g: (-len(g), g[0]))
    return [[docs[i] for i in g] for g in groups]


@dataclass
class Terms:
    """What one document's analysed sentences (and its title) name and talk about."""

    names: Counter = field(default_factory=Counter)  # place/organisation → mentions
    kinds: dict[str, str] = field(default_factory=dict)  # name → its entity label
    pairs: Counter = field(default_factory=Counter)  # (name, name) in one sentence, in order
    nouns: Counter = field(default_factory=Counter)  # common noun stem → mentions
    phrases: Counter = field(default_factory=Counter)  # stems of a noun phrase → mentions
    surface: dict[tuple[str, ...], Counter] = field(default_factory=dict)  # stems → wordings

    def add(self, doc: Doc, excluded: set[str], weight: int = 1) -> None:
        """Count one parsed sentence. `excluded`: names never to count (the document's own
        publisher and author, lower-cased: a byline names them, the topic does not)."""
        in_names = {t.i for e in doc.ents for t in e}
        found: list[str] = []
        for e in doc.ents:
            name = _strip_the(e.text.strip())
            if e.label_ not in _PLACES or not name[:1].isupper() or name.lower() in excluded \
                    or any(ch.isdigit() for ch in name):
                continue
            self.names[name] += weight
            self.kinds.setdefault(name, e.label_)
            if name not in found:
                found.append(name)
        for a, b in zip(found, found[1:]):
            self.pairs[(a, b)] += weight
        for token in doc:
            if not _noun(token, in_names):
                continue
            self.nouns[stem(token.lower_)] += weight
            if token.dep_ == "compound":
                continue
            self._phrase((token,), weight)
            for child in token.children:
                if child.dep_ == "compound" and _noun(child, in_names):
                    self._phrase((child, token), weight)
                elif child.dep_ == "prep" and child.lower_ in _INVERTED:
                    objects = [o for o in child.children if o.dep_ == "pobj"]
                    if objects and _noun(objects[0], in_names):
                        self._phrase((objects[0], token), weight)

    def _phrase(self, tokens: tuple[Token, ...], weight: int) -> None:
        key = tuple(stem(t.lower_) for t in tokens)
        self.phrases[key] += weight
        self.surface.setdefault(key, Counter())[" ".join(t.lower_ for t in tokens)] += weight


def _noun(token: Token, in_names: set[int]) -> bool:
    """A common noun worth naming a topic after: not part of a name, a number or a stop word."""
    return token.pos_ == "NOUN" and token.i not in in_names and token.is_alpha \
        and not token.is_stop and len(token) > 2


def _strip_the(name: str) -> str:
    return name[4:] if name.lower().startswith("the ") else name


def _distinctive(doc_ids: list[str], terms: dict[str, Terms], attr: str) -> dict:
    """Each term of a topic's documents scored by how often they use it, times the share of
    them that do, times how rarely the library's other documents do."""
    others = [d for d in terms if d not in doc_ids]
    inside: Counter = Counter()
    outside: Counter = Counter()
    used: Counter = Counter()
    for d in doc_ids:
        counter = getattr(terms[d], attr) if d in terms else Counter()
        inside.update(set(counter))
        used.update(counter)
    for d in others:
        outside.update(set(getattr(terms[d], attr)))
    return {t: used[t] * inside[t] / len(doc_ids) *
            (1 - outside[t] / len(others)) ** 2 if others else used[t] * inside[t] / len(doc_ids)
            for t in inside}


def topic_label(doc_ids: list[str], terms: dict[str, Terms], fallback: str) -> str:
    """A topic's section title, as an analyst writes one: the place or organisation its
    documents name most and the library's other documents least ("Red Sea"; two regions named
    together, as a relation: "Russia–North Korea"), then the noun phrase most distinctive of
    its sentences ("shipping attacks", "alliance"). Drawn from the documents' sentences and
    titles; never a date, a number, a person (a byline is one) or the document's publisher.

    `terms`: doc id → `Terms` for every document in the brief (the others tell which words are
    distinctive). `fallback` (a document title) when the documents yield neither.
    """
    names = _distinctive(doc_ids, terms, "names")
    nouns = _distinctive(doc_ids, terms, "nouns")
    place = _place(doc_ids, terms, names)
    taken = set(stem(w) for w in re.findall(r"[\w'-]+", place.lower()))
    phrases: Counter = Counter()
    for d in doc_ids:
        if d in terms:
            phrases.update(terms[d].phrases)
    best: tuple[float, int, tuple[str, ...]] | None = None
    for key, count in phrases.items():
        if taken & set(key) or len(set(key)) < len(key):
            continue
        # every word of a phrase must be distinctive: two words score as two of the weaker
        score = min(nouns.get(s, 0.0) for s in key) * len(key)
        if score > 0 and (best is None or (score, count) > best[:2]):
            best = (score, count, key)
    phrase = ""
    if best is not None:
        wordings: Counter = Counter()
        for d in doc_ids:
            if d in terms:
                wordings.update(terms[d].surface.get(best[2], Counter()))
        phrase = wordings.most_common(1)[0][0]
    label = " ".join(part for part in (place, phrase) if part) or fallback
    return label[:1].upper() + label[1:]


def _place(doc_ids: list[str], terms: dict[str, Terms], scores: dict[str, float]) -> str:
    """The most distinctive place or organisation of a topic, or two regions that its
    documents name together at least twice (each scoring at least half the best)."""
    scores = dict(scores)
    for short in list(scores):  # "Authority" is the topic's "Varn River Basin Authority"
        longer = [n for n in scores if n != short and n.endswith(" " + short)]
        if " " not in short and longer:
            full = max(longer, key=lambda n: scores[n])
            scores[full] += scores.pop(short)
    ranked = sorted((n for n in scores if scores[n] > 0), key=lambda n: -scores[n])
    if not ranked:
        return ""
    first = ranked[0]
    kinds = {n: k for d in doc_ids if d in terms for n, k in terms[d].kinds.items()}
    pairs: Counter = Counter()
    for d in doc_ids:
        if d in terms:
            pairs.update(terms[d].pairs)
    for second in ranked[1:3]:
        if scores[second] < scores[first] / 2:
            break
        if {kinds.get(first), kinds.get(second)} <= _REGIONS \
                and second.lower() not in first.lower() and first.lower() not in second.lower():
            forward, backward = pairs[(first, second)], pairs[(second, first)]
            if forward + backward >= 2:
                return f"{first}–{second}" if forward >= backward else f"{second}–{first}"
    return first
