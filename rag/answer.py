"""From ranked candidate sentences to a briefing answer: BLUF, evidence, conflicts, abstention.

`compose(info, candidates, embedder)` decides whether the candidates answer the question, picks
the bottom-line span (a figure with its qualifier, a name with its role, a date, a place, or the
best sentence), cites the supporting sentences verbatim, shows disagreeing sources side by side,
and returns a `Composition`. It never writes a claim that is not in a cited sentence.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np

from rag import nlp
from rag.embeddings import Embedder
from rag.question import PERSONS, PLACES, QuestionInfo
from rag.retrieve import Candidate
from rag.text import normalize, numbers_in, stem, stems, words

MAX_CITATIONS = 3
# Words that carry no topic of their own; a question may use them without the evidence doing so.
GENERIC = frozenset("""
get gets getting got make makes made making take takes took go goes going went come came happen
happens happened give gave given mean means really actually exactly currently now today latest
recent recently like stuff lot whole overall main key new old big small good bad right left
""".split())
_HEDGES = re.compile(
    r"\b(?:reportedly|reported(?:ly)?|according to [^,.;]+|estimates?|estimated|allegedly|"
    r"alleged|claims?|claimed|believed|suggests?|unconfirmed|appears? to|may|might|could|"
    r"likely|possibly|said|says|stated|declared|citing [^,.;]+)\b", re.I)
_QUALIFIER = re.compile(
    r"(?:\b(?:about|around|approximately|roughly|some|nearly|almost|more than|over|at least|"
    r"up to|less than|fewer than|an estimated|estimated|as many as|as few as|close to|"
    r"upwards of)\s+)$", re.I)
_COUNT_WORDS = re.compile(r"\b(?:thousands|hundreds|dozens|millions|tens of thousands|several"
                          r" thousand|a few thousand)\b", re.I)
_UNIT_TAIL = re.compile(r"^\s*((?:[A-Z][\w’'-]*\s+){0,3}(?:[a-z%][\w’'-]*))")
_ROLE_HEAD = re.compile(r"((?:[A-Z][\w’'.-]*\s+){1,6})$")
_DATE_HINT = re.compile(r"\b(?:1[5-9]\d\d|20\d\d|January|February|March|April|May|June|July|"
                        r"August|September|October|November|December)\b")


@dataclass
class Evidence:
    """A cited sentence and the answer value found in it, if any."""

    candidate: Candidate
    value: str = ""  # the answer span as it reads in the sentence
    key: str = ""  # normalised value for comparison ("12000", "sergei shoigu")


@dataclass
class Composition:
    """What `compose` decided."""

    abstained: bool
    bluf: str  # one markdown line, the bottom line
    evidence: list[Evidence] = field(default_factory=list)
    conflict: bool = False
    reason: str = ""  # why it abstained, for people reading eval reports


# ---- answer spans ------------------------------------------------------------------------


def _number_span(cand: Candidate, question: str) -> tuple[str, str] | None:
    """The figure in a sentence with its qualifier and unit: ("around 12,000 troops", "12000")."""
    qnums = {v for v, _, _ in numbers_in(question)}
    text = cand.text
    for value, start, end in numbers_in(text):
        if value in qnums or (_DATE_HINT.fullmatch(text[start:end]) and 1500 < value < 2100):
            continue  # a number the question already has, or a year, is not the answer
        qual = _QUALIFIER.search(text[:start])
        begin = qual.start() if qual else start
        tail = _UNIT_TAIL.match(text[end:])
        stop = end + (tail.end() if tail and not _is_function_word(tail.group(1)) else 0)
        key = f"{value:g}"
        return text[begin:stop].strip(" ,;:"), key
    match = _COUNT_WORDS.search(text)
    if match:
        tail = _UNIT_TAIL.match(text[match.end():])
        stop = match.end() + (tail.end() if tail and not _is_function_word(tail.group(1)) else 0)
        return text[match.start():stop].strip(" ,;:"), normalize(match.group(0))
    return None


def _is_function_word(phrase: str) -> bool:
    last = phrase.split()[-1].lower()
    return last in {"are", "is", "was", "were", "to", "in", "of", "and", "have", "has", "had",
                    "be", "been", "will", "the", "a", "that", "for", "on", "with", "from"}


def _entity_span(cand: Candidate, question: str, labels: set[str]) -> tuple[str, str] | None:
    """The first entity of `labels` in the sentence that the question does not already name."""
    qwords = set(words(question))
    for ent in nlp.entities(cand.text):
        if ent.label not in labels:
            continue
        if set(words(ent.text)) <= qwords:
            continue
        value = ent.text
        if ent.label in PERSONS:
            role = _ROLE_HEAD.search(cand.text[:ent.start])
            if role and role.group(1).split()[0] not in {"The", "A", "An", "During", "In"}:
                value = f"{ent.text} ({role.group(1).strip()})"
        return value, normalize(ent.text)
    return None


def answer_span(info: QuestionInfo, cand: Candidate) -> tuple[str, str] | None:
    """The value a sentence gives for what the question asks, or None if it gives none."""
    if info.qtype == "number":
        return _number_span(cand, info.text)
    if info.qtype == "person":
        return (_entity_span(cand, info.text, PERSONS)
                or _entity_span(cand, info.text, {"ORG", "NORP"}))
    if info.qtype == "date":
        return _entity_span(cand, info.text, {"DATE", "TIME"})
    if info.qtype == "place":
        return _entity_span(cand, info.text, PLACES)
    return None


# ---- answerability ---------------------------------------------------------------------------


def unsupported_words(info: QuestionInfo, top: Candidate, context: str,
                      embedder: Embedder) -> list[str]:
    """Question words the evidence does not support, lexically or in meaning.

    A word is supported when its stem occurs in the context, or when dropping it from the
    question lowers the question's similarity to the sentence (the sentence was matching it).
    """
    context_stems = set(stems(context))
    candidates = [w for w in info.words if w not in GENERIC and stem(w) not in context_stems
                  and not w.isdigit()]
    if not candidates:
        return []
    context_words = [w for w in set(words(context)) if len(w) > 2 and not w.isdigit()]
    vectors = embedder.word_vectors(candidates + context_words)
    matrix = np.stack([vectors[w] for w in context_words]) if context_words else None
    ablated = [re.sub(rf"\b{re.escape(w)}\b", " ", normalize(info.text)) for w in candidates]
    encoded = embedder.encode([normalize(info.text), top.text] + ablated)
    base = float(encoded[0] @ encoded[1])
    missing = []
    for word, vec in zip(candidates, encoded[2:]):
        near = float(np.max(matrix @ vectors[word])) if matrix is not None else 0.0
        drop = base - float(vec @ encoded[1])
        if near < 0.7 and drop < 0.015:
            missing.append(word)
    return missing


# ---- composition -----------------------------------------------------------------------------


def _hedges(text: str) -> list[str]:
    return list(dict.fromkeys(m.group(0).strip() for m in _HEDGES.finditer(text)))


def _context(cand: Candidate, pool: list[Candidate]) -> str:
    """The sentence with its section heading, title and same-paragraph neighbours."""
    near = [c.text for c in pool if c.doc_id == cand.doc_id and abs(c.idx - cand.idx) <= 1]
    return " ".join([cand.title, cand.section, cand.text] + near)


def _refs(evidence: list[Evidence]) -> str:
    return "".join(f"[{n}]" for n in range(1, len(evidence) + 1))


def compose(info: QuestionInfo, candidates: list[Candidate], embedder: Embedder,
            min_similarity: float = 0.25) -> Composition:
    """Decide the answer for `info` from `candidates` (best first)."""
    if not candidates:
        return Composition(True, "The sources do not cover this: the index has no documents.",
                           reason="empty index")
    typed = info.qtype in ("number", "person", "date", "place")
    pool = candidates[:12]
    spans = {c.id: answer_span(info, c) for c in pool[:8]} if typed else {}
    ranked = sorted(pool, key=lambda c: -(c.score + (0.08 if spans.get(c.id) else 0.0)))
    top = ranked[0]
    if top.dense < min_similarity and top.coverage < 0.5:
        return _abstain(info, top, "nothing in the sources is close to the question")
    if typed and not spans.get(top.id):
        return _abstain(info, top, f"no {info.qtype} in the closest evidence")
    missing = unsupported_words(info, top, _context(top, candidates), embedder)
    if missing:
        return _abstain(info, top, "the sources do not mention " + ", ".join(missing))
    evidence = _select(info, top, ranked, spans)
    keys = {(e.candidate.doc_id, e.key) for e in evidence if e.key}
    values_by_doc: dict[str, set[str]] = {}
    for doc_id, key in keys:
        values_by_doc.setdefault(key, set()).add(doc_id)
    conflict = len(values_by_doc) > 1 and len({d for d, _ in keys}) > 1
    return Composition(False, _bluf(info, evidence, conflict), evidence, conflict)


def _select(info: QuestionInfo, top: Candidate, ranked: list[Candidate],
            spans: dict[str, tuple[str, str] | None]) -> list[Evidence]:
    """The top sentence plus up to two that support the same answer (or contradict it)."""
    def evidence(c: Candidate) -> Evidence:
        span = spans.get(c.id)
        return Evidence(c, *(span if span else ("", "")))

    chosen = [evidence(top)]
    for cand in ranked[1:]:
        if len(chosen) >= MAX_CITATIONS:
            break
        if cand.score < 0.8 * top.score or cand.coverage < 0.6 * top.coverage:
            continue
        if any(cand.text == e.candidate.text for e in chosen):
            continue
        if spans and not spans.get(cand.id):
            continue  # a typed question cites only sentences that give a value
        chosen.append(evidence(cand))
    return chosen


def _bluf(info: QuestionInfo, evidence: list[Evidence], conflict: bool) -> str:
    """The bottom line: the value (or sentence) first, hedged as the sources hedge it."""
    if conflict:
        sides = []
        seen: set[tuple[str, str]] = set()
        for n, e in enumerate(evidence, 1):
            if (e.key, e.candidate.doc_id) in seen:
                continue
            seen.add((e.key, e.candidate.doc_id))
            sides.append(f"**{e.value}** per {e.candidate.title} [{n}]")
        return "Sources disagree: " + "; ".join(sides) + "."
    top = evidence[0]
    hedges = _hedges(" ".join(e.candidate.text for e in evidence))
    hedge = (" — as the sources put it: " + ", ".join(f"“{h}”" for h in hedges[:3])
             if hedges else "")
    if top.value:
        value = top.value[0].upper() + top.value[1:]
        return f"**{value}**{hedge} {_refs(evidence)}"
    return f"{top.candidate.text} [1]"


def _abstain(info: QuestionInfo, closest: Candidate, reason: str) -> Composition:
    bluf = ("The sources do not say. "
            f"Nothing in the documents answers “{info.text.strip()}” ({reason}).")
    return Composition(True, bluf, [Evidence(closest)], reason=reason)
