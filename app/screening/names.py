"""Names as comparable tokens, whatever script or spelling they came in."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from anyascii import anyascii

# Scripts written without short vowels: their Latin form is compared by consonants.
_ABJAD = re.compile(r"[\u0590-\u05ff\u0600-\u06ff\u0750-\u077f\u08a0-\u08ff\ufb50-\ufdff"
                    r"\ufe70-\ufeff]")
_NOT_LETTER = re.compile(r"[^a-z0-9]+")
_VOWELS = re.compile(r"[aeiouy]+")
_DOUBLES = re.compile(r"(.)\1+")
# Words that carry no identity on their own; they are kept out of the score.
PARTICLES = frozenset({
    "al", "el", "ul", "bin", "ibn", "bint", "abu", "van", "von", "der", "den", "de", "del",
    "della", "di", "da", "dos", "das", "du", "la", "le", "mr", "mrs", "ms", "dr", "sheikh",
    "haji", "hajji", "mohd", "the", "and", "y", "l", "bn", "seyed", "sayyid", "sayed", "syed",
    "sayyed", "mullah", "mulla"})
# Legal forms written out or abbreviated, made one so "Oil Co" meets "Oil Company".
LEGAL_FORMS = {"company": "co", "limited": "ltd", "corporation": "corp",
               "incorporated": "inc", "societe": "sa", "sociedad": "sa",
               "gesellschaft": "gmbh", "airlines": "air", "airways": "air"}
_LEGAL_PHRASES = [(re.compile(rf"\b{p}\b"), r) for p, r in (
    ("public joint stock company", "pjsc"), ("open joint stock company", "ojsc"),
    ("closed joint stock company", "cjsc"), ("joint stock company", "jsc"),
    ("limited liability company", "llc"), ("public limited company", "plc"))]


@dataclass(frozen=True, slots=True)
class NameForm:
    """One written name: its tokens, and whether they should be compared by consonants."""

    text: str
    tokens: tuple[str, ...]
    abjad: bool
    # Particles written joined to the next word ('abubakr', 'lebreton'), as some
    # documents write them; compared as alternatives.
    glued: tuple[tuple[str, ...], ...] = ()


_ARABIC_ARTICLE = re.compile(r"(?<![\u0600-\u06ff])\u0627\u0644(?=[\u0600-\u06ff]{2})")
_SYLLABLE = re.compile(r"(?<=[a-z])(?=[A-Z])")
_APOSTROPHES = re.compile(r"['`\u2018\u2019\u02bb\u02bc\u02be\u02bf]")
_HANGUL = re.compile(r"[\uac00-\ud7a3]+")

# Arabic and Persian letters as lists romanise them. A general transliterator drops the
# long vowels (alif, waw, ya), which leaves 'smh' for Usama; lists write 'Usama'.
_ARABIC_LETTERS = str.maketrans({
    "\u0621": "", "\u0622": "a", "\u0623": "a", "\u0624": "u", "\u0625": "i",
    "\u0626": "i", "\u0627": "a", "\u0628": "b", "\u0629": "a", "\u062a": "t",
    "\u062b": "th", "\u062c": "j", "\u062d": "h", "\u062e": "kh", "\u062f": "d",
    "\u0630": "dh", "\u0631": "r", "\u0632": "z", "\u0633": "s", "\u0634": "sh",
    "\u0635": "s", "\u0636": "d", "\u0637": "t", "\u0638": "z", "\u0639": "",
    "\u063a": "gh", "\u0640": "", "\u0641": "f", "\u0642": "q", "\u0643": "k",
    "\u0644": "l", "\u0645": "m", "\u0646": "n", "\u0647": "h", "\u0648": "w",
    "\u0649": "a", "\u064a": "y", "\u064e": "a", "\u064f": "u", "\u0650": "i",
    "\u067e": "p", "\u0686": "ch", "\u0698": "zh", "\u06a9": "k", "\u06af": "g",
    "\u06cc": "y", "\u06c0": "e", "\u200c": "",
    **{chr(c): "" for c in range(0x064b, 0x0653) if c not in (0x064e, 0x064f, 0x0650)}})
_ALLAH = re.compile(r"\u0627?\u0644\u0644\u0647(?![\u0600-\u06ff])")
_PERSIAN_E = re.compile(r"\u0647(?=\u200c|$|\s)")  # silent h: Khamene-i, Zade


# Waw and ya are long vowels between consonants (Mahmud, Ruhani, Soleimani) and
# consonants at the start of a word or before alif (Walid, Javad, Yasin).
_WAW_YA_VOWEL = re.compile(r"(?<=[\u0600-\u06ff])([\u0648\u064a\u06cc])(?![\u0627\u0622]|$|\s)")


def _romanise_arabic(text: str) -> str:
    text = _ALLAH.sub("allah", text)
    text = _WAW_YA_VOWEL.sub(lambda m: "u" if m.group(1) == "\u0648" else "i", text)
    text = _ARABIC_ARTICLE.sub("\u0627\u0644 ", text)  # 'البغدادي' → 'al baghdadi'
    if "\u200c" in text or re.search(r"[\u067e\u0686\u0698\u06a9\u06af\u06cc]", text):
        text = _PERSIAN_E.sub("e", text)
    return text.translate(_ARABIC_LETTERS)


def _romanise_hangul(run: str) -> str:
    # Revised Romanisation writes Gim, Bak; lists (McCune-Reischauer) Kim, Pak.
    syllables = _SYLLABLE.sub(" ", anyascii(run)).lower().split()
    hard = {"g": "k", "b": "p", "d": "t", "l": "r"}
    return " ".join(hard.get(s[0], s[0]) + s[1:] for s in syllables)


def latin(text: str) -> str:
    """Any script to lower-case ASCII words: 'Владимир' → 'vladimir', 'Zoë' → 'zoe'."""
    text = unicodedata.normalize("NFKC", text)
    text = _APOSTROPHES.sub("", text)  # O'Brien, Ma'mun: one word
    if _ABJAD.search(text):
        text = _romanise_arabic(text)
    text = _HANGUL.sub(lambda m: " " + _romanise_hangul(m.group()) + " ", text)
    # Chinese comes out as 'ZhangWeiMing': one word per syllable, as lists write it.
    ascii_text = _SYLLABLE.sub(" ", anyascii(text))
    # The soft and hard signs come out as apostrophes: Добровольский is one word.
    ascii_text = ascii_text.replace("'", "")
    return " ".join(_NOT_LETTER.sub(" ", ascii_text.lower()).split())


# Spellings that differ only by transliteration habit (German, French, English, Polish
# renderings of the same Cyrillic, Greek or Arabic letters), made one.
_HABITS = [(re.compile(p), r) for p, r in (
    (r"x", "ks"), (r"w", "v"), (r"ck", "k"), (r"ph", "f"), (r"kh", "h"), (r"^ch", "h"),
    (r"tch", "ch"), (r"ou", "u"), (r"ee", "i"), (r"oo", "u"), (r"iy$", "i"), (r"y", "i"),
    (r"j", "i"), (r"gh", "g"), (r"q", "k"), (r"[ae]h$", "a"), (r"c(?=[aou])", "k"),
    (r"z", "s"), (r"eo", "o"), (r"eu", "u"), (r"dh", "d"), (r"th", "t"), (r"(.)\1+", r"\1"))]


@lru_cache(maxsize=1 << 18)
def spoken(token: str) -> str:
    """'chodorkowski' and 'khodorkovsky' both give 'hodorkovski'."""
    for pattern, replacement in _HABITS:
        token = pattern.sub(replacement, token)
    return token


@lru_cache(maxsize=1 << 18)
def skeleton(token: str) -> str:
    """Consonants only, doubles collapsed: 'muhammad' and 'mhmd' both give 'mhmd'."""
    return _DOUBLES.sub(r"\1", _VOWELS.sub("", token)) or token


def name_form(text: str) -> NameForm:
    plain = latin(text)
    for phrase, short in _LEGAL_PHRASES:
        plain = phrase.sub(short, plain)
    raw = [LEGAL_FORMS.get(w, w) for w in plain.split()]
    words = [w for w in raw if w not in PARTICLES]
    if not words:  # a name made only of particles is still a name
        words = raw
    glued = []
    for i in range(len(raw) - 1):
        if raw[i] in PARTICLES and raw[i + 1] not in PARTICLES and len(raw[i]) > 1:
            joined = [*raw[:i], raw[i] + raw[i + 1], *raw[i + 2:]]
            glued.append(tuple(w for w in joined if w not in PARTICLES))
    return NameForm(text, tuple(words), bool(_ABJAD.search(text)), tuple(glued))
