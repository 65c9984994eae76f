"""Lexical helpers shared by retrieval and answering: tokens, stems, stopwords, numbers,
years and count words.

All functions are pure: text in, tokens or values out.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

_TOKEN = re.compile(r"[a-z0-9]+(?:[.,][0-9]{3})*(?:\.[0-9]+)?|[a-z0-9]+")
_NUMBER = re.compile(
    r"(?<![\w.])(\d{1,3}(?:,\d{3})+|\d+)(\.\d+)?(?:\s*(thousand|million|billion|trillion))?",
    re.I)
_SCALE = {"thousand": 1e3, "million": 1e6, "billion": 1e9, "trillion": 1e12}
_UNITS = "two three four five six seven eight nine".split()
_TEENS = "ten eleven twelve thirteen fourteen fifteen sixteen seventeen eighteen nineteen".split()
_TENS = "twenty thirty forty fifty sixty seventy eighty ninety".split()
_WORD_VALUES = {"one": 1, **{w: n for n, w in enumerate(_UNITS, 2)},
                **{w: n for n, w in enumerate(_TEENS, 10)},
                **{w: 10 * n for n, w in enumerate(_TENS, 2)}}
_SPELLED = re.compile(
    r"(?<![\w-])(" + "|".join(_TENS + _TEENS + _UNITS) + r")"
    r"(?:-(one|" + "|".join(_UNITS) + r"))?(?:\s+(hundred|thousand|million|billion))?(?![\w-])",
    re.I)

# A year: four digits from 1500 to 2099 (bare earlier ones are more often counts;
# rag/answer/spans.py takes them as dates after a preposition, "a grant of 1147"). A pattern
# rather than a compiled regex, so that larger patterns can embed it.
YEAR = r"1[5-9]\d\d|20\d\d"
# A count in words, no figure: "thousands", "tens of thousands", "several thousand". Longer
# alternatives first, so "hundreds of thousands" is one count, not "hundreds".
COUNT_WORDS = re.compile(r"\b(?:tens of thousands|hundreds of thousands|several thousand|"
                         r"a few thousand|thousands|hundreds|dozens|millions)\b", re.I)

STOPWORDS = frozenset("""
a about above after again against all am an and any are aren't as at be because been before
being below between both but by can could did do does doing down during each few for from
further had has have having he her here hers herself him himself his how i if in into is it its
itself just let me more most my myself no nor not now of off on once only or other our ours
ourselves out over own same she should so some such than that the their theirs them themselves
then there these they this those through to too under until up very was we were what when where
which while who whom why will with would you your yours yourself yourselves s t don did didn
doesn isn wasn weren won wouldn shouldn also ever get got gets tell told say says said know
much many way ve re ll d m
""".split())

# Words that frame a question rather than name what it is about.
QUESTION_WORDS = frozenset("""
what whats who whom whose which when where why how many much number numbers figure figures
amount count total kind type sort name names please tell give explain describe list happen
happened happening anything something thing things roughly approximately around about exactly
estimated estimate the according source sources corpus document documents article mention
mentioned mentions say says said do does did
""".split())


@lru_cache(maxsize=1)
def _stemmer():
    import Stemmer

    return Stemmer.Stemmer("english")


# Latin letters with no decomposition into a base letter and an accent, and the ligatures PDFs
# extract ("ﬁre").
_UNACCENTED = str.maketrans({"ł": "l", "Ł": "L", "ø": "o", "Ø": "O", "ß": "ss", "đ": "d",
                             "Đ": "D", "æ": "ae", "Æ": "Ae", "œ": "oe", "Œ": "Oe", "ı": "i",
                             "ﬁ": "fi", "ﬂ": "fl", "ﬀ": "ff", "ﬃ": "ffi", "ﬄ": "ffl"})


def fold_accents(text: str) -> str:
    """`text` without accents: "Möngke" → "Mongke", "Łódź" → "Lodz", "Straße" → "Strasse".
    Only accents go (NFD, not NFKD: "km²" and "½" stay as written)."""
    return "".join(ch for ch in unicodedata.normalize("NFD", text.translate(_UNACCENTED))
                   if not unicodedata.combining(ch))


def normalize(text: str) -> str:
    """Lower-case, with typographic quotes folded to ASCII and accents dropped (a question
    typed as "Mongke" must match "Möngke")."""
    if not text.isascii():
        text = fold_accents(text)
    return (text.lower().replace("’", "'").replace("‘", "'").replace("“", '"')
            .replace("”", '"').replace("–", "-").replace("—", "-"))


def words(text: str) -> list[str]:
    """Lower-case word tokens; numbers keep their digits without thousands separators."""
    text = normalize(text).replace("'s ", " ").replace("'", "")
    return [t.replace(",", "") if t[0].isdigit() else t for t in _TOKEN.findall(text)]


# Irregular verb forms the suffix stemmer cannot join to their base: "ran" must match "run".
# Ambiguous forms ("left", "lay", "born") are left out.
_IRREGULAR = {form: base for base, forms in (
    ("arise", "arose arisen"), ("awake", "awoke awoken"),
    # One word for starting, whatever the register: "construction began" answers "start".
    ("start", "begin begins beginning began begun commence commenced commences"),
    ("break", "broke broken"), ("breed", "bred"), ("bring", "brought"), ("build", "built"),
    ("buy", "bought"), ("catch", "caught"), ("choose", "chose chosen"), ("come", "came"),
    ("deal", "dealt"), ("dig", "dug"), ("draw", "drew drawn"), ("drive", "drove driven"),
    ("eat", "ate eaten"), ("fall", "fell fallen"), ("feed", "fed"), ("feel", "felt"),
    ("fight", "fought"), ("find", "found"), ("flee", "fled"), ("fly", "flew flown"),
    ("forbid", "forbade forbidden"), ("freeze", "froze frozen"), ("give", "gave given"),
    ("go", "went gone"), ("grow", "grew grown"), ("hang", "hung"), ("hear", "heard"),
    ("hide", "hid hidden"), ("hold", "held"), ("keep", "kept"), ("know", "knew known"),
    ("lead", "led"), ("lend", "lent"), ("lose", "lost"), ("make", "made"), ("mean", "meant"),
    ("meet", "met"), ("pay", "paid"), ("ride", "rode ridden"), ("rise", "rose risen"),
    ("run", "ran"), ("see", "saw seen"), ("sell", "sold"), ("send", "sent"),
    ("shake", "shook shaken"), ("shoot", "shot"), ("sink", "sank sunk"), ("speak", "spoke spoken"),
    ("spend", "spent"), ("stand", "stood"), ("steal", "stole stolen"), ("strike", "struck"),
    ("swear", "swore sworn"), ("take", "took taken"), ("teach", "taught"),
    ("tear", "tore torn"), ("think", "thought"), ("throw", "threw thrown"),
    ("undertake", "undertook undertaken"), ("wear", "wore worn"), ("win", "won"),
    ("withdraw", "withdrew withdrawn"), ("write", "wrote written"),
) for form in forms.split()}


def stem(word: str) -> str:
    return _stemmer().stemWord(_IRREGULAR.get(word, word))


def stems(text: str) -> list[str]:
    """Stemmed word tokens, stopwords kept (BM25 weighs them down itself)."""
    return _stemmer().stemWords([_IRREGULAR.get(w, w) for w in words(text)])


def content_words(text: str) -> list[str]:
    """Word tokens that carry meaning: no stopwords or question-framing words, de-duplicated."""
    seen: dict[str, None] = {}
    for word in words(text):
        if word not in STOPWORDS and word not in QUESTION_WORDS and len(word) > 1:
            seen.setdefault(word, None)
    return list(seen)


def numbers_in(text: str) -> list[tuple[float, int, int]]:
    """Numeric values in `text` with their (start, end) spans, in order: "12,000" → 12000.0,
    "Nine" → 9.0, "twenty-five" → 25.0 ("one" is left out: it is a pronoun as often)."""
    found = []
    for match in _NUMBER.finditer(text):
        value = float(match.group(1).replace(",", "") + (match.group(2) or ""))
        if match.group(3):
            value *= _SCALE[match.group(3).lower()]
        found.append((value, match.start(), match.end()))
    for match in _SPELLED.finditer(text):
        tens, units, scale = (match.group(n) for n in (1, 2, 3))
        value = float(_WORD_VALUES[tens.lower()] + (_WORD_VALUES[units.lower()] if units else 0))
        if scale:
            value *= _SCALE.get(scale.lower(), 100.0)
        found.append((value, match.start(), match.end()))
    return sorted(found, key=lambda f: f[1])
