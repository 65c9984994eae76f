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

import numpy as np

SAME_TOPIC = 0.6
_NAMED = {"GPE", "LOC", "ORG", "NORP", "FAC", "EVENT", "PERSON"}


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


def topic_label(doc_ids: list[str], titles: dict[str, str],
                names: dict[str, Counter]) -> str:
    """A short name for a topic: a lone document's title; for several, the two names
    (places, organisations, groups, people) that most of them mention and the fewest other
    documents do ("Red Sea", not "Authority" that every report of one agency names).

    `names`: doc id → Counter of the entity texts named in its analysed sentences, for every
    document in the brief (the others tell which names are distinctive).
    """
    if len(doc_ids) == 1:
        return titles[doc_ids[0]]
    inside: Counter = Counter()
    outside: Counter = Counter()
    mentions: Counter = Counter()
    for d, counter in names.items():
        (inside if d in doc_ids else outside).update(set(counter))
        if d in doc_ids:
            mentions.update(counter)
    shared = [n for n in inside if inside[n] >= max(2, (len(doc_ids) + 1) // 2)]
    shared.sort(key=lambda n: (outside[n] - inside[n], -mentions[n]))
    if not shared:
        return titles[doc_ids[0]]
    return " and ".join(shared[:2])
