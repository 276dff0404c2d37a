"""Scores a person or company against list entries, with the reasons behind a score.

Names are compared token by token in any order (word order differs between lists and
passports), so a missing middle name costs little and a shared surname alone is never
a match. Token similarity is edit similarity of the words as written and as spoken
(transliteration habits folded), which forgives small typos; names first written in
Arabic or Hebrew script, which omit short vowels, are also compared by their
consonants; usual short forms and other-language forms of a name (Kostas,
Konstantinos) come from name_variants.txt. Date of birth and country then raise or
lower the score, and each adjustment is stated.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache, lru_cache
from importlib.resources import files

from rapidfuzz.distance import Levenshtein

from app.screening.names import NameForm, name_form, skeleton, spoken

THRESHOLD = 85          # default score (0–100) from which a result is a hit to review
TOKEN_MIN = 0.75        # token similarity below this is no match for that token
ONE_TOKEN_CAP = 0.60    # two-word names sharing only one word
JOIN_FLOOR, JOIN_CEILING = 0.25, 0.95  # when joined words are worth trying
MAX_BONUS = 5           # what a matching date of birth and country can add at most


@dataclass(frozen=True, slots=True)
class Entry:
    """One listed person or entity, from any list format."""

    list_id: str
    entry_id: str
    kind: str                        # "person" | "entity"
    names: tuple[NameForm, ...]      # primary name first, then aliases
    birth_dates: tuple[str, ...] = ()  # "1970", "1970-03" or "1970-03-15"
    countries: frozenset[str] = frozenset()  # ISO 3166 alpha-2
    programs: tuple[str, ...] = ()
    remarks: str = ""


@dataclass(frozen=True, slots=True)
class Subject:
    """What is screened: a client (or any name typed in)."""

    name: NameForm
    kind: str = "person"
    birth_date: str | None = None
    countries: frozenset[str] = frozenset()

    @classmethod
    def of(cls, name: str, kind: str = "person", birth_date: str | None = None,
           countries: Iterable[str] = ()) -> Subject:
        return cls(name_form(name), kind, birth_date, frozenset(c.upper() for c in countries))


@dataclass(slots=True)
class Hit:
    entry: Entry
    score: int
    matched_name: str
    reasons: list[str] = field(default_factory=list)


@cache
def given_name_groups() -> dict[str, frozenset[int]]:
    """Which lines of name_variants.txt each (spoken) name appears on."""
    groups: dict[str, set[int]] = {}
    text = files("app.screening").joinpath("name_variants.txt").read_text(encoding="utf-8")
    for n, line in enumerate(text.splitlines()):
        if line.strip() and not line.startswith("#"):
            for name in line.split():
                groups.setdefault(spoken(name), set()).add(n)
    return {name: frozenset(lines) for name, lines in groups.items()}


def _same_given_name(sa: str, sb: str) -> bool:
    groups = given_name_groups()
    return bool(groups.get(sa, frozenset()) & groups.get(sb, frozenset()))


@lru_cache(maxsize=1 << 20)  # the same pairs of common words come back all the time
def _token_similarity(a: str, b: str, by_consonants: bool) -> float:
    """Edit similarity of the tokens as written and as spoken; Jaro-Winkler was tried
    and dropped: its prefix bonus made 'Lukin' match 'Lukashenko'."""
    if a == b:
        return 1.0
    sim = Levenshtein.normalized_similarity(a, b)
    sa, sb = spoken(a), spoken(b)
    sim = max(sim, Levenshtein.normalized_similarity(sa, sb))
    ka, kb = skeleton(sa), skeleton(sb)
    if by_consonants:  # Arabic and Hebrew script write no short vowels
        sim = max(sim, 0.95 * Levenshtein.normalized_similarity(ka, kb))
    elif ka == kb and len(ka) >= 4:  # Mohamed, Muhammad: vowels are all that differ
        sim = max(sim, 0.9)
    if sim < 0.92 and _same_given_name(sa, sb):  # Kostas, Konstantinos
        sim = 0.92
    return sim


def name_score(q: NameForm, e: NameForm) -> tuple[float, list[tuple[str, str, float]]]:
    """0..1, and the token pairs that produced it. Names written as one word on one
    side and two on the other (Weiming, Wei Ming; Benali, Ben Ali) are tried joined."""
    best = _token_score(q, e)
    if not JOIN_FLOOR <= best[0] < JOIN_CEILING:
        return best  # nothing near enough to rescue, or too good to improve on much
    # Joining two words only helps the side that has more of them.
    for joined_q in joinings(q, pairs=len(q.tokens) > len(e.tokens)):
        best = max(best, _token_score(joined_q, e), key=lambda r: r[0])
    for joined_e in joinings(e, pairs=len(e.tokens) > len(q.tokens)):
        best = max(best, _token_score(q, joined_e), key=lambda r: r[0])
    return best


def joinings(form: NameForm, *, pairs: bool) -> list[NameForm]:
    return (joined_pairs(form) if pairs else []) + glued_forms(form)


def joined_pairs(form: NameForm) -> list[NameForm]:
    """The name with two neighbouring words written as one, each way it can be."""
    t = form.tokens
    return [NameForm(form.text, (*t[:i], t[i] + t[i + 1], *t[i + 2:]), form.abjad)
            for i in range(len(t) - 1)]


def glued_forms(form: NameForm) -> list[NameForm]:
    return [NameForm(form.text, g, form.abjad) for g in form.glued]


def _token_score(q: NameForm, e: NameForm) -> tuple[float, list[tuple[str, str, float]]]:
    if not q.tokens or not e.tokens:
        return 0.0, []
    by_consonants = q.abjad or e.abjad
    pairs = sorted(((_token_similarity(a, b, by_consonants), i, j)
                    for i, a in enumerate(q.tokens) for j, b in enumerate(e.tokens)),
                   reverse=True)
    used_q: set[int] = set()
    used_e: set[int] = set()
    matched: list[tuple[str, str, float]] = []
    for sim, i, j in pairs:
        if sim < TOKEN_MIN:
            break
        if i not in used_q and j not in used_e:
            used_q.add(i)
            used_e.add(j)
            matched.append((q.tokens[i], e.tokens[j], sim))
    if not matched:
        return 0.0, []
    weight_q = sum(len(t) for t in q.tokens)
    weight_e = sum(len(t) for t in e.tokens)
    cover_q = sum(sim * len(a) for a, _, sim in matched) / weight_q
    cover_e = sum(sim * len(b) for _, b, sim in matched) / weight_e
    if len(e.tokens) > len(q.tokens):
        cover_e = max(cover_e, _ends_cover(e.tokens, used_e, matched))
    short, long_ = (cover_q, cover_e) if len(q.tokens) <= len(e.tokens) else (cover_e, cover_q)
    score = 0.85 * short + 0.15 * long_
    if len(matched) == 1 and len(q.tokens) > 1 and len(e.tokens) > 1:
        score = min(score, ONE_TOKEN_CAP)
    return score, matched


def _ends_cover(tokens: tuple[str, ...], used: set[int],
                matched: list[tuple[str, str, float]]) -> float:
    """A listed name whose first and last words both matched: the words between
    (patronymics, 'bin Mohammed bin Awad') are often left out, so they weigh nothing."""
    if len(tokens) < 3 or not {0, len(tokens) - 1} <= used:
        return 0.0
    ends = {tokens[0], tokens[-1]}
    hits = [(b, sim) for _, b, sim in matched if b in ends]
    return sum(sim * len(b) for b, sim in hits) / sum(len(t) for t in ends)


def _dates_agree(ours: str, theirs: str) -> bool | None:
    """True/False when comparable; a year-only date agrees within a year."""
    if len(ours) < 4 or len(theirs) < 4 or not ours[:4].isdigit() or not theirs[:4].isdigit():
        return None
    if len(ours) >= 10 and len(theirs) >= 10:
        return ours[:10] == theirs[:10]
    return abs(int(ours[:4]) - int(theirs[:4])) <= 1


Pairs = list[tuple[str, str, float]]


def best_name(q: NameForm, entry: Entry, forms: Iterable[int] | None = None,
              ) -> tuple[float, str, Pairs]:
    """The entry's name (of `forms`, or all) closest to `q`: score, text, word pairs."""
    best, best_text, best_pairs = 0.0, "", []
    for form in (entry.names if forms is None else (entry.names[m] for m in sorted(forms))):
        value, pairs = name_score(q, form)
        if value > best:
            best, best_text, best_pairs = value, form.text, pairs
    return best, best_text, best_pairs


def score(subject: Subject, entry: Entry, forms: Iterable[int] | None = None) -> Hit:
    """`forms`: which of the entry's names to compare (all when None)."""
    return adjusted(subject, entry, *best_name(subject.name, entry, forms))


def adjusted(subject: Subject, entry: Entry, best: float, best_name: str,
             best_pairs: Pairs) -> Hit:
    """The name's score raised or lowered by date of birth, country and kind."""
    reasons = [", ".join(f"{a}≈{b}" if a != b else a for a, b, _ in best_pairs)]
    if best_name != entry.names[0].text:
        reasons.append(f"alias of {entry.names[0].text}")
    points = best * 100
    if subject.birth_date and entry.birth_dates:
        agree = [_dates_agree(subject.birth_date, d) for d in entry.birth_dates]
        if any(a is True for a in agree):
            points += 3
            reasons.append("date of birth matches")
        elif agree and all(a is False for a in agree):
            points -= 15
            reasons.append(f"date of birth differs (listed {', '.join(entry.birth_dates)})")
    if subject.countries and entry.countries:
        if subject.countries & entry.countries:
            points += 2
            reasons.append("country matches")
        else:
            points -= 5
            reasons.append(f"different country (listed {', '.join(sorted(entry.countries))})")
    if entry.kind != subject.kind:
        points -= 20
        reasons.append(f"listed as {'an entity' if entry.kind == 'entity' else 'a person'}")
    return Hit(entry, max(0, min(100, round(points))), best_name, reasons)
