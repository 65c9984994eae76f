"""The rules that pick a value out of a sentence, and the checks that refuse one.

Pure logic on hand-written sentences (spaCy's small model is real; no index, no embedder):
each case is one rule the eval set showed was needed, with a sentence that breaks it if the
rule is removed.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from rag import nlp
from rag.answer.compose import compose, unanswered_because
from rag.answer.question import analyse, counted_word, question_type, resolve_followup
from rag.answer.render import line
from rag.answer.spans import answer_span, whole_figure
from rag.config import ConfigError, load_settings
from rag.contracts import Calibration, Candidate, Composition, QType, QuestionInfo, Span, Statement
from rag.rules import RULES
from tests.conftest import DOCS


def sentence(text: str) -> Candidate:
    return Candidate(id="s", text=text, doc_id="d", source="d.md", title="", section="",
                     start=0, end=len(text), idx=0, chunk=0, kind="sentence")


def bluf(comp: Composition) -> str:
    """A composition's bottom line as the engine writes it (citation n is evidence n)."""
    return line(comp.bottom_line, lambda n: comp.evidence[n - 1].candidate.text)


def value(question: str, text: str, context: str = "") -> str | None:
    found = answer_span(analyse(question), sentence(text), context)
    return found.value if found else None


@pytest.mark.parametrize("question, qtype", [
    ("At what time was the quay opened?", "time"),
    ("When was the quay opened?", "date"),
    ("Which news agency went after Zelenskyy?", "organization"),
    ("Which company led the consortium?", "organization"),
    ("Which North Korean officials did Shoigu meet?", "person"),
    ("what was it worth?", "number"),
    ("what started it?", "reason"),
])
def test_question_types(question: str, qtype: str):
    assert question_type(question) == qtype


def test_an_unknown_answer_type_is_refused():
    """A typo in a qtype raises where the question info is made (or re-made with `replace`)
    instead of silently becoming a description."""
    info = QuestionInfo("How many?", "number", ["many"])
    assert info.qtype is QType.NUMBER and f"{info.qtype}" == "number"
    with pytest.raises(ValueError):
        QuestionInfo("How many?", "nubmer", ["many"])


@pytest.mark.parametrize("question, text, expected", [
    # a temperature keeps its degrees
    ("How many degrees do average temperatures reach in summer?",
     "Average temperatures exceed 32 °C (90 °F) during summer.", "32 °C"),
    # time of day, not the date next to it
    ("What time did the fire break out?",
     "The fire started on 12 August at about 5 p.m. near the village.", "5 p.m."),
    # a year before 1500 after a preposition is a date
    ("When did the monks receive the ferry rights?",
     "The earliest record is a grant of 1147, in which the monks received a ferry.", "1147"),
    # a date range is answered whole
    ("When did the campaign run?",
     "The department ran a catch-up campaign from 3 April to 30 June 2023.",
     "3 April to 30 June 2023"),
    # "Russian" alone names no one
    ("Whose position was KCNA citing?",
     "KCNA, citing the Russian government, declared that he was a war provoker.",
     "Russian government"),
    # an acronym is an organisation the small model may not tag
    ("Which news agency went after Zelenskyy?",
     "KCNA, citing the Russian government, declared that Zelenskyy was a war provoker.",
     "KCNA"),
    # a name after "the" or in a place phrase is not a person
    ("Who led the army that besieged Velmar?",
     "During the War of the Northern Succession, Velmar was besieged by an army under "
     "Marshal Anselm de Corvin.", "Marshal Anselm de Corvin"),
    ("Who is supplying the trains?",
     "Line 4 will run from Kestrel Hill to the port; trains are ordered from Halden Rail.",
     "Halden Rail"),
    # the group next to the question's words, not a person named elsewhere in the sentence
    ("Who are the North Korean troops fighting alongside?",
     "The hermit kingdom signed a mutual defense agreement during Putin’s visit to Pyongyang, "
     "which has reportedly led to thousands of North Korean soldiers fighting alongside Russian "
     "forces in Ukraine.", "Russian forces"),
    # a title before the person is no other doer
    ("Who visited North Korea?",
     "Russian Security Council Secretary Sergei Shoigu recently visited North Korea, "
     "strengthening ties between the two nations",
     "Sergei Shoigu (Russian Security Council Secretary)"),
    # the name the sentence gives the noun asked for
    ("Which region could the alliance destabilize?",
     "The alliance threatens to destabilize the Indo-Pacific region.", "Indo-Pacific region"),
    # a figure before "thousands"
    ("How many soldiers has Pyongyang sent?",
     "Thousands of soldiers have been sent; reports estimate around 12,000 soldiers.",
     "around 12,000 soldiers"),
    # a percentage question wants percent, not tons
    ("By what percentage was the cod quota reduced?",
     "The quota was cut by 15 percent, to 6,900 tons.", "15 percent"),
])
def test_value_picked_from_the_sentence(question: str, text: str, expected: str):
    assert value(question, text) == expected


def test_a_unit_the_measure_cannot_take_scores_nothing():
    question = analyse("How often will the trains run?")
    wrong = answer_span(question, sentence("The line will run 14.6 kilometres across the city."))
    right = answer_span(question, sentence("Service: every 3.5 minutes at peak times."))
    assert wrong is not None and wrong.fit == 0
    assert right == Span("3.5 minutes", "3.5", 3, len("Service: every "))


@pytest.mark.parametrize("question, text", [
    # a figure for another year is no answer for the year asked
    ("What was the population in 1900?", "The population rose from 38,000 in 1850 to "
                                         "164,000 in 1910."),
    # an organisation is not a person's name
    ("Which company built the machines?",
     "The machine, named after the reforming mayor Edda Lindqvist, advances 12 metres a day."),
    # another nationality than the one asked for
    ("Which North Korean officials did he meet?",
     "He met the Russian Security Council in Moscow."),
])
def test_no_value_when_the_sentence_does_not_answer(question: str, text: str):
    assert value(question, text) is None


@pytest.mark.parametrize("question, text, reason", [
    ("Who was the first mayor of Velmar?", "Joachim Reyes is the mayor of Velmar.",
     "which was the first"),
    ("How many people died in the 1911 strike?", "The strike of 1912 lasted 58 days.",
     "does not mention 1911"),
    ("When did Kessler Jovanic open the quay?", "Anna Berg opened the quay in 1702.",
     "do not mention Kessler Jovanic"),
    ("How many soldiers have been killed?", "About 12,000 soldiers were deployed.",
     "figure for “killed”"),
])
def test_checks_that_refuse_an_answer(question: str, text: str, reason: str):
    assert reason in unanswered_because(analyse(question), sentence(text), text, None)


@pytest.mark.parametrize("question, text", [
    # a question drops the accents its source keeps
    ("When did Mongke Khan become Great Khan?",
     "Möngke Khan succeeded Güyük as Great Khan in 1251."),
    # "10 million" is one value written as two words
    ("What was the combined wealth of the 10 Million dollar millionaires in 2008?",
     "The combined wealth of the 10 million dollar millionaires grew to $41 trillion in 2008."),
])
def test_checks_do_not_refuse_what_the_evidence_says(question: str, text: str):
    assert unanswered_because(analyse(question), sentence(text), text, None) == ""


def test_ordinal_used_as_a_verb_is_no_ordinal():
    text = "Velmar was besieged for 47 days in 1689."
    assert unanswered_because(analyse("How long did the 1689 siege last?"), sentence(text),
                              text, None) == ""


def test_ellipsis_swaps_what_the_last_question_counted():
    history = [{"role": "user", "content": "How many troops were deployed against the fires?"},
               {"role": "assistant", "content": "About 3,100 troops [1]"}]
    resolved = resolve_followup("and firefighters?", history)
    assert resolved == "How many firefighters were deployed against the fires?"
    assert counted_word(resolved) == "firefighters"


def test_it_is_the_thing_the_last_question_asked_about():
    history = [{"role": "user", "content": "What agreement did the two countries sign?"},
               {"role": "assistant", "content": "North Korea signed a mutual defense agreement "
                                                "during Putin’s visit to Pyongyang [1]."}]
    assert resolve_followup("what has it led to?", history) == "what has the agreement led to?"


def test_batched_entities_match_one_at_a_time():
    texts = ["Mayor Karl Aske told the city council a week after the flood.",
             "Trains are ordered from Halden Rail for Line 4 in Velmar."]
    one_by_one = [nlp.entities(t) for t in texts]
    nlp._cache.clear()
    nlp.prime(texts)
    assert all(t in nlp._cache for t in texts)
    assert [nlp.entities(t) for t in texts] == one_by_one
    assert any(e.label == "PERSON" for e in one_by_one[0])


def test_entities_skip_the_tagger_and_lose_nothing():
    """`nlp.entities` runs NER alone; the full pipeline must find the same entities."""
    texts = [line for line in (DOCS / "russia-north-korea.txt").read_text(
        encoding="utf-8").splitlines() if line.strip()]
    full = [tuple((e.text, e.label_, e.start_char, e.end_char) for e in doc.ents)
            for doc in nlp.pipeline().pipe(texts)]
    nlp._cache.clear()
    found = [tuple((e.text, e.label, e.start, e.end) for e in nlp.entities(t)) for t in texts]
    assert found == full and sum(map(len, full)) > 20


@pytest.mark.parametrize("question, text, expected", [
    ("How long will the repairs take?", "Repairs are expected to take 10 to 14 days.",
     "10 to 14 days"),
    ("How many frigates will the navy add?", "The navy will add four frigates to the force.",
     "four frigates"),
    ("How many ships were hit?", "In all, 14 ships were hit in March.", "14 ships"),
])
def test_figures_keep_their_range_and_spelled_out_numbers_count(question, text, expected):
    assert value(question, text) == expected


def test_spelled_out_numbers_are_numbers_but_one_is_not():
    from rag.text import numbers_in

    assert [v for v, _, _ in numbers_in("Nine vessels, twenty-five boats and 3 tugs")] == \
        [9.0, 25.0, 3.0]
    assert numbers_in("no one knows") == []


def test_a_rule_switched_off_no_longer_decides():
    mayor = sentence("Joachim Reyes is the mayor of Velmar.")
    mayor.score, mayor.dense, mayor.coverage = 0.8, 0.7, 0.8
    question = analyse("Who was the first mayor of Velmar?")
    assert compose(question, [mayor]).abstained
    answer = compose(question, [mayor], off=frozenset({"ordinal"}))
    assert not answer.abstained and answer.evidence[0].value == "Joachim Reyes"
    with pytest.raises(ValueError, match="no such answer rule: whatever"):
        compose(question, [mayor], off=frozenset({"whatever"}))


def test_every_named_rule_is_one_the_answerer_can_switch_off():
    source = (Path(__file__).resolve().parent.parent / "rag" / "answer" / "compose.py").read_text()
    for name in RULES:
        assert f'on("{name}")' in source or f'"{name}" not in off' in source, name


def test_unknown_rule_names_are_a_configuration_error():
    assert load_settings({"SITREP_RULES_OFF": "ordinal, neighbours"}).rules_off == \
        {"ordinal", "neighbours"}
    with pytest.raises(ConfigError, match="names no rule quotes"):
        load_settings({"SITREP_RULES_OFF": "quotes"})


def _read(best: str, second: str) -> tuple[Candidate, Candidate, Candidate]:
    """Three read candidates: `best` (retrieval 0.9, reader 0.8), `second` (a low retrieval
    score 0.3 the reader rates 0.6) and noise (0.35, 0.05)."""
    cands = (sentence(best), sentence(second),
             sentence("The talks were held in a government guest house."))
    for n, (cand, score, reader) in enumerate(zip(cands, (0.9, 0.3, 0.35), (0.8, 0.6, 0.05))):
        cand.id, cand.score, cand.reader = str(n), score, reader
        cand.dense, cand.coverage = 0.6, 0.5
    return cands


def test_with_the_reader_a_description_cites_what_it_rates_highly():
    best, weak, noise = _read("The alliance gives Pyongyang food and military assistance in "
                              "return.", "Moscow wants munitions and soldiers for the war.")
    info = analyse("What does each side get from the partnership?")
    calibration = Calibration(weight=0.5, threshold=0.2)
    answer = compose(info, [best, noise, weak], calibration=calibration)
    cited = [e.candidate for e in answer.evidence]
    assert cited == [best, weak]  # the reader vouches for the second sentence, not the noise
    alone = compose(info, [best, noise, weak], calibration=calibration,
                    off=frozenset({"reader_citations"}))
    assert [e.candidate for e in alone.evidence] == [best]


def test_with_the_reader_a_figure_also_cites_what_it_rates_highly():
    """A typed question cites the sentence giving the value and, as support without a value of
    its own, a sentence the reader rates at least half as high (`reader_support`)."""
    figure, support, noise = _read("About 12,000 North Korean troops are involved in the "
                                   "conflict.", "Pyongyang has sent soldiers to fight alongside "
                                   "Russian forces.")
    info = analyse("How many troops were sent to the war?")
    calibration = Calibration(weight=0.5, threshold=0.0)
    answer = compose(info, [figure, noise, support], calibration=calibration)
    assert [e.candidate for e in answer.evidence] == [figure, support]
    assert answer.evidence[0].value == "About 12,000 North Korean troops"
    assert answer.evidence[1].value == "" and not answer.conflict
    alone = compose(info, [figure, noise, support], calibration=calibration,
                    off=frozenset({"reader_support"}))
    assert [e.candidate for e in alone.evidence] == [figure]


@pytest.mark.parametrize("value, qtype, fits", [
    ("1281", "date", True), ("the 12th century", "date", True),
    ("66 million years ago", "date", True), ("The hermit kingdom signed", "date", False),
    ("several", "number", True), ("four frigates", "number", True),
    ("Economic and health issues", "number", False), ("2:40 a.m.", "time", True),
    ("about 5 p.m.", "number", False), ("12 August", "number", False),
    ("cnidarians", "person", True),  # names are not checked: answers are often lower case
])
def test_a_value_can_be_of_the_asked_type_or_not(value: str, qtype: str, fits: bool):
    from rag.answer.spans import can_be_type

    assert can_be_type(value, qtype) is fits


def test_a_reader_phrase_that_is_no_date_gives_the_sentence_not_a_false_value():
    text = ("The hermit kingdom signed a mutual defense agreement during Putin's visit to "
            "Pyongyang.")
    visit = sentence(text)
    visit.score, visit.dense, visit.coverage, visit.reader = 0.9, 0.7, 0.8, 0.6
    visit.answer = (0, text.index(" during"))  # the reader's span: no date at all
    info = analyse("When did the agreement get signed?")
    calibration = Calibration(weight=0.5, threshold=0.0)
    answer = compose(info, [visit], calibration=calibration)
    assert not answer.abstained  # the sentence, no phrase
    assert answer.bottom_line == (Statement(cites=(1,), quotes=True),)
    assert bluf(answer) == f"{text} [1]"
    mislabelled = compose(info, [visit], calibration=calibration,
                          off=frozenset({"reader_value_type"}))
    assert mislabelled.bottom_line == (
        Statement(value="The hermit kingdom signed a mutual defense agreement", cites=(1,)),)
    assert bluf(mislabelled) == "**The hermit kingdom signed a mutual defense agreement** [1]"


def test_a_rival_value_stands_beside_one_the_reader_lifted():
    """Retrieval weighs the rival: the reader's share of the top sentence's score (it read only
    that one) does not push the other document's figure out of the answer."""
    top = sentence("The reservoir holds about 3.8 billion cubic metres of water.")
    rival = sentence("The reservoir's capacity is 4.2 billion cubic metres.")
    top.id, top.doc_id, rival.id, rival.doc_id = "a", "review", "b", "overview"
    for cand, score in ((top, 0.6), (rival, 0.5)):
        cand.score, cand.dense, cand.coverage = score, 0.7, 0.8
    top.reader = 0.9
    top.score += 0.5 * top.reader  # fused as the engine does: 1.05 against the rival's 0.5
    answer = compose(analyse("How much water does the reservoir hold?"), [top, rival],
                     calibration=Calibration(weight=0.5, threshold=0.0))
    assert answer.conflict and [e.candidate for e in answer.evidence] == [top, rival]


def test_sentences_the_reader_did_not_read_are_not_cited_on_its_word():
    """Candidates past the ones read carry reader 0: with none read, there is no reader floor,
    so nothing is cited on the reader's word (the retrieval filters apply)."""
    figure = sentence("About 12,000 North Korean troops are involved in the conflict.")
    talks = sentence("The talks were held in a government guest house.")
    for n, (cand, score) in enumerate(((figure, 0.9), (talks, 0.3))):
        cand.id, cand.score, cand.dense, cand.coverage = str(n), score, 0.6, 0.5
    answer = compose(analyse("How many troops were sent to the war?"), [figure, talks],
                     calibration=Calibration(weight=0.5, threshold=0.0))
    assert [e.candidate for e in answer.evidence] == [figure]


def test_words_fold_accents_and_ligatures_only():
    from rag.text import words

    assert words("Möngke Łódź Ørsted Straße ﬁre") == ["mongke", "lodz", "orsted", "strasse",
                                                       "fire"]
    assert words("12 km² of land") == ["12", "km", "of", "land"]  # no "km2" out of thin air


def test_this_year_and_last_year_count_from_the_document_date():
    from rag.answer.compose import relative_years

    text = "There were 1,310 wildfires this year, against 980 last year."
    assert relative_years(text, "2023-10-09") == ["2022", "2023"]
    assert relative_years(text, None) == []  # no date, no year
    assert relative_years("The season was the worst on record.", "2023-10-09") == []


def test_a_day_of_the_month_or_an_hour_is_no_count():
    text = "The fire started on 12 August at about 5 p.m. and burned 48,900 hectares."
    assert value("How big did the fire get?", text) == "48,900 hectares"
    assert value("How big did the fire get?", "The fire started on 12 August at 5 p.m.") is None


def test_a_count_never_reaches_across_a_verb():
    assert counted_word("How many children was the campaign aiming to vaccinate?") == ""
    assert counted_word("How many vaccination teams were deployed?") == "teams"


def _two_reports(question: str, first: str, second: str, second_title: str = "",
                 second_reader: float = 0.0):
    """`compose` over `first` (document "a", retrieval 0.8, reader 0.7) and `second`
    (document "b", titled `second_title`, retrieval 0.6, reader `second_reader`)."""
    top, other = sentence(first), sentence(second)
    top.id, other.id, other.doc_id, other.title = "a", "b", "b", second_title
    for cand, score, reader in ((top, 0.8, 0.7), (other, 0.6, second_reader)):
        cand.dense, cand.coverage, cand.reader = 0.6, 0.5, reader
        cand.score = score + 0.5 * reader
    return compose(analyse(question), [top, other],
                   calibration=Calibration(weight=0.5, threshold=0.14, abstains=False))


def _shown(answer) -> list[str]:
    return [e.value for e in answer.evidence if e.value]


def test_two_documents_naming_different_holders_of_one_role_disagree():
    answer = _two_reports("Who was the energy minister at the opening?",
                          "Energy Minister Tobias Wren said at the opening that the dam would "
                          "keep the lights on.",
                          "Energy Minister Paula Renko cut the ribbon at the opening.")
    assert answer.conflict and _shown(answer) == ["Tobias Wren (Energy Minister)",
                                                  "Paula Renko (Energy Minister)"]


def test_two_names_without_a_role_disagree_only_on_the_readers_word():
    """"Who visited?" may have two right answers: a second name is a rival only when the
    reader rates its sentence as answering (here at least its threshold and half the top's)."""
    question = "Who led the consortium that built the dam?"
    top = "The consortium that built the dam was led by Halberg Construction."
    other = "The consortium that built the dam was led by Dremmel & Sons."
    assert _two_reports(question, top, other, second_reader=0.6).conflict
    assert not _two_reports(question, top, other, second_reader=0.05).conflict


def test_figures_counting_the_asked_noun_are_rivals_whatever_word_the_value_stops_at():
    answer = _two_reports("How many vaccination teams were deployed?",
                          "Vaccination teams deployed: 1,020 teams with 3,150 health workers",
                          "The department deployed 870 vaccination teams, made up of some "
                          "2,900 health workers.")
    assert answer.conflict and len(_shown(answer)) == 2


@pytest.mark.parametrize("question, top, other, elsewhere, same_topic", [
    # another city's tram line, costed in the same unit, is no rival to "Line 4"
    ("What is the estimated cost of Line 4?",
     "The city estimates the total cost of Line 4 at 2.3 billion euros.",
     "The total cost of the new line is estimated at 410 million euros.",
     "Ostmark approves tram extension", "Line 4 boring machine sets off"),
    # a flood report that never names the fire asked about gives no rival count
    ("How many residents were evacuated because of the Tamsin Creek fire?",
     "The Tamsin Creek fire forced the evacuation of 9,800 residents.",
     "In all, 4,500 residents were evacuated.", "Solva River floods", "The Tamsin Creek fire"),
])
def test_a_rival_passes_the_checks_its_top_passes(question, top, other, elsewhere, same_topic):
    """A rival's own context names the labels and names the question does."""
    assert not _two_reports(question, top, other, elsewhere).conflict
    assert _two_reports(question, top, other, same_topic).conflict


def test_a_description_the_reader_answers_with_a_figure_shows_a_rival_figure():
    text = "At the peak of construction in 2019, some 6,700 workers were employed on the site."
    question = "What was the peak workforce on the site?"
    top, other = sentence(text), sentence("At the busiest point of construction the site "
                                          "employed about 5,200 workers.")
    top.id, other.id, other.doc_id = "a", "b", "b"
    for cand, reader in ((top, 0.3), (other, 0.2)):
        cand.dense, cand.coverage, cand.reader, cand.score = 0.6, 0.5, reader, 0.6 + reader / 2
    top.answer = (text.index("some"), text.index(" were"))
    calibration = Calibration(weight=0.5, threshold=0.14, abstains=False)
    answer = compose(analyse(question), [top, other], calibration=calibration)
    assert answer.conflict and _shown(answer) == ["some 6,700 workers", "about 5,200 workers"]
    alone = compose(analyse(question), [top, other], calibration=calibration,
                    off=frozenset({"reader_figure"}))
    assert not alone.conflict and alone.evidence[0].value == "some 6,700 workers"
    single = compose(analyse(question), [top], calibration=calibration)  # no rival: as asked
    assert bluf(single) == bluf(alone) == f"**Some 6,700 workers** — {text} [1]"


def test_a_date_keeps_the_day_the_entity_model_left_out():
    assert value("On what day did the fire start?", "It broke out on the afternoon of 9 August "
                 "in a wheat field outside Tamsin.") == "9 August"


@pytest.mark.parametrize("question, text, reader, alone, picked", [
    # the rules' best fit is the "12" of "12-mile zone"; the reader points at the count asked
    ("How often were foreign trawlers seen fishing inside Orsk's waters?",
     "Foreign trawlers were seen fishing inside the island's 12-mile zone on at least four "
     "occasions.", "four", "12", "at least four occasions"),
    # "the two" is no count of jobs; the reader reads the figure that is
    ("How many jobs went when the Nordby plant closed?",
     "The larger of the two, the Nordby plant at Port Orsk, employed about 160 people when it "
     "shut in September.", "160", "two", "about 160 people"),
    # of two names the reader picks the one that answers; the rules add the role
    ("Who opened the dam?",
     "Guests cheered Governor Ilse Marr as Energy Minister Paula Renko cut the ribbon.",
     "Paula Renko", "Ilse Marr (Governor)", "Paula Renko (Energy Minister)"),
    # …also a name only the name rule finds, over the entity rule's person elsewhere
    ("Who opened the dam?",
     "Guests cheered Governor Ilse Marr as Marshal Anselm de Corvin cut the ribbon.",
     "Anselm de Corvin", "Ilse Marr (Governor)", "Marshal Anselm de Corvin"),
    # …and an acronym over the organisation the entity rule prefers
    ("Which company built the trains?",
     "The Velmar Transit Authority hired Halden Rail and KTS to build the trains.",
     "KTS", "The Velmar Transit Authority", "KTS"),
])
def test_the_reader_picks_which_value_of_a_sentence_answers(question, text, reader, alone,
                                                            picked):
    info, cand = analyse(question), sentence(text)
    at = text.index(reader)
    assert answer_span(info, cand).value == alone
    assert answer_span(info, cand, within=(at, at + len(reader))).value == picked
    # a reader phrase covering no value of the asked kind leaves the rules' choice
    assert answer_span(info, cand, within=(0, 3)).value == alone


def test_reader_picks_value_is_a_rule_that_can_be_switched_off():
    text = ("Foreign trawlers were seen fishing inside the island's 12-mile zone on at least "
            "four occasions.")
    cand = sentence(text)
    cand.score, cand.dense, cand.coverage, cand.reader = 0.9, 0.7, 0.8, 0.6
    cand.answer = (text.index("four"), text.index(" occasions"))
    info = analyse("How often were foreign trawlers seen fishing inside the island's zone?")
    calibration = Calibration(weight=0.5, threshold=0.1, abstains=False)
    assert compose(info, [cand], calibration=calibration).evidence[0].value == \
        "at least four occasions"
    assert compose(info, [cand], calibration=calibration,
                   off=frozenset({"reader_picks_value"})).evidence[0].value == "12"


@pytest.mark.parametrize("value, text, whole", [
    ("1,548 public", "There were 1,548 public schools and 489 Catholic schools.",
     "1,548 public schools"),
    ("870 vaccination", "The department sent out 870 vaccination teams to the villages.",
     "870 vaccination teams"),
    ("236 licensed", "The island has 236 licensed fishing vessels, from open boats to trawlers.",
     "236 licensed fishing vessels"),
    ("Five formerly", "Five formerly government-owned companies were sold.",
     "Five formerly government-owned companies"),
    # whole already: a plural head, a unit, a bare figure
    ("300 soldiers", "The army sent 300 soldiers last week.", "300 soldiers"),
    ("12 percent", "Exports saw a 12 percent rise last year.", "12 percent"),
    ("12", "Nearly 12 of them left early.", "12"),
])
def test_a_figure_runs_on_to_the_noun_its_unit_stopped_short_of(value, text, whole):
    assert whole_figure(value, text, text.index(value)) == whole


def test_a_figure_runs_on_where_it_stands_not_where_its_words_first_occur():
    text = "The council opened 3 new schools and 3 new hospitals."
    assert whole_figure("3 new", text, text.rindex("3 new")) == "3 new hospitals"
    assert whole_figure("3 new", text, text.index("3 new")) == "3 new schools"
    often = "Medics had often treated wounded soldiers, and ten were killed."
    assert whole_figure("ten", often, -1) == "ten"  # a place not known: as it is
    assert whole_figure("ten", often, often.index("ten")) == "ten"  # inside "often": no figure
    assert whole_figure("ten", often, often.index(" ten") + 1) == "ten"  # a verb follows


def test_a_number_answer_shows_the_whole_figure():
    cand = sentence("In 2013 the state had 1,548 public schools.")
    cand.score, cand.dense, cand.coverage = 0.9, 0.7, 0.8
    answer = compose(analyse("How many schools did the state have in 2013?"), [cand])
    assert answer.evidence[0].value == "1,548 public schools"
    assert bluf(answer).startswith("**1,548 public schools**")


def test_a_value_cites_only_the_sentences_that_give_it():
    """A sentence the reader vouches for stays cited as support, but the bold value does not
    claim it unless it gives that value."""
    top = sentence("Dockworkers returned to work after a strike that lasted nine days.")
    support = sentence("The strike ended on Friday after union members voted to accept a deal.")
    same = sentence("It was a nine days long stoppage, the union said.")
    for n, (cand, reader) in enumerate(((top, 0.9), (support, 0.8), (same, 0.7))):
        cand.id, cand.doc_id = str(n), str(n)
        cand.score, cand.dense, cand.coverage, cand.reader = 0.9 - n / 10, 0.6, 0.5, reader
    calibration = Calibration(weight=0.5, threshold=0.1, abstains=False)
    info = analyse("How long did the strike last?")
    answer = compose(info, [top, support], calibration=calibration)
    assert [e.candidate.id for e in answer.evidence] == ["0", "1"]
    assert answer.bottom_line[0].value == "Nine days" and answer.bottom_line[0].cites == (1,)
    both = compose(info, [top, support, same], calibration=calibration)
    assert [e.candidate.id for e in both.evidence] == ["0", "2", "1"]  # values first
    assert both.bottom_line[0].cites == (1, 2)


@pytest.mark.parametrize("text, name", [
    ("If Achebe wins the recount, the seat changes hands.", "Achebe"),
    ("The Energy Minister Paula Renko cut the ribbon.", "Paula Renko (Energy Minister)"),
])
def test_a_title_is_never_the_word_that_opens_the_sentence(text, name):
    assert value("Who won the seat?" if "Achebe" in text else "Who cut the ribbon?", text) == name


def test_a_value_set_without_its_place_still_gets_its_offsets():
    """A description's reader phrase has no recorded start (-1); opening its sentence, it is
    still found there, and a recorded start is used as recorded."""
    from rag.contracts import Evidence
    from rag.engine import _value

    cand = sentence("Russian forces in Ukraine got shells; Russian forces in Ukraine paid.")
    cand.start = 100
    phrase = Composition(False, (), [Evidence(cand, "Russian forces in Ukraine")])
    assert _value(phrase) == {"text": "Russian forces in Ukraine", "n": 1, "start": 100,
                              "end": 125}
    second = cand.text.rindex("Russian")
    placed = Composition(False, (), [Evidence(cand, "Russian forces in Ukraine", start=second)])
    assert _value(placed)["start"] == 100 + second
