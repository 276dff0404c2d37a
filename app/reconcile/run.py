"""One reconciliation run: read the books, find the breaks, keep them as exceptions.

Finding reads a consistent snapshot and writes nothing, so it can run in a read
transaction while sync goes on; keeping the result is one short write.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from app.reconcile import balances, books, platform, provider
from app.reconcile.books import Books
from app.reconcile.found import Break, amount
from app.reconcile.register import Outcome, keep


@dataclass
class Findings:
    accounts: int = 0
    payments: int = 0
    lines: int = 0
    breaks: list[Break] = field(default_factory=list)


def find(db: Any) -> Findings:
    b = books.read(db)
    found = platform.match(b)
    found += provider.match(b, {x.key: x for x in found})
    found += balances.waiting(b)
    found += balances.drift(b, found)
    _attach(db, b, found)
    return Findings(len(b.accounts), len(b.payments), len(b.lines), found)


def _attach(db: Any, b: Books, found: list[Break]) -> None:
    """The ledger entries and statement lines behind each payment break."""
    concerned = [x for x in found if x.payment is not None or x.deals]
    if not concerned:
        return
    entries = books.ledger_entries(
        db, [x.payment for x in concerned if x.payment is not None],
        [d for x in concerned for d in x.deals])
    wanted = {(x.payment.provider, x.payment.provider_ref) for x in concerned
              if x.payment is not None}
    lines: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for line in b.lines:
        if (line.provider, line.ref) in wanted:
            lines.setdefault((line.provider, line.ref), []).append(line.as_json())
    for x in concerned:
        p = x.payment
        if p is not None and x.provider_side is not None and not x.provider_side.get(
                "statement_lines"):
            x.provider_side["statement_lines"] = lines.get((p.provider, p.provider_ref), [])
        if x.ledger_side is not None:
            continue
        account = b.accounts.get(x.account_id if x.account_id is not None else
                                 (p.account_id if p is not None and p.account_id else -1))
        made = (entries.get(p.ext, []) if p is not None else []) + [
            e for d in x.deals for e in entries.get(f"{d.platform}:{d.ticket}", [])]
        x.ledger_side = {"entries": made}
        if account is not None and account.currency:
            x.ledger_side.update(account=account.code,
                                 **amount(-b.ledger.get(account.code, 0), account.currency))


def record(db: Any, run_id: int, findings: Findings, now: str) -> Outcome:
    outcome = keep(db, run_id, findings.breaks, now)
    db.execute("UPDATE recon_runs SET finished_at = ?, accounts_checked = ?,"
               " payments_checked = ?, lines_checked = ?, breaks_found = ?, breaks_new = ?"
               " WHERE id = ?", (now, findings.accounts, findings.payments, findings.lines,
                                 outcome.found, outcome.new, run_id))
    return outcome
