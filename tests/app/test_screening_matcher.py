"""The name matcher on labelled sets of a screened name and a listed name: pairs that
must match (the same person or company written another way: script, transliteration,
word order, missing middle name, typo, short form, legal form) and similar names of
others that must not.

screening_pairs.csv (308 pairs) is the development set the matcher was tuned on.
screening_holdout.csv (79 pairs) was written after that tuning. Its first measurement
was precision 0.87 / recall 0.89; five of its "must not" pairs were one typo or one
missing name part away from the listed name, which the matcher is required to catch,
and were relabelled "must match"; its misses then led to four more rules, so it is a
second development set rather than a clean holdout. Both sets are screened through the
Screener's index, as clients are."""

from __future__ import annotations

import csv
from pathlib import Path

from app.screening.matcher import THRESHOLD, Entry, Subject, score
from app.screening.names import latin, name_form, spoken
from app.screening.screener import Screener

DATA = Path(__file__).parent / "data"
PAIRS = DATA / "screening_pairs.csv"
HOLDOUT = DATA / "screening_holdout.csv"


def confusion(*files: Path) -> tuple[int, int, int, int]:
    tp = fp = fn = tn = 0
    rows = [row for path in files
            for row in csv.DictReader(path.read_text(encoding="utf-8").splitlines())]
    for row in rows:
        entry = Entry("test", "1", row["kind"], (name_form(row["listed"]),))
        found = Screener([entry]).screen(Subject.of(row["screened"], kind=row["kind"]))
        hit = bool(found) and found[0].score >= THRESHOLD
        same = row["same"] == "1"
        tp += hit and same
        fp += hit and not same
        fn += same and not hit
        tn += not same and not hit
    return tp, fp, fn, tn


def test_labelled_sets_meet_precision_and_recall_at_the_default_threshold() -> None:
    # Measured: development 0.961 precision / 1.000 recall, holdout 0.966 / 0.983
    # (its miss: 'Sberbank Rossii', a translated word), both sets 0.962 / 0.996.
    tp, fp, fn, tn = confusion(PAIRS, HOLDOUT)
    assert tp + fn >= 200 and fp + tn >= 150
    precision, recall = tp / (tp + fp), tp / (tp + fn)
    assert precision >= 0.90 and recall >= 0.98, (precision, recall)
    tp, fp, fn, tn = confusion(HOLDOUT)
    assert tp / (tp + fp) >= 0.90 and tp / (tp + fn) >= 0.98, (tp, fp, fn, tn)


def test_forms_the_matcher_must_bridge() -> None:
    assert latin("김정은") == "kim jeong eun"  # Kim, not Gim, as lists write it
    assert latin("محمود عباس") == "mhmud bas"  # waw between consonants is a vowel
    assert latin("O'Brien") == "obrien"
    assert name_form("GAZPROMBANK Joint Stock Company").tokens == ("gazprombank", "jsc")
    assert ("abubakr", "baghdadi") in name_form("Abu Bakr al-Baghdadi").glued
    kostas = Entry("t", "1", "person", (name_form("Kostas PAPADOPOULOS"),))
    assert Screener([kostas]).screen(Subject.of("Konstantinos Papadopoulos"))
    assert not Screener([kostas]).screen(Subject.of("Konstantinos Papadakis"))


def test_any_script_and_transliteration_habits() -> None:
    assert latin("Владимир Путин") == "vladimir putin"
    assert latin("张伟明") == "zhang wei ming"
    assert latin("البغدادي") == "al bghdady"  # the article split off (a particle)
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
