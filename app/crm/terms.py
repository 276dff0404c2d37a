"""The searchable words of a client, and the forms a typed query is looked up by.

A client is found by any word of their name in the script it was written in or in
Latin letters ("Алексей" by "алексей", "aleksei", "alexey"), by email, by phone
digits with or without the country code, by trading account login and by identity
document number. Every form is folded (no case, no accents); a query word matches a
client when one of its forms is the start of one of the client's terms.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

from app.screening.names import latin, name_form, skeleton, spoken
from app.text import fold

# Stored terms were made by this version of the rules; a workspace whose terms were
# made by another is rebuilt when it opens (see app.crm.search_index).
TERMS_VERSION = "3"
MAX_TERM = 120
_NOT_WORD = re.compile(r"[\W_]+")
_NOT_DIGIT = re.compile(r"\D+")
_PHONE_LIKE = re.compile(r"\+?[\d\s().\-/]+")
# Greek as people write it in Latin letters (ELOT 743), where a letter-by-letter
# transliteration gives 'papadopoylos' for Παπαδόπουλος.
_GREEK_PAIRS = (("ου", "ou"), ("αυ", "av"), ("ευ", "ev"), ("γγ", "ng"))
_GREEK_START = re.compile(r"\b(μπ|ντ|γκ)")
_GREEK_START_SOUND = {"μπ": "b", "ντ": "d", "γκ": "g"}


def _fold(text: str) -> str:
    # Emails, logins and numbers are mostly ASCII, where folding is lower-casing (and
    # fold's per-character Unicode work was a third of a backfill).
    return " ".join(text.lower().split()) if text.isascii() else fold(text)


def words(text: str) -> list[str]:
    """Folded words without punctuation: "O'Brien-Smith" gives o, brien, smith."""
    return [w for w in _NOT_WORD.split(_fold(text)) if w]


def _greek_as_spoken(folded: str) -> str:
    for pair, latin_pair in _GREEK_PAIRS:
        folded = folded.replace(pair, latin_pair)
    return _GREEK_START.sub(lambda m: _GREEK_START_SOUND[m.group(1)], folded)


def _latin_words(text: str, folded: str) -> set[str]:
    found = set(latin(text).split())
    found.update(latin(_greek_as_spoken(folded)).split())
    return found


@lru_cache(maxsize=65536)
def _one_name(name: str) -> frozenset[str]:
    # Cached: first and last names repeat across clients, and a first pull or a
    # backfill computes them for every client.
    folded = fold(name)
    terms = set(words(name))
    # "o'brien" and "jean-pierre" are also typed as one word.
    terms.update(joined for chunk in folded.split()
                 if (joined := _NOT_WORD.sub("", chunk)) and joined != chunk)
    romanised = _latin_words(name, folded)
    terms.update(romanised)
    terms.update(spoken(w) for w in romanised)
    if name_form(name).abjad:  # written without short vowels: compare consonants
        terms.update(skeleton(w) for w in romanised)
    return frozenset(terms)


def name_terms(*names: str) -> set[str]:
    terms: set[str] = set()
    for name in names:
        if name.strip():
            terms |= _one_name(name)
    return terms


def email_terms(email: str) -> set[str]:
    email = _fold(email.strip())
    if not email:
        return set()
    local, _, domain = email.partition("@")
    # The address itself also finds its start ('sean.obrien', 'sean'); the later words
    # of the local part ('obrien') need their own terms. The domain is searched whole
    # ('mail.ru'): its words ('com') would match half the book.
    return {t for t in (email, domain, *words(local)[1:]) if t}


# ITU country calling codes are prefix-free: these are all the one- and two-digit ones,
# every other code has three digits. So the national part of an E.164 number is known.
_CODES_1 = frozenset("17")
_CODES_2 = frozenset({
    "20", "27", "30", "31", "32", "33", "34", "36", "39", "40", "41", "43", "44", "45", "46",
    "47", "48", "49", "51", "52", "53", "54", "55", "56", "57", "58", "60", "61", "62", "63",
    "64", "65", "66", "81", "82", "84", "86", "90", "91", "92", "93", "94", "95", "98"})


def national_number(digits: str) -> str:
    """The digits after the country calling code of an international number."""
    if digits[:1] in _CODES_1:
        return digits[1:]
    return digits[2:] if digits[:2] in _CODES_2 else digits[3:]


def phone_terms(phone: str) -> set[str]:
    """'+357 22 123456' is found by 35722123456, 22123456 and 022123456 (a local
    number as dialled with a trunk 0)."""
    digits = _NOT_DIGIT.sub("", phone)
    if not digits:
        return set()
    terms = {digits}
    if phone.lstrip().startswith(("+", "00")):
        national = national_number(digits[2:] if phone.lstrip().startswith("00") else digits)
        if len(national) >= 4:
            terms.update((national, "0" + national))
    return terms


def document_terms(number: str) -> set[str]:
    """'AB 123-456' is found as ab123456, and as 'ab 123456' (its digits alone)."""
    compact = "".join(words(number))
    digits = _NOT_DIGIT.sub("", number)
    return {t for t in (compact, digits) if t and (t == compact or len(t) >= 4)}


def client_terms(*, names: Iterable[str], emails: Iterable[str] = (),
                 phones: Iterable[str] = (), logins: Iterable[int] = (),
                 documents: Iterable[str] = ()) -> set[str]:
    terms = name_terms(*names)
    for email in emails:
        terms |= email_terms(email)
    for phone in phones:
        terms |= phone_terms(phone)
    terms.update(str(login) for login in logins)
    for number in documents:
        terms |= document_terms(number)
    return {t[:MAX_TERM] for t in terms if t}


def _word_forms(word: str) -> tuple[str, ...]:
    derived: set[str] = set()
    for romanised in {latin(word), latin(_greek_as_spoken(word))}:
        if not romanised or " " in romanised:
            continue  # '張偉' romanises to two words; its own form still matches
        # 'mohammed' meets 'محمد' by its consonants (mhmd), 'alexey' meets 'aleksei'
        # by its sound.
        derived.update((romanised, spoken(romanised), skeleton(romanised)))
    # A derived form shorter than the word typed would match far more than it ('zzz'
    # sounds like 's'): such forms are noise.
    shortest = min(len(word), 3)
    forms = {word} | {f for f in derived if len(f) >= shortest}
    return tuple(sorted(f[:MAX_TERM] for f in forms if f))


def query_words(text: str) -> list[tuple[str, ...]]:
    """The words of a query, each with the forms it may match by. A client matches the
    query when every word matches (as the start of a term)."""
    text = text.strip()
    if not text:
        return []
    if _PHONE_LIKE.fullmatch(text) and len(_NOT_DIGIT.sub("", text)) >= 5:
        return [(_NOT_DIGIT.sub("", text),)]  # '+357 22 123456' is one number
    found: list[tuple[str, ...]] = []
    for chunk in text.split():
        if "@" in chunk or "." in chunk.strip("."):  # an email, its local part or domain
            found.append((_fold(chunk),))
        elif _PHONE_LIKE.fullmatch(chunk) and (digits := _NOT_DIGIT.sub("", chunk)):
            found.append((digits,))
        else:
            found.extend(_word_forms(w) for w in words(chunk))
    return list(dict.fromkeys(found))
