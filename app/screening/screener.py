"""Finds the listed entries a name could match, and scores only those.

Three steps, each cheaper than the next is precise: an index of word beginnings,
endings, consonants and name-variant lines gives the listed names sharing parts of
at least two of the client's words; a bound computed for all of them at once as
arrays (bounds.py) drops those that cannot reach the threshold; the rest are scored
exactly (matcher.py). Results per name are remembered: many clients share a name,
and only their dates of birth and countries differ.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache

import numpy as np

from app.screening.bounds import (
    GLUED,
    JOINED,
    PAD,
    WRITTEN,
    Forms,
    Words,
    similarities,
    upper_bounds,
)
from app.screening.matcher import (
    MAX_BONUS,
    THRESHOLD,
    Entry,
    Hit,
    Pairs,
    Subject,
    adjusted,
    best_name,
    given_name_groups,
    glued_forms,
    joined_pairs,
)
from app.screening.names import NameForm, skeleton, spoken

MEMO_SIZE = 200_000     # names remembered per screener (then forgotten all at once)
Found = list[tuple[int, float, str, Pairs]]


class Screener:
    def __init__(self, entries: Sequence[Entry]) -> None:
        self.entries = list(entries)
        self.memo: dict[tuple[object, ...], Found] = {}
        names: list[tuple[int, int]] = []          # (entry, name) per listed name
        rows: list[tuple[int, tuple[str, ...], bool, int, int]] = []
        keyed: dict[str, list[int]] = {}
        for n, entry in enumerate(self.entries):
            for m, form in enumerate(entry.names):
                if not form.tokens:
                    continue
                number = len(names)
                names.append((n, m))
                written = len(form.tokens)
                rows.append((number, form.tokens, form.abjad, WRITTEN, written))
                rows.extend((number, joined.tokens, form.abjad, how, written)
                            for joined, how in _variants(form))
                for token in {*form.tokens, *(t for g in form.glued for t in g)}:
                    for key in _keys(token):
                        keyed.setdefault(key, []).append(number)
        self.names = names
        self.index = {k: np.unique(np.array(v, dtype=np.int64)) for k, v in keyed.items()}
        self.words = Words()
        self.forms = Forms.build(self.words, rows)
        self.words.freeze()
        self.sizes = np.array([len(self.entries[n].names[m].tokens) for n, m in names],
                              dtype=np.int64)
        # rows of each listed name: first[number] .. first[number + 1]
        self.first = np.searchsorted(self.forms.name, np.arange(len(names) + 1))

    def candidates(self, name: NameForm) -> np.ndarray:
        """Listed names (numbers) sharing index keys with at least two of the name's
        words (or all of them, or all of theirs, when there are fewer)."""
        tokens = name.tokens
        if not tokens or not self.names:
            return np.zeros(0, dtype=np.int64)
        words = [*tokens]
        for glued in name.glued:  # 'Abu Bakr' screened, 'Abubakr' listed
            words.extend(set(glued) - set(tokens))
        counts = np.zeros(len(self.names), dtype=np.int16)
        shares = np.zeros(len(self.names), dtype=np.bool_)
        for word in words:
            shares[:] = False
            for key in _keys(word):
                found = self.index.get(key)
                if found is not None:
                    shares[found] = True
            counts += shares
        need = np.maximum(np.minimum(min(2, len(tokens)), self.sizes), 1)
        return np.flatnonzero(counts >= need)

    def named(self, name: NameForm, threshold: int) -> Found:
        """Entries whose names could reach `threshold` with `name` (before date of
        birth and country): entry number, name score, listed name, word pairs."""
        key = (name.tokens, name.abjad, name.glued, threshold)
        found = self.memo.get(key)
        if found is None:
            found = self._named(name, threshold)
            if len(self.memo) >= MEMO_SIZE:
                self.memo.clear()
            self.memo[key] = found
        return found

    def ceilings(self, name: NameForm) -> tuple[np.ndarray, np.ndarray]:
        """Candidate listed names (numbers into self.names: entry, name) and for each
        a score that matcher.name_score of `name` with it, joined or not, cannot
        exceed."""
        numbers = self.candidates(name)
        if not len(numbers):
            return numbers, np.zeros(0)
        starts, stops = self.first[numbers], self.first[numbers + 1]
        sizes = stops - starts
        rows = np.repeat(starts - np.cumsum(sizes) + sizes, sizes) + np.arange(sizes.sum())
        ids = self.forms.words[rows]
        chosen = np.unique(ids[ids != PAD])
        # Listed words by their column in the similarity arrays; PAD (-1) indexes the
        # last cell, which points at the column of zeros after the chosen words.
        column = np.empty(len(self.words.written) + 1, dtype=np.int64)
        column[chosen] = np.arange(len(chosen))
        column[PAD] = len(chosen)
        variants = [(name, WRITTEN), *_variants(name)]
        query = sorted({t for v, _ in variants for t in v.tokens})
        at = {t: i for i, t in enumerate(query)}
        plain, vowelless = similarities(query, self.words, chosen)
        bound = upper_bounds([(tuple(at[t] for t in v.tokens), how) for v, how in variants],
                             [len(t) for t in query], name.abjad, plain, vowelless,
                             self.forms, rows, column[ids])
        return numbers, np.maximum.reduceat(bound, np.cumsum(sizes) - sizes)

    def _named(self, name: NameForm, threshold: int) -> Found:
        numbers, ceilings = self.ceilings(name)
        by_entry: dict[int, set[int]] = {}
        for number in numbers[ceilings * 100 + MAX_BONUS >= threshold - 1e-9].tolist():
            n, m = self.names[number]
            by_entry.setdefault(n, set()).add(m)
        found: Found = []
        for n, forms in by_entry.items():
            value, text, pairs = best_name(name, self.entries[n], forms)
            if value * 100 + MAX_BONUS >= threshold:
                found.append((n, value, text, pairs))
        return found

    def screen(self, subject: Subject, threshold: int = THRESHOLD) -> list[Hit]:
        found = [adjusted(subject, self.entries[n], value, text, pairs)
                 for n, value, text, pairs in self.named(subject.name, threshold)]
        return sorted((h for h in found if h.score >= threshold),
                      key=lambda h: (-h.score, h.entry.entry_id))


def _variants(form: NameForm) -> list[tuple[NameForm, int]]:
    """The name with two words joined, and with particles glued (as name_score tries)."""
    return [(j, JOINED) for j in joined_pairs(form)] + [(g, GLUED) for g in glued_forms(form)]


@cache
def _keys(token: str) -> tuple[str, ...]:
    """Index keys: start and end of the word as written and as spoken, its consonants
    (Latin spellings of one Arabic or Slavic name often share nothing else: Aliaksandr,
    Alexander), and its name-variant lines."""
    said = spoken(token)
    keys = {token, said} if len(token) < 4 else {token[:3], "~" + token[-3:], said[:3],
                                                 "~" + said[-3:]}
    keys.add("#" + skeleton(said)[:3])
    keys.update(f"@{line}" for line in given_name_groups().get(said, ()))
    return tuple(keys)
