"""The Screener's prefilter: a listed name is scored exactly only when a bound
computed as arrays says it could reach the threshold. The bound must never be below
the exact score, or a true hit would be lost; these tests compare the two on the
labelled sets and on generated names."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from app.screening.matcher import MAX_BONUS, THRESHOLD, Entry, best_name, name_score
from app.screening.names import NameForm, name_form
from app.screening.screener import Screener

DATA = Path(__file__).parent / "data"
ROWS = [row for name in ("screening_pairs.csv", "screening_holdout.csv")
        for row in csv.DictReader((DATA / name).read_text(encoding="utf-8").splitlines())]


def crowd() -> Screener:
    """Every listed name of both sets as one list, aliases grouped by entry."""
    entries: dict[str, list[str]] = {}
    for row in ROWS:
        entries.setdefault(row["listed"].split()[-1], []).append(row["listed"])
    return Screener([Entry("t", str(i), "person", tuple(name_form(n) for n in names))
                     for i, names in enumerate(entries.values())])


def assert_bounds_hold(screener: Screener, name: NameForm) -> int:
    numbers, ceilings = screener.ceilings(name)
    for number, ceiling in zip(numbers.tolist(), ceilings.tolist(), strict=True):
        n, m = screener.names[number]
        exact = name_score(name, screener.entries[n].names[m])[0]
        assert ceiling >= exact - 1e-9, (name.text, screener.entries[n].names[m].text)
    return len(numbers)


def test_bound_is_never_below_the_exact_score_on_the_labelled_sets() -> None:
    screener = crowd()
    compared = sum(assert_bounds_hold(screener, name_form(row["screened"])) for row in ROWS)
    assert compared > len(ROWS)  # each name met more than its own pair


def test_prefiltered_results_equal_scoring_every_candidate_exactly() -> None:
    screener = crowd()
    for row in ROWS:
        name = name_form(row["screened"])
        numbers, _ = screener.ceilings(name)
        forms: dict[int, set[int]] = {}
        for number in numbers.tolist():
            n, m = screener.names[number]
            forms.setdefault(n, set()).add(m)
        expected = {n: round(best_name(name, screener.entries[n], ms)[0], 9)
                    for n, ms in forms.items()}
        expected = {n: v for n, v in expected.items() if v * 100 + MAX_BONUS >= THRESHOLD}
        got = {n: round(v, 9) for n, v, _, _ in screener.named(name, THRESHOLD)}
        assert got == expected, row["screened"]


def test_a_name_sharing_one_word_is_settled_without_exact_scoring() -> None:
    screener = Screener([Entry("t", "1", "person", (name_form("Vladimir Putin"),))])
    numbers, ceilings = screener.ceilings(name_form("Vladimir Putyatin"))
    assert len(numbers) == 1  # the index offers it (vladimir, and put- of putyatin)
    assert ceilings[0] <= 0.6 and screener.named(name_form("Vladimir Putyatin"), 85) == []
    _, close = screener.ceilings(name_form("Vladimir Poutine"))
    assert np.all(close >= 0.85)


WORDS = ["mohammed", "muhammad", "ali", "hassan", "al", "bin", "abu", "bakr", "ivan",
         "ivanov", "petrov", "aleksandr", "oleksandr", "konstantinos", "kostas",
         "papadopoulos", "wei", "ming", "weiming", "zhang", "de", "la", "cruz", "maria",
         "jose", "garcia", "kim", "jong", "un", "владимир", "путин", "محمد", "علي"]


def typo(word: str, at: int, letter: str) -> str:
    return word[:at % (len(word) + 1)] + letter + word[at % (len(word) + 1) + 1:]


names = st.lists(st.sampled_from(WORDS), min_size=1, max_size=5).map(" ".join)


@settings(max_examples=150, deadline=None)
@given(listed=st.lists(names, min_size=1, max_size=8), screened=names,
       at=st.integers(0, 12), letter=st.sampled_from("aeiksz"), join=st.booleans())
def test_bound_holds_for_generated_names(listed: list[str], screened: str, at: int,
                                         letter: str, join: bool) -> None:
    screener = Screener([Entry("t", str(i), "person", (name_form(n),))
                         for i, n in enumerate(listed)])
    words = screened.split()
    words[0] = typo(words[0], at, letter)
    if join and len(words) > 1:
        words[:2] = [words[0] + words[1]]
    for text in (screened, " ".join(words), " ".join(reversed(words))):
        assert_bounds_hold(screener, name_form(text))
