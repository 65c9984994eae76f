"""Understand a question: resolve follow-ups against the chat history, find the answer type.

`resolve_followup(question, history)` rewrites pronouns and ellipsis ("What did he thank them
for?", "and China?") into a self-contained question using the entities of the previous turn,
without an LLM. `analyse(question)` returns a `QuestionInfo` with the answer type and the
content words the evidence must cover.
"""

from __future__ import annotations

import re

from rag import nlp
from rag.contracts import QType, QuestionInfo
from rag.text import content_words

PERSONS = {"PERSON"}
GROUPS = {"GPE", "NORP", "ORG", "LOC"}
PLACES = {"GPE", "LOC", "FAC"}

_PRONOUNS = {
    "he": "person", "him": "person", "she": "person", "his": "person_pos",
    "her": "person_pos", "hers": "person_pos", "they": "group", "them": "group",
    "their": "group_pos", "it": "thing", "its": "thing_pos", "there": "place",
}
_ELLIPSIS = re.compile(r"^\s*(?:and|what about|how about|and what about|same for|also)\b[\s,]*",
                       re.I)
_WH = re.compile(r"^\s*(?:what|who|whom|whose|when|where|why|how|which|is|are|was|were|did|"
                 r"does|do)\b", re.I)
_ASKED_THING = re.compile(r"^\s*(?:what|which) ([a-z]{3,}) (?:did|does|do|is|was|were|has|have|"
                          r"had|will|would)\b", re.I)
_MARKUP = re.compile(r"\[\d+\]|\*\*|__|[#>*`]")


_TYPE_RULES: list[tuple[QType, re.Pattern[str]]] = [
    (QType.NUMBER, re.compile(
        r"\bhow (?:many|much|large|big|high|long|far|old|tall|deep|wide|heavy|often)\b|"
        r"\b(?:number|numbers|count|figure|figures|percentage|percent|total|size|amount|"
        r"population|cost|costs|costing|price|capacity|volume|length|height|depth|area|"
        r"distance|duration|worth)\b|"
        r"\bwhat (?:is|was|were) the (?:\w+ )?value\b",
        re.I)),
    (QType.TIME, re.compile(r"\b(?:what|which) (?:time|hour)\b", re.I)),
    (QType.DATE, re.compile(r"^\s*when\b|\b(?:what|which) (?:year|date|day|weekday|month|"
                            r"decade|century)\b|\bwhat year\b", re.I)),
    (QType.ORGANIZATION, re.compile(r"\b(?:which|what) (?:[\w-]+ ){0,2}(?:company|companies|"
                                    r"firm|organi[sz]ations?|agency|agencies|consortium|"
                                    r"manufacturer|supplier|contractor|union|party|bank|"
                                    r"newspaper|broadcaster)\b", re.I)),
    (QType.PERSON, re.compile(r"^\s*(?:who|whom|whose)\b|\b(?:which|what) (?:[\w-]+ ){0,2}"
                              r"(?:person|officials?|leaders?|ministers?|president|man|woman|"
                              r"people|group)\b", re.I)),
    (QType.PLACE, re.compile(r"^\s*where\b|\b(?:which|what) (?:\w+ )?(?:country|city|region|"
                             r"place|town|province|state|area|river|island)\b", re.I)),
    (QType.REASON, re.compile(r"^\s*why\b|\bwhat (?:is|was) the (?:reason|cause)\b|"
                              r"\bfor what reason\b|"
                              r"^\s*what (?:caused|causes|started|sparked|triggered)\b", re.I)),
]


# "how many North Korean soldiers": up to two modifiers, then a plural in -s, never across a
# verb ("how many children was the campaign …" counts nothing named, not "was").
_VERB = r"(?!(?:am|is|are|was|were|be|been|do|does|did|has|have|had|will|would|can|could|" \
        r"should|may|might|must)\b)"
_COUNTED = re.compile(rf"\bhow many\s+((?:{_VERB}[a-z’'-]+\s+){{0,2}}?{_VERB}[a-z’'-]+s)\b",
                      re.I)
_NOT_COUNTED = frozenset("did does do is was were will has have had would can could should more "
                         "less of the a an money time longer".split())


def counted_word(question: str) -> str:
    """What a "how many …" question counts ("how many North Korean soldiers" → "soldiers"),
    or "" when it counts nothing named."""
    match = _COUNTED.search(question)
    if match:
        return match.group(1).split()[-1].lower()
    match = re.search(r"\bhow much\s+([a-z’'-]+)", question, re.I)  # "how much food aid …"
    return match.group(1).lower() if match and match.group(1).lower() not in _NOT_COUNTED else ""


def question_type(question: str) -> QType:
    """The answer type a question asks for."""
    for qtype, pattern in _TYPE_RULES:
        if pattern.search(question):
            return qtype
    return QType.DESCRIPTION


def analyse(question: str) -> QuestionInfo:
    """Answer type and content words of a (self-contained) question."""
    return QuestionInfo(question, question_type(question), content_words(question))


def _plain(text: str) -> str:
    """Assistant markdown without citation markers and emphasis.

    The history is text the client sends back (the API's and the widget's `history`, the UI's
    turns), not an answer object: its markup is all there is to go on, so it is stripped here.
    Answers themselves are never read back out of their Markdown (`rag.answer.render`)."""
    return " ".join(_MARKUP.sub(" ", text).split())


def _antecedents(history: list[dict]) -> tuple[list[nlp.Entity], list[nlp.Entity], str]:
    """Entities of the last answer, entities of the last question, and the last question."""
    last_q, last_a = "", ""
    for turn in reversed(history):
        role, content = turn.get("role"), str(turn.get("content") or "")
        if role == "assistant" and not last_a and not last_q:
            last_a = _plain(content).split(" [1] ")[0][:600]
        elif role == "user" and not last_q:
            last_q = content.strip()
        if last_q:
            break
    answer = list(nlp.entities(last_a)) if last_a else []
    asked = list(nlp.entities(last_q)) if last_q else []
    return answer, asked, last_q


def _first(entities: list[nlp.Entity], labels: set[str]) -> str | None:
    return next((e.text for e in entities if e.label in labels), None)


def resolve_followup(question: str, history: list[dict] | None) -> str:
    """Rewrite a follow-up into a self-contained question using the previous turn.

    Returns `question` unchanged when there is no history or nothing to resolve.
    """
    if not history:
        return question
    answer, asked, last_q = _antecedents(history)
    entities = answer + asked
    if not last_q and not entities:
        return question
    ellipsis = _ELLIPSIS.match(question)
    if ellipsis and _WH.search(question[ellipsis.end():]):
        # "and what do the experts want?" is a full question after a connective.
        question, ellipsis = question[ellipsis.end():], None
    if ellipsis and last_q:
        rest = question[ellipsis.end():].strip(" ?.!")
        new = list(nlp.entities(rest)) or list(nlp.entities(rest.title()))
        old = [e for e in nlp.entities(last_q)
               if new and (e.label == new[0].label or {e.label, new[0].label} <= GROUPS)]
        if new and old:
            return last_q[:old[0].start] + new[0].text + last_q[old[0].end:]
        counted = _COUNTED.search(last_q)
        if not new and counted and len(rest.split()) <= 2:
            # "How many troops were deployed?" — "and firefighters?" counts something else.
            return last_q[:counted.start(1)] + rest + last_q[counted.end(1):]
        return f"{last_q.rstrip(' ?.!')} {rest}?"
    person = _first(entities, PERSONS)
    # Later sentences name a person by surname ("Shoigu"), so the surname retrieves best.
    person = person.split()[-1] if person else _first(entities, {"ORG"})
    # "they/them" usually points back at what the user asked about, not at the answer.
    group = _first([e for e in asked + answer if e.text != person], GROUPS)
    place = _first(entities, PLACES)
    asked_thing = _ASKED_THING.match(last_q)
    # "What agreement did they sign?" then "what has it led to?": "it" is the agreement.
    thing = f"the {asked_thing.group(1)}" if asked_thing else \
        _first(entities, {"FAC", "EVENT", "LAW", "PRODUCT", "WORK_OF_ART"} | GROUPS)
    subject = re.sub(r"[?.!]+$", "", last_q)
    fills = {"person": person, "person_pos": f"{person}'s" if person else None,
             "group": group, "group_pos": f"{group}'s" if group else None,
             "thing": thing, "thing_pos": f"{thing}'s" if thing else None,
             "place": place}
    changed = False

    def swap(match: re.Match[str]) -> str:
        nonlocal changed
        word = match.group(0)
        if word.lower() == "there" and re.search(r"\b(?:is|are|was|were)\s+$",
                                                 question[:match.start()], re.I):
            return word  # existential "are there any …", not a place
        fill = fills.get(_PRONOUNS[word.lower()])
        if not fill:
            return word
        changed = True
        return fill

    resolved = re.sub(r"\b(?:" + "|".join(_PRONOUNS) + r")\b", swap, question, flags=re.I)
    if changed:
        return resolved
    if not content_words(question) and last_q:
        # A bare short follow-up ("why?", "since when?") continues the last question's topic.
        return f"{question.rstrip(' ?.!')} {subject}?"
    return question
