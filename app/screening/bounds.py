"""Upper bounds of name scores, for many listed names at once.

Scoring a name exactly (matcher.name_score) pairs words one by one in Python; a
client's name has a few hundred candidate listed names, and nearly all of them are
far off. Here the word similarities of the client's words against every word of the
candidates are computed as arrays (rapidfuzz in C, numpy), and from them a bound that
the exact score can never exceed: each word counted at its best similarity, without
the rule that a word pairs only once. A listed name whose bound cannot reach the
threshold is not scored; the others are scored exactly, so the results are the same
as scoring everything.

The bound uses the same ingredients as matcher._token_similarity (written, spoken,
consonants, name-variant lines) and matcher._token_score (coverage of each side,
the ends of long listed names, the cap when a single word matches).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from rapidfuzz.distance import Levenshtein
from rapidfuzz.process import cdist

from app.screening.matcher import ONE_TOKEN_CAP, TOKEN_MIN, given_name_groups
from app.screening.names import skeleton, spoken

Floats = NDArray[np.float64]
Ints = NDArray[np.int64]
PAD = -1  # no word in this place of a listed name
# How a row's words were made from the name, on either side: matcher.name_score
# compares the query as written with every form of a listed name, and the query
# joined (two words as one) or glued (particle to word) with the name as written.
WRITTEN, JOINED, GLUED = 0, 1, 2


class Words:
    """Every distinct word of the listed names, numbered, in its three forms."""

    def __init__(self) -> None:
        self.ids: dict[str, int] = {}
        self.written: list[str] = []
        self._lines: dict[int, list[int]] = {}  # name-variant line -> word ids

    def add(self, word: str) -> int:
        found = self.ids.get(word)
        if found is None:
            found = self.ids[word] = len(self.written)
            self.written.append(word)
            for line in given_name_groups().get(spoken(word), ()):
                self._lines.setdefault(line, []).append(found)
        return found

    def freeze(self) -> None:
        self.written_array = np.array(self.written, dtype=object)
        self.spoken_array = np.array([spoken(w) for w in self.written], dtype=object)
        self.consonant_array = np.array([skeleton(spoken(w)) for w in self.written],
                                        dtype=object)
        self.lines = {line: np.array(ids, dtype=np.int64) for line, ids in self._lines.items()}


@dataclass
class Forms:
    """Listed names as rows of word ids: each name as written and as it could be
    joined (two words as one, particles glued), all tied to the name they come from."""

    words: NDArray[np.int64]     # rows x places, PAD where a name is shorter
    lengths: Floats              # letters of each word, 0 at PAD
    weight: Floats               # letters of the row
    count: Ints                  # words in the row
    ends: Floats                 # letters of words equal to the first or last word
    ends_weight: Floats          # letters of the (distinct) first and last words
    abjad: NDArray[np.bool_]
    name: Ints                   # which listed name (numbered by the Screener) it is
    kind: Ints                   # WRITTEN, JOINED or GLUED
    written_count: Ints          # words of the name as written

    @classmethod
    def build(cls, words: Words, rows: Sequence[tuple[int, tuple[str, ...], bool, int, int]],
              ) -> Forms:
        """`rows`: (name number, words, abjad, kind, words as written), grouped by
        name number."""
        places = max((len(r[1]) for r in rows), default=1) or 1
        ids = np.full((len(rows), places), PAD, dtype=np.int64)
        lengths = np.zeros((len(rows), places))
        ends = np.zeros((len(rows), places))
        ends_weight = np.zeros(len(rows))
        for r, (_, tokens, *_) in enumerate(rows):
            outer = {tokens[0], tokens[-1]} if len(tokens) >= 3 else set()
            for p, token in enumerate(tokens):
                ids[r, p] = words.add(token)
                lengths[r, p] = len(token)
                if token in outer:
                    ends[r, p] = len(token)
            ends_weight[r] = sum(len(t) for t in outer)
        def column(at: int) -> Ints:
            return np.array([r[at] for r in rows], dtype=np.int64)

        return cls(ids, lengths, lengths.sum(axis=1),
                   np.array([len(r[1]) for r in rows], dtype=np.int64), ends, ends_weight,
                   np.array([r[2] for r in rows], dtype=np.bool_), column(0), column(3),
                   column(4))


def similarities(query: Sequence[str], words: Words, chosen: Ints,
                 ) -> tuple[Floats, Floats]:
    """Word similarity of each query word with each chosen listed word, for names
    compared as written/spoken (first) and by consonants too (second); below
    TOKEN_MIN counts as 0. A last column of zeros stands for PAD."""
    said = [spoken(q) for q in query]
    bare = [skeleton(s) for s in said]
    found = [cdist(mine, theirs[chosen].tolist(), scorer=Levenshtein.normalized_similarity,
                   dtype=np.float64)
             for mine, theirs in ((query, words.written_array), (said, words.spoken_array),
                                  (bare, words.consonant_array))]
    written, sounded, consonants = found
    plain = np.maximum(written, sounded)
    same_consonants = (consonants == 1.0) & (np.array([len(b) for b in bare]) >= 4)[:, None]
    plain = np.where(same_consonants, np.maximum(plain, 0.9), plain)
    vowelless = np.maximum(plain, 0.95 * consonants)
    groups = given_name_groups()
    for r, s in enumerate(said):
        for line in groups.get(s, ()):
            variant = np.isin(chosen, words.lines.get(line, chosen[:0]))
            plain[r, variant] = np.maximum(plain[r, variant], 0.92)
            vowelless[r, variant] = np.maximum(vowelless[r, variant], 0.92)
    pad = np.zeros((len(query), 1))
    return (np.hstack([np.where(plain < TOKEN_MIN, 0.0, plain), pad]),
            np.hstack([np.where(vowelless < TOKEN_MIN, 0.0, vowelless), pad]))


Variant = tuple[tuple[int, ...], int]  # query words as similarity rows, and kind


def upper_bounds(variants: Sequence[Variant], lengths: Sequence[int], abjad: bool,
                 plain: Floats, vowelless: Floats, forms: Forms, rows: Ints,
                 places: Ints) -> Floats:
    """For each of `rows` (of `forms`), a score its name cannot exceed against the
    query. `variants`: the query as written (first), joined and glued, as indexes
    into the similarity arrays; `lengths`: letters of those words; `places`: the
    rows' words as column indexes into the arrays (PAD → the zero column)."""
    # Most candidates share index keys with two words but resemble only one: the
    # single-word cap settles them without the full computation below.
    best = np.full(len(rows), ONE_TOKEN_CAP)
    resembling = (vowelless.max(axis=0)[places] > 0).sum(axis=1)
    open_ = (resembling > 1) | (forms.count[rows] == 1)
    if any(len(words) == 1 for words, _ in variants):  # a one-word query has no cap
        open_[:] = True
    if open_.any():
        best[open_] = _full_bounds(variants, lengths, abjad, plain, vowelless, forms,
                                   rows[open_], places[open_])
    return best


def _full_bounds(variants: Sequence[Variant], lengths: Sequence[int], abjad: bool,
                 plain: Floats, vowelless: Floats, forms: Forms, rows: Ints,
                 places: Ints) -> Floats:
    kind, count = forms.kind[rows], forms.count[rows]
    written = len(variants[0][0])
    best = np.zeros(len(rows))
    for words, how in variants:
        if how == WRITTEN:
            meets = (kind != JOINED) | (forms.written_count[rows] > written)
        elif how == JOINED:
            meets = (kind == WRITTEN) & (count < written)
        else:
            meets = kind == WRITTEN
        if meets.any():
            best[meets] = np.maximum(best[meets], _bound(
                list(words), lengths, abjad, plain, vowelless, forms, rows[meets],
                places[meets]))
    return best


def _bound(index: list[int], lengths: Sequence[int], abjad: bool, plain: Floats,
           vowelless: Floats, forms: Forms, rows: Ints, places: Ints) -> Floats:
    count = forms.count[rows]
    by_consonants = forms.abjad[rows] | abjad
    sims = vowelless[index][:, places]
    if not by_consonants.all():
        sims = np.where(by_consonants[None, :, None], sims, plain[index][:, places])
    per_query = sims.max(axis=2)             # query words x rows
    per_listed = sims.max(axis=0)            # rows x places
    letters = np.array([lengths[i] for i in index], dtype=np.float64)
    cover_q = letters @ per_query / letters.sum()
    cover_e = (forms.lengths[rows] * per_listed).sum(axis=1) / forms.weight[rows]
    ends_weight = forms.ends_weight[rows]
    by_ends = ((forms.ends[rows] * per_listed).sum(axis=1)
               / np.where(ends_weight > 0, ends_weight, 1.0))
    cover_e = np.where(count > len(index), np.maximum(cover_e, by_ends), cover_e)
    query_short = len(index) <= count
    bound = (0.85 * np.where(query_short, cover_q, cover_e)
             + 0.15 * np.where(query_short, cover_e, cover_q))
    if len(index) > 1:
        pairs = np.minimum((per_query > 0).sum(axis=0), (per_listed > 0).sum(axis=1))
        bound = np.where((pairs <= 1) & (count > 1), np.minimum(bound, ONE_TOKEN_CAP), bound)
    return np.asarray(bound, dtype=np.float64)
