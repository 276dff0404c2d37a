"""Provider statement lines against payments.

A line is matched to the payment with the same provider and provider reference.
Only lines that move money (completed, refunded, charged back) are matched; a failed
line is kept for the record. A payment event (completed, refunded, charged back) is
expected on a statement when an imported statement of its provider covers the day it
happened. Differences are signed as the provider minus the payment.
"""

from __future__ import annotations

from app.models.reconciliation import BreakKind
from app.reconcile.books import MONEY_EVENTS, Books, Line, Payment, event_date
from app.reconcile.found import Break, money

_WORD = {"completed": "completed", "refunded": "refunded", "charged_back": "charged back"}


def events(p: Payment) -> set[str]:
    """What the provider has done with a payment, by the payment's own status."""
    if p.direction == "deposit":
        if p.status in ("refunded", "charged_back"):
            return {"completed", p.status}
        return {"completed"} if p.status == "completed" else set()
    return {"completed"} if p.status == "completed" else set()


def _covered(b: Books, provider: str, day: str) -> bool:
    return any(start <= day <= end for start, end in b.covered.get(provider, ()))


def match(b: Books, found: dict[str, Break]) -> list[Break]:
    """New breaks from the statements; lines that bear on a break the platform check
    already found (a deposit the platform never credited) are added to its record."""
    out: list[Break] = []
    by_ref = {(p.provider, p.provider_ref): p for p in b.payments if p.provider_ref}
    seen: set[tuple[str, str, str]] = set()
    for line in b.lines:
        seen.add((line.provider, line.ref, line.status))
        if line.status not in MONEY_EVENTS:
            continue
        p = by_ref.get((line.provider, line.ref))
        if p is None:
            out.append(Break(
                BreakKind.ORPHAN_PROVIDER, f"orphan_provider:{line.provider}:{line.ref}:"
                f"{line.status}", f"{line.direction}:{line.amount}:{line.value_date}",
                f"{line.provider} lists a {line.direction} {line.ref} "
                f"{_WORD[line.status]} on {line.value_date} for "
                f"{money(line.amount, line.currency)}, but no payment at the desk has that "
                "reference.", line.currency, line.amount,
                provider_side={"statement_lines": [line.as_json()]}))
            continue
        out += _against(line, p, found)
    for p in b.payments:
        if p.provider not in b.covered:
            continue
        for event in sorted(events(p)):
            day = event_date(b, p, event)
            if (p.provider, p.provider_ref, event) in seen or not _covered(b, p.provider, day):
                continue
            out.append(Break(
                BreakKind.MISSING_AT_PROVIDER, f"missing_at_provider:{p.ext}:{event}",
                f"{day}", f"{p.direction.capitalize()} {p.ext} ({money(p.amount, p.currency)}, "
                f"{p.provider} reference {p.provider_ref}) was {_WORD[event]} on {day}, "
                f"but {p.provider}'s statement for that day does not list it.",
                p.currency, -p.amount if event == "completed" else p.amount, p.client_id,
                provider_side={"payment": p.as_json(), "statement_lines": []}, payment=p))
    return out


def _against(line: Line, p: Payment, found: dict[str, Break]) -> list[Break]:
    out: list[Break] = []
    if (line.status in events(p) and line.copies == 1 and (
            line.direction, line.currency, line.amount, line.fee) == (
            p.direction, p.currency, p.amount, p.fee)):
        return out  # the usual case, kept cheap: a statement has a line per payment
    base = {"payment": p.as_json(), "statement_lines": [line.as_json()]}
    if (line.direction, line.currency, line.amount, line.fee) != (
            p.direction, p.currency, p.amount, p.fee):
        if line.currency != p.currency or line.direction != p.direction:
            said = f"a {line.direction} in {line.currency}"
            ours = f"a {p.direction} in {p.currency}"
            gap = 0
        else:
            said = f"{money(line.amount, line.currency)} (fee {money(line.fee, line.currency)})"
            ours = f"{money(p.amount, p.currency)} (fee {money(p.fee, p.currency)})"
            gap = line.amount - p.amount
        out.append(Break(
            BreakKind.AMOUNT_MISMATCH, f"amount_mismatch:provider:{p.ext}:{line.status}",
            f"{line.direction}:{line.currency}:{line.amount}:{line.fee}",
            f"{line.provider} reports {p.direction} {p.ext} {_WORD[line.status]} as {said}; "
            f"the payment at the desk is {ours}.", line.currency, gap, p.client_id,
            provider_side=base, payment=p))
    if line.copies > 1:
        out.append(Break(
            BreakKind.DUPLICATE, f"duplicate:provider:{line.provider}:{line.ref}:{line.status}",
            f"{line.copies}", f"{line.provider} lists {p.direction} {p.ext} "
            f"{_WORD[line.status]} {line.copies} times on its statement "
            f"({money(line.amount, line.currency)} each).", line.currency,
            (line.copies - 1) * line.amount, p.client_id, provider_side=base, payment=p))
    if line.status in events(p):
        return out
    key = f"missing_on_platform:{p.ext}" + ("" if line.status == "completed" else
                                            f":{line.status}")
    platform_moved = any(x.payment is p and x.deals for x in found.values())
    if key in found or platform_moved:
        return out  # the line is attached to the platform's break with the others
    status = p.status.replace("_", " ")
    out.append(Break(
        BreakKind.MISSING_ON_PLATFORM, key, f"{line.status}:{line.amount}",
        f"{line.provider} reports {p.direction} {p.ext} {_WORD[line.status]} on "
        f"{line.value_date} ({money(line.amount, line.currency)}), but the desk shows it "
        f"{status} and the platform has not moved the money.", line.currency,
        -line.amount if p.direction == "deposit" else line.amount, p.client_id,
        provider_side=base, payment=p))
    return out
