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

from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from rag.text import stem

if TYPE_CHECKING:
    from spacy.tokens import Doc, Token

SAME_TOPIC = 0.6


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
    """What one document's analysed sentences (and its title) talk about: the noun phrases
    they contain, each exactly as it stands in the text (contiguous, in source order), and
    which of them its lead (title, headings, first sentence) holds."""

    words: Counter = field(default_factory=Counter)  # stem of a phrase word → mentions
    phrases: Counter = field(default_factory=Counter)  # stems of a phrase, in order → mentions
    surface: dict[tuple[str, ...], Counter] = field(default_factory=dict)  # stems → wordings
    lead: Counter = field(default_factory=Counter)  # phrase → 2 in the title, 1 in the lead
    people: Counter = field(default_factory=Counter)  # phrase → mentions tagged as a person

    def add(self, doc: Doc, excluded: set[str], weight: int = 1, lead: int = 0) -> None:
        """Count one parsed sentence `weight` times (0: only note its phrases as the lead's);
        `lead`: 2 for the document's title, 1 for the rest of its lead (headings, first
        sentence), 0 for a sentence of its body.
        `excluded`: names never to count (the document's own publisher and author,
        lower-cased: a byline names them, the topic does not)."""
        # a person's name has two words ("Elena Varga"): the tagger often takes a lone
        # unfamiliar place name ("Velmar") for a person
        people = {t.i for e in doc.ents if e.label_ == "PERSON" and len(e) > 1 for t in e}
        for run in _runs(doc, excluded):
            for token in run:
                if token.is_alpha:
                    self.words[stem(token.lower_)] += weight
            for start, end in _pieces(run):
                span = doc[run[start].i:run[end - 1].i + 1]
                key = tuple(stem(t.lower_) for t in span if t.is_alpha)
                if len(key) == 1 and span[0].pos_ != "PROPN" and not span[0].ent_type_:
                    continue  # one common noun ("fire", "city") names no topic
                if weight:
                    self.phrases[key] += weight
                    if any(t.i in people for t in span):
                        self.people[key] += weight
                    self.surface.setdefault(key, Counter())[span.text] += weight
                self.lead[key] = max(self.lead[key], lead)


MAX_WORDS = 5  # a topic label's words at most
_DASHES = {"-", "–"}
_NOT_TOPICS = {"DATE", "TIME", "CARDINAL", "ORDINAL", "QUANTITY", "MONEY", "PERCENT"}


def _runs(doc: Doc, excluded: set[str]) -> list[list[Token]]:
    """The sentence's noun phrases: maximal runs of nouns and proper nouns ("Red Sea attacks",
    "dockworkers strike"), a hyphen joining two without spaces ("Russia-North Korea
    alliance", "Catch-Up Campaign"); never a date or number, nor a name in `excluded`."""
    barred = {t.i for e in doc.ents if e.label_ in _NOT_TOPICS or
              _strip_the(e.text.strip()).lower() in excluded for t in e}
    runs: list[list[Token]] = []
    run: list[Token] = []
    for token in doc:
        hyphened = bool(run) and _joined(run, len(run))
        word = token.is_alpha and token.i not in barred and token.lower_ not in _MONTHS and (
            hyphened or (token.pos_ in ("NOUN", "PROPN") or token.ent_type_)
            and not token.is_stop and len(token) > 1)
        joiner = token.text in _DASHES and bool(run) and run[-1].is_alpha \
            and not run[-1].whitespace_ and not token.whitespace_
        if word or joiner:
            run.append(token)
            continue
        runs.append(run)
        run = []
    runs.append(run)
    for run in runs:
        while run and not run[-1].is_alpha:
            run.pop()
    return [r for r in runs if r]


def _pieces(run: list[Token]) -> list[tuple[int, int]]:
    """(start, end) of every contiguous stretch of `run` of at most `MAX_WORDS` words that
    neither splits a name ("Sea attacks" out of "Red Sea attacks") nor starts or ends on a
    hyphenated word ("North Korea alliance" out of "Russia-North Korea alliance"). A hyphenated
    word counts as one."""
    def cut(i: int) -> bool:  # may a piece begin at run[i] (or end just before it)?
        return i in (0, len(run)) or not (run[i].ent_iob_ == "I" or _joined(run, i)
                                          or _joined(run, i + 1))

    out = []
    for start in range(len(run)):
        if not cut(start):
            continue
        for end in range(start + 1, len(run) + 1):
            words = sum(run[i].is_alpha and not _joined(run, i) for i in range(start, end))
            if words > MAX_WORDS:
                break
            if run[end - 1].is_alpha and cut(end):
                out.append((start, end))
    return out


def _joined(run: list[Token], i: int) -> bool:
    """Whether run[i] continues a hyphenated word (run[i - 1] is its hyphen)."""
    return 0 < i <= len(run) and run[i - 1].text in _DASHES


_MONTHS = {"january", "february", "march", "april", "may", "june", "july", "august",
           "september", "october", "november", "december"}


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
    """A topic's section title, as an analyst writes one: a noun phrase exactly as it stands
    in its documents ("Kessling Dam", "Red Sea attacks", "Russia-North Korea alliance"), never
    words taken from different places and glued together; never a date, a number, a person (a
    byline is one) or the document's publisher.

    A phrase scores its length times its least distinctive word's score (every word must be
    distinctive of the topic: used by its documents, not by the library's others), times the
    share of the topic's documents that use the phrase. The label is the phrase their leads
    hold most (a title counts twice, a heading or first sentence once: a phrase all the
    titles share first), best scored among those;
    then, while a longer phrase holding it keeps most of its score (Red Sea → Red Sea
    attacks), that one. With no lead phrase, the best of all.

    `terms`: doc id → `Terms` for every document in the brief (the others tell which words are
    distinctive). `fallback` (a document title) when the documents yield nothing.
    """
    words = _distinctive(doc_ids, terms, "words")
    own = [terms[d] for d in doc_ids if d in terms]
    phrases: Counter = Counter()
    users: Counter = Counter()
    leads: Counter = Counter()
    people: Counter = Counter()
    for t in own:
        phrases.update(t.phrases)
        people.update(t.people)
        users.update(set(t.phrases))
        leads.update(t.lead)

    def score(key: tuple[str, ...]) -> float:
        if len(set(key)) < len(key):  # "port port": a phrase says each word once
            return 0.0
        if 2 * people[key] > phrases[key]:  # mostly tagged as a person: a byline, a speaker
            return 0.0
        return min(words.get(s, 0.0) for s in key) * len(key) * users[key] / len(doc_ids)

    scored = {key: score(key) for key in phrases}
    ranked = sorted((k for k in scored if scored[k] > 0 and leads[k]),
                    key=lambda k: (-leads[k], -scored[k], -phrases[k])) or \
        sorted((k for k in scored if scored[k] > 0), key=lambda k: (-scored[k], -phrases[k]))
    if not ranked:
        return fallback
    best = ranked[0]
    while True:
        longer = [k for k in scored if len(k) > len(best) and _holds(k, best)
                  and scored[k] >= EXTEND * scored[best]]
        if not longer:
            break
        best = max(longer, key=lambda k: (scored[k], phrases[k]))
    wordings: Counter = Counter()
    for t in own:
        wordings.update(t.surface.get(best, Counter()))
    label = wordings.most_common(1)[0][0]
    return label[:1].upper() + label[1:]


EXTEND = 0.7  # a longer phrase replaces the label when it keeps this share of its score


def _holds(longer: tuple[str, ...], shorter: tuple[str, ...]) -> bool:
    """Whether `shorter` stands in `longer` as a contiguous stretch."""
    n = len(shorter)
    return any(longer[i:i + n] == shorter for i in range(len(longer) - n + 1))
