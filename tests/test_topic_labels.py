"""Brief topic labels (rag.brief.topics.topic_label) on text written here: a label is a noun
phrase as it stands in a topic's documents, never words from different places glued together.
spaCy only (no embedder, no index)."""

from __future__ import annotations

import re

from rag import nlp
from rag.brief.topics import Terms, topic_label


def _terms(title: str, body: list[str], publisher: str = "") -> Terms:
    """A document as compose._terms reads one: its title (twice, the lead's best), its first
    sentence (the lead) and its other sentences."""
    terms = Terms()
    excluded = {publisher.lower()} - {""}
    parser = nlp.parser()
    terms.add(parser(title), excluded, weight=2, lead=2)
    for n, doc in enumerate(parser.pipe(body)):
        terms.add(doc, excluded, lead=1 if n == 0 else 0)
    return terms


LIBRARY = {
    "ferry-a": _terms("Harbour ferry fire forces evacuation at Calder Bay", [
        "A ferry caught fire in Calder Bay on Tuesday, and 300 passengers were evacuated.",
        "The ferry fire started in the engine room, the coastguard said.",
        "Investigators will examine the ferry's engine room and its fire doors.",
        "Ferry services across Calder Bay were suspended for the day.",
    ], publisher="Coastal Ledger"),
    "ferry-b": _terms("Calder Bay ferry fire: inquiry opens", [
        "An inquiry into the Calder Bay ferry fire opened on Friday.",
        "The operator said the ferry had passed its safety inspection in March.",
        "Passengers described smoke filling the lower deck of the ferry.",
    ], publisher="Bay Courier"),
    "school-a": _terms("School meals programme expands to rural districts", [
        "The school meals programme will reach 40 rural districts next year.",
        "Teachers say school attendance rose where the meals were served.",
        "The ministry will fund the school meals programme for three more years.",
    ], publisher="Education Weekly"),
}


def _words(text: str) -> list[str]:
    return re.findall(r"[\w'-]+", text.lower())


def test_a_topic_whose_documents_share_a_phrase_gets_that_phrase():
    label = topic_label(["ferry-a", "ferry-b"], LIBRARY, "fallback")
    assert label in ("Ferry fire", "Calder Bay ferry fire"), label  # both titles say it
    assert topic_label(["school-a"], LIBRARY, "fallback") == "School meals programme"


def test_a_label_stands_in_its_documents_as_written():
    """Every word of a label in source order, next to each other: never a place from one
    sentence glued to a noun from another, nor a byline's publisher."""
    texts = {
        "ferry-a": "Harbour ferry fire forces evacuation at Calder Bay. A ferry caught fire in "
                   "Calder Bay on Tuesday. The ferry fire started in the engine room. "
                   "Ferry services across Calder Bay were suspended.",
        "ferry-b": "Calder Bay ferry fire: inquiry opens. An inquiry into the Calder Bay ferry "
                   "fire opened on Friday.",
        "school-a": "School meals programme expands to rural districts. The school meals "
                    "programme will reach 40 rural districts.",
    }
    for topic in (["ferry-a", "ferry-b"], ["school-a"], ["ferry-a"], ["ferry-b"]):
        label = topic_label(topic, LIBRARY, "fallback")
        words = _words(label)
        assert any(" ".join(words) in " ".join(_words(texts[d])) for d in topic), label
        assert not {"coastal", "ledger", "courier", "weekly"} & set(words), label
        assert not re.search(r"\d", label), label


def test_no_phrase_falls_back_to_the_title():
    terms = {"empty": Terms(), "other": LIBRARY["school-a"]}
    assert topic_label(["empty"], terms, "A document's own title") == "A document's own title"
