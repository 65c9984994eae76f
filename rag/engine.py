"""The answer engine: question (+ history) → `Answer` with BLUF and exact citations.

`Engine(settings)` opens the index once; `warm_up()` loads the model, sentence table and NER
model ahead of the first question (and, for a small index, every sentence's entities and word
vectors); `ask(question, history, id)` returns an `Answer` whose `to_dict()` is the answer object
of the guide's contract.
"""

from __future__ import annotations

import re
import threading
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from rag import nlp, tradecraft
from rag.answer import render
from rag.answer.compose import compose
from rag.answer.question import analyse, resolve_followup
from rag.config import Settings
from rag.contracts import Answer, Calibration, Candidate, Citation, Composition, Evidence
from rag.ingest.store import Index
from rag.reader.model import Reader
from rag.retrieval.retrieve import Retriever
from rag.text import words

WARM_SENTENCES = 200  # warm_up analyses an index this small whole (~2-3 s at most)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


class QuestionError(ValueError):
    """The question cannot be answered as asked; the message says why."""


def clean_question(question: Any, max_chars: int) -> str:
    """Validate a question: text, not empty, not too long, no control characters."""
    if not isinstance(question, str):
        raise QuestionError("question must be a string")
    text = " ".join(_CONTROL.sub(" ", question).split())
    if not text:
        raise QuestionError("question is empty; ask something about the documents")
    if len(text) > max_chars:
        raise QuestionError(
            f"question is {len(text)} characters, over the {max_chars}-character limit; "
            "shorten it (SITREP_MAX_QUESTION_CHARS sets the limit)")
    if not any(ch.isalnum() for ch in text):
        raise QuestionError("question has no words in it")
    return text


class Engine:
    """Answers questions over one index. Thread-safe; one per process is enough."""

    def __init__(self, settings: Settings, index: Index | None = None) -> None:
        self.settings = settings
        self.index = index or Index(settings)
        self.retriever = Retriever(self.index)
        self._reader: Reader | None = None
        self._reader_lock = threading.Lock()

    @property
    def reader(self) -> Reader | None:
        """The learned reader, loaded once on first use; None when `reader_path` is "off"."""
        if self.settings.reader_path == "off":
            return None
        with self._reader_lock:
            if self._reader is None:
                path = self.settings.reader_path
                self._reader = Reader.load("" if path == "on" else path)
            return self._reader

    def warm_up(self) -> None:
        """Load the embedding model, the reader, the sentence table and the NER model now; on a
        small index (≤ `WARM_SENTENCES` sentences), also every sentence's entities and word
        vectors."""
        self.index.embedder.encode(["warm up"])
        if self.reader is not None:
            self.reader.read("warm up", ["A first sentence to read."])
        table = self.retriever.table()
        nlp.entities(table.texts[0] if len(table) else "An analyst read the report in 2024.")
        # The slowest early questions are those that meet new text: spaCy costs ~10 ms a
        # sentence, and term matching encodes the words of the evidence (~100 ms for a
        # paragraph's); both are cached after that. A small corpus is analysed whole here (the
        # shipped one in about a second); a larger one fills the caches as questions come.
        if len(table) <= WARM_SENTENCES:
            nlp.prime(list(table.texts))
            self.index.embedder.word_vectors(sorted({w for t in table.texts for w in words(t)}))

    def ask(self, question: Any, history: list[dict] | None = None, id: Any = None,
            allowed_docs: set[str] | None = None) -> Answer:
        """Answer `question` (with chat `history` for follow-ups); raises `QuestionError`."""
        started = time.perf_counter()
        text = clean_question(question, self.settings.max_question_chars)
        resolved = resolve_followup(text, _valid_history(history))
        info = analyse(resolved)
        t_retrieve = time.perf_counter()
        table = self.retriever.table()
        candidates = self.retriever.retrieve(resolved, allowed_docs=allowed_docs, table=table)
        t_read = time.perf_counter()
        calibration = self._read(resolved, candidates)
        t_compose = time.perf_counter()
        docs = table.docs
        comp = compose(info, candidates, table, self.index.embedder, calibration,
                       off=self.settings.rules_off)
        done = time.perf_counter()
        citations = [Citation(n, c.doc_id, c.source, c.title, c.section, c.text, c.start,
                              c.end, round(c.score, 4), tradecraft.claim_type(c.text),
                              **tradecraft.source_fields(docs.get(c.doc_id, {}).get("metadata")))
                     for n, c in enumerate((e.candidate for e in comp.evidence), 1)]
        resting = _resting(comp)
        confidence = "" if comp.abstained else tradecraft.confidence_line(
            [tradecraft.Cited(c.doc_id, publication(c), c.grade, c.claim_type)
             for c in citations if c.n in resting],
            _agreement([comp.evidence[n - 1] for n in sorted(resting)], comp.conflict))
        answer = Answer(
            id=id, question=text, answer="", abstained=comp.abstained, citations=citations,
            resolved_question=resolved, conflict=comp.conflict, bottom_line=comp.bottom_line,
            confidence=confidence, value=None if comp.abstained else _value(comp),
            timings_ms={"total": round((done - started) * 1000, 2),
                        "retrieve": round((t_read - t_retrieve) * 1000, 2),
                        "read": round((t_compose - t_read) * 1000, 2),
                        "compose": round((done - t_compose) * 1000, 2)},
            extra={"reason": comp.reason} if comp.reason else {})
        # The answer stays as fields; the contract's Markdown texts are written from them.
        return replace(answer, answer=render.markdown(answer), bluf=render.bluf(answer))

    def _read(self, question: str, candidates: list[Candidate]) -> Calibration | None:
        """Let the reader score the candidates that can still win (the first
        `calibration.read_top` by retrieval), fuse its probability into each one's score and
        re-sort them in place; returns the reader's calibration, or None when the reader is
        off."""
        reader = self.reader
        if reader is None or not candidates:
            return None
        calibration = reader.calibration
        if not self.settings.reader_abstains:
            calibration = replace(calibration, abstains=False)
        read = candidates[:calibration.read_top]
        for cand, reading in zip(read, reader.read(question, [c.text for c in read])):
            cand.reader = reading.probability
            cand.answer = reading.span if reading.span[1] > reading.span[0] else None
        for cand in candidates:
            cand.score = calibration.fuse(cand.score, cand.reader)
        candidates.sort(key=lambda c: -c.score)
        return calibration


def publication(citation: Citation) -> str:
    """Who stands behind a citation, as a reader names it: the publisher (front matter or the
    Library's edited `source`), else the document's title; never a file name."""
    return citation.source_name or citation.title or Path(citation.source).stem


def _value(comp: Composition) -> dict[str, Any] | None:
    """Where the bottom line's value stands in its first citation, in document offsets."""
    if not comp.evidence or not comp.evidence[0].value:
        return None
    first = comp.evidence[0]
    cand = first.candidate
    # Where compose recorded it; a value set without its place (a description's reader
    # phrase) is looked up.
    at = first.start if first.start >= 0 and cand.text.startswith(first.value, first.start) \
        else cand.text.find(first.value)
    if at < 0:
        return None
    return {"text": comp.evidence[0].value, "n": 1, "start": cand.start + at,
            "end": cand.start + at + len(comp.evidence[0].value)}


def _resting(comp: Composition) -> set[int]:
    """The citation numbers the bottom line rests on: those its statements cite, else all.
    A sentence listed only as support ("Also from the sources") does not vouch for the value,
    so the confidence line neither counts its source nor its grade."""
    cited = {n for statement in comp.bottom_line for n in statement.cites}
    return cited or set(range(1, len(comp.evidence) + 1))


def _agreement(evidence: list[Evidence], conflict: bool) -> bool | None:
    """True: the sources disagree; False: `evidence` gives one value; None: it was not compared
    (no value in some sentence), so the confidence line claims no agreement."""
    if conflict:
        return True
    keys = [e.key for e in evidence]
    return False if all(keys) and len(set(keys)) == 1 else None


def _valid_history(history: Any) -> list[dict]:
    """Keep well-formed chat turns; raise on a history that is not a list of turns."""
    if history is None:
        return []
    if not isinstance(history, list):
        raise QuestionError("history must be a list of {role, content} objects")
    turns = []
    for turn in history:
        if (not isinstance(turn, dict) or turn.get("role") not in ("user", "assistant")
                or not isinstance(turn.get("content"), str)):
            raise QuestionError(
                'each history item must be {"role": "user" | "assistant", "content": "…"}')
        turns.append(turn)
    return turns
