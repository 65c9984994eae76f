"""Figures in the brief's sentences, the key-figure lines, and disagreements between documents.

A figure is a number entity of spaCy ("around 12,000", "nine", "4.2 billion cubic metres") or
a count word ("thousands"), extended over the noun it counts ("… North Korean troops"), with
its value (`rag.text.numbers_in`: digits and spelled-out numbers alike) and the verb that
governs it ("hit", "struck"). Years and named people are compared as values too.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from rag import tradecraft
from rag.brief.scope import Scope, Sentence
from rag.text import COUNT_WORDS, STOPWORDS, YEAR, normalize, numbers_in, stem, stems

SAME_THING = 0.4  # sentences giving rival figures for one thing are at least this close
SAME_EVENT = 0.6  # two sentences this close (cosine) describe the same event
SAME_UNIT = 0.5  # two counted nouns this close (word vectors) count the same kind of thing
SAME_ACTION = 0.6  # two governing verbs this close (word vectors) describe the same action
RIVAL_RATIO = 1.4  # rival estimates of one quantity differ by less than this factor …
ACTION_RATIO = 3.0  # … or by less than this when both count the same action ("hit"/"struck")
RARE = 0.03  # a word in at most this share of the sentences (or in two) identifies a subject
_YEAR = re.compile(r"\b(" + YEAR + r")\b")
_FIGURE_LABELS = {"CARDINAL", "QUANTITY", "MONEY", "PERCENT"}
_NOUNISH = ("JJ", "NN", "NNS", "NNP", "NNPS")
_LIGHT_VERBS = {"be", "is", "are", "was", "were", "been", "being", "has", "have", "had",
                "do", "does", "did"}


@dataclass
class Figure:
    """A comparable value in a sentence: a figure, a year ("DATE") or a person ("PERSON")."""

    phrase: str  # "approximately 12,000 North Korean troops"
    key: str  # "12000", or a count word: "thousands"
    unit: str  # the noun counted or measured: "troops", "metres"
    label: str  # spaCy's entity label (MONEY, PERCENT, …), or COUNT for "thousands"
    sentence: Sentence
    role: frozenset[str] = frozenset()  # for a person: stems of the words just before the name
    verb: str = ""  # the verb governing the counted noun ("hit"), light verbs left out

    @property
    def doc_id(self) -> str:
        return self.sentence.doc_id


def figures(s: Sentence, doc) -> list[Figure]:
    """Figures in a parsed sentence, each with its qualifier, counted noun and verb."""
    spans = [(ent.start, ent.end, ent.label_) for ent in doc.ents if ent.label_ in _FIGURE_LABELS]
    for match in COUNT_WORDS.finditer(s.text):
        span = doc.char_span(match.start(), match.end(), alignment_mode="expand")
        if span is not None and not any(a <= span.start < b for a, b, _ in spans):
            spans.append((span.start, span.end, "COUNT"))
    found = []
    for first, end, label in spans:
        text = doc[first:end].text
        values = numbers_in(text)
        count_word = COUNT_WORDS.search(text)
        if not values and not count_word:
            continue
        unit, counted = "", None
        for _ in range(2):  # the measure ("cubic metres"), then "of" what ("of water")
            while end < len(doc) and doc[end].tag_ in _NOUNISH:
                end += 1
            while end > first + 1 and not doc[end - 1].tag_.startswith("NN") \
                    and doc[end - 1].tag_ in _NOUNISH:
                end -= 1  # "420 metres long": the adjective is not part of the figure
            nouns = [t for t in doc[first:end] if t.tag_.startswith("NN")]
            if nouns and not unit:
                unit, counted = nouns[-1].text.lower(), nouns[-1]
            if not (end + 1 < len(doc) and doc[end].text == "of"
                    and doc[end + 1].tag_ in _NOUNISH):
                break
            end += 1
        if not unit and label == "CARDINAL":
            continue  # a bare number ("Line 4") counts nothing a reader can use
        key = normalize(count_word.group(0)) if not values and count_word else \
            f"{values[0][0]:g}"
        found.append(Figure(doc[first:end].text.strip(" ,;:"), key, unit, label, s,
                            verb=_governing_verb(counted if counted is not None
                                                 else doc[first:end].root)))
    return found


def _governing_verb(token) -> str:
    """The verb a counted noun hangs from ("vessels … have been hit" → "hit"), or ""."""
    for _ in range(4):
        if token.pos_ in ("VERB", "AUX"):
            word = token.text.lower()
            return "" if word in _LIGHT_VERBS else word
        if token.head is token:
            break
        token = token.head
    return ""


def dates_and_people(s: Sentence, doc) -> list[Figure]:
    """Years ("opened in 1974") and people named in a sentence, as comparable values."""
    found = [Figure(m, m, "year", "DATE", s) for e in doc.ents if e.label_ == "DATE"
             for m in _YEAR.findall(e.text)]
    if s.claim != "direct_quote":  # a quote names its speaker, not a holder of the role
        found += [Figure(e.text, e.text.split()[-1].lower(), "person", "PERSON", s,
                         frozenset(stems(doc[max(0, e.start - 3):e.start].text)) - STOPWORDS
                         - {"dr", "mr", "mrs", "ms", "prof"})
                  for e in doc.ents if e.label_ == "PERSON"]
    return found


def comparable(all_figures: list[Figure], extra: list[Figure]) -> list[Figure]:
    """The values disagreements are looked for in: numeric figures that count something,
    plus years and people."""
    return [f for f in all_figures if f.key[:1].isdigit() and f.unit] + extra


@dataclass
class FigureGroup:
    """One value in a document and the sentences that state it (repeats corroborate)."""

    head: Figure
    support: list[Sentence]
    hedges: list[str]
    attributed_only: bool


def figure_groups(found: list[Figure], limit: int) -> list[FigureGroup]:
    """The first `limit` distinct values (by value and unit), with all their sentences."""
    groups: dict[tuple[str, str], list[Figure]] = {}
    for f in found:
        groups.setdefault((f.key, f.unit), []).append(f)
    out = []
    for group in list(groups.values())[:limit]:
        support = list({f.sentence.row: f.sentence for f in group}.values())
        hedges = list(dict.fromkeys(h for s in support for h in tradecraft.hedges(s.text)))
        out.append(FigureGroup(group[0], support, hedges,
                               all(s.claim == "attributed_claim" for s in support)))
    return out


def _years(text: str) -> set[str]:
    return set(_YEAR.findall(text))


class DisagreementFinder:
    """Different values for the same thing in different documents.

    Two values from different documents conflict when — figures: they count the same kind of
    thing (same noun, or nouns whose word vectors are at least `SAME_UNIT` close, never two
    currencies), their sentences are near in meaning (cosine ≥ `SAME_THING`) and do not speak
    of different years, and either both count the same action (governing verbs at least
    `SAME_ACTION` close: "hit"/"struck") with the larger at most `ACTION_RATIO` times the
    smaller, or the larger is at most `RIVAL_RATIO` times the smaller and the sentences share a
    rare word besides the value (in at most `RARE` of all sentences, or two: "reservoir");
    years: at most ten years apart in sentences about the same thing (cosine ≥ `SAME_EVENT`);
    people: different names right after the same role word ("chief engineer"), outside quotes,
    in sentences near in meaning. Repeats inside one document are corroboration, never
    conflict.
    """

    def __init__(self, scope: Scope, values: list[Figure]) -> None:
        self.values = values
        n = len(scope.table)
        self.idf = scope.table.idf
        # The retriever's IDF is log((n + 1) / (df + 0.5)): the IDF of the rarest common word.
        self.rare = math.log((n + 1) / (max(2.0, RARE * n) + 0.5))
        words = {v.unit for v in values if v.label not in ("DATE", "PERSON")}
        words |= {v.verb for v in values if v.verb}
        self.vectors = scope.embedder.word_vectors(sorted(words))

    def pairs(self) -> list[tuple[Figure, Figure]]:
        """Each conflicting pair once per (document pair, unit), in the order found."""
        found, seen = [], set()
        for i, a in enumerate(self.values):
            for b in self.values[i + 1:]:
                if a.doc_id == b.doc_id or a.key == b.key:
                    continue
                key = (*sorted((a.doc_id, b.doc_id)), a.unit)
                if key in seen or not self._conflicting(a, b):
                    continue
                seen.add(key)
                found.append((a, b))
        return found

    def _close(self, x: str, y: str, threshold: float) -> bool:
        return x == y or stem(x) == stem(y) or float(self.vectors[x] @ self.vectors[y]) >= threshold

    def _shared_rare(self, a: Figure, b: Figure) -> bool:
        drop = set(stems(f"{a.phrase} {b.phrase}"))
        common = set(stems(a.sentence.text)) & set(stems(b.sentence.text)) - drop
        return any(self.idf.get(w, 0.0) >= self.rare and not w.isdigit() and w not in STOPWORDS
                   for w in common)

    def _conflicting(self, a: Figure, b: Figure) -> bool:
        closeness = float(a.sentence.vector @ b.sentence.vector)
        if a.label == b.label == "PERSON":
            return bool(a.role & b.role) and closeness >= SAME_THING and self._shared_rare(a, b)
        if a.label == b.label == "DATE":
            return abs(int(a.key) - int(b.key)) <= 10 and closeness >= SAME_EVENT \
                and self._shared_rare(a, b)
        if "PERSON" in (a.label, b.label) or "DATE" in (a.label, b.label):
            return False
        low, high = sorted((float(a.key), float(b.key)))
        ratio = high / low if low else math.inf
        years_a, years_b = _years(a.sentence.text), _years(b.sentence.text)
        same_unit = a.unit == b.unit or (a.label == b.label != "MONEY"
                                         and self._close(a.unit, b.unit, SAME_UNIT))
        if not same_unit or closeness < SAME_THING or (years_a and years_b
                                                       and not years_a & years_b):
            return False
        if a.verb and b.verb and self._close(a.verb, b.verb, SAME_ACTION):
            return ratio <= ACTION_RATIO
        return ratio <= RIVAL_RATIO and self._shared_rare(a, b)
