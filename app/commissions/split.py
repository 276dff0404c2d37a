"""Sharing a deal's commission up the tree, and rounding it to cents without losing any.

Amounts here are integers in millionths of the minor unit (see plans.MICRO).
"""

from __future__ import annotations

from collections.abc import Sequence

from app.commissions.plans import MICRO


def half_even(numerator: int, denominator: int) -> int:
    """numerator / denominator rounded half to even, in integers (denominator > 0)."""
    q, r = divmod(numerator, denominator)
    twice = 2 * r
    if twice > denominator or (twice == denominator and q & 1):
        q += 1
    return q


def passed_up(levels_bp: Sequence[int], depth: int) -> tuple[int, ...]:
    """The share each level of a chain of `depth` passes up to the next, in basis
    points, as far as anything is passed: a level with no share (or the top of the
    chain) keeps all it got, and the levels above it get nothing."""
    shares = []
    for k in range(1, depth):
        share = levels_bp[k - 1] if k <= len(levels_bp) else 0
        if not share:
            break
        shares.append(share)
    return tuple(shares)


def cascade(amount: int, levels_bp: Sequence[int], depth: int) -> list[int]:
    """What each of `depth` levels gets of `amount`: level k+1 takes its share of
    level k's part, and level k keeps the rest; the top of the chain keeps all it got.
    The parts always add up to `amount` exactly."""
    parts = []
    below = amount
    for share in passed_up(levels_bp, depth):
        up = half_even(below * share, 10_000)
        parts.append(below - up)
        below = up
    parts.append(below)
    return parts


def round_with_carry(exact: int, residue: int) -> tuple[int, int]:
    """(minor units paid, residue carried on) for an exact amount plus the carried
    residue; the residue stays within half a minor unit either way."""
    total = exact + residue
    paid = half_even(total, MICRO)
    return paid, total - paid * MICRO
