"""Example questions for the chat, made from the library itself (issues 15 and 16).

The chat's example chips name what the library holds: a library of Red Sea shipping reports
offers questions about those, an empty library none. `candidates(sentences)` reads a document's
first sentences (the lead, where reports put their key facts), tagged by spaCy (`tag`), and
proposes questions of four kinds, each with the answer it expects:

- who:    "Sergei Shoigu recently visited North Korea"     → "Who visited North Korea?"
- count:  "approximately 12,000 North Korean troops"       → "How many North Korean troops?"
- quote:  "“…,” Shoigu stated."                            → "What did Shoigu say?"
- stance: "Security experts recommend …", "China is … concerned about …"
                                                            → "What do security experts
                                                               recommend?", "What is China
                                                               concerned about?"

Questions naming the document's most frequent entities rank first. `choose` takes them
round-robin over the documents, newest first, one kind at a time, and keeps a question only
when `accept` says so. `Suggester` does that once per index generation and view of the library
(the documents a caller may see), with the engine as the judge: a question is shown only when
the engine answers it from the sentence it was made from, with the expected value or name in
its bottom line, so a chip never leads to "The sources do not say".
"""

from __future__ import annotations

import re
import threading
from collections import Counter, OrderedDict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rag.contracts import DocRecord
    from rag.engine import Engine
    from rag.retrieval.sentence_table import SentenceTable

LIMIT = 4  # chips shown
LEAD = 40  # sentences read per document
TRIES = 12  # engine answers one choice may cost (about 0.2 s each)
PER_DOC_TRIES = 3  # questions of one document tried per round
KINDS = ("who", "count", "quote", "stance")
EMPTY_LIBRARY = ("The library is empty. Add documents in the Library tab, then ask about them "
                 "here; every answer cites its source sentences.")

NAMES = frozenset({"PERSON", "ORG", "GPE", "NORP", "LOC", "FAC"})
SUBJECTS = frozenset({"PERSON", "ORG", "GPE", "NORP"})
NOT_COUNTS = frozenset({"DATE", "TIME", "PERCENT", "MONEY", "ORDINAL", "QUANTITY"})
DEFINITE = frozenset({"the", "these", "those", "its", "their", "his", "her", "our", "all"})
SPEECH = frozenset("said says stated states declared told warned announced claimed added wrote "
                   "noted argued insisted".split())
LIGHT = frozenset("had has have was were is are did does got became began seemed".split())
STANCE = frozenset("recommend want seek need demand fear expect plan propose urge estimate "
                   "assess believe oppose".split())
CONCERN = frozenset({"concerned", "worried", "alarmed", "anxious"})
PREPOSITIONS = frozenset({"with", "to", "in", "on", "against", "from", "into"})
NOUNS = frozenset({"NN", "NNS", "NNP", "NNPS"})
MODIFIERS = frozenset({"JJ", "NN", "NNP", "VBN", "HYPH"})
# A chip is words and light punctuation: document text with markup, code or symbols in it
# ("Who attacked <img …>?") makes no question (Gradio shows chips as text; this is for both).
PLAIN = re.compile(r"(?:[^\W_]|[ ,.'’&-])+\?")


@dataclass(frozen=True)
class Word:
    """One token of a tagged sentence."""

    text: str
    tag: str  # Penn Treebank tag: NNP, VBD, CD, ...
    ent: str = ""  # entity label (PERSON, GPE, CARDINAL, ...) or "" outside entities
    begins: bool = False  # the first word of its entity
    space: bool = True  # whitespace follows it in the sentence


@dataclass(frozen=True)
class Suggestion:
    """A question made from one sentence, with what a right answer must show."""

    question: str
    kind: str  # one of KINDS
    sentence: str  # the sentence it was made from: a right answer cites it
    expect: tuple[str, ...] = ()  # words a right answer's bottom line contains
    score: float = 0.0  # rank within its document: salience of the names in it, earliness


Tagged = Sequence[Word]


def _join(words: Sequence[Word]) -> str:
    """The words as they stand in the sentence, spacing kept."""
    return "".join(w.text + (" " if w.space else "") for w in words).strip()


def _entities(sentence: Tagged) -> list[tuple[int, int, str]]:
    """(first, end, label) of each entity in the sentence."""
    spans: list[tuple[int, int, str]] = []
    for i, word in enumerate(sentence):
        if word.ent and (word.begins or not spans or spans[-1][1] != i
                         or spans[-1][2] != word.ent):
            spans.append((i, i + 1, word.ent))
        elif word.ent:
            spans[-1] = (spans[-1][0], i + 1, word.ent)
    return spans


def _name(words: Sequence[Word]) -> str:
    """An entity's text without a possessive or a leading "the"."""
    words = [w for w in words if w.tag != "POS"]
    if words and words[0].text.lower() == "the":
        words = words[1:]
    return _join(words)


def name_key(text: str) -> str:
    """How an entity is counted: case, "the" and possessives aside ("North Korea’s")."""
    text = text.lower().replace("’s", "").replace("'s", "").strip()
    return text[4:] if text.startswith("the ") else text


def _phrase(sentence: Tagged, at: int, most: int = 5) -> tuple[str, int]:
    """The noun phrase starting at `at` ("a mutual defense agreement", "merchant vessels"),
    leading numbers left out, and where it ends; ("", at) when none starts there."""
    i = at
    while i < len(sentence) and sentence[i].tag in ("CD", "RB") and i - at < 3:
        i += 1  # "around 12,000 troops" → "troops": the count question asks the number
    first = i
    if i < len(sentence) and sentence[i].text.lower() in ("a", "an", "the") and first == at:
        i += 1
    nouns = first
    while (i < len(sentence) and i - first < most
           and (sentence[i].tag in MODIFIERS or sentence[i].tag in NOUNS)):
        i += 1
        if sentence[i - 1].tag in NOUNS:
            nouns = i
    if nouns == first:
        return "", at
    return _join(sentence[first:nouns]), nouns


def _object(sentence: Tagged, at: int) -> str:
    """What a verb at `at` - 1 acts on: a name ("North Korea", "with Putin") or a short noun
    phrase ("a mutual defense agreement"); "" for anything vaguer ("his conversation")."""
    preposition = ""
    if (at + 1 < len(sentence) and sentence[at].text.lower() in PREPOSITIONS
            and sentence[at + 1].ent in NAMES):
        preposition, at = sentence[at].text + " ", at + 1
    if at >= len(sentence):
        return ""
    for first, end, label in _entities(sentence):
        if first == at and label in NAMES:
            return preposition + _name(sentence[first:end])
    if preposition:
        return ""
    return _phrase(sentence, at)[0]


def _skip_adverbs(sentence: Tagged, at: int) -> int:
    while at < len(sentence) and sentence[at].tag == "RB":
        at += 1
    return at


Found = tuple[str, tuple[str, ...], tuple[str, ...]]  # question, expected words, names in it


def _who(sentence: Tagged) -> Iterable[Found]:
    """For "NAME (adverbs) VERBED OBJECT": "Who VERBED OBJECT?", expecting NAME's last word."""
    for first, end, label in _entities(sentence):
        if label not in SUBJECTS:
            continue
        at = end
        while at < len(sentence) and at - end < 2 and label == "NORP" \
                and sentence[at].tag in ("NNS", "NN"):
            at += 1  # "Houthi forces attacked …"
        at = _skip_adverbs(sentence, at)
        if at >= len(sentence):
            continue
        verb = sentence[at].text
        if verb.lower() in ("has", "have"):
            at = _skip_adverbs(sentence, at + 1)
            if at >= len(sentence) or sentence[at].tag != "VBN":
                continue
            verb = f"{verb.lower()} {sentence[at].text}"
        elif sentence[at].tag != "VBD" or verb.lower() in LIGHT | SPEECH:
            continue
        target = _object(sentence, at + 1)
        if target:
            name = _name(sentence[first:end])
            yield f"Who {verb} {target}?", (name.split()[-1],), (name, target)


def _counts(sentence: Tagged) -> Iterable[Found]:
    """For "12,000 North Korean troops": "How many North Korean troops?", expecting the number
    and the noun ("23 merchant", cut short, is not an answer to show off)."""
    for i, word in enumerate(sentence):
        if (word.tag != "CD" or word.ent in NOT_COUNTS or word.text.lower() == "one"
                or (i and sentence[i - 1].text.lower() in DEFINITE)):
            continue
        end = i + 1
        while end < len(sentence) and end - i <= 3 and sentence[end].tag in MODIFIERS:
            end += 1
        if end < len(sentence) and sentence[end].tag in ("NNS", "NNPS"):
            phrase = sentence[i + 1:end + 1]
            named = _join([w for w in phrase if w.ent in NAMES])
            yield f"How many {_join(phrase)}?", (word.text, phrase[-1].text), (named,)


def _speaker(sentence: Tagged, verb: int) -> str:
    """Who says it: the nearest name (or run of proper nouns, "KCNA") before the speech verb,
    with no other verb between, or right after it ("said Shoigu")."""
    spans = {first: (end, label) for first, end, label in _entities(sentence)}
    after = spans.get(verb + 1)
    if after and after[1] in ("PERSON", "ORG"):
        return _name(sentence[verb + 1:after[0]])
    for end in range(verb, max(0, verb - 8), -1):
        if sentence[end - 1].tag.startswith("VB") and sentence[end - 1].tag != "VBG":
            return ""  # another clause's verb comes first
        if sentence[end - 1].tag not in ("NNP", "NNPS") or sentence[end - 1].ent in \
                ("GPE", "NORP", "LOC", "DATE"):
            continue
        first = end - 1
        while first > 0 and sentence[first - 1].tag in ("NNP", "NNPS"):
            first -= 1
        label = sentence[end - 1].ent
        words = sentence[first:end]
        return words[-1].text if label == "PERSON" else _name(words)
    return ""


def _quotes(sentence: Tagged) -> Iterable[Found]:
    """"What did Shoigu say?" for "…, Shoigu stated" ("KCNA, citing …, declared: …")."""
    for i, word in enumerate(sentence):
        if word.text.lower() in SPEECH and word.tag.startswith("VB"):
            speaker = _speaker(sentence, i)
            if speaker:
                yield f"What did {speaker} say?", (), (speaker,)
                return


def _base(verb: str) -> str:
    """The verb's plain form: "seeks" → "seek", "assesses" → "assess"."""
    verb = verb.lower()
    if verb.endswith("sses"):
        return verb[:-2]
    return verb[:-1] if verb.endswith("s") and not verb.endswith("ss") else verb


def _subject(sentence: Tagged) -> tuple[str, int, bool]:
    """The sentence's opening subject, where it ends, and whether it is plural: a name
    ("China", "Houthi forces") or a plural noun phrase ("Security experts"); ("", 0, False)."""
    spans = _entities(sentence)
    if spans and spans[0][0] == 0 and spans[0][2] in SUBJECTS:
        end, label = spans[0][1], spans[0][2]
        plural = label == "NORP"
        while end < len(sentence) and sentence[end].tag in ("NNS", "NN") and end < 3:
            plural = sentence[end].tag == "NNS"
            end += 1
        return _name(sentence[:end]), end, plural
    end = 0
    while end < min(3, len(sentence)) and sentence[end].tag in ("JJ", "NN", "NNS"):
        end += 1
    if end and sentence[end - 1].tag == "NNS":
        text = _join(sentence[:end])
        return text[:1].lower() + text[1:], end, True
    return "", 0, False


def _stances(sentence: Tagged) -> Iterable[Found]:
    """"What do security experts recommend?" for "Security experts recommend …" (and "Russia
    seeks …"); "What is China concerned about?" for "China is … concerned about …"."""
    subject, end, plural = _subject(sentence)
    if subject:
        at = _skip_adverbs(sentence, end)
        if at < len(sentence) and sentence[at].tag in ("VBZ", "VBP") \
                and _base(sentence[at].text) in STANCE:
            does = "does" if sentence[at].tag == "VBZ" else "do"
            # "… estimate that about 300 container ships …": the answer is that count, whole.
            count = next(iter(_counts(sentence[at + 1:])), None)
            yield (f"What {does} {subject} {_base(sentence[at].text)}?",
                   count[1] if count else (), (subject,))
            return
    if subject and end < len(sentence) and sentence[end].text.lower() in ("is", "are"):
        for i in range(end + 1, len(sentence) - 1):
            if sentence[i].text.lower() in CONCERN and sentence[i + 1].text.lower() in \
                    ("about", "by", "over"):
                be = "are" if plural else "is"
                yield (f"What {be} {subject} {sentence[i].text.lower()} "
                       f"{sentence[i + 1].text.lower()}?", (), (subject,))
                return


PATTERNS: dict[str, Callable[[Tagged], Iterable[Found]]] = {
    "who": _who, "count": _counts, "quote": _quotes, "stance": _stances}


def salience(sentences: Sequence[Tagged]) -> Counter[str]:
    """How many sentences name each entity (by `name_key`)."""
    counts: Counter[str] = Counter()
    for sentence in sentences:
        counts.update({name_key(_join(sentence[first:end]))
                       for first, end, label in _entities(sentence) if label in NAMES})
    return counts


def _weight(names: Sequence[str], counts: Counter[str]) -> float:
    """How often the document names the most frequent of `names` (or an entity inside one:
    "North Korea" in "to North Korea"), as a share of its most frequent entity's count."""
    top = max(counts.values(), default=0)
    keys = [name_key(n) for n in names if n]
    if not keys or not top:
        return 0.0
    return max((n for k, n in counts.items()
                if any(k == key or (len(k) > 2 and f" {k} " in f" {key} ") for key in keys)),
               default=0) / top


def candidates(sentences: Sequence[tuple[str, Tagged]]) -> list[Suggestion]:
    """Every question the patterns make from a document's sentences ((text, tagged) pairs, in
    document order), best first: the salience of the names in it, then earliness. One question
    per wording; a count question per counted noun (the best-ranked)."""
    counts = salience([tagged for _, tagged in sentences])
    found: dict[str, Suggestion] = {}
    for position, (text, tagged) in enumerate(sentences):
        early = 1.0 - position / max(1, len(sentences))
        for kind, pattern in PATTERNS.items():
            for question, expect, names in pattern(tagged):
                if not PLAIN.fullmatch(question):
                    continue
                score = round(_weight(names, counts) + 0.5 * early, 6)
                key = question.lower().split()[-1] if kind == "count" else question.lower()
                if key not in found or found[key].score < score:
                    found[key] = Suggestion(question, kind, text, expect, score)
    return sorted(found.values(), key=lambda s: (-s.score, KINDS.index(s.kind), s.question))


def choose(documents: Iterable[Sequence[Suggestion]], accept: Callable[[Suggestion], bool],
           limit: int = LIMIT, tries: int = TRIES) -> list[Suggestion]:
    """Up to `limit` questions, round-robin over `documents` (each one's candidates, best
    first; read lazily, so later documents are only analysed when earlier ones run out).

    Each round gives every document one question, of a kind not shown yet when it has one,
    made from a sentence no chosen question was made from (two chips, one answer, is one chip
    wasted); a question counts only when `accept` takes it, and `accept` is asked at most
    `tries` times (`PER_DOC_TRIES` per document and round). Deterministic for deterministic
    inputs."""
    chosen: list[Suggestion] = []
    seen: set[str] = set()  # chosen questions (lower case) and the sentences they came from
    queues: list[list[tuple[int, Suggestion]]] = []  # (rank in its document, question)
    budget = [tries]

    def take(queue: list[tuple[int, Suggestion]]) -> None:
        kinds = {s.kind for s in chosen}
        queue.sort(key=lambda item: (item[1].kind in kinds, item[0]))
        for _ in range(PER_DOC_TRIES):
            while queue and (queue[0][1].question.lower() in seen
                             or queue[0][1].sentence in seen):
                queue.pop(0)
            if not queue or budget[0] <= 0:
                return
            budget[0] -= 1
            suggestion = queue.pop(0)[1]
            if accept(suggestion):
                chosen.append(suggestion)
                seen.update((suggestion.question.lower(), suggestion.sentence))
                return

    pending = iter(documents)
    while len(chosen) < limit and budget[0] > 0:  # round one reads each document in turn
        document = next(pending, None)
        if document is None:
            break
        queues.append(list(enumerate(document)))
        take(queues[-1])
    while len(chosen) < limit and budget[0] > 0 and any(queues):
        for queue in queues:
            if len(chosen) >= limit:
                break
            take(queue)
    return chosen


def answered(suggestion: Suggestion, answer: dict[str, Any]) -> bool:
    """Does the engine's answer (its `to_dict()`) answer the question as it was made: no
    abstention, the sentence it was made from among the citations and the expected words in
    the bottom line?"""
    if answer.get("abstained") or not any(c.get("sentence") == suggestion.sentence
                                          for c in answer.get("citations", [])):
        return False
    bluf = str(answer.get("bluf", "")).lower()
    return all(word.lower() in bluf for word in suggestion.expect)


def tag(texts: Sequence[str]) -> list[list[Word]]:
    """The texts tokenized, POS-tagged and entity-labelled by spaCy (`rag.nlp.pipeline`)."""
    from rag import nlp

    return [[Word(w.text, w.tag_, w.ent_type_, w.ent_iob_ == "B", bool(w.whitespace_))
             for w in doc] for doc in nlp.pipeline().pipe(list(texts))]


def placeholder_question(questions: Sequence[str]) -> str:
    """The question box's hint: the first example, or a plain invitation."""
    return f"e.g. {questions[0]}" if questions else "Ask about the documents in the library"


class Suggester:
    """The chat's example questions for each view of the library, made once per index
    generation and set of visible documents (a page load reads them from the cache).

    A document's candidates are cached by its content hash, so a new generation only tags the
    documents it added. Thread-safe: concurrent page loads wait for one computation.
    """

    def __init__(self, engine: Engine, limit: int = LIMIT, cache_size: int = 64) -> None:
        self.engine = engine
        self.limit = limit
        self.cache_size = cache_size
        self._lock = threading.Lock()
        self._shown: OrderedDict[tuple[str, frozenset[str]], list[str]] = OrderedDict()
        self._documents: OrderedDict[tuple[str, str], list[Suggestion]] = OrderedDict()

    def questions(self, records: Sequence[DocRecord]) -> list[str]:
        """Example questions about `records` (the documents the caller may see), newest
        documents first; [] for an empty library."""
        table = self.engine.retriever.table()
        allowed = frozenset(r.doc_id for r in records)
        key = (table.generation, allowed)
        with self._lock:
            if key in self._shown:
                self._shown.move_to_end(key)
                return self._shown[key]
            newest = sorted((r for r in records if r.doc_id in table.doc_rows),
                            key=lambda r: (-r.ingested_at, r.source))
            documents = (self._candidates(table, r) for r in newest)
            chosen = choose(documents, lambda s: self._answers(s, allowed), self.limit)
            shown = [s.question for s in chosen]
            _remember(self._shown, key, shown, self.cache_size)
            return shown

    def _candidates(self, table: SentenceTable, record: DocRecord) -> list[Suggestion]:
        key = (record.doc_id, record.sha256)
        if key not in self._documents:
            first, end = table.doc_rows[record.doc_id]
            texts = list(table.texts[first:min(end, first + LEAD)])
            _remember(self._documents, key, candidates(list(zip(texts, tag(texts)))),
                      self.cache_size * 4)
        return self._documents[key]

    def _answers(self, suggestion: Suggestion, allowed: frozenset[str]) -> bool:
        from rag.engine import QuestionError

        try:
            answer = self.engine.ask(suggestion.question, allowed_docs=set(allowed))
        except QuestionError:
            return False
        return answered(suggestion, answer.to_dict())


def _remember(cache: OrderedDict, key: Any, value: Any, size: int) -> None:
    cache[key] = value
    cache.move_to_end(key)
    while len(cache) > size:
        cache.popitem(last=False)
