"""The ledger as staff use it: balances, statements, reversals and exports, with the
permissions each needs. Postings themselves are automatic (app/ledger/sources.py)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from app import audit
from app.crm.search_index import dbapi
from app.kyc.fx import usd_rates
from app.ledger import export, views
from app.ledger.chart import Accounts
from app.ledger.journal import reverse
from app.ledger.sources import post_new_deals
from app.roles import Actor, Permission, require
from app.services.workspace import Desk


def _require_read(actor: Actor) -> None:
    if not actor.can(Permission.RUN_REPORTS):
        require(actor, Permission.POST_LEDGER)


def trial_balance(desk: Desk) -> list[views.Balance]:
    _require_read(desk.actor)
    with desk.store.read() as s:
        return views.trial_balance(dbapi(s))


def statement(desk: Desk, code: str, limit: int = 500,
              offset: int = 0) -> list[views.StatementLine]:
    _require_read(desk.actor)
    with desk.store.read() as s:
        return views.statement(dbapi(s), code, limit, offset)


def client_money(desk: Desk, client_id: int) -> dict[str, dict[str, int]]:
    require(desk.actor, Permission.VIEW)
    with desk.store.read() as s:
        return views.client_money(dbapi(s), client_id)


def post_waiting_deals(desk: Desk, page: int = 100_000) -> int:
    """Post mirrored deals the ledger has not seen (a workspace synced before the
    ledger existed), a page per transaction; returns entries written."""
    require(desk.actor, Permission.POST_LEDGER)
    written = 0
    while True:
        with desk.store.write() as s:
            db = dbapi(s)
            made = post_new_deals(db, Accounts(db), page)
        if made is None:
            return written
        written += made


def reverse_entry(desk: Desk, entry_id: int, reason: str) -> int:
    """Undo an entry by its mirror image; the reason is kept and audited."""
    require(desk.actor, Permission.POST_LEDGER)
    with desk.store.write() as s:
        db = dbapi(s)
        made = reverse(db, Accounts(db), entry_id, reason, desk.actor.id)
        audit.record(s, desk.actor, "ledger.reverse", "journal_entry", entry_id,
                     after={"reversal": made, "reason": reason.strip()})
        return made


def export_journal(desk: Desk, path: Path, kind: str) -> int:
    """Write the journal to `path` as 'beancount' or 'csv'; returns entries/rows."""
    _require_read(desk.actor)
    if kind not in ("beancount", "csv"):
        raise ValueError(kind)
    with desk.store.read() as s, path.open("w", encoding="utf-8", newline="") as out:
        db = dbapi(s)
        n = export.write_beancount(db, out) if kind == "beancount" else export.write_csv(db, out)
    with desk.store.write() as s:
        audit.record(s, desk.actor, "ledger.export", "journal", None,
                     after={"format": kind, "file": path.name, "count": n})
    return n


# -- What the desktop's ledger screens read (app/ledger/views.py) -----------------------

def trial_balance_totals(desk: Desk) -> list[views.CurrencyTotals]:
    _require_read(desk.actor)
    with desk.store.read() as s:
        return views.trial_balance_totals(dbapi(s))


def trial_balance_page(desk: Desk, currency: str, search: str = "", sort: int = 0,
                       descending: bool = False, offset: int = 0,
                       limit: int = 200) -> views.Page[views.Balance]:
    _require_read(desk.actor)
    with desk.store.read() as s:
        return views.trial_balance_page(dbapi(s), currency, search, sort, descending, offset,
                                        limit)


def find_accounts(desk: Desk, text: str, limit: int = 100) -> list[views.Balance]:
    _require_read(desk.actor)
    with desk.store.read() as s:
        return views.find_accounts(dbapi(s), text, limit)


def statement_page(desk: Desk, code: str, offset: int = 0,
                   limit: int = 200) -> views.Page[views.StatementRow]:
    _require_read(desk.actor)
    with desk.store.read() as s:
        return views.statement_page(dbapi(s), code, offset, limit)


def source_record(desk: Desk, entry_id: int) -> views.SourceRecord:
    """The journal entry and the deal, payment or reversed entry behind it."""
    _require_read(desk.actor)
    with desk.store.read() as s:
        return views.source_record(dbapi(s), entry_id)


def client_money_summary(desk: Desk, search: str = "", sort: int = 0,
                         descending: bool = False, offset: int = 0,
                         limit: int = 200) -> views.Page[views.ClientMoney]:
    # Across all clients this is the broker's client-money position, not one client's
    # page: it needs the ledger permission, unlike client_money() above.
    _require_read(desk.actor)
    with desk.store.read() as s:
        return views.client_money_summary(dbapi(s), search, sort, descending, offset, limit)


def client_accounts(desk: Desk, client_id: int,
                    currency: str | None = None) -> list[views.Balance]:
    _require_read(desk.actor)
    with desk.store.read() as s:
        return views.client_accounts(dbapi(s), client_id, currency)


@dataclass(frozen=True, slots=True)
class FxRatesInUse:
    applied: views.Page[views.AppliedRate]
    quotes: list[views.QuoteInUse]


def fx_rates_in_use(desk: Desk, limit: int = 1000) -> FxRatesInUse:
    """Rates applied to payments in another currency, and the platform quotes the desk
    converts with (app/kyc/fx.py)."""
    _require_read(desk.actor)
    with desk.store.read() as s:
        symbols = {cur: rate.symbol for cur, rate in usd_rates(s).items()}
        db = dbapi(s)
        return FxRatesInUse(views.fx_rates_applied(db, limit), views.quotes_in_use(db, symbols))
