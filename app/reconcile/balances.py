"""The ledger's balance of each trading account against the platform's.

After a sync the two agree to the cent: every deal and payment the mirror holds
has posted. Where they do not, the item breaks found on the account (a deposit the
platform never credited, a doubled debit, ...) and the deals the ledger could not
post yet account for part of the gap; only what is left is a balance drift, so one
break is never reported twice.
"""

from __future__ import annotations

from collections import defaultdict

from app.models.reconciliation import BreakKind
from app.reconcile.books import Books
from app.reconcile.found import Break, amount, money


def waiting(b: Books) -> list[Break]:
    """Deals the ledger cannot post because their trading account never arrived (no
    currency); every deal mirrored after the first of them waits too."""
    out: list[Break] = []
    total = sum(w.deals for w in b.waiting.values())
    for aid, w in sorted(b.waiting.items(), key=lambda kv: kv[1].first_deal):
        a = b.accounts[aid]
        if a.currency:
            continue
        behind = total - w.deals
        out.append(Break(
            BreakKind.LEDGER_WAITING, f"ledger_waiting:{a.platform}:{a.login}", f"{w.deals}",
            f"{w.deals} deal(s) on trading account {a.login} cannot be posted to the ledger: "
            "the platform never sent the account itself, so its currency is unknown"
            + (f"; {behind} deal(s) on other accounts wait behind them." if behind else "."),
            client_id=a.client_id, account_id=aid,
            ledger_side={"posted_up_to_deal": w.first_deal - 1, "waiting_deals": total},
            platform_side={"trading_account": a.login, "platform": a.platform,
                           "currency": None, "deals": w.deals}))
    return out


def drift(b: Books, found: list[Break]) -> list[Break]:
    explained: dict[int, int] = defaultdict(int)
    for x in found:
        if x.account_id is not None:
            explained[x.account_id] += x.effect
    for aid, w in b.waiting.items():
        explained[aid] += w.effect
    out: list[Break] = []
    for a in b.accounts.values():
        if a.balance is None or not a.currency:
            continue
        ledger = -b.ledger.get(a.code, 0)  # a liability: the client's money is minus the sum
        residual = a.balance - ledger - explained[a.id]
        if not residual:
            continue
        also = explained[a.id]
        out.append(Break(
            BreakKind.BALANCE_DRIFT, f"balance_drift:{a.platform}:{a.login}", "",
            f"Trading account {a.login}: the platform's balance is "
            f"{money(a.balance, a.currency)} and the ledger's {money(ledger, a.currency)}; "
            f"{money(abs(residual), a.currency)} of that is explained by no payment or deal"
            + (f" (other breaks on the account explain {money(also, a.currency)})."
               if also else "."),
            a.currency, residual, a.client_id,
            ledger_side={"account": a.code, **amount(ledger, a.currency),
                         "waiting_deals": b.waiting[a.id].deals if a.id in b.waiting else 0},
            platform_side={"trading_account": a.login, "platform": a.platform,
                           **amount(a.balance, a.currency)},
            account_id=a.id))
    return out
