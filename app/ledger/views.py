"""Reading the ledger: balances, the trial balance, an account's statement, and a
client's money. Balances are sums of postings (read from the covering index), so
they are current the moment an entry is written."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any, Generic, TypeVar

from app.errors import NotFound
from app.models.ledger import LedgerKind
from app.models.trading import PRICE_PLACES
from app.text import fold

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Balance:
    code: str
    name: str
    kind: LedgerKind
    currency: str
    amount: int          # minor units, debit positive

    @property
    def debit(self) -> int:
        return max(self.amount, 0)

    @property
    def credit(self) -> int:
        return max(-self.amount, 0)


@dataclass(frozen=True, slots=True)
class StatementLine:
    entry_id: int
    posted_at: datetime
    memo: str
    source_kind: str
    source_ref: str
    amount: int
    running: int


def _when(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def balance(db: Any, code: str) -> int:
    row = db.execute("SELECT coalesce(sum(p.amount_minor), 0) FROM postings p"
                     " JOIN ledger_accounts a ON a.id = p.ledger_account_id"
                     " WHERE a.code = ?", (code,)).fetchone()
    return int(row[0])


def trial_balance(db: Any) -> list[Balance]:
    """Every account with postings and its balance, by currency then code."""
    sums = dict(db.execute("SELECT ledger_account_id, sum(amount_minor) FROM postings"
                           " GROUP BY ledger_account_id"))
    return sorted((Balance(code, name, LedgerKind(kind), currency, int(sums[i]))
                   for i, code, name, kind, currency in db.execute(
                       "SELECT id, code, name, kind, currency FROM ledger_accounts")
                   if i in sums), key=lambda b: (b.currency, b.code))


def totals(rows: list[Balance]) -> dict[str, tuple[int, int]]:
    """Debits and credits per currency; equal when the ledger balances."""
    out: dict[str, tuple[int, int]] = {}
    for b in rows:
        d, c = out.get(b.currency, (0, 0))
        out[b.currency] = (d + b.debit, c + b.credit)
    return out


def statement(db: Any, code: str, limit: int = 500, offset: int = 0) -> list[StatementLine]:
    """An account's postings in order, each with the entry and source behind it and
    the balance after it (as the account's holder reads it: credit balances of
    liabilities shown positive is left to the screen)."""
    rows = db.execute(
        "SELECT j.id, j.posted_at, j.memo, j.source_kind, j.source_ref, p.amount_minor"
        " FROM postings p JOIN ledger_accounts a ON a.id = p.ledger_account_id"
        " JOIN journal_entries j ON j.id = p.entry_id WHERE a.code = ?"
        " ORDER BY j.posted_at, j.id, p.id", (code,)).fetchall()
    running = 0
    out = []
    for n, (entry, at, memo, kind, ref, amount) in enumerate(rows):
        running += amount
        if offset <= n < offset + limit:
            out.append(StatementLine(entry, _when(at), memo, kind, ref, amount, running))
    return out


def client_money(db: Any, client_id: int) -> dict[str, dict[str, int]]:
    """What the broker owes a client, per currency: trading balances, credit and money
    held off the platform, each as a positive amount owed."""
    out: dict[str, dict[str, int]] = {}
    for code, currency, amount in db.execute(
            "SELECT a.code, a.currency, sum(p.amount_minor) FROM ledger_accounts a"
            " JOIN postings p ON p.ledger_account_id = a.id"
            " WHERE a.code IN (SELECT 'trading:' || t.platform || ':' || t.login || ':'"
            " || t.currency FROM trading_accounts t WHERE t.client_id = ?1"
            " UNION SELECT 'credit:' || t.platform || ':' || t.login || ':' || t.currency"
            " FROM trading_accounts t WHERE t.client_id = ?1)"
            " OR a.client_id = ?1 GROUP BY a.id", (client_id,)):
        head = code.split(":", 1)[0]
        per = out.setdefault(currency, {"trading": 0, "credit": 0, "client_money": 0})
        per[head] += -int(amount)
    return out


# -- The desktop's ledger screens: pages, drill-down to the source, FX in use ---------
# Lists here may hold 100k accounts or a million postings, so each function returns one
# page and its total (a window count over the same query, so one pass answers both).

def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _order(columns: tuple[str, ...], sort: int, descending: bool, tie: str) -> str:
    # Column expressions come from the caller's fixed tuple, never from the user's text.
    expr = columns[sort if 0 <= sort < len(columns) else 0]
    way = "DESC" if descending else "ASC"
    return f"{expr} {way}, {tie} {way}"


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    total: int
    rows: list[T]


@dataclass(frozen=True, slots=True)
class CurrencyTotals:
    currency: str
    debit: int
    credit: int
    accounts: int

    @property
    def difference(self) -> int:
        return self.debit - self.credit


def trial_balance_totals(db: Any) -> list[CurrencyTotals]:
    """Debits and credits per currency over every account's balance, in SQL."""
    return [CurrencyTotals(c, int(d), int(cr), int(n)) for c, d, cr, n in db.execute(
        "SELECT a.currency, sum(max(b.s, 0)), sum(max(-b.s, 0)), count(*) FROM"
        " (SELECT ledger_account_id AS id, sum(amount_minor) AS s FROM postings"
        "  GROUP BY ledger_account_id) b JOIN ledger_accounts a ON a.id = b.id"
        " GROUP BY a.currency ORDER BY a.currency")]


TRIAL_SORT = ("a.code", "a.name", "a.kind", "max(b.s, 0)", "max(-b.s, 0)")


def trial_balance_page(db: Any, currency: str, search: str = "", sort: int = 0,
                       descending: bool = False, offset: int = 0,
                       limit: int = 200) -> Page[Balance]:
    """One currency's accounts with postings, filtered by code or name."""
    rows = db.execute(
        "SELECT a.code, a.name, a.kind, a.currency, b.s, count(*) OVER () FROM"
        " (SELECT ledger_account_id AS id, sum(amount_minor) AS s FROM postings"
        "  GROUP BY ledger_account_id) b JOIN ledger_accounts a ON a.id = b.id"
        " WHERE a.currency = ? AND (a.code LIKE ?2 ESCAPE '\\' OR a.name LIKE ?2 ESCAPE '\\')"
        f" ORDER BY {_order(TRIAL_SORT, sort, descending, 'a.code')} LIMIT ? OFFSET ?",
        (currency, _like(search.strip()), limit, offset)).fetchall()
    return Page(int(rows[0][5]) if rows else 0,
                [Balance(code, name, LedgerKind(kind), cur, int(s))
                 for code, name, kind, cur, s, _n in rows])


def find_accounts(db: Any, text: str, limit: int = 100) -> list[Balance]:
    """Accounts whose code or name holds the text, with their balances (the account
    chooser; an exact code comes first)."""
    like = _like(text.strip())
    return [Balance(code, name, LedgerKind(kind), cur, int(s)) for code, name, kind, cur, s
            in db.execute(
                "SELECT a.code, a.name, a.kind, a.currency, (SELECT coalesce(sum("
                "p.amount_minor), 0) FROM postings p WHERE p.ledger_account_id = a.id)"
                " FROM ledger_accounts a WHERE a.code LIKE ?1 ESCAPE '\\'"
                " OR a.name LIKE ?1 ESCAPE '\\' ORDER BY a.code != ?2, a.code LIMIT ?3",
                (like, text.strip(), limit))]


@dataclass(frozen=True, slots=True)
class StatementRow:
    entry_id: int
    posted_at: datetime
    memo: str
    source_kind: str
    source_ref: str
    amount: int          # debit positive
    running: int         # posting sum after this line
    reverses: int | None     # the entry this one reverses
    reversed_by: int | None  # the reversal of this entry, once made


def statement_page(db: Any, code: str, offset: int = 0, limit: int = 200) -> Page[StatementRow]:
    """A page of an account's statement; the running balance is summed in SQL over the
    lines before the page too, so page 5,000 of a house account needs no Python loop."""
    rows = db.execute(
        "SELECT s.id, s.posted_at, s.memo, s.source_kind, s.source_ref, s.amount, s.running,"
        " s.reverses_entry_id, (SELECT r.id FROM journal_entries r WHERE r.source_kind ="
        " 'reversal' AND r.source_ref = CAST(s.id AS TEXT)), s.total FROM"
        " (SELECT j.id, j.posted_at, j.memo, j.source_kind, j.source_ref, j.reverses_entry_id,"
        "  p.id AS pid, p.amount_minor AS amount, sum(p.amount_minor) OVER (ORDER BY"
        "  j.posted_at, j.id, p.id ROWS UNBOUNDED PRECEDING) AS running, count(*) OVER ()"
        "  AS total FROM postings p JOIN ledger_accounts a ON a.id = p.ledger_account_id"
        "  JOIN journal_entries j ON j.id = p.entry_id WHERE a.code = ?) s"
        " ORDER BY s.posted_at, s.id, s.pid LIMIT ? OFFSET ?", (code, limit, offset)).fetchall()
    return Page(int(rows[0][9]) if rows else 0,
                [StatementRow(int(e), _when(at), memo, kind, ref, int(amount), int(running),
                              rev, by)
                 for e, at, memo, kind, ref, amount, running, rev, by, _n in rows])


@dataclass(frozen=True, slots=True)
class ClientMoney:
    client_id: int
    client: str
    currency: str
    trading: int  # owed to the client on the platform, positive
    held: int     # withdrawals taken off the platform and not yet paid out

    @property
    def total(self) -> int:
        return self.trading + self.held


# Credit the broker extends on the platform is not the client's money: left out here.
_OWNED = (
    "WITH owned(client_id, currency, ledger_id, held) AS ("
    " SELECT t.client_id, a.currency, a.id, 0 FROM trading_accounts t JOIN ledger_accounts a"
    " ON a.code = 'trading:' || t.platform || ':' || t.login || ':' || t.currency"
    " WHERE t.client_id IS NOT NULL"
    " UNION ALL SELECT a.client_id, a.currency, a.id, 1 FROM ledger_accounts a"
    " WHERE a.client_id IS NOT NULL AND a.code LIKE 'client\\_money:%' ESCAPE '\\'),"
    " money AS (SELECT client_id, currency, -sum(CASE held WHEN 0 THEN s ELSE 0 END) AS trading,"
    " -sum(CASE held WHEN 1 THEN s ELSE 0 END) AS held FROM"
    " (SELECT o.*, (SELECT coalesce(sum(p.amount_minor), 0) FROM postings p"
    "  WHERE p.ledger_account_id = o.ledger_id) AS s FROM owned o)"
    " GROUP BY client_id, currency) ")
MONEY_SORT = ("c.search_name", "m.currency", "m.trading", "m.held", "m.trading + m.held")


def client_money_summary(db: Any, search: str = "", sort: int = 0, descending: bool = False,
                         offset: int = 0, limit: int = 200) -> Page[ClientMoney]:
    """What the broker owes each client per currency (trading balances and money held),
    searched by the client's name, sorted and paged in SQL."""
    rows = db.execute(
        _OWNED + "SELECT m.client_id, c.display_name, m.currency, m.trading, m.held,"
        " count(*) OVER () FROM money m JOIN clients c ON c.id = m.client_id"
        " WHERE c.search_name LIKE ? ESCAPE '\\'"
        f" ORDER BY {_order(MONEY_SORT, sort, descending, 'm.client_id')}, m.currency"
        " LIMIT ? OFFSET ?", (_like(fold(search)), limit, offset)).fetchall()
    return Page(int(rows[0][5]) if rows else 0,
                [ClientMoney(int(cid), name, cur, int(t), int(h))
                 for cid, name, cur, t, h, _n in rows])


def client_accounts(db: Any, client_id: int, currency: str | None = None) -> list[Balance]:
    """A client's own ledger accounts (trading, credit, money held) with balances."""
    return [b for b in (Balance(code, name, LedgerKind(kind), cur, int(s))
                        for code, name, kind, cur, s in db.execute(
            "SELECT a.code, a.name, a.kind, a.currency, (SELECT coalesce(sum(p.amount_minor),"
            " 0) FROM postings p WHERE p.ledger_account_id = a.id) FROM ledger_accounts a"
            " WHERE a.client_id = ?1 OR a.code IN (SELECT h.head || t.platform || ':' ||"
            " t.login || ':' || t.currency FROM trading_accounts t, (SELECT 'trading:' AS head"
            " UNION ALL SELECT 'credit:') h WHERE t.client_id = ?1) ORDER BY a.code",
            (client_id,)))
            if currency is None or b.currency == currency]


# -- Drill-down: the record behind a journal entry ------------------------------------

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

@dataclass(frozen=True, slots=True)
class EntryLine:
    code: str
    name: str
    amount: int  # debit positive
    currency: str


@dataclass(frozen=True, slots=True)
class EntryDetail:
    id: int
    posted_at: datetime
    memo: str
    source_kind: str
    source_ref: str
    reason: str
    created_by: str  # a person's name; empty for automatic postings
    reverses: int | None
    reversed_by: int | None
    lines: tuple[EntryLine, ...]


@dataclass(frozen=True, slots=True)
class DealRecord:
    platform: str
    ticket: int
    login: int
    currency: str
    client: str
    symbol: str
    action: str
    entry: str
    volume: int  # hundredths of a lot
    price: Decimal
    profit: int
    commission: int
    swap: int
    fee: int
    time: datetime
    reason: str
    comment: str


@dataclass(frozen=True, slots=True)
class StatusChange:
    status: str
    at: datetime
    by: str
    note: str


@dataclass(frozen=True, slots=True)
class PaymentRecord:
    external_id: str
    event: str  # which step of the payment the entry posted: completed, held, ...
    direction: str
    method: str
    provider: str
    provider_ref: str
    client: str
    login: int | None
    amount: int
    currency: str
    fee: int
    status: str
    account_amount: int | None  # booked on the trading account when its currency differs
    account_currency: str
    fx_rate: str
    created_at: datetime
    updated_at: datetime
    history: tuple[StatusChange, ...]


@dataclass(frozen=True, slots=True)
class SourceRecord:
    entry: EntryDetail
    deal: DealRecord | None = None
    payment: PaymentRecord | None = None
    reversed_entry: EntryDetail | None = None


def entry_detail(db: Any, entry_id: int) -> EntryDetail:
    row = db.execute(
        "SELECT j.id, j.posted_at, j.memo, j.source_kind, j.source_ref, j.reason,"
        " coalesce(u.full_name, ''), j.reverses_entry_id, (SELECT r.id FROM journal_entries r"
        " WHERE r.source_kind = 'reversal' AND r.source_ref = CAST(j.id AS TEXT))"
        " FROM journal_entries j LEFT JOIN users u ON u.id = j.created_by WHERE j.id = ?",
        (entry_id,)).fetchone()
    if row is None:
        raise NotFound(f"There is no journal entry #{entry_id}.")
    lines = tuple(EntryLine(code, name, int(amount), cur) for code, name, amount, cur in
                  db.execute("SELECT a.code, a.name, p.amount_minor, p.currency FROM postings p"
                             " JOIN ledger_accounts a ON a.id = p.ledger_account_id"
                             " WHERE p.entry_id = ? ORDER BY p.id", (entry_id,)))
    e, at, memo, kind, ref, reason, who, reverses, by = row
    return EntryDetail(int(e), _when(at), memo, kind, ref, reason, who, reverses, by, lines)


def _deal(db: Any, ref: str) -> DealRecord | None:
    platform, _, ticket = ref.rpartition(":")
    if not ticket.isdigit():
        return None
    row = db.execute(
        "SELECT d.platform, d.ticket, a.login, a.currency, coalesce(c.display_name, ''),"
        " d.symbol, d.action, d.entry, d.volume, d.price, d.profit_minor, d.commission_minor,"
        " d.swap_minor, d.fee_minor, d.time_ms, d.reason, d.comment FROM deals d"
        " JOIN trading_accounts a ON a.id = d.account_id LEFT JOIN clients c"
        " ON c.id = a.client_id WHERE d.platform = ? AND d.ticket = ?",
        (platform, int(ticket))).fetchone()
    if row is None:
        return None
    (plat, tick, login, cur, client, symbol, action, entry, volume, price, profit, commission,
     swap, fee, ms, reason, comment) = row
    return DealRecord(plat, int(tick), int(login), cur, client, symbol, action, entry,
                      int(volume), Decimal(int(price)).scaleb(-PRICE_PLACES), int(profit),
                      int(commission), int(swap), int(fee),
                      _EPOCH + timedelta(milliseconds=ms), reason, comment)


def _payment(db: Any, ref: str) -> PaymentRecord | None:
    external_id, _, event = ref.rpartition(":")
    row = db.execute(
        "SELECT p.id, p.external_id, p.direction, p.method, p.provider, p.provider_ref,"
        " coalesce(c.display_name, ''), t.login, p.amount_minor, p.currency, p.fee_minor,"
        " p.status, p.account_amount_minor, coalesce(t.currency, ''), p.fx_rate, p.created_at,"
        " p.updated_at FROM payment_requests p LEFT JOIN clients c ON c.id = p.client_id"
        " LEFT JOIN trading_accounts t ON t.id = p.account_id WHERE p.external_id = ?",
        (external_id,)).fetchone()
    if row is None:
        return None
    history = tuple(StatusChange(status, _when(at), who, note) for status, at, who, note in
                    db.execute("SELECT h.status, h.at, coalesce(u.full_name, ''), h.note"
                               " FROM payment_status_changes h LEFT JOIN users u"
                               " ON u.id = h.actor_id WHERE h.payment_id = ?"
                               " ORDER BY h.at, h.id", (row[0],)))
    (_pid, ext, direction, method, provider, provider_ref, client, login, amount, cur, fee,
     status, booked, account_currency, rate, created, updated) = row
    return PaymentRecord(ext, event, direction, method, provider, provider_ref, client, login,
                         int(amount), cur, int(fee), status, booked, account_currency, rate,
                         _when(created), _when(updated), history)


def source_record(db: Any, entry_id: int) -> SourceRecord:
    """The entry with its postings and what it was posted from: the platform's deal,
    the payment with its status history, or the entry a reversal undid. A source not
    mirrored in this workspace (yet) comes back as None beside the entry."""
    entry = entry_detail(db, entry_id)
    if entry.source_kind == "deal":
        return SourceRecord(entry, deal=_deal(db, entry.source_ref))
    if entry.source_kind == "payment":
        return SourceRecord(entry, payment=_payment(db, entry.source_ref))
    if entry.reverses is not None:
        return SourceRecord(entry, reversed_entry=entry_detail(db, entry.reverses))
    return SourceRecord(entry)


# -- FX rates in use --------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class AppliedRate:
    day: str              # YYYY-MM-DD (UTC) the payments were last updated
    currency: str         # the payment's currency
    account_currency: str # the trading account's, in which the amount was booked
    rate: str             # account currency per payment currency, as the gateway gave it
    payments: int
    amount: int           # in the payment currency
    booked: int           # in the account currency

    @property
    def pair(self) -> str:
        return f"{self.currency}/{self.account_currency}"


def fx_rates_applied(db: Any, limit: int = 1000) -> Page[AppliedRate]:
    """Rates applied to payments in another currency than their account's, by day, pair
    and rate, newest first."""
    rows = db.execute(
        "SELECT substr(p.updated_at, 1, 10) AS day, p.currency, t.currency, p.fx_rate,"
        " count(*), sum(p.amount_minor), sum(p.account_amount_minor), count(*) OVER ()"
        " FROM payment_requests p JOIN trading_accounts t ON t.id = p.account_id"
        " WHERE p.account_amount_minor IS NOT NULL AND p.fx_rate != ''"
        " AND t.currency != p.currency GROUP BY day, p.currency, t.currency, p.fx_rate"
        " ORDER BY day DESC, p.currency, t.currency, p.fx_rate LIMIT ?", (limit,)).fetchall()
    return Page(int(rows[0][7]) if rows else 0,
                [AppliedRate(day, cur, acur, rate, int(n), int(a), int(b))
                 for day, cur, acur, rate, n, a, b, _t in rows])


@dataclass(frozen=True, slots=True)
class QuoteInUse:
    currency: str
    symbol: str
    bid: Decimal
    ask: Decimal
    mid: Decimal
    time: datetime


def quotes_in_use(db: Any, symbols: dict[str, str]) -> list[QuoteInUse]:
    """The platform's current quotes of the given symbols (currency → symbol, as
    app.kyc.fx picks them for conversions to USD)."""
    by_symbol = {sym: cur for cur, sym in symbols.items()}
    if not by_symbol:
        return []
    marks = ",".join("?" * len(by_symbol))
    out = []
    for symbol, bid, ask, ms in db.execute(
            f"SELECT symbol, bid, ask, time_ms FROM quotes WHERE symbol IN ({marks})",
            tuple(by_symbol)):
        b, a = Decimal(int(bid)).scaleb(-PRICE_PLACES), Decimal(int(ask)).scaleb(-PRICE_PLACES)
        out.append(QuoteInUse(by_symbol[symbol], symbol, b, a, (b + a) / 2,
                              _EPOCH + timedelta(milliseconds=ms)))
    return sorted(out, key=lambda q: q.currency)
