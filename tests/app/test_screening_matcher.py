"""The name matcher on a labelled set: 308 pairs of a screened name and a listed name,
172 that are the same person or company written another way (script, transliteration,
word order, missing middle name, typo, alias form) and 136 similar names of others."""

from __future__ import annotations

import csv
from pathlib import Path

from app.screening.matcher import THRESHOLD, Entry, Screener, Subject, score
from app.screening.names import latin, name_form, spoken

PAIRS = Path(__file__).parent / "data" / "screening_pairs.csv"


def confusion() -> tuple[int, int, int, int]:
    tp = fp = fn = tn = 0
    with PAIRS.open(encoding="utf-8") as f:
        for row in csv.DictReader(f):
            entry = Entry("test", "1", row["kind"], (name_form(row["listed"]),))
            hit = score(Subject.of(row["screened"], kind=row["kind"]), entry).score >= THRESHOLD
            same = row["same"] == "1"
            tp += hit and same
            fp += hit and not same
            fn += same and not hit
            tn += not same and not hit
    return tp, fp, fn, tn


def test_labelled_set_precision_and_recall() -> None:
    tp, fp, fn, tn = confusion()
    assert tp + fn >= 150 and fp + tn >= 100
    precision, recall = tp / (tp + fp), tp / (tp + fn)
    assert precision >= 0.90, (precision, recall)
    # Measured 0.895 (Arabic-script names without vowels, Persian letters, short forms
    # such as Kostas/Konstantinos miss). The target is 0.98; until it is met
    # this floor only stops the matcher getting worse.
    assert recall >= 0.88, (precision, recall)


def test_any_script_and_transliteration_habits() -> None:
    assert latin("Владимир Путин") == "vladimir putin"
    assert latin("张伟明") == "zhang wei ming"
    assert latin("البغدادي") == "l bghddy"  # the article split off, then dropped
    assert spoken("chodorkowski") == spoken("khodorkovsky")


def test_a_hit_says_why_and_birth_date_lowers_the_score() -> None:
    entry = Entry("ofac", "7", "person",
                  (name_form("PUTIN, Vladimir Vladimirovich"), name_form("Wladimir Putin")),
                  ("1952-10-07",), frozenset({"RU"}))
    same = score(Subject.of("Владимир Путин", birth_date="1952-10-07", countries=["RU"]), entry)
    assert same.score >= 95 and "date of birth matches" in same.reasons
    other = score(Subject.of("Vladimir Putin", birth_date="1988-02-01"), entry)
    assert other.score < same.score - 10
    assert any(r.startswith("date of birth differs") for r in other.reasons)
    assert Screener([entry]).screen(Subject.of("Ivan Putin")) == []
