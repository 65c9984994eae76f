"""Actors by role: who did what, read from the dependency parse of cited sentences.

An actor is the grammatical subject of a verb whose noun phrase names someone (a person,
organisation, country, group: "Sergei Shoigu", "Houthi forces", "The Egyptian government").
Its role is what the sentence says it did — the verb with its auxiliaries, hedges and
objects ("has reportedly sent around 12,000 troops to support Russian forces in Ukraine") —
and, for a person, the title in front of the name or the appositive after it ("Russian
Security Council Secretary", "the task force's deputy commander"). A name that is only
mentioned, never the subject of an action, is not an actor.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from rag.brief.scope import Sentence

if TYPE_CHECKING:
    from spacy.tokens import Doc

_ACTOR_LABELS = {"PERSON": "person", "ORG": "organisation", "GPE": "country or place",
                 "NORP": "group", "PRODUCT": "organisation", "LOC": "place"}
_SUBJECTS = {"nsubj"}
_LEFT_OF_VERB = {"aux", "auxpass", "neg", "advmod"}
_CLAUSE_STOP = {",", ";", ":", "–", "—", "(", ")"}
_TIMES = {"DATE", "TIME"}
MAX_ROLE_TOKENS = 18


@dataclass
class Action:
    """One thing an actor did, in one sentence."""

    text: str  # "recently visited North Korea"
    sentence: Sentence


@dataclass
class Actor:
    """Someone the sources show acting, with a title and the actions they are cited for."""

    name: str
    kind: str  # person, organisation, country or place, group
    title: str = ""
    actions: list[Action] = field(default_factory=list)
    title_sentence: Sentence | None = None

    @property
    def weight(self) -> float:
        """How much of the story the actor carries: its actions' salience."""
        return sum(a.sentence.salience for a in self.actions)


def _key(name: str) -> str:
    return re.sub(r"^the\s+|['’]s$", "", name.strip(), flags=re.I)


def _subject_phrase(subject) -> tuple[str, str]:
    """The subject's name ("Houthi forces") and the title words in front of a person's name."""
    left = [t for t in subject.lefts if t.dep_ in ("compound", "amod", "det", "poss", "nmod")]
    first = min([subject.i] + [t.left_edge.i for t in left])
    tokens = subject.doc[first:subject.i + 1]
    ent = next((e for e in subject.doc.ents if e.start <= subject.i < e.end), None)
    if ent is not None and ent.label_ == "PERSON" and ent.start > first:
        title = subject.doc[first:ent.start].text
        return _key(ent.text), "" if title.split()[0].lower() in ("the", "a", "an") else title
    return _key(tokens.text), ""


def _appositive(subject) -> str:
    """"Commodore Elena Varga, the task force's deputy commander, said …" → the appositive;
    "Lindqvist, who commands the task force, …" → the relative clause."""
    for child in subject.rights:
        if child.dep_ in ("appos", "relcl"):
            return subject.doc[child.left_edge.i:child.right_edge.i + 1].text.strip(" ,")
    return ""


def _action(verb) -> str:
    """The verb with its auxiliaries and hedges on the left and its objects on the right,
    cut at the first comma or dash that ends its clause, or after the last whole phrase
    that fits in `MAX_ROLE_TOKENS`. Empty when nothing follows the verb but a time
    ("said on Thursday")."""
    doc = verb.doc
    start = verb.i
    for child in reversed(list(verb.lefts)):
        if child.dep_ in _LEFT_OF_VERB and child.i == start - 1:
            start = child.i
    end = verb.i + 1
    for child in verb.rights:
        stops = [i for i in range(child.left_edge.i, child.right_edge.i + 1)
                 if doc[i].text in _CLAUSE_STOP]
        child_end = stops[0] if stops else child.right_edge.i + 1
        if child_end - start > MAX_ROLE_TOKENS or child_end <= end:
            break
        end = child_end
        if stops:
            break  # the clause ends inside this phrase ("… this alliance, concerned about …")
    while end > verb.i + 1 and doc[end - 1].dep_ in ("cc", "punct"):
        end -= 1  # "… every ship and": the conjunct did not fit
    said = [t for t in doc[verb.i + 1:end] if not t.is_punct and t.ent_type_ not in _TIMES]
    return doc[start:end].text.rstrip(" .") if len(said) >= 2 else ""


def _named(subject) -> str:
    """The kind of actor a subject names, or "" when it names no one: an entity of an actor
    label in its phrase, or a proper noun no other entity covers ("Houthi forces"; not
    "Suez Canal revenue", a facility)."""
    doc = subject.doc
    first = subject.left_edge.i
    # Names that are the subject or qualify it ("Egyptian government"); not an owner's name
    # ("Shoigu's visit": the visit is the subject, not Shoigu).
    owned = {i for t in subject.lefts if t.dep_ == "poss" for i in range(t.left_edge.i, t.i + 1)}
    inside = [e for e in doc.ents if first <= e.start and e.end <= subject.i + 1
              and not owned & set(range(e.start, e.end))]
    actors = [e for e in inside if e.label_ in _ACTOR_LABELS]
    if actors:
        return _ACTOR_LABELS[actors[-1].label_]
    covered = {i for e in inside for i in range(e.start, e.end)} | owned
    names = [t for t in doc[first:subject.i + 1] if t.pos_ == "PROPN" and t.i not in covered]
    return "organisation or group" if names else ""


def find_actors(parsed: list[tuple[Sentence, Doc]]) -> list[Actor]:
    """Actors in parsed sentences (most salient first), heaviest first; a surname is folded
    into the full name ("Shoigu" into "Sergei Shoigu")."""
    actors: dict[str, Actor] = {}
    for sentence, doc in parsed:
        if sentence.claim not in ("reported_fact", "attributed_claim"):
            continue
        for token in doc:
            if token.dep_ not in _SUBJECTS or token.head.pos_ not in ("VERB", "AUX"):
                continue
            kind = _named(token)
            if not kind:
                continue
            name, title = _subject_phrase(token)
            action = _action(token.head)
            if not action:
                continue
            actor = actors.setdefault(name, Actor(name, kind))
            if not actor.title:
                actor.title = title or _appositive(token)
                actor.title_sentence = sentence if actor.title else None
            actor.actions.append(Action(action, sentence))
    for short in sorted(actors, key=len):
        full = next((n for n in actors if n != short and n.endswith(" " + short)), None)
        if full and short in actors:
            actors[full].actions += actors[short].actions
            actors[full].title = actors[full].title or actors[short].title
            actors[full].title_sentence = actors[full].title_sentence or \
                actors[short].title_sentence
            del actors[short]
    return sorted(actors.values(), key=lambda a: -a.weight)
