"""Example questions from the library (`rag.serve.suggest`): the patterns and the choice on
hand-tagged sentences (no model), then on the shipped corpus with the real engine as the judge."""

from __future__ import annotations

import pytest

from rag.serve.suggest import (
    EMPTY_LIBRARY,
    Suggester,
    Suggestion,
    Word,
    answered,
    candidates,
    choose,
    placeholder_question,
)


def tagged(spec: str) -> list[Word]:
    """Words from "Sergei/NNP/B-PERSON Shoigu/NNP/I-PERSON visited/VBD ./." (a word glued to
    the one before it is written with a leading "+": "Korea/NNP/I-GPE +’s/POS")."""
    words: list[Word] = []
    for item in spec.split():
        glued = item.startswith("+")
        text, tag, *ent = item.lstrip("+").split("/")
        label = ent[0][2:] if ent else ""
        if glued and words:
            words[-1] = Word(words[-1].text, words[-1].tag, words[-1].ent, words[-1].begins,
                             space=False)
        words.append(Word(text, tag, label, bool(ent) and ent[0].startswith("B-")))
    return words


def sentence(spec: str) -> tuple[str, list[Word]]:
    words = tagged(spec)
    return " ".join(w.text for w in words), words


VISIT = sentence("Russian/NNP/B-ORG Security/NNP/I-ORG Council/NNP/I-ORG Secretary/NNP "
                 "Sergei/NNP/B-PERSON Shoigu/NNP/I-PERSON recently/RB visited/VBD "
                 "North/NNP/B-GPE Korea/NNP/I-GPE")
TROOPS = sentence("Intelligence/NN reports/NNS estimate/VBP that/IN approximately/RB/B-CARDINAL "
                  "12,000/CD/I-CARDINAL North/JJ/B-NORP Korean/JJ/I-NORP troops/NNS are/VBP "
                  "involved/VBN in/IN Ukraine/NNP/B-GPE ./.")
QUOTE = sentence("“/`` We/PRP stand/VBP with/IN Russia/NNP/B-GPE ,/, ”/'' Shoigu/NNP/B-PERSON "
                 "stated/VBD ./.")
CHINA = sentence("China/NNP/B-GPE is/VBZ carefully/RB monitoring/VBG this/DT alliance/NN ,/, "
                 "concerned/JJ about/IN ties/NNS between/IN Japan/NNP/B-GPE and/CC "
                 "South/NNP/B-GPE Korea/NNP/I-GPE ./.")
EXPERTS = sentence("Security/NN experts/NNS recommend/VBP strengthening/VBG deterrence/NN ./.")
SEEKS = sentence("Russia/NNP/B-GPE seeks/VBZ munitions/NNS and/CC soldiers/NNS")
NOISE = sentence("The/DT two/CD/B-CARDINAL nations/NNS met/VBD in/IN 2024/CD/B-DATE ,/, "
                 "and/CC President/NNP Trump/NNP/B-PERSON described/VBD his/PRP$ call/NN ,/, "
                 "and/CC Trump/NNP/B-PERSON had/VBD a/DT call/NN ./.")


def questions(*sentences: tuple[str, list[Word]]) -> dict[str, Suggestion]:
    return {s.question: s for s in candidates(list(sentences))}


def test_each_pattern_makes_its_question_with_the_answer_it_expects() -> None:
    found = questions(VISIT, TROOPS, QUOTE, CHINA, EXPERTS, SEEKS)
    assert found["Who visited North Korea?"].expect == ("Shoigu",)
    assert found["Who visited North Korea?"].sentence == VISIT[0]
    assert found["How many North Korean troops?"].expect == ("12,000", "troops")
    assert found["What did Shoigu say?"].kind == "quote"
    assert found["What is China concerned about?"].kind == "stance"
    assert found["What do security experts recommend?"].sentence == EXPERTS[0]
    assert found["What does Russia seek?"].kind == "stance"
    # What they estimate is a count: the answer must give it whole, number and noun.
    assert found["What do intelligence reports estimate?"].expect == ("12,000", "troops")


def test_vague_numbers_pronouns_and_light_verbs_make_no_question() -> None:
    """"the two nations" refers back, 2024 is a date, "his call" says nothing on its own and
    "had a call" is no event: none of them is worth a chip."""
    assert questions(NOISE) == {}


def test_markup_and_symbols_in_a_document_make_no_question() -> None:
    hostile = sentence("Ivan/NNP/B-PERSON attacked/VBD <img/NN src=x/NN onerror=alert(1)>/NN "
                       "and/CC Olga/NNP/B-PERSON seized/VBD the/DT **/NN harbour/NN ./.")
    assert questions(hostile) == {}


def test_questions_naming_the_documents_main_actors_rank_first() -> None:
    """Both who-questions come from the last sentence, but the one about the entity that the
    document names most (North Korea, three times) ranks above a one-off (Japan)."""
    filler = [sentence("North/NNP/B-GPE Korea/NNP/I-GPE fired/VBD missiles/NNS ./."),
              sentence("Analysts/NNS watched/VBD North/NNP/B-GPE Korea/NNP/I-GPE ./.")]
    last = sentence("Shoigu/NNP/B-PERSON visited/VBD Japan/NNP/B-GPE and/CC later/RB "
                    "Kim/NNP/B-PERSON visited/VBD North/NNP/B-GPE Korea/NNP/I-GPE ./.")
    ranked = [s.question for s in candidates([*filler, last]) if s.kind == "who"]
    assert ranked.index("Who visited North Korea?") < ranked.index("Who visited Japan?")


def test_choose_goes_round_robin_newest_first_one_kind_at_a_time() -> None:
    def make(doc: str, kind: str, score: float) -> Suggestion:
        return Suggestion(f"{doc} {kind}?", kind, f"{doc} {kind} sentence.", score=score)

    new = [make("new", "who", 2), make("new", "count", 1.5), make("new", "who", 1)]
    old = [make("old", "who", 3), make("old", "quote", 1)]
    chosen = [s.question for s in choose([new, old], lambda s: True, limit=3)]
    # Round one: new's best, then old's best of a kind not shown yet; round two: new's count.
    assert chosen == ["new who?", "old quote?", "new count?"]
    # A question the judge rejects is never shown; the next one of its document stands in.
    picky = [s.question for s in choose([new, old], lambda s: s.kind != "who", limit=4)]
    assert picky == ["new count?", "old quote?"]


def test_choose_reads_only_the_documents_it_needs_and_asks_the_judge_sparingly() -> None:
    read: list[int] = []

    def documents():
        for n in range(10):
            read.append(n)
            yield [Suggestion(f"q{n}?", "who", f"s{n}.")]

    assert len(choose(documents(), lambda s: True, limit=2)) == 2 and read == [0, 1]
    asked: list[str] = []
    many = [[Suggestion(f"q{d}.{n}?", "who", f"s{d}.{n}.") for n in range(10)] for d in range(3)]
    assert choose(many, lambda s: asked.append(s.question) and False, tries=7) == []
    assert len(asked) == 7


def test_one_chip_per_source_sentence_and_no_repeats() -> None:
    """Two questions answered by one sentence would be one chip wasted; so would a repeat."""
    a = Suggestion("How many troops?", "count", "12,000 troops went.")
    b = Suggestion("Who sent troops?", "who", "12,000 troops went.")
    c = Suggestion("How many troops?", "count", "Another sentence.")
    d = Suggestion("Who went?", "who", "They went.")
    assert [s.question for s in choose([[a, b], [c, d]], lambda s: True)] == [
        "How many troops?", "Who went?"]


def test_an_answer_counts_only_when_it_is_the_one_the_question_was_made_for() -> None:
    made = Suggestion("How many troops?", "count", "About 12,000 troops went.", ("12,000",
                                                                                "troops"))
    cite = {"sentence": made.sentence}
    assert answered(made, {"abstained": False, "bluf": "**About 12,000 troops**",
                           "citations": [cite]})
    assert not answered(made, {"abstained": True, "bluf": "The sources do not say.",
                               "citations": [cite]})
    assert not answered(made, {"abstained": False, "bluf": "**12,000 troops**",
                               "citations": [{"sentence": "Another sentence."}]})
    assert not answered(made, {"abstained": False, "bluf": "**About 12,000 North**",
                               "citations": [cite]})  # cut short: no noun


def test_an_empty_library_offers_no_questions_and_says_how_to_fill_it() -> None:
    assert choose([], lambda s: True) == []
    assert placeholder_question([]) == "Ask about the documents in the library"
    assert placeholder_question(["Who visited North Korea?"]) == "e.g. Who visited North Korea?"
    assert "Library tab" in EMPTY_LIBRARY


@pytest.mark.integration
def test_shipped_corpus_questions_are_each_answered(engine, monkeypatch) -> None:
    """On the shipped article, four questions of four kinds, each answered (no abstention)
    from the sentence it was made from; a second call is a cache hit."""
    records = engine.index.documents()
    shown = Suggester(engine).questions(records)
    assert len(shown) == 4 and "Who visited North Korea?" in shown
    for question in shown:
        answer = engine.ask(question)
        assert not answer.abstained, question
        assert answer.citations and answer.citations[0].source.endswith("russia-north-korea.txt")
    suggester = Suggester(engine)
    assert suggester.questions(records) == shown
    monkeypatch.setattr(engine, "ask", None)  # cached: the engine is not asked again
    assert suggester.questions(records) == shown
    assert suggester.questions([]) == []
