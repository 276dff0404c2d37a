"""Country names as sanctions lists write them, to ISO 3166 alpha-2 codes."""

from __future__ import annotations

import re
from functools import cache

# Names the lists use that ISO's names and common names do not cover.
_LIST_NAMES = {
    "russia": "RU", "korea north": "KP", "north korea": "KP", "korea south": "KR",
    "south korea": "KR", "burma": "MM", "turkey": "TR", "west bank": "PS",
    "gaza": "PS", "palestinian": "PS", "palestine": "PS", "kosovo": "XK",
    "macedonia": "MK", "the former yugoslav republic of macedonia": "MK",
    "democratic republic of the congo": "CD", "congo democratic republic of the": "CD",
    "congo kinshasa": "CD", "congo brazzaville": "CG", "republic of the congo": "CG",
    "cote d ivoire": "CI", "ivory coast": "CI", "usa": "US", "united states": "US",
    "uk": "GB", "great britain": "GB", "uae": "AE", "czech republic": "CZ",
    "vatican": "VA", "swaziland": "SZ", "cape verde": "CV", "east timor": "TL",
    "the bahamas": "BS", "the gambia": "GM", "laos": "LA", "moldova": "MD",
    "iran": "IR", "syria": "SY", "venezuela": "VE", "bolivia": "BO", "tanzania": "TZ",
    "vietnam": "VN", "brunei": "BN", "micronesia": "FM",
}
_NOT_WORD = re.compile(r"[^a-z]+")
_BRACKETS = re.compile(r"\(.*?\)")


def _plain(text: str) -> str:
    import unicodedata

    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return " ".join(_NOT_WORD.sub(" ", text.lower()).split())


@cache
def country_code(text: str) -> str | None:
    """'Iran (Islamic Republic of)', 'Korea, North', 'IRAQ', 'ru' → a code; None when
    the text names no country Backdesk knows (a region, a former state)."""
    import pycountry  # loaded on first use, off the start-up path

    raw = " ".join(text.split()).strip(" .")
    if not raw:
        return None
    if len(raw) == 2 and raw.isalpha():
        found = pycountry.countries.get(alpha_2=raw.upper())
        return found.alpha_2 if found else ("XK" if raw.upper() == "XK" else None)
    for candidate in (raw, _BRACKETS.sub("", raw).strip()):
        plain = _plain(candidate)
        if plain in _LIST_NAMES:
            return _LIST_NAMES[plain]
        try:
            return str(pycountry.countries.lookup(candidate).alpha_2)
        except LookupError:
            pass
        if "," in candidate:  # 'Korea, Republic of' style, turned round
            head, _, tail = candidate.partition(",")
            turned = _plain(f"{tail} {head}")
            if turned in _LIST_NAMES:
                return _LIST_NAMES[turned]
    return None


def country_codes(texts: list[str]) -> tuple[str, ...]:
    codes = {code for text in texts if (code := country_code(text))}
    return tuple(sorted(codes))
