"""A one-page, fully cited briefing on the whole corpus or on a topic, without an LLM.

`brief(engine, topic=None)` returns a `Brief`: a bottom line (2–3 sentences), key points, key
figures, actors with their roles, key quotes, the sources' own assessments (kept apart from
fact), points where documents disagree, and gaps. Every line carries citation numbers; each
citation is a `rag.engine.Citation`, the shape answers use: a verbatim source sentence with its
exact offsets, claim type and source grade (its `score` is the sentence's salience).
`to_dict()` gives JSON, `to_markdown()` the page.

How lines are chosen (extractive, so nothing is said that a source does not say):
- scope: every indexed sentence, or for a topic the documents mainly about it plus the
  retrieved sentences scoring at least `TOPIC_KEEP` of the best one (`_topic_rows`);
- salience: a sentence's cosine similarity to its own document's centroid (so one long document
  does not drown the others), times its topic relevance, plus a bonus for a document's lead
  sentences and for summary bullets ("At a glance", "Key points", …);
- near-duplicates (cosine ≥ `SAME_POINT`) are said once: a bullet and the paragraph it
  summarises are one point;
- the bottom line and key points use only reported facts and attributed claims; quotes and
  assessments get their own sections.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from rag import nlp, tradecraft
from rag.engine import Citation
from rag.text import STOPWORDS, normalize, numbers_in, stems

TOPIC_KEEP = 0.6  # a sentence on the topic scores at least this share of the best one
TOPIC_DOC_SHARE = 0.2  # a document with this share of the top candidates is about the topic
SAME_POINT = 0.8  # two sentences this close (cosine) make one point
SAME_THING = 0.4  # sentences giving rival figures for one thing are at least this close
RIVAL_RATIO = 1.4  # rival estimates of one quantity differ by less than this factor
SAME_EVENT = 0.6  # two sentences this close (cosine) describe the same event
RARE = 0.03  # a word in at most this share of the sentences (or in two) identifies a subject
NLP_LIMIT = 400  # sentences analysed with spaCy, most salient first (keeps big corpora fast)
CLAIM_WORDS = tradecraft.CLAIM_TYPE_WORDS
_YEAR = re.compile(r"\b(1[5-9]\d\d|20\d\d)\b")
_SUMMARY_SECTION = re.compile(r"\b(?:at a glance|summary|key (?:points|facts|figures)|"
                              r"highlights|in brief|overview)\b", re.I)
_COUNT_WORDS = re.compile(r"\b(?:tens of thousands|hundreds of thousands|thousands|hundreds|"
                          r"dozens|millions)\b", re.I)
_RELATIVE_TIME = re.compile(r"\b(?:recent|recently|latest|currently|this week|last week)\b",
                            re.I)
_FIGURE_LABELS = {"CARDINAL", "QUANTITY", "MONEY", "PERCENT"}
_ACTOR_KINDS = {"PERSON": "person", "ORG": "organisation", "GPE": "place", "LOC": "place"}
_SUBORDINATORS = {"while", "whereas", "although", "though", "because", "since", "as", "if",
                  "when", "after", "before", "until", "that"}
_NOUNISH = ("JJ", "NN", "NNS", "NNP", "NNPS")
_TITLE_WORDS = re.compile(r"^(?:Dr\.?|Mr\.?|Mrs\.?|Ms\.?|Prof\.?|Sir)$")


@dataclass
class BriefLine:
    """One line of the brief and the citations that support it."""

    text: str
    refs: list[int]
    label: str = ""  # the figure, actor name or speaker the line is about
    kind: str = ""  # claim type, or actor kind (person, organisation, place)


@dataclass
class Brief:
    """A one-page briefing; every line's `refs` point into `citations`."""

    topic: str | None
    documents: list[dict[str, Any]]
    bluf: list[BriefLine] = field(default_factory=list)
    key_points: list[BriefLine] = field(default_factory=list)
    key_figures: list[BriefLine] = field(default_factory=list)
    actors: list[BriefLine] = field(default_factory=list)
    quotes: list[BriefLine] = field(default_factory=list)
    assessments: list[BriefLine] = field(default_factory=list)
    disagreements: list[BriefLine] = field(default_factory=list)
    gaps: list[BriefLine] = field(default_factory=list)
    confidence: str = ""
    citations: list[Citation] = field(default_factory=list)

    SECTIONS = (("key_points", "Key points"), ("key_figures", "Key figures"),
                ("actors", "Actors"), ("quotes", "Key quotes"),
                ("assessments", "Assessments in the sources (opinion, not fact)"),
                ("disagreements", "Points of disagreement"), ("gaps", "Gaps"))

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def to_markdown(self) -> str:
        """The brief as one markdown page, sources last."""
        out = [f"# Brief: {self.topic or 'all documents'}", ""]
        out += ["Documents: " + "; ".join(
            f"{d['title']} ({d['source_name'] or Path(d['source']).name}, {d['grade']}"
            f"{', ' + d['date'] if d['date'] else ''})" for d in self.documents), ""]
        out += ["## Bottom line", "", " ".join(_sentence(ln) for ln in self.bluf)
                or "Nothing to brief on."]
        for name, heading in self.SECTIONS:
            lines = getattr(self, name)
            if lines:
                out += ["", f"## {heading}", ""]
                out += [f"- {_bold(ln)}{ln.text} {_marks(ln.refs)}".rstrip() for ln in lines]
        if self.confidence:
            out += ["", self.confidence]
        out += ["", "## Sources", ""]
        out += [f"[{c.n}] “{c.sentence}” — {c.title} · {c.source_name or c.source} · "
                f"{c.grade} · {CLAIM_WORDS[c.claim_type]} ({c.source}:{c.start}-{c.end})"
                for c in self.citations]
        return "\n".join(out)


def _marks(refs: list[int]) -> str:
    return "".join(f"[{n}]" for n in refs)


def _sentence(line: BriefLine) -> str:
    """A verbatim sentence with its markers; a bullet without a full stop gets one."""
    stop = "" if line.text.rstrip("”\"’')").endswith((".", "!", "?")) else "."
    return f"{line.text} {_marks(line.refs)}{stop}"


def _bold(line: BriefLine) -> str:
    return f"**{line.label}** — " if line.label else ""


# ---- the sentences in scope ------------------------------------------------------------------


@dataclass
class _Sentence:
    row: int
    text: str
    meta: dict[str, Any]
    vector: np.ndarray
    salience: float
    claim: str


class _Scope:
    """The sentences a brief draws on, their salience, and the citations handed out so far."""

    def __init__(self, engine, rows: dict[int, float]) -> None:
        table = engine.retriever.table()
        self.table = table
        self.embedder = engine.index.embedder
        ids = [table.ids[r] for r in rows]
        got = engine.index.sentences.get(ids=ids, include=["embeddings"]) if ids else None
        by_id = dict(zip(got["ids"], got["embeddings"])) if got else {}
        vectors = {r: np.asarray(by_id[table.ids[r]], dtype=np.float32)
                   for r in rows if table.ids[r] in by_id}
        centroids: dict[str, np.ndarray] = {}
        for r, v in vectors.items():
            doc = table.metas[r]["doc_id"]
            centroids[doc] = centroids.get(doc, 0) + v
        first: dict[str, int] = {}
        for r in vectors:
            m = table.metas[r]
            first[m["doc_id"]] = min(first.get(m["doc_id"], m["idx"]), m["idx"])
        self.sentences: list[_Sentence] = []
        for r, v in vectors.items():
            m = table.metas[r]
            centre = centroids[m["doc_id"]]
            score = float(v @ centre) / (float(np.linalg.norm(centre)) or 1.0)
            score *= rows[r]
            if m["idx"] - first[m["doc_id"]] < 2:
                score += 0.1  # a document's lead usually states its point
            if m.get("kind") == "bullet" and _SUMMARY_SECTION.search(m.get("section", "")):
                score += 0.1
            self.sentences.append(_Sentence(r, table.texts[r], m, v, score,
                                            tradecraft.claim_type(table.texts[r])))
        self.sentences.sort(key=lambda s: -s.salience)
        self.analysed = self.sentences[:NLP_LIMIT]
        self.citations: list[Citation] = []
        self._numbers: dict[int, int] = {}

    def cite(self, s: _Sentence) -> int:
        """The citation number of a sentence, handing out the next one on first use."""
        if s.row not in self._numbers:
            m = self.table.metas[s.row]
            self._numbers[s.row] = len(self.citations) + 1
            self.citations.append(Citation(
                len(self.citations) + 1, m["doc_id"], m["source"], m["title"],
                m.get("section", ""), s.text, int(m["start"]), int(m["end"]),
                round(s.salience, 4), s.claim,
                **tradecraft.source_fields(self.metadata(m["doc_id"]))))
        return self._numbers[s.row]

    def metadata(self, doc_id: str) -> dict[str, Any]:
        return self.table.docs.get(doc_id, {}).get("metadata") or {}

    def origin(self, doc_id: str) -> str:
        """Who stands behind a document: its front matter `source`, else its file name."""
        info = self.table.docs.get(doc_id, {})
        return str(self.metadata(doc_id).get("source") or Path(info.get("source", doc_id)).name)


def _pick(candidates: list[_Sentence], count: int, taken: list[_Sentence]) -> list[_Sentence]:
    """The `count` most salient candidates that do not repeat a point already taken."""
    chosen: list[_Sentence] = []
    for s in candidates:
        if len(chosen) >= count:
            break
        if any(float(s.vector @ t.vector) >= SAME_POINT for t in taken + chosen):
            continue
        chosen.append(s)
    return chosen


# ---- figures, actors, quotes -----------------------------------------------------------------


@dataclass
class _Figure:
    """A comparable value in a sentence: a figure, a year ("DATE") or a person ("PERSON")."""

    phrase: str  # "approximately 12,000 North Korean troops"
    key: str  # "12000", or a count word: "thousands"
    unit: str  # the noun counted or measured: "troops", "metres"
    label: str  # spaCy's entity label (MONEY, PERCENT, …), or COUNT for "thousands"
    sentence: _Sentence
    role: frozenset[str] = frozenset()  # for a person: stems of the words just before the name


def _figures(s: _Sentence, doc) -> list[_Figure]:
    """Figures in a sentence, each with its qualifier and the noun it counts.

    spaCy's number entities ("around 12,000", "4.2 billion cubic metres") and count words
    ("thousands"), extended over the nouns that follow ("… North Korean troops").
    """
    spans = [(ent.start, ent.end, ent.label_) for ent in doc.ents if ent.label_ in _FIGURE_LABELS]
    for match in _COUNT_WORDS.finditer(s.text):
        span = doc.char_span(match.start(), match.end(), alignment_mode="expand")
        if span is not None and not any(a <= span.start < b for a, b, _ in spans):
            spans.append((span.start, span.end, "COUNT"))
    found = []
    for first, end, label in spans:
        text = doc[first:end].text
        values = numbers_in(text)
        if not values and not _COUNT_WORDS.search(text):
            continue
        unit = ""
        for _ in range(2):  # the measure ("cubic metres"), then "of" what ("of water")
            while end < len(doc) and doc[end].tag_ in _NOUNISH:
                end += 1
            while end > first + 1 and not doc[end - 1].tag_.startswith("NN") \
                    and doc[end - 1].tag_ in _NOUNISH:
                end -= 1  # "420 metres long": the adjective is not part of the figure
            nouns = [t for t in doc[first:end] if t.tag_.startswith("NN")]
            unit = unit or (nouns[-1].text.lower() if nouns else "")
            if not (end + 1 < len(doc) and doc[end].text == "of"
                    and doc[end + 1].tag_ in _NOUNISH):
                break
            end += 1
        if not unit and label == "CARDINAL":
            continue  # a bare number ("Line 4") counts nothing a reader can use
        key = f"{values[0][0]:g}" if values else normalize(_COUNT_WORDS.search(text).group(0))
        found.append(_Figure(doc[first:end].text.strip(" ,;:"), key, unit, label, s))
    return found


def _person_title(doc, ent) -> str:
    """The title in front of a name ("Russian Security Council Secretary") or its appositive."""
    start = ent.start
    while start > 0 and (doc[start - 1].tag_ in ("NNP", "NNPS") or
                         _TITLE_WORDS.match(doc[start - 1].text)) and \
            doc[start - 1].ent_type_ not in ("PERSON",):
        start -= 1
    before = doc[start:ent.start].text.strip()
    if before and before.split()[0] not in ("The", "A", "An", "During", "In"):
        return before
    after = doc[ent.end:].text
    appositive = re.match(r",\s+((?:the|a|an)\s+[^,.;]{3,80}?),", after)
    return appositive.group(1) if appositive else ""


def _predicate(doc, ent) -> str:
    """What an actor does in the sentence: the verb phrase right after its name, when the
    name is the subject (not after a preposition, not a possessive)."""
    before = doc[ent.start - 1] if ent.start > 0 else None
    if before is not None and before.tag_ in ("IN", "TO") and \
            before.lower_ not in _SUBORDINATORS:
        return ""  # "at Velmar", "to Moscow": not the subject
    verb = ent.end
    while verb < len(doc) and doc[verb].tag_ == "RB":
        verb += 1  # "Shoigu recently visited"
    if verb >= len(doc) or not doc[verb].tag_.startswith(("VB", "MD")) or \
            doc[verb].tag_ == "VBG":
        return ""
    stop = verb
    while stop < len(doc) and doc[stop].text not in (",", ";", ".", ":", "–", "—") \
            and stop - ent.end < 20:
        stop += 1
    return doc[ent.end:stop].text if stop - ent.end >= 2 else ""


def _actor_key(name: str) -> str:
    return re.sub(r"^the\s+|['’]s$", "", name.strip(), flags=re.I)


# ---- the brief -------------------------------------------------------------------------------


def brief(engine, topic: str | None = None, allowed_docs: set[str] | None = None) -> Brief:
    """A cited one-page brief on everything in the index, or on `topic`.

    `allowed_docs` (doc ids), when given, restricts the brief to those documents: nothing from
    another document reaches any line, citation or the source list.
    """
    table = engine.retriever.table()
    rows = (_topic_rows(engine, topic, allowed_docs) if topic
            else {r: 1.0 for r in range(len(table))})
    if allowed_docs is not None:
        rows = {r: w for r, w in rows.items() if table.metas[r]["doc_id"] in allowed_docs}
    scope = _Scope(engine, rows)
    doc_ids = list(dict.fromkeys(s.meta["doc_id"] for s in scope.sentences))
    result = Brief(topic, [_doc_entry(scope, d) for d in doc_ids])
    if not scope.sentences:
        result.gaps.append(BriefLine(
            f"The sources do not cover “{topic}”." if topic else "The index has no documents.",
            []))
        return result

    informative = [s for s in scope.sentences
                   if s.claim in ("reported_fact", "attributed_claim")]
    bluf = _pick(informative, 3, [])
    result.bluf = [BriefLine(s.text, [scope.cite(s)], kind=s.claim) for s in bluf]
    points = _pick(informative, 7, bluf)
    result.key_points = [BriefLine(s.text, [scope.cite(s)], kind=s.claim) for s in points]

    docs = {s.row: d for s, d in zip(scope.analysed,
                                     nlp.pipeline().pipe(s.text for s in scope.analysed))}
    figures = [f for s in scope.analysed if s.claim != "assessment"
               for f in _figures(s, docs[s.row])]
    result.key_figures = _figure_lines(scope, figures)
    result.actors = _actor_lines(scope, docs)
    result.quotes = _quote_lines(scope, docs)
    result.assessments = [BriefLine(s.text, [scope.cite(s)], kind=s.claim) for s in
                          _pick([s for s in scope.sentences if s.claim == "assessment"], 4, [])]
    result.disagreements = _disagreements(scope, [
        v for v in figures if v.key[:1].isdigit() and v.unit] + [
        v for s in scope.analysed for v in _dates_and_people(s, docs[s.row])])
    result.gaps = _gaps(scope, result)
    bluf_refs = {n for line in result.bluf for n in line.refs}
    # Never pick a side silently: a disputed bottom-line sentence brings the dispute with it.
    result.bluf += [BriefLine(f"Sources disagree: {line.text}.", line.refs, kind="conflict")
                    for line in result.disagreements if bluf_refs & set(line.refs)]
    disputed = {n for line in result.disagreements for n in line.refs}
    # The bottom line's sentences make different points: only a dispute over one of them is
    # disagreement; several sources saying different things is not agreement either.
    cited = [scope.citations[n - 1] for n in sorted({n for ln in result.bluf for n in ln.refs})]
    result.confidence = tradecraft.confidence_line(
        [tradecraft.Cited(c.doc_id, scope.origin(c.doc_id), c.grade, c.claim_type)
         for c in cited], conflict=True if disputed & bluf_refs else None).replace(
        "Confidence:", "Confidence in the bottom line:", 1)
    result.citations = scope.citations
    return result


def _topic_rows(engine, topic: str, allowed_docs: set[str] | None) -> dict[int, float]:
    """Sentence rows on a topic → relevance weight (0–1]; empty when nothing is close.

    Documents that hold at least `TOPIC_DOC_SHARE` of the top candidates' score are briefed
    whole (a document about the topic tells its story in sentences that do not all name it);
    elsewhere only sentences scoring at least `TOPIC_KEEP` of the best one are kept.
    """
    table = engine.retriever.table()
    found = engine.retriever.retrieve(topic, limit=40, allowed_docs=allowed_docs)
    if not found or (found[0].dense < 0.25 and found[0].coverage < 0.5):
        return {}
    best = found[0].score
    share: Counter = Counter()
    for c in found[:20]:
        share[c.doc_id] += c.score
    total = sum(share.values())
    top_share = max(share.values())
    rows = {r: 0.6 + 0.4 * share[m["doc_id"]] / top_share for r, m in enumerate(table.metas)
            if share[m["doc_id"]] >= TOPIC_DOC_SHARE * total}
    for c in found:
        if c.score >= TOPIC_KEEP * best:
            row = table.position[(c.doc_id, c.idx)]
            rows[row] = max(rows.get(row, 0.0), c.score / best)
    return rows


def _doc_entry(scope: _Scope, doc_id: str) -> dict[str, Any]:
    info = scope.table.docs.get(doc_id, {})
    fields = tradecraft.source_fields(scope.metadata(doc_id))
    return {"doc_id": doc_id, "source": info.get("source", ""), "title": info.get("title", ""),
            "source_name": fields["source_name"], "grade": fields["grade"],
            "date": fields["date"], "url": fields["url"]}


def _figure_lines(scope: _Scope, figures: list[_Figure], limit: int = 8) -> list[BriefLine]:
    """One line per value in a document: repeats of it there corroborate, they are cited too."""
    groups: dict[tuple[str, str], list[_Figure]] = {}
    for f in figures:
        groups.setdefault((f.key, f.unit), []).append(f)
    lines = []
    for group in list(groups.values())[:limit]:
        head = group[0]
        sentences = list(dict.fromkeys(f.sentence.row for f in group))
        support = [next(f.sentence for f in group if f.sentence.row == r) for r in sentences]
        hedges = list(dict.fromkeys(h for s in support for h in tradecraft.hedges(s.text)))
        claim = ("attributed claim" if all(s.claim == "attributed_claim" for s in support)
                 else "reported")
        text = claim + (": " + ", ".join(f"“{h}”" for h in hedges[:3]) if hedges else "")
        lines.append(BriefLine(text, [scope.cite(s) for s in support], label=head.phrase,
                               kind=head.unit))
    return lines


def _actor_lines(scope: _Scope, docs: dict[int, Any],
                 limit: int = 12) -> list[BriefLine]:
    """Actors ranked by mentions, each with a role taken from the most salient sentence."""
    mentions: dict[str, list[tuple[_Sentence, Any, Any]]] = {}
    labels: dict[str, Counter] = {}
    for s in scope.analysed:
        for ent in docs[s.row].ents:
            if ent.label_ not in _ACTOR_KINDS:
                continue
            key = _actor_key(ent.text)
            mentions.setdefault(key, []).append((s, docs[s.row], ent))
            labels.setdefault(key, Counter())[ent.label_] += 1
    persons = {k for k, c in labels.items() if c["PERSON"]}
    # "Shoigu" and "Sergei Shoigu" are one person: fold a surname into the full name.
    for short in sorted(persons, key=len):
        full = next((p for p in persons if p != short and p.endswith(" " + short)), None)
        if full:
            mentions[full] += mentions.pop(short)
            labels[full] += labels.pop(short)
    found: list[tuple[int, str, str, list[str], list[_Sentence]]] = []
    for key in mentions:
        kind = _ACTOR_KINDS["PERSON" if labels[key]["PERSON"] else
                            labels[key].most_common(1)[0][0]]
        roles: list[str] = []
        support: list[_Sentence] = []
        for s, doc, ent in mentions[key]:  # most salient sentences first
            title = _person_title(doc, ent) if kind == "person" else ""
            action = (_predicate(doc, ent)
                      if s.claim in ("reported_fact", "attributed_claim") else "")
            for part in (title, action):
                if part and part not in roles and len(roles) < 2:
                    roles.append(part)
                    support += [s] if s not in support else []
        count = len({m[0].row for m in mentions[key]})
        # Actors whose role the sources state come before those merely named often.
        found.append((count + (3 if roles else 0), key, kind,
                      roles or [f"mentioned in {count} sentence(s)"],
                      support or [mentions[key][0][0]]))
    found.sort(key=lambda f: -f[0])
    lines = [BriefLine("; ".join(roles), [scope.cite(s) for s in support], label=key,
                       kind=kind) for _, key, kind, roles, support in found[:limit]]
    return lines


def _quote_lines(scope: _Scope, docs: dict[int, Any], limit: int = 5) -> list[BriefLine]:
    """The most salient direct quotes, each with its speaker when the sentence names one."""
    quotes = [s for s in scope.analysed if s.claim == "direct_quote"]
    lines = []
    for s in _pick(quotes, limit, []):
        inside = [(m.start(), m.end()) for m in re.finditer(r"“[^”]*”?|\"[^\"]*\"?", s.text)]
        speakers = [e.text for e in docs[s.row].ents if e.label_ in ("PERSON", "ORG")
                    and not any(a <= e.start_char < b for a, b in inside)]
        lines.append(BriefLine(s.text, [scope.cite(s)], label=speakers[0] if speakers else "",
                               kind="direct_quote"))
    return lines


def _years(text: str) -> set[str]:
    return set(_YEAR.findall(text))


def _dates_and_people(s: _Sentence, doc) -> list[_Figure]:
    """Years ("opened in 1974") and people named in a sentence, as comparable values."""
    found = [_Figure(m, m, "year", "DATE", s) for e in doc.ents if e.label_ == "DATE"
             for m in _YEAR.findall(e.text)]
    if s.claim != "direct_quote":  # a quote names its speaker, not a holder of the role
        found += [_Figure(e.text, e.text.split()[-1].lower(), "person", "PERSON", s,
                          frozenset(stems(doc[max(0, e.start - 3):e.start].text)) - STOPWORDS
                          - {"dr", "mr", "mrs", "ms", "prof"})
                  for e in doc.ents if e.label_ == "PERSON"]
    return found


def _disagreements(scope: _Scope, values: list[_Figure]) -> list[BriefLine]:
    """Different values for the same thing in different documents, side by side.

    Two values from different documents conflict when their sentences share a rare word
    besides the value itself (in at most `RARE` of all sentences, or two: "reservoir")
    and — figures: they measure the same unit (or near units such as "people"/"residents",
    never two currencies), the larger is at most `RIVAL_RATIO` times the smaller (rival
    estimates of one quantity; a wider gap is usually a different quantity), their sentences
    are near in meaning (cosine ≥ `SAME_THING`) and do not speak of different years; years:
    at most ten years apart in sentences about the same thing (cosine ≥ `SAME_EVENT`);
    people: different names right after the same role word ("chief engineer"), outside
    quotes, in sentences near in meaning. Repeats inside one document are corroboration,
    never conflict.
    """
    lines: list[BriefLine] = []
    seen: set[tuple[str, ...]] = set()
    idf = scope.table.idf
    n = len(scope.table)
    # The retriever's IDF is log((n + 1) / (df + 0.5)): the IDF of the rarest common word.
    rare = math.log((n + 1) / (max(2.0, RARE * n) + 0.5))
    vectors = scope.embedder.word_vectors(sorted({v.unit for v in values
                                                  if v.label not in ("DATE", "PERSON")}))

    def shared_rare(a: _Figure, b: _Figure) -> bool:
        drop = set(stems(f"{a.phrase} {b.phrase}"))
        common = set(stems(a.sentence.text)) & set(stems(b.sentence.text)) - drop
        return any(idf.get(w, 0.0) >= rare and not w.isdigit() and w not in STOPWORDS
                   for w in common)

    def conflicting(a: _Figure, b: _Figure) -> bool:
        closeness = float(a.sentence.vector @ b.sentence.vector)
        if a.label == b.label == "PERSON":
            return bool(a.role & b.role) and closeness >= SAME_THING
        if a.label == b.label == "DATE":
            return abs(int(a.key) - int(b.key)) <= 10 and closeness >= SAME_EVENT
        if "PERSON" in (a.label, b.label) or "DATE" in (a.label, b.label):
            return False
        ratio = float(a.key) / float(b.key) if float(b.key) else 0.0
        years_a, years_b = _years(a.sentence.text), _years(b.sentence.text)
        same_unit = a.unit == b.unit or (
            a.label == b.label != "MONEY" and float(vectors[a.unit] @ vectors[b.unit]) >= 0.5)
        return (same_unit and 1 / RIVAL_RATIO <= ratio <= RIVAL_RATIO
                and closeness >= SAME_THING and not (years_a and years_b and not years_a & years_b))

    def side(v: _Figure) -> str:
        doc = v.sentence.meta["doc_id"]
        return f"{v.phrase} ({scope.origin(doc)}, {tradecraft.grade_label(scope.metadata(doc))})"

    for i, a in enumerate(values):
        for b in values[i + 1:]:
            if a.sentence.meta["doc_id"] == b.sentence.meta["doc_id"] or a.key == b.key:
                continue
            key = (*sorted((a.sentence.meta["doc_id"], b.sentence.meta["doc_id"])), a.unit)
            if key in seen or not conflicting(a, b) or not shared_rare(a, b):
                continue
            seen.add(key)
            lines.append(BriefLine(f"{side(a)} vs {side(b)}",
                                   [scope.cite(a.sentence), scope.cite(b.sentence)],
                                   label=a.unit, kind="conflict"))
    return lines


def _gaps(scope: _Scope, result: Brief) -> list[BriefLine]:
    """What the corpus cannot tell the reader, each pointing at the sentences concerned."""
    gaps = []
    for line in result.key_figures:
        if line.text.startswith("attributed claim"):
            gaps.append(BriefLine(
                f"“{line.label}” rests only on attributed claims ({line.text.split(': ')[-1]});"
                " no source states it as confirmed.", line.refs, kind="unconfirmed"))
    for entry in result.documents:
        doc = entry["doc_id"]
        relative = [s for s in scope.sentences
                    if s.meta["doc_id"] == doc and _RELATIVE_TIME.search(s.text)]
        if not entry["date"] and relative:
            gaps.append(BriefLine(
                f"{Path(entry['source']).name} has no publication date, so “recent” events in "
                "it cannot be placed in time.", [scope.cite(s) for s in relative[:3]],
                kind="undated"))
        if entry["grade"] == tradecraft.UNGRADED:
            own = [n for line in result.bluf + result.key_points for n in line.refs
                   if scope.citations[n - 1].doc_id == doc]
            if own:
                gaps.append(BriefLine(
                    f"{Path(entry['source']).name} carries no Admiralty grade: the reliability "
                    "of its source is unknown.", own[:3], kind="ungraded"))
    if len({scope.origin(d["doc_id"]) for d in result.documents}) == 1 and result.bluf:
        gaps.append(BriefLine("Everything here rests on a single source; nothing is "
                              "independently corroborated.",
                              [n for line in result.bluf for n in line.refs], kind="single"))
    return gaps
