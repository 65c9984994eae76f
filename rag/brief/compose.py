"""Compose a brief: choose the lines, group them by topic, fit them to a page, number them.

Extractive, so nothing is said that a source does not say:
- the bottom line and key judgments are verbatim sentences of reported fact or attributed
  claim that parse as statements (a byline or heading is not one); near-duplicates (cosine ≥
  `rag.brief.scope.SAME_POINT`) are said once; a topic's judgments alternate between its
  documents;
- actors come from the subjects of those sentences (`rag.brief.actors`), disagreements from
  their figures, years and people (`rag.brief.figures`), gaps from what the sources say is
  unknown and from the documents' own metadata (`rag.brief.gaps`);
- the default brief is one page: lines are dropped, least important first, until the page has
  at most `ONE_PAGE_WORDS` words; `long=True` keeps them and adds key figures, quotes and the
  sources' own assessments;
- citation numbers follow reading order; the source list numbers documents by first citation.
"""

from __future__ import annotations

import re
from itertools import zip_longest
from pathlib import Path
from typing import TYPE_CHECKING

from rag import nlp, tradecraft
from rag.brief import gaps as gap_lines
from rag.brief.actors import find_actors
from rag.brief.draft import Draft, TopicDraft
from rag.brief.figures import (
    DisagreementFinder,
    Figure,
    comparable,
    dates_and_people,
    figure_groups,
    figures,
)
from rag.brief.model import Brief, BriefLine, Side, SourceEntry, Topic
from rag.brief.scope import Scope, Sentence, library_rows, pick, topic_rows
from rag.brief.topics import Terms, group_documents, topic_label
from rag.contracts import UNGRADED, Citation

if TYPE_CHECKING:
    from spacy.tokens import Doc

ONE_PAGE_WORDS = 600  # the default brief's page: about 400–600 words
NLP_LIMIT = 300  # sentences parsed, spread over the documents (keeps big libraries fast)
MAX_TOPICS = 6  # topics on one page (a long brief shows up to twice as many)
JUDGMENTS = 5  # per topic, before fitting (a lone topic gets two more)
ACTORS = 4  # per topic, before fitting
GAPS = 6
LONG_EXTRA = {"figures": 8, "quotes": 4, "assessments": 4}
_INFORMATIVE = ("reported_fact", "attributed_claim")
_QUOTED = re.compile(r"“[^”]*”?|\"[^\"]*\"?")  # quoted words: not the speaker


def brief(engine, topic: str | None = None, allowed_docs: set[str] | None = None,
          long: bool = False) -> Brief:
    """A cited brief on everything the caller may see, or on `topic`.

    `allowed_docs` (doc ids), when given, restricts the brief to those documents: nothing from
    another document reaches any line, citation or the source list. `long` gives more than a
    page: more lines, key figures, quotes, assessments, the cited sentences in full.
    """
    table = engine.retriever.table()
    rows, total = (topic_rows(engine, topic, allowed_docs) if topic
                   else library_rows(table, allowed_docs))
    if allowed_docs is not None:
        rows = {r: w for r, w in rows.items() if table.metas[r]["doc_id"] in allowed_docs}
    scope = Scope(engine, rows)
    if not scope.sentences:
        text = (f"The sources do not cover “{topic}”." if topic
                else "The library has no documents.")
        return Brief(topic, long, gaps=[BriefLine(text, [], kind="uncovered")])
    parsed = _parse(scope)
    groups = group_documents(scope.centroids, scope.doc_ids())
    groups = groups[:MAX_TOPICS * (2 if long else 1)]
    terms = _terms(scope, parsed)
    topics = [_topic(scope, parsed, docs, terms, long, alone=len(groups) == 1) for docs in groups]
    disputes = _disagreements(scope, parsed, {d for t in topics for d in t.doc_ids})
    gaps = _gaps(scope, topics, parsed, {s.row for d in disputes for s in d.evidence})
    if not long:
        _fit(scope, topics, disputes, gaps, total)
    return _assemble(scope, topic, long, topics, disputes, gaps, total)


def _parse(scope: Scope) -> dict[int, tuple[Sentence, Doc]]:
    """The most salient sentences of each document in turn, parsed (row → (sentence, doc))."""
    by_doc: dict[str, list[Sentence]] = {}
    for s in scope.sentences:
        by_doc.setdefault(s.doc_id, []).append(s)
    turns = [s for rank in zip_longest(*by_doc.values()) for s in rank if s is not None]
    chosen = sorted(turns[:NLP_LIMIT], key=lambda s: -s.salience)
    docs = nlp.parser().pipe(s.text for s in chosen)
    return {s.row: (s, doc) for s, doc in zip(chosen, docs)}


def _terms(scope: Scope, parsed: dict[int, tuple[Sentence, Doc]]) -> dict[str, Terms]:
    """doc id → what its parsed sentences and its title name and talk about (a title counts
    twice; a title made from the file name, and the document's publisher and author, not at
    all), and what its lead says: title, section headings and first sentence."""
    terms: dict[str, Terms] = {}
    excluded: dict[str, set[str]] = {}
    for s, doc in parsed.values():
        if s.doc_id not in terms:
            meta = scope.metadata(s.doc_id)
            excluded[s.doc_id] = {str(meta.get(k) or "").lower().strip()
                                  for k in ("source", "author")} - {""}
            terms[s.doc_id] = Terms()
        terms[s.doc_id].add(doc, excluded[s.doc_id])
    leads: list[tuple[str, str, int, int]] = []  # (doc id, text, weight, lead: 2 = title)
    for d in terms:
        title = scope.title(d)
        if not _file_title(title, scope.source(d)):
            leads.append((d, title, 2, 2))
        own = [s for s in scope.sentences if s.doc_id == d]
        for section in dict.fromkeys(str(s.meta.get("section") or "") for s in own):
            if section and section != title:
                leads.append((d, section, 1, 1))
        first = min(own, key=lambda s: s.meta.get("idx", 0))
        leads.append((d, first.text, 0 if first.row in parsed else 1, 1))
    for (d, _, weight, lead), doc in zip(leads, nlp.parser().pipe(t for _, t, _, _ in leads)):
        terms[d].add(doc, excluded[d], weight=weight, lead=lead)
    return terms


def _file_title(title: str, source: str) -> bool:
    """A title that is only the file's name, spelled out ("Russia North Korea")."""
    def squash(text: str) -> str:
        return re.sub(r"[\W_]+", " ", text).strip().lower()
    return squash(title) in (squash(Path(source).stem), squash(Path(source).name))


def _statement(doc) -> bool:
    """A sentence with a main verb or a subject: not a byline, heading or list of nouns."""
    return any(t.dep_ == "ROOT" and t.pos_ in ("VERB", "AUX") for t in doc) or \
        any(t.dep_ in ("nsubj", "nsubjpass") for t in doc)


def _standalone(doc) -> bool:
    """A sentence that makes sense on its own: it does not open with a pronoun or "This"
    pointing back at a sentence the reader has not seen."""
    first = doc[0]
    return first.pos_ != "PRON" and first.lower_ not in ("this", "these", "that", "those")


def _alternate(sentences: list[Sentence], doc_ids: list[str]) -> list[Sentence]:
    """Sentences reordered so that documents take turns, each in salience order."""
    per_doc = [[s for s in sentences if s.doc_id == d] for d in doc_ids]
    return [s for rank in zip_longest(*per_doc) for s in rank if s is not None]


def _topic(scope: Scope, parsed: dict[int, tuple[Sentence, Doc]], doc_ids: list[str],
           terms: dict[str, Terms], long: bool, alone: bool) -> TopicDraft:
    """One topic's bottom line, key judgments and actors (and, long, figures, quotes,
    assessments)."""
    label = topic_label(doc_ids, terms, scope.title(doc_ids[0]))
    own = [(s, doc) for s, doc in parsed.values() if s.doc_id in doc_ids]
    own.sort(key=lambda pair: -pair[0].salience)
    informative = [s for s, doc in own if s.claim in _INFORMATIVE and _statement(doc)]
    docs = dict((s.row, doc) for s, doc in own)
    topic = TopicDraft(label, doc_ids)
    bluf = pick([s for s in informative if _standalone(docs[s.row])], 3 if alone else 1, [])
    topic.bluf = [Draft(s.text, [s], s.claim, label) for s in bluf]
    extra = 2 if alone else 0
    judged = pick(_alternate(informative, doc_ids), JUDGMENTS + extra + (3 if long else 0), bluf)
    topic.judgments = [Draft(s.text, [s], s.claim) for s in judged]
    cited = {s.row for s in bluf + judged}
    actors = find_actors([(s, doc) for s, doc in own if s.row in cited] +
                         [(s, doc) for s, doc in own if s.row not in cited])
    for actor in actors[:ACTORS + extra + (4 if long else 0)]:
        actions = list(dict.fromkeys(a.text for a in actor.actions))[:2]
        evidence = list(dict.fromkeys([a.sentence for a in actor.actions
                                       if a.text in actions][:2]))
        if actor.title and actor.title_sentence is not None \
                and actor.title_sentence not in evidence:
            evidence.insert(0, actor.title_sentence)
        text = (f"{actor.title}: " if actor.title else "") + "; ".join(actions)
        topic.actors.append(Draft(text, evidence, actor.kind, actor.name))
    if long:
        _long_sections(scope, topic, own)
    return topic


def _long_sections(scope: Scope, topic: TopicDraft,
                   own: list[tuple[Sentence, Doc]]) -> None:
    """Key figures, quotes and assessments of one topic."""
    found = [f for s, doc in own if s.claim != "assessment" for f in figures(s, doc)]
    for group in figure_groups(found, LONG_EXTRA["figures"]):
        claim = "attributed claim" if group.attributed_only else "reported"
        said = ", ".join(f"“{h}”" for h in group.hedges[:3])
        topic.figures.append(Draft(claim + (f": {said}" if said else ""), group.support,
                                   group.head.unit, group.head.phrase))
    quotes = pick([s for s, _ in own if s.claim == "direct_quote"], LONG_EXTRA["quotes"], [])
    docs = {s.row: doc for s, doc in own}
    for s in quotes:
        inside = [(m.start(), m.end()) for m in _QUOTED.finditer(s.text)]
        speakers = [e.text for e in docs[s.row].ents if e.label_ in ("PERSON", "ORG")
                    and not any(a <= e.start_char < b for a, b in inside)]
        topic.quotes.append(Draft(s.text, [s], "direct_quote", speakers[0] if speakers else ""))
    opinions = pick([s for s in scope.sentences if s.doc_id in topic.doc_ids
                     and s.claim == "assessment"], LONG_EXTRA["assessments"], [])
    topic.assessments = [Draft(s.text, [s], "assessment") for s in opinions]


def _disagreements(scope: Scope, parsed: dict[int, tuple[Sentence, Doc]],
                   doc_ids: set[str]) -> list[Draft]:
    """Different values for the same thing in different documents, side by side."""
    found: list[Figure] = []
    extra: list[Figure] = []
    for s, doc in parsed.values():
        if s.doc_id in doc_ids:
            if s.claim != "assessment":
                found += figures(s, doc)
            extra += dates_and_people(s, doc)
    finder = DisagreementFinder(scope, comparable(found, extra))
    out = []
    for a, b in finder.pairs():
        thing = a.unit if a.unit in ("year", "person") else " ".join(
            w for w in (a.phrase.split()[-1] if a.unit else "", a.verb) if w) or a.unit
        out.append(Draft("", [a.sentence, b.sentence], "conflict", thing,
                         sides=[(a.phrase, a.sentence), (b.phrase, b.sentence)]))
    return out


def _gaps(scope: Scope, topics: list[TopicDraft], parsed: dict[int, tuple[Sentence, Doc]],
          disputed: set[int]) -> list[Draft]:
    """Gaps, most telling first: unknowns the sources state, single-source topics,
    unconfirmed figures on the page (not those already shown as disputed), undated and
    ungraded documents."""
    in_topics = {d for t in topics for d in t.doc_ids}
    sentences = [s for s in scope.sentences if s.doc_id in in_topics]
    out = gap_lines.stated_unknowns(sentences, 2)
    for topic in topics:
        origins = {scope.origin(d) for d in topic.doc_ids}
        if len(origins) == 1 and topic.bluf:
            out.append(gap_lines.single_source(topic.label, origins.pop(),
                                               [d.evidence[0] for d in topic.bluf]))
    on_page = {s.row for t in topics for d in t.bluf + t.judgments for s in d.evidence} \
        - disputed
    claims = [f for row in on_page if row in parsed
              for f in figures(*parsed[row]) if f.sentence.claim == "attributed_claim"]
    for group in figure_groups(claims, 3):
        if group.attributed_only and group.head.unit:
            out.append(gap_lines.unconfirmed(group.head.phrase, group.hedges, group.support))
    documents = [(d, scope.title(d), bool(scope.metadata(d).get("date"))) for d in in_topics]
    out += gap_lines.undated(sorted(documents), sentences)
    bare = [d for d in sorted(in_topics)
            if tradecraft.grade_label(scope.metadata(d)) == UNGRADED]
    evidence = [next(s for s in sentences if s.doc_id == d) for d in bare
                if any(s.doc_id == d for s in sentences)]
    out += gap_lines.ungraded([scope.title(d) for d in bare], evidence)
    return out[:GAPS]


# ---- one page --------------------------------------------------------------------------------


def _fit(scope: Scope, topics: list[TopicDraft], disputes: list[Draft], gaps: list[Draft],
         total: int) -> None:
    """Drop lines, least important first, until the page has at most `ONE_PAGE_WORDS` words:
    actors and judgments beyond the first few of each topic, then gaps beyond the first few,
    then one more of each down to one judgment a topic. Disagreements are never dropped: a
    page that shows one side of a dispute has picked it silently."""
    rounds = [(3, 4, 4), (2, 3, 3), (1, 2, 2), (0, 1, 1)]
    for actors, judgments, gap_count in rounds:
        while _words(scope, topics, disputes, gaps, total) > ONE_PAGE_WORDS:
            lists = [(t.actors, actors) for t in topics] + \
                [(t.judgments, judgments) for t in topics] + [(gaps, gap_count)]
            longest = max(lists, key=lambda pair: len(pair[0]) - pair[1])
            if len(longest[0]) <= longest[1]:
                break
            longest[0].pop()


def _words(scope: Scope, topics: list[TopicDraft], disputes: list[Draft], gaps: list[Draft],
           total: int) -> int:
    return _assemble(scope, None, False, topics, disputes, gaps, total).word_count()


# ---- numbering -------------------------------------------------------------------------------


class _Numbering:
    """Citation numbers in order of first use, and the `Citation` each stands for."""

    def __init__(self, scope: Scope) -> None:
        self.scope = scope
        self.citations: list[Citation] = []
        self._numbers: dict[int, int] = {}

    def cite(self, s: Sentence) -> int:
        if s.row not in self._numbers:
            m = s.meta
            self._numbers[s.row] = len(self.citations) + 1
            self.citations.append(Citation(
                len(self.citations) + 1, m["doc_id"], m["source"], m["title"],
                m.get("section", ""), s.text, int(m["start"]), int(m["end"]),
                round(s.salience, 4), s.claim,
                **tradecraft.source_fields(self.scope.metadata(m["doc_id"]))))
        return self._numbers[s.row]

    def line(self, draft: Draft) -> BriefLine:
        refs = list(dict.fromkeys(self.cite(s) for s in draft.evidence))
        sides = [Side(phrase, self.scope.origin(s.doc_id),
                      tradecraft.grade_label(self.scope.metadata(s.doc_id)), self.cite(s))
                 for phrase, s in draft.sides]
        text = draft.text or " vs ".join(f"{s.phrase} ({s.origin}, {s.grade})" for s in sides)
        return BriefLine(text, refs, draft.label, draft.kind, sides)


def _assemble(scope: Scope, subject: str | None, long: bool, topics: list[TopicDraft],
              disputes: list[Draft], gaps: list[Draft], total: int) -> Brief:
    """The `Brief` of these drafts, numbered in reading order."""
    number = _Numbering(scope)
    result = Brief(subject, long, documents_total=total,
                   documents_read=sum(len(t.doc_ids) for t in topics))
    for t in topics:
        result.bluf += [number.line(d) for d in t.bluf]
        # Never pick a side silently: a disputed bottom-line sentence brings the dispute along.
        for dispute in disputes:
            if {s.row for s in dispute.evidence} & {s.row for d in t.bluf for s in d.evidence}:
                line = number.line(dispute)
                result.bluf.append(BriefLine(f"Sources disagree: {line.text}.", line.refs,
                                             t.label, "conflict"))
    for t in topics:
        topic = Topic(t.label, t.doc_ids)
        for name in ("judgments", "actors", "figures", "quotes", "assessments"):
            setattr(topic, name, [number.line(d) for d in getattr(t, name)])
        if len(topics) > 1:
            topic.confidence = _confidence(scope, number, t.bluf, disputes)
        result.topics.append(topic)
    result.disagreements = [number.line(d) for d in disputes]
    result.gaps = [number.line(d) for d in gaps]
    if len(topics) == 1:
        result.confidence = _confidence(scope, number, topics[0].bluf, disputes)
    result.citations = number.citations
    result.sources = _sources(scope, number.citations)
    return result


def _confidence(scope: Scope, number: _Numbering, bluf: list[Draft],
                disputes: list[Draft]) -> str:
    """ICD 203-style confidence in a bottom line: its sentences make different points, unless
    one is disputed — then the other side's sentence counts too, and the sources disagree."""
    sentences = [s for d in bluf for s in d.evidence]
    rows = {s.row for s in sentences}
    touching = [d for d in disputes if rows & {s.row for s in d.evidence}]
    sentences += [s for d in touching for s in d.evidence if s.row not in rows]
    cited = [number.citations[number.cite(s) - 1] for s in sentences]
    conflict = True if touching else None
    return tradecraft.confidence_line(
        [tradecraft.Cited(c.doc_id, scope.origin(c.doc_id), c.grade, c.claim_type)
         for c in cited], conflict=conflict).replace("Confidence:", "Confidence in the bottom "
                                                     "line:", 1)


def _sources(scope: Scope, citations: list[Citation]) -> list[SourceEntry]:
    """The cited documents, numbered in order of first citation."""
    refs: dict[str, list[int]] = {}
    for c in citations:
        refs.setdefault(c.doc_id, []).append(c.n)
    out = []
    for n, (doc_id, numbers) in enumerate(refs.items(), 1):
        meta = scope.metadata(doc_id)
        fields = tradecraft.source_fields(meta)
        info = scope.table.docs.get(doc_id, {})
        out.append(SourceEntry(n, doc_id, info.get("source", ""), scope.title(doc_id),
                               fields["source_name"], fields["date"], fields["grade"],
                               tradecraft.grade(meta).words, fields["url"], numbers))
    return out
