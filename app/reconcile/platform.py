"""Payments against the platform's balance deals.

Each payment is matched to the deals that moved its money on the trading account:
first the deal its ticket names, then deals whose comment names the payment. What
the payment's status says should have happened on the platform (the same rules the
ledger posts by, app/ledger/sources.py) is then compared with what did:

    credit / debit   a completed deposit's credit, an approved withdrawal's debit
    take back        a refunded or charged-back deposit's debit, a failed or rejected
                     withdrawal's return

Differences are signed as the platform minus what the payment says (a deposit the
platform never credited is minus its amount).
"""

from __future__ import annotations

from typing import Any

from app.models.reconciliation import BreakKind
from app.reconcile.books import (
    HELD,
    PAYMENT_REASONS,
    RETURNED,
    TAKE_BACK_REASONS,
    Account,
    Books,
    Deal,
    Payment,
)
from app.reconcile.found import Break, amount, money

_MONEY_MOVED = frozenset({"completed", "refunded", "charged_back"})
_TAKEN_BACK = {"refunded": "refund", "charged_back": "chargeback"}


def deal_json(d: Deal, account: Account | None) -> dict[str, Any]:
    currency = account.currency if account else ""
    return {"ticket": d.ticket, "platform": d.platform,
            "login": account.login if account else None, "action": d.action,
            "reason": d.reason, **amount(d.profit, currency), "comment": d.comment,
            "time_ms": d.time_ms}


class _Payments:
    def __init__(self, b: Books) -> None:
        self.b = b
        self.found: list[Break] = []

    def run(self) -> list[Break]:
        b = self.b
        by_ext = {p.ext: p for p in b.payments}
        by_ticket = {(p.account_id, p.ticket): p for p in b.payments
                     if p.ticket is not None and p.account_id is not None}
        claimed: dict[int, list[Deal]] = {}
        for d in b.deals:
            p = by_ticket.get((d.account_id, d.ticket))
            if p is None:
                p = next((by_ext[w] for w in d.names()
                          if w in by_ext and by_ext[w].account_id == d.account_id), None)
            if p is not None:
                deals = claimed.setdefault(p.id, [])
                # the deal the payment's ticket names leads: it is the payment's own
                deals.insert(0 if d.ticket == p.ticket else len(deals), d)
            elif d.reason in PAYMENT_REASONS:
                self.orphan(d)
        for p in b.payments:
            if p.account_id is not None and p.account_id in b.accounts:
                self.payment(p, claimed.get(p.id, []))
        return self.found

    def side(self, p: Payment | None, deals: list[Deal], account: Account) -> dict[str, Any]:
        return {"trading_account": account.login, "platform": account.platform,
                "balance_minor": account.balance,
                "deals": [deal_json(d, account) for d in deals]}

    def add(self, kind: BreakKind, key: str, figures: str, summary: str, account: Account,
            difference: int, effect: int, p: Payment | None, deals: list[Deal]) -> None:
        self.found.append(Break(
            kind, key, figures, summary, account.currency, difference,
            p.client_id if p else account.client_id, None, self.side(p, deals, account),
            {"payment": p.as_json() if p else None, "statement_lines": []},
            account.id, effect, p, deals))

    def orphan(self, d: Deal) -> None:
        account = self.b.accounts.get(d.account_id)
        if account is None:
            return
        verb = "credited" if d.profit > 0 else "debited"
        self.add(BreakKind.ORPHAN_PLATFORM, f"orphan_platform:{d.platform}:{d.ticket}",
                 f"{d.profit}", f"Platform deal #{d.ticket} {verb} "
                 f"{money(abs(d.profit), account.currency)} on trading account "
                 f"{account.login} as a {d.reason.lower()} ('{d.comment}'), but no payment "
                 "explains it.", account, d.profit, d.profit, None, [d])

    def counted(self, d: Deal) -> bool:
        """Whether the ledger posted the deal itself (a refund or chargeback deal is
        posted as a balance adjustment) besides the payment's own entry."""
        return d.reason in TAKE_BACK_REASONS and (d.platform, d.ticket) in self.b.posted_deals

    def payment(self, p: Payment, deals: list[Deal]) -> None:
        account = self.b.accounts[p.account_id]  # type: ignore[index]
        sign = 1 if p.direction == "deposit" else -1
        if p.direction == "deposit":
            moved = p.status in _MONEY_MOVED
            back = p.status in _TAKEN_BACK
        else:
            moved = p.status in HELD or p.was_held
            back = moved and p.status in RETURNED
        lead = [d for d in deals if d.profit * sign > 0 and d.reason not in TAKE_BACK_REASONS]
        rest = [d for d in deals if d.profit * sign < 0]
        odd = [d for d in deals if d not in lead and d not in rest]
        self.role(p, account, "lead", lead, moved, sign * p.booked)
        self.role(p, account, "back", rest, back, -sign * p.booked)
        for d in odd:
            self.unexplained(p, account, d)

    def role(self, p: Payment, account: Account, role: str, deals: list[Deal],
             expected: bool, due: int) -> None:
        """One movement the payment calls for (`due`, signed as the platform's balance
        moves) against the deals that made it."""
        what = _words(p, role)
        suffix = "" if role == "lead" else f":{p.status}"
        if not deals:
            if expected:
                self.add(BreakKind.MISSING_ON_PLATFORM, f"missing_on_platform:{p.ext}{suffix}",
                         f"{due}", _missing(p, account, role), account, -due, -due, p, [])
            return
        if not expected:
            for d in deals:
                self.unexplained(p, account, d)
            return
        first, more = deals[0], deals[1:]
        if self.counted(first):
            self.add(BreakKind.DUPLICATE, f"duplicate:ledger:{p.ext}{suffix}",
                     f"{first.ticket}:{due}",
                     f"The ledger took the {_TAKEN_BACK.get(p.status, 'return')} of "
                     f"{p.direction} {p.ext} ({money(abs(due), account.currency)}) off trading "
                     f"account {account.login} twice: once as platform deal #{first.ticket} "
                     f"(posted as a balance adjustment) and once for the {p.direction}'s "
                     f"{_TAKEN_BACK.get(p.status, 'return')}. The platform took it once.",
                     account, -due, -due, p, [first])
        if first.profit != due:
            gap = first.profit - due
            self.add(BreakKind.AMOUNT_MISMATCH, f"amount_mismatch:platform:{p.ext}:{role}",
                     f"{first.ticket}:{first.profit}:{due}",
                     f"Platform deal #{first.ticket} moved "
                     f"{money(first.profit, account.currency)} on trading account "
                     f"{account.login} for the {what}, which is "
                     f"{money(due, account.currency)}: a difference of "
                     f"{money(gap, account.currency)}.", account, gap,
                     0 if self.counted(first) else gap, p, [first])
        twins = [d for d in more if d.profit == first.profit]
        for d in more:
            if d not in twins:
                self.unexplained(p, account, d)
        if twins:
            extra = sum(d.profit for d in twins)
            verb = "credited" if first.profit > 0 else "debited"
            tickets = ", ".join(f"#{d.ticket}" for d in [first, *twins])
            self.add(BreakKind.DUPLICATE, f"duplicate:platform:{p.ext}:{role}",
                     ",".join(str(d.ticket) for d in twins),
                     f"The platform {verb} the {what} {len(twins) + 1} times: deals "
                     f"{tickets} each moved {money(abs(first.profit), account.currency)} on "
                     f"trading account {account.login}.", account, extra,
                     sum(d.profit for d in twins if not self.counted(d)), p, [first, *twins])

    def unexplained(self, p: Payment, account: Account, d: Deal) -> None:
        verb = "credited" if d.profit > 0 else "debited"
        effect = 0 if self.counted(d) else d.profit
        self.add(BreakKind.ORPHAN_PLATFORM, f"orphan_platform:{d.platform}:{d.ticket}",
                 f"{d.profit}:{p.status}",
                 f"Platform deal #{d.ticket} {verb} {money(abs(d.profit), account.currency)} "
                 f"on trading account {account.login} for {p.direction} {p.ext}, which is "
                 f"{p.status.replace('_', ' ')}: nothing in the payment calls for it.",
                 account, d.profit, effect, p, [d])


def _words(p: Payment, role: str) -> str:
    if role == "lead":
        return f"{p.direction} {p.ext}"
    if p.direction == "deposit":
        return f"{_TAKEN_BACK.get(p.status, 'take-back')} of deposit {p.ext}"
    return f"return of {p.status.replace('_', ' ')} withdrawal {p.ext}"


def _missing(p: Payment, account: Account, role: str) -> str:
    shown = money(p.booked, account.currency)
    status = p.status.replace("_", " ")
    if role == "lead" and p.direction == "deposit":
        return (f"Deposit {p.ext} of {shown} via {p.provider} is {status}, but the platform "
                f"never credited it to trading account {account.login}.")
    if role == "lead":
        return (f"Withdrawal {p.ext} of {shown} is {status}, but the platform never took it "
                f"off trading account {account.login}.")
    if p.direction == "deposit":
        return (f"Deposit {p.ext} was {status} ({shown}), but the platform never took the "
                f"money back from trading account {account.login}.")
    return (f"Withdrawal {p.ext} is {status}, but the platform never returned the {shown} "
            f"it took to trading account {account.login}.")


def match(b: Books) -> list[Break]:
    return _Payments(b).run()
