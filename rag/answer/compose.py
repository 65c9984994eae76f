"""From ranked candidate sentences to a briefing answer: BLUF, evidence, conflicts, abstention.

`compose(info, candidates, embedder)` decides whether the candidates answer the question, picks
the bottom-line value (with `rag.answer.spans`: a figure with its qualifier, a name with its role, a
date, a place; or the best sentence), cites the supporting sentences verbatim, shows
disagreeing sources side by side, and returns a `Composition`. It never writes a claim that is
not in a cited sentence.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace
from typing import Any

import numpy as np

from rag import nlp, tradecraft
from rag.answer.question import counted_word
from rag.answer.spans import (
    MEASURE_UNITS,
    NAME,
    answer_span,
    can_be_type,
    is_figure,
    whole_figure,
)
from rag.contracts import (
    UNGRADED,
    Calibration,
    Candidate,
    Composition,
    Evidence,
    QType,
    QuestionInfo,
    Span,
    Statement,
)
from rag.embed.model import Embedder
from rag.retrieval.sentence_table import SentenceTable
from rag.rules import RULES
from rag.text import STOPWORDS, YEAR, numbers_in, stem, stems, words
from rag.tuning import ANSWER, FAR_EVIDENCE

_NO_DOC: Mapping[str, Any] = {}  # what the table knows of a document it lacks
# Answer types whose bottom line is a value picked out of a sentence (the rest cite a sentence).
TYPED = frozenset({QType.NUMBER, QType.TIME, QType.DATE, QType.ORGANIZATION, QType.PERSON,
                   QType.PLACE})
# Words that carry no topic of their own; a question may use them without the evidence doing so.
GENERIC = frozenset("""
get gets getting got make makes made making take takes took go goes going went come came happen
happens happened give gave given mean means really actually exactly currently now today latest
recent recently like stuff lot whole overall main key new old big small good bad right left
""".split())
_SCALE_WORDS = frozenset("thousand million billion trillion".split())


# ---- answerability ---------------------------------------------------------------------------

# Measures a question can ask about that a nearby figure of another kind must not answer:
# a count of troops deployed is no count of troops killed. Each family matches its own members.
MEASURE_FAMILIES: tuple[frozenset[str], ...] = tuple(frozenset(stem(w) for w in family.split())
                                                     for family in (
    "die died dies dying death deaths dead deadly kill killed killing fatal fatalities "
    "casualty casualties toll",
    "wound wounded injure injured injuries injury hurt",
    "capture captured prisoner prisoners surrender",
    "cost costs price prices paid pay paying spend spent budget fee fees expensive cheap "
    "euros dollars",
    "revenue revenues earn earns earned income profit profits sale sales sell sells selling "
    "sold",
    "fine fined fines penalty penalties",
    "speed fast faster kmh mph",
    "salary salaries wage wages",
    "arrest arrested arrests detained",
    "population inhabitants residents",
))


def _measure_stems(text: str) -> set[str]:
    found = set(stems(text))
    return {s for family in MEASURE_FAMILIES for s in family if s in found}


def unanswered_because(info: QuestionInfo, top: Candidate, context: str,
                       doc_vocab: frozenset[str] | None,
                       embedder: Embedder | None = None,
                       off: frozenset[str] = frozenset()) -> str:
    """Why the best evidence does not answer the question ("" when it may).

    Checks that are precise rather than fuzzy: numbers the question names (years) must be in
    the evidence; names the question uses must occur in the evidence's document; an ordinal
    ("the first mayor") must be in the evidence; a measure the question asks about (deaths,
    cost, speed…) must be what the evidence talks about. Checks named in `off` (see rag.rules)
    are skipped.
    """
    context_words = set(words(context))
    context_values = {value for value, _, _ in numbers_in(context)}
    for value, start, end in numbers_in(info.text) if "question_year" not in off else ():
        if value < ANSWER.question_label_below:
            continue  # small numbers in questions are usually labels ("Line 4"), not facts
        token = info.text[start:end].replace(",", "")
        # "10 million" is one value in two words: compare values, not only tokens.
        if token not in context_words and f"{value:g}" not in context_words \
                and value not in context_values:
            return f"the evidence does not mention {info.text[start:end]}"
    context_stems = frozenset(stems(context))
    vocab = doc_vocab if doc_vocab is not None else context_stems
    for name in _question_names(info.text) if "question_names" not in off else ():
        missing = [w for w in words(name) if stem(w) not in vocab]
        if missing and not _near_synonym(missing, context, embedder):
            return f"the sources do not mention {name}"
    for ordinal, kin in _ORDINALS.items() if "ordinal" not in off else ():
        if re.search(rf"(?:\b(?:the|its|their|his|her)|['’]s)\s+{ordinal}\b", info.text, re.I) \
                and not context_stems & kin:
            return f"the evidence does not say which was the {ordinal}"
    asked = _measure_stems(info.text) if "measure_asked" not in off else set()
    if asked:
        given = _measure_stems(top.text)
        for family in MEASURE_FAMILIES:
            if asked & family and not given & family:
                word = next(w for w in words(info.text) if stem(w) in family)
                return f"the evidence does not give a figure for “{word}”"
    return ""


# An ordinal in the question ("the first mayor") must be in the evidence, or a word of its kind.
_ORDINALS: dict[str, frozenset[str]] = {
    word: frozenset(stem(w) for w in kin.split()) for word, kin in (
        ("first", "first earliest founding original oldest inaugural"),
        ("last", "last latest final most recent newest"),
        ("second", "second"), ("third", "third"), ("fourth", "fourth"), ("fifth", "fifth"),
    )}


def _near_synonym(missing: list[str], context: str, embedder: Embedder | None) -> bool:
    """True when every missing word has a close stand-in in the context ("Beijing" ~ "China")."""
    if embedder is None:
        return False
    pool = [w for w in set(words(context)) if len(w) > 2 and not w.isdigit()]
    if not pool:
        return False
    vectors = embedder.word_vectors(missing + pool)
    matrix = np.stack([vectors[w] for w in pool])
    return all(float(np.max(matrix @ vectors[w])) >= ANSWER.near_synonym
               for w in missing)


def _counts_other_thing(counted: str, sentence: str, embedder: Embedder | None) -> bool:
    """True when a "how many X" question meets a sentence whose words never name X."""
    if not counted or stem(counted) in set(stems(sentence)) or embedder is None:
        return False
    pool = [w for w in set(words(sentence)) if len(w) > 2 and not w.isdigit()]
    vectors = embedder.word_vectors([counted] + pool)
    best = max((float(vectors[w] @ vectors[counted]) for w in pool), default=0.0)
    return best < ANSWER.counted_match


def _question_names(question: str) -> list[str]:
    """Proper names in a question (capitalised words past the first), e.g. "Kim Jong Un"."""
    body = question[1:] if question else ""
    names = [m.group(0) for m in NAME.finditer(body)]
    singles = re.findall(r"(?<=\s)[A-Z][a-z]{2,}\b", body)
    return names + [w for w in singles if not any(w in n for n in names)]


# ---- composition -----------------------------------------------------------------------------


def _hedges(cited: Iterable[Candidate]) -> list[str]:
    """The hedge and attribution words of the cited sentences (tradecraft's list), in order."""
    return list(dict.fromkeys(h for c in cited for h in tradecraft.hedges(c.text)))


def compose(info: QuestionInfo, candidates: list[Candidate],
            table: SentenceTable | None = None, embedder: Embedder | None = None,
            calibration: Calibration | None = None,
            off: frozenset[str] = frozenset()) -> Composition:
    """Decide the answer for `info` from `candidates` (best first).

    `table` gives each sentence its paragraph and each document its vocabulary; `embedder`
    gives word vectors for near-synonyms. Without them the checks fall back to the sentence.
    `calibration`, when the reader has read the candidates (`Candidate.reader`), says how its
    probability joined the score and below which probability nothing answers the question.
    Rules named in `off` (see rag.rules) are not applied.
    """
    unknown = off - RULES.keys()
    if unknown:
        raise ValueError(f"no such answer rule: {', '.join(sorted(unknown))}")
    if not candidates:
        return Composition(True, (Statement(
            "The sources do not cover this: the index has no documents."),), reason="empty index")
    if info.qtype == QType.DESCRIPTION and "reader_figure" not in off \
            and is_figure(_reader_value(candidates[0], calibration)):
        # "What was the peak workforce?": the reader answers with a figure, so another
        # document's figure of the same kind disagrees with it. Asked as a number only then:
        # the description's own answer (the reader's phrase and its sentence) reads better
        # (asking every such question as a number cost 4 of 1,390 validation answers).
        as_number = compose(replace(info, qtype=QType.NUMBER), candidates, table, embedder,
                            calibration, off | {"reader_figure"})
        if as_number.conflict:
            return as_number
    typed = info.qtype in TYPED
    pool = candidates[:ANSWER.pool]
    if (typed or info.qtype == QType.REASON) and table is not None and "neighbours" not in off:
        pool += _neighbours(pool[:ANSWER.neighbours_of], pool, table)
    spans, misfits = _values(info, pool, table, calibration, off) if typed else ({}, set())
    ranked = _rank(info, pool, spans, off)
    top = ranked[0]
    if top.id in misfits and "reader_value_type" not in off:
        # The reader's phrase is no value of the asked type ("The hermit kingdom signed an
        # agreement" for "when?"): the sentence itself is the answer, not a mislabelled value.
        return _as_sentence(compose(replace(info, qtype=QType.DESCRIPTION), candidates, table,
                                    embedder, calibration, off | {"reader_figure"}))
    refused = _refusal(info, pool, top, spans, table, embedder, calibration, off)
    if refused:
        return _abstain(info, *refused)
    # With the reader on, also cite what it rates highly: for a typed question as support
    # without a value of its own, for a description as further evidence.
    vouched = "reader_support" not in off if typed else "reader_citations" not in off
    # Relative to the best sentence the reader read, which need not be the top one (a typed
    # question ranks a sentence with a value first); none when it read nothing worth a share.
    best_read = max(c.reader for c in pool)
    reader_floor = max(calibration.floor, ANSWER.reader_cite_share * best_read) \
        if calibration is not None and vouched and best_read > 0 else None
    weight = calibration.weight if calibration is not None else 0.0
    evidence = _select(info, top, ranked, spans, embedder, "rival_value" not in off,
                       reader_floor, lambda c: c.score - weight * c.reader,
                       lambda c: _may_rival(info, c, table, embedder, off),
                       calibration.threshold if calibration is not None else 0.0)
    if not typed:
        evidence[0].value = _reader_phrase(top, calibration)
    elif info.qtype == QType.NUMBER:
        for e in evidence:  # only the values shown: it takes the POS tagger
            if e.value:
                e.value = whole_figure(e.value, e.candidate.text, e.start)
    conflict = len({e.key for e in evidence if e.key}) > 1
    grades = {e.candidate.doc_id: tradecraft.grade_label(
        table.docs.get(e.candidate.doc_id, _NO_DOC).get("metadata") if table is not None
        else None)
        for e in evidence}
    return Composition(False, _bluf(evidence, conflict, grades), evidence, conflict)


def _as_sentence(comp: Composition) -> Composition:
    """`comp` with its bottom line the top sentence itself, without the reader's phrase."""
    if comp.abstained or not comp.evidence or not comp.evidence[0].value:
        return comp
    comp.evidence[0].value = ""
    return replace(comp, bottom_line=_bluf(comp.evidence, comp.conflict, {}))


def _values(info: QuestionInfo, pool: list[Candidate], table: SentenceTable | None,
            calibration: Calibration | None,
            off: frozenset[str] = frozenset()) -> tuple[dict[str, Span | None], set[str]]:
    """Each candidate's value for a typed question (by id), and the ids whose value is the
    reader's phrase although it cannot be of the asked type. Where the reader trusts a
    sentence, the value its phrase covers is the sentence's (rule `reader_picks_value`)."""
    nlp.prime([c.text for c in pool])
    picks = "reader_picks_value" not in off
    spans = {c.id: answer_span(info, c, table.block_text(c.doc_id, c.idx) if table else "",
                               c.answer if picks and _reader_value(c, calibration) else None)
             for c in pool}
    misfits = set()
    for c in pool:
        if spans[c.id] is None:  # where no rule finds a value, the reader's span stands in
            span = spans[c.id] = _reader_span(c, calibration)
            if span and not can_be_type(span.value, info.qtype):
                misfits.add(c.id)
    return spans, misfits


def _rank(info: QuestionInfo, pool: list[Candidate],
          spans: dict[str, Span | None], off: frozenset[str]) -> list[Candidate]:
    """`pool` best first. A description keeps the retrieval (and reader) order; a typed
    question's candidates gain for the question's focus words and a value that fits (the
    reader's phrase counts, even one that cannot be of the asked type: ranking those as no
    value cost 6 of 600 validation answers), lose for another measure than the one asked, and
    go last without a value."""
    if info.qtype not in TYPED:
        return list(pool)
    asked_measures = _measure_stems(info.text) if "measure_mismatch" not in off else set()
    # Question words the closest documents' titles do not carry say what is asked about them:
    # "run" in "When did the Caldera measles campaign run?" asked of the campaign's report.
    topic = set(stems(" ".join(dict.fromkeys(c.title for c in pool[:ANSWER.topic_titles]))))
    focus = {stem(w) for w in info.words if w not in GENERIC} - topic

    def ranking(c: Candidate) -> float:
        bonus = ANSWER.focus_bonus * len(focus & set(stems(c.text))) / len(focus) \
            if focus and "focus_words" not in off else 0.0
        if asked_measures and not _measure_stems(c.text) & asked_measures:
            bonus -= ANSWER.measure_penalty
        span = spans.get(c.id)
        return c.score + bonus + (ANSWER.value_bonus + ANSWER.fit_bonus * span.fit if span
                                 else -ANSWER.no_value_penalty)

    return sorted(pool, key=lambda c: -ranking(c))


def _refusal(info: QuestionInfo, pool: list[Candidate], top: Candidate,
             spans: dict[str, Span | None], table: SentenceTable | None,
             embedder: Embedder | None, calibration: Calibration | None,
             off: frozenset[str]) -> tuple[Candidate | None, str] | None:
    """Why the sources do not answer, with the closest evidence to point at (None: they may)."""
    letters = [ch for ch in info.text if ch.isalpha()]
    if letters and sum(ch.isascii() for ch in letters) < ANSWER.min_ascii_share * len(letters):
        # The model and the keyword index are English; a question in another script would
        # match on noise, so say so instead of guessing.
        return None, "the question is not in English, the language the sources are indexed in"
    if FAR_EVIDENCE.too_far(pool[0].dense, pool[0].coverage) and "far_evidence" not in off:
        return pool[0], "nothing in the sources is close to the question"
    if calibration is not None and max(c.reader for c in pool) < calibration.floor:
        return pool[0], "the reader finds no sentence that answers it"
    if info.qtype in TYPED and (not spans.get(top.id)
                                or top.score < ANSWER.typed_top_share * pool[0].score):
        return pool[0], f"no {info.qtype} in the closest evidence"
    block = table.block_text(top.doc_id, top.idx) if table is not None else ""
    context = " ".join((top.title, top.section, block or top.text))
    top_span = spans.get(top.id)  # set for a typed question (checked above)
    if info.qtype == QType.NUMBER and "counts_other_thing" not in off \
            and top_span is not None and top_span.fit < 3 \
            and _counts_other_thing(counted_word(info.text), context, embedder):
        return top, f"the sources give no count of {counted_word(info.text)}"
    why = _why_not(info, top, table, embedder, off)
    return (top, why) if why else None


def _why_not(info: QuestionInfo, cand: Candidate, table: SentenceTable | None,
             embedder: Embedder | None, off: frozenset[str], context: str | None = None) -> str:
    """`unanswered_because` for `cand` read in `context` (its `_context` by default)."""
    doc = table.docs.get(cand.doc_id, _NO_DOC) if table is not None else _NO_DOC
    return unanswered_because(info, cand, _context(cand, table) if context is None else context,
                              doc.get("vocab"), embedder, off)


def _context(cand: Candidate, table: SentenceTable | None) -> str:
    """What `cand` is read with: its title, section, paragraph, the six sentences before it
    and the years its document's date gives "this year"/"last year" there or in the
    document's opening paragraph (a report's lede sets the year it speaks of)."""
    if table is None:
        return " ".join((cand.title, cand.section, cand.text))
    # Six sentences back reach the paragraph before, where a quote's occasion is often set
    # ("The flood of 1927 …" then "… the mayor told the council a week after the flood").
    window = table.window_text(cand.doc_id, cand.idx, before=ANSWER.context_before)
    context = " ".join((cand.title, cand.section, table.block_text(cand.doc_id, cand.idx)
                        or cand.text, window))
    years = relative_years(context + " " + table.block_text(cand.doc_id, 0),
                           (table.docs.get(cand.doc_id, _NO_DOC).get("metadata") or {})
                           .get("date"))
    return " ".join([context, *years])


# A label the question names, a capitalised word and its number: "Line 4", "Unit 3".
_LABEL = re.compile(r"\b[A-Z][a-z]+\s+\d{1,3}\b")


def _may_rival(info: QuestionInfo, cand: Candidate, table: SentenceTable | None,
               embedder: Embedder | None, off: frozenset[str]) -> bool:
    """`cand` could answer the question as the top does: the checks pass in its context, and
    that context names every label the question names (another city's tram line, however
    alike its figures, is no rival to "Line 4")."""
    context = _context(cand, table)
    if any(not re.search(rf"\b{re.escape(label)}\b", context, re.I)
           for label in _LABEL.findall(info.text)):
        return False
    return not _why_not(info, cand, table, embedder, off, context)


_RELATIVE_YEAR = re.compile(r"\b(this|last|next|the previous|the following) year\b", re.I)
_YEAR_STEP = {"this": 0, "last": -1, "the previous": -1, "next": 1, "the following": 1}


def relative_years(text: str, date: object) -> list[str]:
    """The years that "this year", "last year", "next year" in `text` name, counted from the
    document's `date` ("2023-03-20" or a date object); none without a date."""
    found = re.match(r"\s*(\d{4})\b", str(date or ""))
    if not found:
        return []
    year = int(found.group(1))
    return sorted({str(year + _YEAR_STEP[m.group(1).lower()])
                   for m in _RELATIVE_YEAR.finditer(text)})


def _reader_value(c: Candidate, calibration: Calibration | None) -> str:
    """The reader's answer phrase in `c` when it trusts the sentence, else ""."""
    if calibration is None or c.answer is None or c.reader < calibration.floor:
        return ""
    return c.text[c.answer[0]:c.answer[1]].strip(" ,;:")


def _reader_phrase(c: Candidate, calibration: Calibration | None) -> str:
    """The reader's phrase for a description question, when it is shorter than the sentence
    (else "": the sentence itself is the answer)."""
    phrase = _reader_value(c, calibration)
    return phrase if len(phrase) <= ANSWER.max_phrase_share * len(c.text) else ""


def _reader_span(c: Candidate, calibration: Calibration | None) -> Span | None:
    """The reader's answer in `c` as a `Span` of fit 0: what a typed question gets where no
    rule finds a value of its type."""
    value = _reader_value(c, calibration)
    if not value:
        return None
    figures = numbers_in(value)
    return Span(value, f"{figures[0][0]:g}" if figures else " ".join(words(value)), 0,
                c.text.find(value, c.answer[0]) if c.answer else -1)


def _neighbours(best: list[Candidate], pool: list[Candidate],
                table: SentenceTable) -> list[Candidate]:
    """Sentences next to the best ones, scored a little below them (returns those not yet in
    `pool`; neighbours already in it, ranked lower, are lifted in place).

    The value often sits one sentence away from the words of the question: "The great dock
    strike of 1911 lasted 58 days …" is followed by "The strike leader, Tomas Ekberg, …".
    """
    found = {c.id: c for c in pool}
    extra = []
    for cand in best:
        for idx in (cand.idx - 1, cand.idx + 1):
            row = table.position.get((cand.doc_id, idx))
            if row is None:
                continue
            near = found.get(table.ids[row])
            if near is None:
                near = found[table.ids[row]] = table.candidate(row)
                near.dense, near.coverage = cand.dense, cand.coverage
                extra.append(near)
            near.score = max(near.score, ANSWER.neighbour_share * cand.score)
    return extra


def _unit(value: str) -> str:
    """What a figure counts ("11,200 people" → "people", "4.2 billion cubic metres" →
    "cubic metres"; "" for a bare number)."""
    tail = [w for w in words(value) if not w[0].isdigit() and w not in _SCALE_WORDS]
    if not tail:
        return ""
    if len(tail) > 1 and tail[-2] in ("cubic", "square"):
        return " ".join(tail[-2:])
    return tail[-1]


def _is_year(key: str) -> bool:
    return bool(re.fullmatch(YEAR, key))


_ROLE = re.compile(r"\(([^()]+)\)$")  # "Tobias Wren (Energy Minister)": a name with its role


def _kinship(a: Evidence, b: Evidence, embedder: Embedder | None, counted: str = "") -> int:
    """How surely two values measure the same kind of thing: 2 when both carry a unit and the
    units agree ("people" ~ "residents", "wildfires" ~ "fires"; or both are followed by the
    question's `counted` stem, "teams") or both names the same role
    ("(Energy Minister)"), 1 when nothing tells them apart (a bare figure, names without
    roles), 0 when they differ (a year and a count, metres and kilometres, a figure and a
    name)."""
    if _is_year(a.key) != _is_year(b.key):
        return 0  # a year and a weekday, or a year and a count, are different kinds
    figure = bool(numbers_in(a.value))
    if figure != bool(numbers_in(b.value)):
        return 0
    if not figure:  # names: alike when they carry the same role
        ra, rb = (_ROLE.search(v) for v in (a.value, b.value))
        return 2 if ra and rb and stems(ra.group(1)) == stems(rb.group(1)) else 1
    ua, ub = _unit(a.value), _unit(b.value)
    if not ua or not ub:
        return 1
    if stem(ua) == stem(ub):
        return 2
    if {stem(ua.split()[-1]), stem(ub.split()[-1])} & MEASURE_UNITS:
        return 0  # measurement units must match exactly: metres are not kilometres
    if counted and counted in _counted_after(a) & _counted_after(b):
        return 2  # "1,020 teams" and "870 vaccination teams" both count the teams asked for
    if embedder is None:
        return 0
    vectors = embedder.word_vectors([ua, ub])
    return 2 if float(vectors[ua] @ vectors[ub]) >= ANSWER.same_unit else 0


def _counted_after(e: Evidence) -> set[str]:
    """Stems of a figure's unit words and of the (up to three) content words after it in its
    sentence: what it counts, past the modifier a value may stop at ("870 vaccination" then
    "teams")."""
    at = e.candidate.text.find(e.value)
    tail = words(e.candidate.text[at + len(e.value):])[:3] if at >= 0 else []
    return {stem(w) for w in words(e.value) + tail
            if w not in STOPWORDS and w not in _SCALE_WORDS and not w[0].isdigit()}


def _says_same_event(info: QuestionInfo, top: Candidate, other: Candidate) -> bool:
    """A rival year must come with every question word the top sentence has (its title and
    section count): "the first line opened in 1976" rivals "… opened in 1974", while "the first
    new line since 1998" does not."""
    asked = {stem(w) for w in info.words}
    need = asked & set(stems(top.text))
    return need <= set(stems(" ".join((other.title, other.section, other.text))))


def _rival(info: QuestionInfo, first: Evidence, options: Iterable[Evidence],
           embedder: Embedder | None, retrieval: Callable[[Candidate], float],
           answers: Callable[[Candidate], bool], threshold: float = 0.0) -> Evidence | None:
    """The value another document gives for what `first` answers, or None.

    A rival gives a different value of the same kind (a unit or role like the top's goes
    first), from another document, near the top by retrieval; it is as close to the question as
    the top (dense similarity) or the reader rates it as answering (at least `threshold`, the
    reader's answering threshold); a name without the top's role needs the reader's word and at
    least half the top's probability; and its own document passes the checks that let the top
    answer (`answers`: a report on floods that never names the fire asked about is no rival)."""
    top = first.candidate
    counted = stem(counted_word(info.text))
    found: list[tuple[int, Evidence]] = []
    for e in options:
        c = e.candidate
        if not e.key or e.key == first.key or c.doc_id == top.doc_id \
                or retrieval(c) < ANSWER.rival_retrieval_share * retrieval(top):
            continue
        kin = _kinship(first, e, embedder, counted)
        if not kin or (kin < 2 and e.fit < min(first.fit, 1)):
            continue
        read_as_answer = c.reader >= threshold > 0
        # A rival in the top's own unit is surer to measure the same thing; it may stand a
        # little further from the question ("The wall rises 162 metres" beside the dam's
        # "Dam height: 146 metres").
        if c.dense < (ANSWER.rival_dense_same_unit if kin == 2 else ANSWER.rival_dense) \
                * top.dense and not read_as_answer:
            continue
        if kin < 2 and not numbers_in(e.value) and not (
                read_as_answer and c.reader >= ANSWER.reader_cite_share * top.reader
                and e.fit >= 1):
            continue  # two names may both be right ("who visited?"): the reader must back it
        if _is_year(e.key) and not _says_same_event(info, top, c):
            continue
        found.append((kin, e))
    for _, e in sorted(found, key=lambda ke: -ke[0]):  # stable: ranked order within a kin
        if answers(e.candidate):
            return e
    return None


def _select(info: QuestionInfo, top: Candidate, ranked: list[Candidate],
            spans: dict[str, Span | None],
            embedder: Embedder | None, rivals: bool = True,
            reader_floor: float | None = None,
            retrieval: Callable[[Candidate], float] = lambda c: c.score,
            answers: Callable[[Candidate], bool] = lambda c: True,
            threshold: float = 0.0) -> list[Evidence]:
    """The top sentence, the best rival value from another document (`_rival`), then
    corroboration.

    A rival is shown beside the top value, never merged (unless `rivals` is False). With
    `reader_floor`, a sentence the reader rates at least that high is cited whatever its
    retrieval score. Rivals and corroboration are weighed by `retrieval` (the score before the
    reader's share): a rival the reader was never asked to read still stands beside the value
    it contradicts.
    """
    def evidence(c: Candidate) -> Evidence:
        span = spans.get(c.id)
        return Evidence(c, span.value, span.key, span.fit, span.start) if span else Evidence(c)

    first = evidence(top)
    chosen = [first]
    if first.key and rivals:
        rival = _rival(info, first, map(evidence, ranked[1:]), embedder, retrieval, answers,
                       threshold)
        if rival:
            chosen.append(rival)
    for cand in ranked[1:]:
        if len(chosen) >= ANSWER.max_citations:
            break
        read_well = reader_floor is not None and cand.reader >= reader_floor
        if not read_well and (retrieval(cand) < ANSWER.cite_retrieval_share * retrieval(top)
                              or cand.coverage < ANSWER.cite_coverage_share * top.coverage):
            continue
        if any(cand.text == e.candidate.text for e in chosen):
            continue
        ev = evidence(cand)
        if spans and (not ev.key or ev.key not in {e.key for e in chosen}):
            if not read_well or cand.dense < ANSWER.support_dense_share * top.dense:
                continue  # a typed question cites further only sentences giving a shown value
            ev = Evidence(cand)  # …or close ones the reader rates as answering: no value
        chosen.append(ev)
    return chosen


def _bluf(evidence: list[Evidence], conflict: bool,
          grades: dict[str, str]) -> tuple[Statement, ...]:
    """The bottom line: the value (or sentence) first, hedged as the sources hedge it.

    On a conflict every value stands with its source, grade and the source's own hedges.
    Citation n is `evidence[n - 1]`; `rag.answer.render` writes the statements out.
    """
    if conflict:
        sides: list[Statement] = []
        for key in dict.fromkeys(e.key for e in evidence if e.key):
            group = [(n, e) for n, e in enumerate(evidence, 1) if e.key == key]
            n, e = group[0]
            words = _hedges(x.candidate for _, x in group)
            said = f", {', '.join(words[:2])}" if words else ""
            sides.append(Statement(
                "; " if sides else "Sources disagree: ", e.value,
                f" — {e.candidate.title} ({grades.get(e.candidate.doc_id, UNGRADED)}{said})",
                tuple(m for m, _ in group)))
        return (*sides, Statement("."))
    top = evidence[0]
    if top.value and not top.key:  # the reader's phrase, then the sentence it stands in
        return (Statement(value=top.value[0].upper() + top.value[1:], cites=(1,), quotes=True),)
    if top.value:
        # The value rests on the sentences that give it; a sentence cited as support without a
        # value of its own stays listed, but the value does not claim it.
        giving = [n for n, e in enumerate(evidence, 1) if n == 1 or e.key == top.key]
        hedges = _hedges(evidence[n - 1].candidate for n in giving)
        hedge = (" — as the sources put it: " + ", ".join(f"“{h}”" for h in hedges[:3])
                 if hedges else "")
        return (Statement(value=top.value[0].upper() + top.value[1:], tail=hedge,
                          cites=tuple(giving)),)
    return (Statement(cites=(1,), quotes=True),)  # the sentence itself


def _abstain(info: QuestionInfo, closest: Candidate | None, reason: str) -> Composition:
    """An abstention, pointing at the closest related sentence when there is a meaningful one."""
    said = ("The sources do not say. "
            f"Nothing in the documents answers “{info.text.strip()}” ({reason}).")
    return Composition(True, (Statement(said),), [Evidence(closest)] if closest else [],
                       reason=reason)
