"""Names as comparable tokens, whatever script or spelling they came in."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

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
    "haji", "hajji", "mohd", "the", "and", "y", "l"})


@dataclass(frozen=True, slots=True)
class NameForm:
    """One written name: its tokens, and whether they should be compared by consonants."""

    text: str
    tokens: tuple[str, ...]
    abjad: bool


_ARABIC_ARTICLE = re.compile(r"(?<![\u0600-\u06ff])\u0627\u0644(?=[\u0600-\u06ff]{2})")
_SYLLABLE = re.compile(r"(?<=[a-z])(?=[A-Z])")


def latin(text: str) -> str:
    """Any script to lower-case ASCII words: 'Владимир' → 'vladimir', 'Zoë' → 'zoe'."""
    text = unicodedata.normalize("NFKC", text)
    text = _ARABIC_ARTICLE.sub("\u0627\u0644 ", text)  # 'البغدادي' → 'al baghdadi'
    # Chinese comes out as 'ZhangWeiMing': one word per syllable, as lists write it.
    ascii_text = _SYLLABLE.sub(" ", anyascii(text))
    return " ".join(_NOT_LETTER.sub(" ", ascii_text.lower()).split())


# Spellings that differ only by transliteration habit (German, French, English, Polish
# renderings of the same Cyrillic, Greek or Arabic letters), made one.
_HABITS = [(re.compile(p), r) for p, r in (
    (r"x", "ks"), (r"w", "v"), (r"ck", "k"), (r"ph", "f"), (r"kh", "h"), (r"^ch", "h"),
    (r"tch", "ch"), (r"ou", "u"), (r"ee", "i"), (r"oo", "u"), (r"iy$", "i"), (r"y", "i"),
    (r"j", "i"), (r"gh", "g"), (r"q", "k"), (r"[ae]h$", "a"), (r"c(?=[aou])", "k"),
    (r"z", "s"), (r"(.)\1+", r"\1"))]


def spoken(token: str) -> str:
    """'chodorkowski' and 'khodorkovsky' both give 'hodorkovski'."""
    for pattern, replacement in _HABITS:
        token = pattern.sub(replacement, token)
    return token


def skeleton(token: str) -> str:
    """Consonants only, doubles collapsed: 'muhammad' and 'mhmd' both give 'mhmd'."""
    return _DOUBLES.sub(r"\1", _VOWELS.sub("", token)) or token


def name_form(text: str) -> NameForm:
    words = [w for w in latin(text).split() if w not in PARTICLES]
    if not words:  # a name made only of particles is still a name
        words = latin(text).split()
    return NameForm(text, tuple(words), bool(_ABJAD.search(text)))
