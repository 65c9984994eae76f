"""Picking the answer value out of a sentence: a figure with its qualifier and unit, a name
with its title, an organisation, a group, a place, a date or a time of day.

`answer_span(info, candidate, context, within)` returns a `Span` (value as written, normalised
key, fit) or None. `fit` says how well the value suits the question (higher is better): its unit
is the one the measure takes, a question word stands next to it, it opens the sentence when the
question asks who did something. `within` is where the learned reader's answer stands in the
sentence: where it covers a value, that value is the sentence's. `whole_figure` runs a shown
figure on to its noun. Text rules over spaCy's entities (and, for `whole_figure`, its POS
tags); no index, no embedding model.
"""

from __future__ import annotations

import re

from rag import nlp
from rag.answer.question import PERSONS, PLACES, counted_word
from rag.contracts import Candidate, QType, QuestionInfo, Span
from rag.text import (
    COUNT_WORDS,
    STOPWORDS,
    YEAR,
    content_words,
    normalize,
    numbers_in,
    stem,
    words,
)

_QUALIFIER = re.compile(
    r"(?:\b(?:about|around|approximately|roughly|some|nearly|almost|more than|over|at least|"
    r"up to|less than|fewer than|an estimated|estimated|as many as|as few as|close to|"
    r"upwards of)\s+)$", re.I)
_UNIT_TAIL = re.compile(r"^\s*((?:[A-Z][\w’'.-]*\s+){0,3}(?:(?:cubic|square|metric|per)\s+)?"
                        r"(?:[a-z%][\w’'-]*|°\s?[CF]\b))")
_ROLE_HEAD = re.compile(r"((?:[A-Z][\w’'.-]*\s+){1,6})$")
_MONTH = (r"(?:January|February|March|April|May|June|July|August|September|October|November|"
          r"December)")
# A date: a weekday, "3 April 2023", "April 3, 2023", "March 2016", a year from 1500, or an
# older year after a preposition ("a grant of 1147": bare 1000–1499 are more often counts).
_WHEN = re.compile(
    r"\b(?:(?:Mon|Tues|Wednes|Thurs|Fri|Satur|Sun)days?|(?:\d{1,2}\s+)?" + _MONTH +
    r"(?:\s+\d{1,2})?(?:,?\s+\d{4})?|" + YEAR + r"|"
    r"(?:(?<=in )|(?<=of )|(?<=by )|(?<=from )|(?<=since )|(?<=until )|(?<=after )|"
    r"(?<=before ))1[0-4]\d\d)\b")
# "from 3 April to 30 June 2023": a date followed by the end of its range.
_RANGE_END = re.compile(r"^\s*(?:to|until|till|through|and|–|-)\s+")
_CLOCK = re.compile(r"\b(?:\d{1,2}(?:[.:]\d{2})?\s*(?:a\.m\.|p\.m\.|am\b|pm\b|o['’]clock)|noon|"
                    r"midnight|midday)", re.I)
_DATE_HINT = re.compile(r"\b(?:" + YEAR + "|" + _MONTH + r")\b")
# Proper names: capitalised words, with the particles names carry ("Anselm de Corvin").
NAME = re.compile(r"\b(?:[A-Z][a-z’'-]+|[A-Z]{2,})"
                  r"(?:[ \t]+(?:[A-Z][a-z’'-]+|[A-Z]{2,}|de|van|von|der|II|III|IV))+\b")


_DURATION = "day days week weeks month months year years hour hours minute minutes decades"
# Units that answer a kind of "how …" question: "how tall" wants metres, not kilometres of road.
_UNIT_CUES: tuple[tuple[re.Pattern[str], frozenset[str]], ...] = tuple(
    (re.compile(cue, re.I), frozenset(stem(w) for w in units.split())) for cue, units in (
        (r"\bhow (?:tall|high|deep)\b|\b(?:height|depth|elevation)\b",
         "metres metre meters meter feet foot ft m"),
        (r"\bwhat area\b|\bhow much (?:land|ground|forest)\b",
         "hectares hectare acres acre square"),
        (r"\bhow (?:long|far)\b|\b(?:length|distance)\b",
         "kilometres kilometre km miles mile metres " + _DURATION),
        (r"\bhow often\b|\bfrequen", "minutes minute hours hour every daily weekly"),
        (r"\bpercent|\bper cent\b|\bpercentage\b|\bproportion\b|\bshare\b", "percent cent %"),
        (r"\bhow much\b.*\b(?:cost|pay|paid|spend|spent|worth)\b|"
         r"\b(?:cost|costs|costing|price|worth|value)\b",
         "dollars dollar euros euro pounds yuan rubles usd eur billion million"),
        (r"\bhow old\b|\bage\b", "years year old aged"),
    ))


_FIGURE_RANGE = re.compile(r"\s*(?:to|–|-)\s*")  # what joins the two ends of a range
_FIGURE_YEAR = re.compile(r"^\s*(?:in|by|as of|for)\s+(" + YEAR + r")\b")


Where = tuple[int, int]  # a stretch of the sentence: start and end offsets


Found = list[tuple[Span, int, int]]  # values a sentence gives, with their offsets, in order


def _pick(found: Found) -> Span | None:
    """The best-fitting value of `found` (the first on a tie)."""
    return max((f[0] for f in found), key=lambda span: span.fit, default=None)


def _expected_units(question: str) -> frozenset[str]:
    """Unit stems that answer the question's kind of measure (empty when any will do)."""
    return frozenset().union(*(units for cue, units in _UNIT_CUES if cue.search(question)))


def _number_span(cand: Candidate, question: str, within: Where | None = None) -> Span | None:
    """The figure in a sentence with its qualifier and unit, and how well it fits the question.

    Returns a `Span` — e.g. Span("around 12,000 troops", "12000", 3) — whose fit is 3 when
    the figure's unit is what the question counts or measures, 2 when the words around it are,
    1 when they share another question word, 0 otherwise or when its unit cannot answer the
    measure; a vague count ("thousands") fits one less. None when the sentence has no figure
    (a figure dated to a year other than the question's does not count). With `within`, a
    figure there goes first (`_covered`).
    """
    qnums = {v for v, _, _ in numbers_in(question)}
    qstems = {stem(w) for w in content_words(question)}
    counted = _counted_noun(question)
    units = _expected_units(question)
    text = cand.text
    found: Found = []
    spans = [(f"{v:g}", s, e) for v, s, e in _figures(text) if v not in qnums]
    spans += [(normalize(m.group(0)), m.start(), m.end()) for m in COUNT_WORDS.finditer(text)]
    years = {y for y in qnums if 1500 < y < 2100}
    ordered = sorted(spans, key=lambda x: x[1])
    for n, (key, start, end) in enumerate(ordered):
        if n + 1 < len(ordered) and _FIGURE_RANGE.fullmatch(text[end:ordered[n + 1][1]]):
            end = ordered[n + 1][2]  # "10 to 14 days" is one figure, keyed by where it starts
        # "thousands", or a number in words: a figure in digits, where given, answers better
        # (news writes small counts in words: "three main", "three years" beside 1.2 million).
        vague = not key[0].isdigit() or not text[start].isdigit()
        qual = _QUALIFIER.search(text[:start])
        begin = qual.start() if qual else start
        tail = _UNIT_TAIL.match(text[end:])
        stop = end + (tail.end() if tail and not _is_function_word(tail.group(1)) else 0)
        dated = _FIGURE_YEAR.match(text[stop:])
        if years and dated and float(dated.group(1)) not in years:
            continue  # "38,000 in 1850" is no answer for 1900
        near = {stem(w) for w in words(text[max(0, start - 40):end + 40])}
        unit = {stem(w) for w in words(text[end:stop])}
        shared = len(near & qstems)
        fit = 3 if (counted and counted in unit) or unit & units else \
            2 if (counted and counted in near) or near & units or shared >= 2 else \
            int(shared > 0)
        if units and unit and not unit & units:
            fit = 0  # kilometres or passengers never say how often, tons never what it cost
        fit = max(0, fit - vague)
        value = text[begin:stop].strip(" ,;:")
        found.append((Span(value, key, fit, text.find(value, begin)), begin, stop))
    return _covered([found], within) or _pick(found)


# What a figure's unit may stop at before its head noun: an adjective ("1,548 public"), a
# participle ("236 licensed"), an adverb ("five formerly") or a noun used as one ("870
# vaccination"); and the words the phrase may run on through to that head.
_MODIFIER_POS = frozenset({"ADJ", "ADV", "NOUN", "PROPN", "VERB"})
# Units of measure: a figure ending in one is whole, and two figures in different ones measure
# different things (metres are not kilometres).
MEASURE_UNITS = frozenset(stem(w) for w in (
    "metres metre meters meter kilometres kilometre km miles mile feet foot tons tonnes ton "
    "hectares hectare acres percent per cent dollars dollar euros euro pounds yuan litres "
    "days day weeks week months month years year hours hour minutes minute seconds").split())


def whole_figure(value: str, text: str, start: int) -> str:
    """`value`, a figure standing at `start` in the sentence `text`, run on to the head noun its
    unit stopped short of: "1,548 public" → "1,548 public schools", "870 vaccination" → "870
    vaccination teams", "five formerly" → "five formerly government-owned companies".

    Only when a lowercase word follows; through adjectives and participles to the first plural
    noun or the last of a run of nouns, three words at most. A value that ends in a plural noun
    or a measure unit ("12 percent", "146 metres") is whole already, and so is one whose place is
    not known (`start` is -1, or `value` does not stand there as a word of its own). Uses the
    POS tagger, so it is asked only of the values an answer shows."""
    end = start + len(value)
    if not value or start < 0 or text[start:end] != value or text[start - 1:start].isalnum() \
            or not re.match(r"\s+[a-z]", text[end:]):
        return value
    tagged = _hyphen_words(nlp.tokens(text))
    last = next((t for t in tagged if t.end == end), None)
    if last is None or last.pos not in _MODIFIER_POS or last.tag in ("NNS", "NNPS") \
            or last.text[0].isdigit() or stem(last.text.lower()) in MEASURE_UNITS:
        return value
    stop = None
    for token in [t for t in tagged if t.start >= end][:3]:
        if token.pos in ("NOUN", "PROPN"):
            stop = token.end
            if token.tag in ("NNS", "NNPS"):
                break
        elif stop is not None or not (token.pos == "ADJ" or token.tag == "VBN"):
            break
    return text[start:stop] if stop else value


def _hyphen_words(tokens: tuple[nlp.Token, ...]) -> list[nlp.Token]:
    """`tokens` with hyphenated words joined ("government", "-", "owned" → "government-owned"),
    tagged as their last part."""
    joined: list[nlp.Token] = []
    for t in tokens:
        if joined and t.start == joined[-1].end and "-" in (t.text, joined[-1].text[-1]):
            prev = joined.pop()
            t = nlp.Token(prev.text + t.text, t.pos, t.tag, prev.start, t.end)
        joined.append(t)
    return joined


_MONTH_AFTER = re.compile(r"\s+" + _MONTH + r"\b")
_MONTH_BEFORE = re.compile(_MONTH + r"\s+$")


def _figures(text: str) -> list[tuple[float, int, int]]:
    """The numbers of `text` that can be counts or measures (value, start, end): not a year,
    the day of a date or the hour of a clock time."""
    return [(v, s, e) for v, s, e in numbers_in(text)
            if not (_DATE_HINT.fullmatch(text[s:e]) and 1500 < v < 2100)
            and not _part_of_when(text, s, e)]


def _part_of_when(text: str, start: int, end: int) -> bool:
    """The number at text[start:end] is the day of a date ("12 August", "August 12") or the
    hour of a clock time ("5 p.m."): no count."""
    if any(m.start() <= start < m.end() for m in _CLOCK.finditer(text)):
        return True
    return text[start:end].isdigit() and int(text[start:end]) <= 31 and bool(
        _MONTH_AFTER.match(text, end) or _MONTH_BEFORE.search(text[max(0, start - 12):start]))


def _counted_noun(question: str) -> str:
    """The stem of the counted word ("soldiers" → "soldier"), or ""."""
    word = counted_word(question)
    return stem(word) if word else ""


def _is_function_word(phrase: str) -> bool:
    last = phrase.split()[-1].lower()
    return last in {"are", "is", "was", "were", "to", "in", "of", "and", "have", "has", "had",
                    "be", "been", "will", "the", "a", "that", "for", "on", "with", "from"}


def _entity_span(text: str, question: str, labels: set[str]) -> Span | None:
    """The best-placed entity of `labels` in `text` that the question does not already name
    (the first of those that fit equally well)."""
    return _pick(_entities(text, question, labels))


def _entities(text: str, question: str, labels: set[str]) -> Found:
    """The entities of `labels` in `text` that the question does not already name, as values
    with their fit and place, in order."""
    qwords = set(words(question))
    found: Found = []
    for ent in nlp.entities(text):
        if ent.label not in labels or _named_in(ent.text, qwords, ent.label in PERSONS):
            continue
        if ent.label in PERSONS and _is_place_phrase(text, ent.start, ent.end):
            continue
        if ent.label in ("DATE", "TIME") and not _WHEN.search(ent.text):
            continue  # "one year", "recently": a duration or vague time is not a date
        value, start, end = ent.text, ent.start, ent.end
        if ent.label in PERSONS and any(w[0].islower() and w not in _PARTICLES
                                        for w in ent.text.split()):
            continue  # "Parish registers suggest": the small model misread a phrase as a name
        if ent.label in PERSONS:
            role = _ROLE_HEAD.search(text[:ent.start])
            # A title ("Energy Minister"), without the sentence's opening word ("If", "The").
            title = role.group(1).split() if role else []
            while title and title[0].lower() in STOPWORDS:
                title.pop(0)
            if title:
                value, start = f"{ent.text} ({' '.join(title)})", -1  # not as written
        elif ent.label == "NORP":
            # "Russian" alone names no one; "the Russian government" does.
            head = _NORP_HEAD.match(text[end:])
            if head and not _is_function_word(head.group(1)):
                value, end = text[ent.start:end + head.end()], end + head.end()
        elif ent.label == "DATE":
            # The small model may leave the day out ("9 | August"): the date pattern's match
            # over the entity keeps it.
            for when in _WHEN.finditer(text):
                if when.start() < end and ent.start < when.end():
                    start, end = min(start, when.start()), max(end, when.end())
            value, end = _with_range_end(text, start, end)
        doer = ent.label != "NORP"  # "Russian" opening a sentence is rarely the doer asked for
        fit = 1 + _near_question(text, ent.start, end, question, doer)
        found.append((Span(value, normalize(value), fit, start),
                      ent.start if start < 0 else start, end))
    return found


def _best(*found: Span | None) -> Span | None:
    """The best-fitting of several candidate values; on a tie, the one listed first."""
    return max((f for f in found if f), key=lambda f: f.fit, default=None)


_PARTICLES = frozenset("de van von der den du da di la le bin al".split())
_NORP_HEAD = re.compile(r"^\s+([a-z][\w-]*)\b(?=[\s,.;:])")


def _with_range_end(text: str, start: int, end: int) -> tuple[str, int]:
    """A date span extended to the end of its range when one follows ("3 April to 30 June")."""
    joiner = _RANGE_END.match(text[end:])
    if joiner:
        nxt = _WHEN.match(text, end + joiner.end())
        if nxt:
            end = nxt.end()
    return text[start:end], end


def _near_question(text: str, start: int, end: int, question: str, doer: bool = True) -> int:
    """How well the place of text[start:end] fits the question: 1 when a word of the question
    stands within 50 characters, plus 1 when the question asks who did something ("Which
    agency went after …") and the span opens the sentence, where the doer of a sentence stands.
    """
    window = text[max(0, start - 50):start] + " " + text[end:end + 50]
    near = bool({stem(w) for w in words(window)} & {stem(w) for w in content_words(question)})
    # Only a title may stand before the doer: "Russian Security Council Secretary Sergei Shoigu".
    opens = doer and not re.search(r"(?:^|\s)[a-z0-9]", text[:start])
    return int(near) + int(opens and bool(_ASKS_DOER.match(question)))


# "Who led …", "Which company built …" ask for the doer; "Who did Trump call" does not.
_ASKS_DOER = re.compile(r"^\s*(?:who|which\s+(?:[\w-]+\s+){0,2}?[\w-]+)\s+(?!(?:did|does|do|was|"
                        r"were|is|are|has|have|had|will|would|can|could)\b)[a-z]+(?:ed|s)?\b",
                        re.I)


def _name_span(text: str, question: str, person: bool = False) -> Span | None:
    """The first capitalised multi-word name `_names` finds, or None."""
    return _first(_names(text, question, person))


def _names(text: str, question: str, person: bool = False) -> Found:
    """The capitalised multi-word names, not places (nor, unless `person`, persons), that the
    question does not contain (the small NER model misses rare names), in order.

    With `person`, names after "the" are skipped: "the War of the Northern Succession" and
    "the East Basin" are things, "Marshal Anselm de Corvin" is someone.
    """
    qwords = set(words(question))
    other = PLACES if person else PLACES | PERSONS  # an organisation is neither
    others = [(e.start, e.end) for e in nlp.entities(text) if e.label in other]
    found: Found = []
    for match in NAME.finditer(text):
        name = match.group(0)
        if any(s < match.end() and match.start() < e for s, e in others):
            continue  # "the upper Varn River" is somewhere, not someone
        if _is_place_phrase(text, match.start(), match.end()) or \
                (person and re.search(r"\b(?:the|The)\s+$", text[:match.start()])):
            continue
        if match.start() > 0 and not _named_in(name, qwords) and \
                not _DATE_HINT.search(name):
            found.append((Span(name, normalize(name), 1 + _near_question(
                text, match.start(), match.end(), question), match.start()), match.start(),
                match.end()))
    return found


def _is_place_phrase(text: str, start: int, end: int) -> bool:
    """True for a name in a place phrase: "at Kestrel Hill", "in the Kessling Gorge", "from
    Kestrel Hill to …"."""
    before = text[max(0, start - 24):start].lower()
    return bool(re.search(r"\b(?:at|in|on|near|between|towards|along|across)\s+"
                          r"(?:the\s+(?:[a-z]+\s+)?)?$", before)
                or (re.search(r"\bfrom\s+$", before) and re.match(r"\s+to\b", text[end:])))


def _named_in(name: str, qwords: set[str], person: bool = False) -> bool:
    """True when the question already names `name`: every word of it is a question word or
    the stem of one ("North Korea" in "the North Korean troops"); for a person, the surname
    is enough ("Sergei Shoigu" in "Who did Shoigu meet?")."""
    if person and words(name) and words(name)[-1] in qwords:
        return True
    return all(w in qwords or (len(w) >= 4 and any(q.startswith(w) for q in qwords))
               for w in words(name))


def _acronyms(text: str, question: str) -> Found:
    """The all-capitals names ("KCNA") the question does not contain, in order."""
    qwords = set(words(question))
    return [(Span(m.group(0), normalize(m.group(0)),
                  1 + _near_question(text, m.start(), m.end(), question), m.start()),
             m.start(), m.end())
            for m in re.finditer(r"\b[A-Z]{2,8}\b", text) if m.group(0).lower() not in qwords]


# What any answer to "when" holds: a digit, a month or weekday, a season, "century", "ago" …
_WHEN_WORDS = re.compile(r"\d|\b" + _MONTH + r"\b|\b(?i:(?:Mon|Tues|Wednes|Thurs|Fri|Satur|"
                         r"Sun)days?|spring|summer|autumn|winter|century|centuries|decades?|"
                         r"ago|today|yesterday|tomorrow|dawn|dusk|noon|midnight|morning|"
                         r"evening|night)\b")


def can_be_type(value: str, qtype: QType) -> bool:
    """False when `value` cannot answer a question of `qtype` at all: a count without a
    figure (a year, a day of the month or a clock time is none) or quantity word, a date or
    time without a digit, month, season or the like. Loose on
    purpose ("the 12th century", "several", "66 million years ago" pass); other types pass."""
    if qtype == QType.NUMBER:
        return bool(_figures(value) or COUNT_WORDS.search(value) or _QUANTITY.search(value))
    if qtype in (QType.DATE, QType.TIME):
        return bool(_WHEN_WORDS.search(value))
    return True


def is_figure(value: str) -> bool:
    """`value` is a count or measure: it opens with its figure, a qualifier allowed ("6,700
    workers", "about 3.1 billion dollars"; not "The War of the Two Capitals", a date or a
    year)."""
    figures = _figures(value)
    return bool(figures) and not _DATE_HINT.search(value) and (
        figures[0][1] == 0 or bool(_QUALIFIER.fullmatch(value[:figures[0][1]])))


_QUANTITY = re.compile(r"\b(?:few|several|dozens?|half|twice|double|triple|many|hundreds?|"
                       r"thousands?|millions?|billions?|none)\b", re.I)


def answer_span(info: QuestionInfo, cand: Candidate, context: str = "",
                within: Where | None = None) -> Span | None:
    """The value a sentence gives for what the question asks, or None if it gives none.

    `context` (the sentence with its neighbours) lets a sentence that says "She …" give the
    name from the sentence before it. `within` (offsets in the sentence: the reader's answer)
    picks among the sentence's values: one there goes before a better-fitting one elsewhere.
    """
    if info.qtype == QType.NUMBER:
        return _number_span(cand, info.text, within)
    found = _named_span(info, cand.text, context, within)
    if found and _other_nationality(found.value, info.text):
        return None
    return found


def _other_nationality(value: str, question: str) -> bool:
    """True when the question asks for one nationality and the value names another: "Which
    North Korean officials …?" is not answered by "Russian Security Council"."""
    asked = _WHICH_PHRASE.match(question)
    wanted = set(_DEMONYM.findall(asked.group(0))) if asked else set()
    return bool(wanted) and bool(set(_DEMONYM.findall(value)) - wanted)


_WHICH_PHRASE = re.compile(r"^\s*(?i:which|what)\s+(?:[A-Z][\w-]*\s+)+")
_DEMONYM = re.compile(r"\b[A-Z][a-z]+(?:ian|an|ese|ish)\b")


def _named_span(info: QuestionInfo, text: str, context: str,
                within: Where | None = None) -> Span | None:
    """The name, date or time a sentence gives for a non-numeric typed question: a value the
    reader's span (`within`) covers, whichever rule found it, else the rules' own choice."""
    q = info.text
    if info.qtype == QType.PERSON:
        groups = [_entities(text, q, PERSONS), _names(text, q, True),
                  _entities(text, q, {"ORG", "NORP"})]
        # "fighting alongside Russian forces": the group next to the question's words beats
        # a person named elsewhere in the sentence.
        found = _covered(groups, within) or _best(_pick(groups[0]), _first(groups[1]),
                                                  _pick(groups[2]))
        if not found and re.match(r"(?:He|She|They)\b", text) and context:
            found = _entity_span(context, q, PERSONS) or _name_span(context, q, True)
        return found
    if info.qtype == QType.ORGANIZATION:
        groups = [_entities(text, q, {"ORG"}), _names(text, q), _acronyms(text, q),
                  _entities(text, q, {"NORP"})]
        return _covered(groups, within) or _pick(groups[0]) or _first(groups[1]) \
            or _first(groups[2]) or _pick(groups[3])
    if info.qtype == QType.TIME:
        match = _CLOCK.search(text)
        return Span(match.group(0), normalize(match.group(0)),
                    1 + _near_question(text, match.start(), match.end(), q), match.start()) \
            if match else None
    if info.qtype == QType.DATE:
        groups = [_entities(text, q, {"DATE"}), _when(text, q)]
        return _covered(groups, within) or _pick(groups[0]) or _first(groups[1])
    if info.qtype == QType.PLACE:
        groups = [_headed_names(text, q), _entities(text, q, PLACES)]
        return _covered(groups, within) or _first(groups[0]) or _pick(groups[1])
    return None


def _covered(groups: list[Found], within: Where | None) -> Span | None:
    """The best-fitting value any rule found (`groups`, in the rules' order) that `within`, the
    reader's span, covers; None without one.

    The reader, trained on SQuAD's questions, decides which value of a sentence answers; the
    rules only decide what the value takes with it (qualifier, unit, range, role) and how well
    it fits (rule `reader_picks_value`: validation answers 19 fixed / 9 broken, evidence 2
    broken; counterfactual both values 0.746 → 0.810).
    """
    if not within:
        return None
    return _pick([f for group in groups for f in group if f[1] < within[1] and within[0] < f[2]])


def _first(found: Found) -> Span | None:
    return found[0][0] if found else None


def _when(text: str, question: str) -> Found:
    """The first date the date pattern finds (with the end of its range), for where the entity
    model finds none."""
    match = _WHEN.search(text)
    if not match:
        return []
    value, end = _with_range_end(text, match.start(), match.end())
    return [(Span(value, normalize(value), _near_question(text, match.start(), end, question),
                  match.start()), match.start(), end)]


# "Which region …": the asked noun after up to two modifiers ("Which Russian region").
_WHICH_HEAD = re.compile(r"^\s*(?i:which|what)\s+(?:[\w-]+\s+){0,2}?([a-z]+)\b")


def _headed_names(text: str, question: str) -> Found:
    """The name the sentence gives the noun the question asks for, if any: "Which region …?"
    and "… destabilize the Indo-Pacific region" give "Indo-Pacific region"."""
    head = _WHICH_HEAD.match(question)
    if not head:
        return []
    match = re.search(r"\b((?:[A-Z][\w’'-]*\s+){1,3})" + head.group(1) + r"\b", text)
    if not match or _named_in(match.group(1), set(words(question))):
        return []
    value = match.group(0)
    return [(Span(value, normalize(value),
                  1 + _near_question(text, match.start(), match.end(), question), match.start()),
             match.start(), match.end())]
