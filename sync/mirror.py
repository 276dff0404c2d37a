"""Applies pages of the changes feed to the local store: mirrors by server version,
shared records raw and, for kinds this version shows, into their tables.

This is the ingest hot path (a first pull is a million deals): rows are converted
with plain string work and written with driver-level executemany, never the ORM.
A record that does not convert is skipped with its reason in `sync_errors`; the rest
of the page goes on.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any, ClassVar

from app.commissions.accrue import accrue_new_deals, mark
from app.commissions.payouts import settle_sent
from app.commissions.recalc import note_late_links, recalculate_from
from app.crm import search_index
from app.errors import ValidationFailed
from app.ledger.chart import Accounts
from app.ledger.sources import post_new_deals, post_payments
from app.money import exponent
from app.text import fold
from sync.owned import OwnedWriter

PLATFORM = "gw"
_EPOCH = datetime(1970, 1, 1)
_PARENTS = ("client", "account")
_OURS = f"platform = '{PLATFORM}' AND "
# Where each kind's rows hold the account id.
_ACCOUNT_COLUMN = {"deal": 2, "position": 2, "account_state": 0, "payment": 3}
_AMOUNT = re.compile(r"-?\d{1,18}(\.\d{1,18})?")
_ACTIONS = {"BUY", "SELL", "BALANCE", "CREDIT", "CHARGE", "CORRECTION", "BONUS", "COMMISSION",
            "AGENT"}
_ENTRIES = {"IN", "OUT", "INOUT", "NONE"}
_ACCOUNT_STATUS = {"active", "read_only", "disabled", "archived"}
_PAYMENT_STATUS = {"requested", "pending_approval", "approved", "pending", "processing",
                   "completed", "failed", "cancelled", "rejected", "refunded", "charged_back"}
_METHODS = {"card", "bank_wire", "e_wallet", "crypto"}
MAX_DEVICES = 20  # device fingerprints a client record may carry


_ACTION = {a: a.lower() for a in _ACTIONS}
_ENTRY = {e: e.lower() for e in _ENTRIES}
_EXPONENT = {c: exponent(c) for c in ("USD", "EUR", "GBP", "CHF", "JPY", "AUD", "CAD")}


def _fixed(value: Any, places: int) -> int:
    """The fast half of `scaled`: plain ASCII decimals only, anything else raises."""
    whole, dot, frac = value.partition(".")
    if (len(frac) > places or not value.isascii() or (dot and not frac.isdigit())
            or not (whole.isdigit() or (whole[:1] == "-" and whole[1:].isdigit()))):
        raise ValueError
    return int(whole + frac.ljust(places, "0"))


@dataclass(slots=True)
class Unplaced:
    """An account known only by login so far; never reaches SQL (binding would fail)."""

    login: int
    currency: str


class BadRecord(ValueError):
    """A record the contract does not allow; the message names the field."""


def scaled(text: object, places: int, what: str) -> int:
    """'123.45' with 2 places -> 12345, exactly; refuses anything else."""
    # Fast path for the usual form, exactly `places` decimals in ASCII digits; int()
    # alone would also take '1_0', ' 1' and non-ASCII digits.
    if type(text) is str and text.isascii() and places:
        dot = len(text) - places - 1
        if dot > 0 and text[dot] == ".":
            whole, frac = text[:dot], text[dot + 1:]
            if frac.isdigit() and (whole.isdigit() or (whole[0] == "-" and whole[1:].isdigit())):
                return int(whole + frac)
    if not isinstance(text, str) or not text.isascii() or not _AMOUNT.fullmatch(text):
        raise BadRecord(f"{what} is not a decimal amount: {str(text)[:40]!r}")
    whole, _, frac = text.partition(".")
    if len(frac) > places:
        raise BadRecord(f"{what} has more than {places} decimal places: {text!r}")
    return int(whole + frac.ljust(places, "0"))


def text(value: object, what: str, limit: int, *, empty: bool = True) -> str:
    if not isinstance(value, str) or len(value) > limit or (not empty and not value):
        raise BadRecord(f"{what} must be text of at most {limit} characters")
    return value


def integer(value: object, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not -2**62 < value < 2**62:
        raise BadRecord(f"{what} must be a whole number")
    return value


def optional_integer(value: object, what: str) -> int | None:
    return None if value is None else integer(value, what)


def choice(value: object, allowed: set[str], what: str) -> str:
    if value not in allowed:
        raise BadRecord(f"{what} has an unknown value {str(value)[:40]!r}")
    return str(value)


def stamp(ms: object, what: str) -> str:
    """Milliseconds since the epoch to the naive-UTC text SQLAlchemy stores."""
    try:  # integer arithmetic: no float rounding, and twice as fast as strftime
        return (_EPOCH + timedelta(milliseconds=integer(ms, what))).isoformat(" ", "microseconds")
    except OverflowError as exc:
        raise BadRecord(f"{what} is out of range") from exc


def money_exp(currency: object) -> int:
    try:
        return exponent(str(currency))
    except Exception as exc:
        raise BadRecord(f"currency {str(currency)[:10]!r} is not known") from exc


@dataclass
class PageResult:
    applied: int = 0
    errors: list[tuple[str, str, str]] = field(default_factory=list)  # kind, id, reason
    by_kind: dict[str, int] = field(default_factory=dict)


class MirrorWriter:
    """Writes through one DB-API connection inside the caller's transaction; keeps
    login and client-id maps so a page needs no lookups per row.

    The maps may hold ids a failed transaction rolled back, and SQLite hands such ids
    out again: a writer whose transaction failed must be thrown away."""

    def __init__(self, db: Any) -> None:
        self.db = db
        self.accounts: dict[int, int] = dict(db.execute(
            "SELECT login, id FROM trading_accounts WHERE platform = ?", (PLATFORM,)))
        self.currencies: dict[int, str] = dict(db.execute(
            "SELECT login, currency FROM trading_accounts WHERE platform = ?", (PLATFORM,)))
        self.clients: dict[str, int] = dict(db.execute(
            "SELECT external_id, id FROM clients WHERE external_id IS NOT NULL"))
        self.owned = OwnedWriter(db, self.client_id)
        self.ledger = Accounts(db)
        self.histories: dict[str, tuple[int, list[tuple[str, str, str]]]] = {}
        self.devices: dict[str, tuple[int, list[str]]] = {}  # client id -> version, set
        self.unplaced: dict[int, Unplaced] = {}
        # Referral code -> partner, read at most once per page (partners are few, and
        # another writer or a desk user may have added some since the last page).
        self.partner_codes: dict[str, int] | None = None
        self.now = datetime.now(UTC).replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S.%f")

    # -- references that may arrive before what they point at -----------------------------

    def account_id(self, login: int, currency: str = "") -> int | Unplaced:
        """The local id of a platform login; an account whose deals came before it is
        marked, and `place` gives all of a page's such accounts placeholders at once."""
        found = self.accounts.get(login)
        if found is not None:
            return found
        mark = self.unplaced.get(login)
        if mark is None:
            mark = self.unplaced[login] = Unplaced(login, currency)
        return mark

    def place(self, batches: dict[str, list[tuple[Any, ...]]]) -> None:
        if not self.unplaced:
            return
        logins = list(self.unplaced)
        # Another writer (the pull, the stream) may have added some since our maps.
        self.remap("trading_accounts", "login", logins, self.accounts, _OURS)
        new = [m for m in self.unplaced.values() if m.login not in self.accounts]
        self.db.executemany(
            'INSERT INTO trading_accounts (platform, login, client_id, "group", currency,'
            " leverage, status, opened_at, server_version) VALUES (?, ?, NULL, '', ?, 0,"
            " 'active', ?, 0)", [(PLATFORM, m.login, m.currency, self.now) for m in new])
        self.remap("trading_accounts", "login", [m.login for m in new], self.accounts, _OURS)
        for m in new:
            self.currencies.setdefault(m.login, m.currency)
        self.unplaced.clear()
        for kind, at in _ACCOUNT_COLUMN.items():
            if rows := batches.get(kind):
                batches[kind] = [
                    r if type(r[at]) is not Unplaced else
                    (*r[:at], self.accounts[r[at].login], *r[at + 1:]) for r in rows]

    def client_id(self, external: str) -> int:
        found = self.clients.get(external)
        if found is None:
            row = self.db.execute("SELECT id FROM clients WHERE external_id = ?",
                                  (external,)).fetchone()
            if row is not None:
                found = self.clients[external] = int(row[0])
                return found
            cur = self.db.execute(
                "INSERT INTO clients (external_id, kind, first_name, last_name, company_name,"
                " display_name, search_name, email, phone, country, status, segment,"
                " risk_rating, closed_reason, version, server_version, profile_version,"
                " created_at, updated_at) VALUES (?, 'person', '', '', '', ?, ?, '', '', '',"
                " 'registered', '', 'unrated', '', 1, 0, 0, ?, ?)",
                (external, external, fold(external), self.now, self.now))
            found = self.clients[external] = int(cur.lastrowid)
        return found

    # -- the page ------------------------------------------------------------------------

    def apply(self, changes: Iterable[dict[str, Any]]) -> PageResult:
        result = PageResult()
        self.partner_codes = None
        changes = list(changes)
        # Clients, then accounts, are written before the records that point at them, so
        # those find their ids instead of making placeholders one row at a time.
        for parent in _PARENTS:
            if any(c.get("kind") == parent for c in changes):
                self._convert([c for c in changes if c.get("kind") == parent], result)
                changes = [c for c in changes if c.get("kind") != parent]
        self._convert(changes, result)
        return result

    def _convert(self, changes: list[dict[str, Any]], result: PageResult) -> None:
        batches: dict[str, list[tuple[Any, ...]]] = {}
        for change in changes:
            kind, rid = change.get("kind"), str(change.get("id"))[:64]
            try:
                handler = self.HANDLERS.get(str(kind))
                if handler is None:
                    self.owned.apply(change)
                else:
                    handler(self, change, batches)
                result.applied += 1
                result.by_kind[str(kind)] = result.by_kind.get(str(kind), 0) + 1
            except (BadRecord, KeyError, TypeError, ValueError) as exc:
                reason = str(exc) if isinstance(exc, BadRecord) else \
                    f"missing or wrong field {exc}" if isinstance(exc, KeyError) else str(exc)
                result.errors.append((str(kind)[:40], rid, reason[:500]))
        self.flush(batches)
        if self.owned.errors:  # checked fine, but this desk cannot show them (yet)
            result.errors += self.owned.errors
            self.owned.errors = []

    def flush(self, batches: dict[str, list[tuple[Any, ...]]]) -> None:
        """Writes a page's rows kind by kind, parents first."""
        if rows := batches.get("client"):
            before = self.referrals("clients", "external_id", "partner_id",
                                    [r[0] for r in rows])
            self.db.executemany(SQL["client"], rows)
            self.remap("clients", "external_id", [r[0] for r in rows], self.clients)
            self.late_links(before, "clients", "external_id", "partner_id")
            self.client_devices()
            # names, emails and phones are searched by their terms
            search_index.refresh(self.db, {self.clients[r[0]] for r in rows})
        if rows := batches.get("account"):
            owners = search_index.login_owners(self.db, PLATFORM, [r[1] for r in rows])
            before = self.referrals("trading_accounts", "login", "client_id",
                                    [r[1] for r in rows])
            self.db.executemany(SQL["account"], rows)
            self.late_links(before, "trading_accounts", "login", "client_id")
            self.remap("trading_accounts", "login", [r[1] for r in rows], self.accounts, _OURS)
            search_index.move_logins(self.db, PLATFORM, owners)
        self.place(batches)
        for kind in ("deal", "position", "account_state"):
            if rows := batches.get(kind):
                self.db.executemany(SQL[kind], rows)
        if rows := batches.get("position_gone"):
            self.db.executemany(SQL["tombstone"], [("position", *r) for r in rows])
            self.db.executemany("DELETE FROM positions WHERE platform = ? AND position_id = ?",
                                [(PLATFORM, int(pid)) for pid, _ in rows])
        if rows := batches.get("payment"):
            self.db.executemany(SQL["payment"], rows)
            self.payment_histories([r[0] for r in rows])
        self.owned.flush()
        # The ledger moves with the mirror, in the same transaction: balances are
        # current the moment a deal or a payment lands.
        post_new_deals(self.db, self.ledger)
        if rows := batches.get("payment"):
            post_payments(self.db, self.ledger, [r[1] for r in rows])
        # Partner commission accrues with its deals, in the same transaction too.
        while accrue_new_deals(self.db) is not None:
            pass
        # Terms or a tree another desk changed from a date this desk has accrued past.
        day, self.owned.recalc_from = self.owned.recalc_from, None
        if day is not None and mark(self.db):  # nothing accrued yet: nothing to redo
            self.db.execute("SAVEPOINT owned_recalc")
            try:
                recalculate_from(self.db, day)
            except ValidationFailed as exc:
                self.db.execute("ROLLBACK TO owned_recalc")
                self.owned.errors.append(("commission", day.isoformat(), str(exc)[:500]))
            self.db.execute("RELEASE owned_recalc")
        settle_sent(self.db)

    def referrals(self, table: str, key: str, column: str, keys: list[Any]
                  ) -> dict[Any, Any]:
        """`column` by `key` for the rows a page is about to write (only rows that
        exist: new ones have no deals accrued yet)."""
        found: dict[Any, Any] = {}
        for i in range(0, len(keys), 500):
            chunk = keys[i:i + 500]
            found.update(self.db.execute(
                f"SELECT {key}, {column} FROM {table} WHERE {key} IN"
                f" ({','.join('?' * len(chunk))})", chunk))
        return found

    def late_links(self, before: dict[Any, Any], table: str, key: str, column: str) -> None:
        """A client who became a partner's, or an account that became a client's, after
        deals were accrued: commission is recalculated from the first such deal."""
        after = self.referrals(table, key, column, list(before))
        # Only a link that was missing: a client moved from one partner to another keeps
        # its past commission where it was earned.
        changed = [k for k, v in after.items() if v is not None and before.get(k) is None]
        if not changed:
            return
        if table == "clients":
            ids = [self.clients[k] for k in changed if k in self.clients]
        else:
            ids = [after[k] for k in changed]
        note_late_links(self.db, ids)

    def remap(self, table: str, key: str, keys: list[Any], into: dict[Any, int],
              where: str = "") -> None:
        missing = [k for k in keys if k not in into]
        for i in range(0, len(missing), 500):
            chunk = missing[i:i + 500]
            marks = ",".join("?" * len(chunk))
            into.update(self.db.execute(
                f"SELECT {key}, id FROM {table} WHERE {where}{key} IN ({marks})",
                chunk))

    def client_devices(self) -> None:
        """The devices of the clients whose version this page wrote: the platform's set
        replaces the desk's (a record without `devices` leaves it as it was)."""
        ids = list(self.devices)
        written: list[tuple[int, str]] = []
        for i in range(0, len(ids), 500):
            chunk = ids[i:i + 500]
            for local, ext, version in self.db.execute(
                    "SELECT id, external_id, server_version FROM clients WHERE external_id IN"
                    f" ({','.join('?' * len(chunk))})", chunk):
                if self.devices[ext][0] == version:
                    written.append((local, ext))
        self.db.executemany("DELETE FROM client_devices WHERE client_id = ?",
                            [(local,) for local, _ in written])
        self.db.executemany("INSERT INTO client_devices (client_id, device) VALUES (?, ?)",
                            [(local, device) for local, ext in written
                             for device in self.devices[ext][1]])
        self.devices.clear()

    def payment_histories(self, ids: list[str]) -> None:
        """Status history rows for the payments whose version this page wrote."""
        written: list[tuple[int, str]] = []
        for i in range(0, len(ids), 500):
            chunk = ids[i:i + 500]
            marks = ",".join("?" * len(chunk))
            for local, ext, version in self.db.execute(
                    "SELECT id, external_id, server_version FROM payment_requests "
                    f"WHERE external_id IN ({marks})", chunk):
                if self.histories.get(ext, (None,))[0] == version:
                    written.append((local, ext))
        self.db.executemany("DELETE FROM payment_status_changes WHERE payment_id = ?",
                            [(local,) for local, _ in written])
        self.db.executemany(
            "INSERT INTO payment_status_changes (payment_id, status, at, note) VALUES (?, ?, ?, ?)",
            [(local, *step) for local, ext in written for step in self.histories[ext][1]])
        self.histories.clear()

    # -- one converter per mirror kind ----------------------------------------------------

    def symbol(self, change: dict[str, Any], batches: dict[str, list[tuple[Any, ...]]]) -> None:
        return  # symbols carry nothing the desk keeps yet; prices arrive on the stream

    def partner_of(self, code: str) -> int | None:
        if not code:
            return None
        if self.partner_codes is None:
            self.partner_codes = dict(self.db.execute("SELECT referral_code, id FROM partners"))
        return self.partner_codes.get(code)

    def client(self, change: dict[str, Any], batches: dict[str, list[tuple[Any, ...]]]) -> None:
        d, version = change["data"], integer(change["version"], "version")
        ext = text(change["id"], "client id", 64, empty=False)
        if change["deleted"] or d is None:
            return  # platforms archive clients, they do not delete them; keep ours
        kind = "company" if d.get("kind") == "company" else "person"
        first, last = text(d["first_name"], "first name", 120), text(d["last_name"],
                                                                      "last name", 120)
        company = text(d.get("company_name", ""), "company name", 200)
        display = company if kind == "company" else (f"{last}, {first}" if first else last)
        country = text(d["country"], "country", 2)
        dob = d.get("date_of_birth")
        if dob is not None:
            dob = date.fromisoformat(text(dob, "date of birth", 10)).isoformat()
        code = text(d.get("referral_code") or "", "referral code", 32)
        devices = d.get("devices")
        if devices is not None:
            if not isinstance(devices, list) or len(devices) > MAX_DEVICES:
                raise BadRecord(f"devices must be a list of at most {MAX_DEVICES} fingerprints")
            self.devices[ext] = (version, sorted({text(x, "device", 64, empty=False)
                                                  for x in devices}))
        batches.setdefault("client", []).append((
            ext, kind, first, last, company, display[:260], fold(display)[:260],
            text(d.get("email", ""), "email", 254), text(d.get("phone", ""), "phone", 32),
            country, dob, code, self.partner_of(code), version, self.now, self.now))

    def account(self, change: dict[str, Any], batches: dict[str, list[tuple[Any, ...]]]) -> None:
        d = change["data"]
        if change["deleted"] or d is None:
            return
        login = integer(d["login"], "login")
        currency = text(d["currency"], "currency", 5, empty=False)
        money_exp(currency)
        version = integer(change["version"], "version")
        batches.setdefault("account", []).append((
            PLATFORM, login, self.client_id(text(d["client_id"], "client id", 64, empty=False)),
            text(d["group"], "group", 64), currency, integer(d["leverage"], "leverage"),
            choice(d["status"], _ACCOUNT_STATUS, "account status"),
            stamp(d["opened_ms"], "opened_ms"), version))
        self.currencies[login] = currency

    def account_state(self, change: dict[str, Any],
                      batches: dict[str, list[tuple[Any, ...]]]) -> None:
        d = change["data"]
        if change["deleted"] or d is None:
            return
        login = integer(d["login"], "login")
        currency = text(d["currency"], "currency", 5, empty=False)
        exp = money_exp(currency)
        level = d.get("margin_level")
        batches.setdefault("account_state", []).append((
            self.account_id(login, currency), scaled(d["balance"], exp, "balance"),
            scaled(d["credit"], exp, "credit"), scaled(d["equity"], exp, "equity"),
            scaled(d["margin"], exp, "margin"), scaled(d["free_margin"], exp, "free margin"),
            None if level is None else scaled(level, 2, "margin level"),
            stamp(d["updated_ms"], "updated_ms"), integer(change["version"], "version")))

    def deal(self, change: dict[str, Any], batches: dict[str, list[tuple[Any, ...]]]) -> None:
        d = change["data"]
        if change["deleted"] or d is None:
            return
        try:
            row = self._deal_fast(d, change["version"])
        except Exception:
            row = self._deal_checked(d, change)  # the same rules, with a message
        batches.setdefault("deal", []).append(row)

    def _deal_fast(self, d: dict[str, Any], version: Any) -> tuple[Any, ...]:
        """A million deals go through here: every check, no messages (any failure
        sends the record to `_deal_checked`, which says what is wrong)."""
        login, ticket, position, when = d["login"], d["ticket"], d["position_id"], d["time_ms"]
        if (type(login) is not int or type(ticket) is not int or type(when) is not int
                or type(version) is not int
                or (position is not None and type(position) is not int)):
            raise TypeError
        exp = _EXPONENT[d["currency"]]
        symbol, reason, comment = d["symbol"], d["reason"], d["comment"]
        if (type(symbol) is not str or len(symbol) > 32 or type(reason) is not str
                or len(reason) > 32 or type(comment) is not str or len(comment) > 64):
            raise TypeError
        return (PLATFORM, ticket, self.accounts.get(login) or self.account_id(login, d["currency"]),
                symbol, _ACTION[d["action"]], _ENTRY[d["entry"]], _fixed(d["volume"], 2),
                _fixed(d["price"], 8), _fixed(d["profit"], exp), _fixed(d["commission"], exp),
                _fixed(d["swap"], exp), _fixed(d["fee"], exp), position, when, reason,
                comment, version)

    def _deal_checked(self, d: dict[str, Any], change: dict[str, Any]) -> tuple[Any, ...]:
        login = integer(d["login"], "login")
        currency = d.get("currency") or self.currencies.get(login, "")
        exp = money_exp(currency)
        position = d.get("position_id")
        row = (
            PLATFORM, integer(d["ticket"], "ticket"), 0,
            text(d["symbol"], "symbol", 32),
            choice(d["action"], _ACTIONS, "deal action").lower(),
            choice(d["entry"], _ENTRIES, "deal entry").lower(),
            scaled(d["volume"], 2, "volume"), scaled(d["price"], 8, "price"),
            scaled(d["profit"], exp, "profit"), scaled(d["commission"], exp, "commission"),
            scaled(d["swap"], exp, "swap"), scaled(d["fee"], exp, "fee"),
            None if position is None else integer(position, "position id"),
            integer(d["time_ms"], "time_ms"), text(d["reason"], "reason", 32),
            text(d["comment"], "comment", 64), integer(change["version"], "version"))
        # Last: a refused deal must not leave a placeholder account behind.
        return (*row[:2], self.account_id(login, currency), *row[3:])

    def position(self, change: dict[str, Any],
                 batches: dict[str, list[tuple[Any, ...]]]) -> None:
        pid = int(text(change["id"], "position id", 20, empty=False))
        d = change["data"]
        if change["deleted"] or d is None:
            batches.setdefault("position_gone", []).append(
                (str(pid), integer(change["version"], "version")))
            return
        login = integer(d["login"], "login")
        currency = d.get("currency") or self.currencies.get(login, "")
        exp = money_exp(currency)
        batches.setdefault("position", []).append((
            PLATFORM, pid, self.account_id(login, currency), text(d["symbol"], "symbol", 32),
            choice(d["side"], {"BUY", "SELL"}, "side").lower(), scaled(d["volume"], 2, "volume"),
            scaled(d["open_price"], 8, "open price"),
            scaled(d["current_price"], 8, "current price"), scaled(d["profit"], exp, "profit"),
            scaled(d["swap"], exp, "swap"), integer(d["opened_ms"], "opened_ms"),
            integer(change["version"], "version")))

    def payment(self, change: dict[str, Any],
                batches: dict[str, list[tuple[Any, ...]]]) -> None:
        d = change["data"]
        if change["deleted"] or d is None:
            return
        pid = text(change["id"], "payment id", 36, empty=False)
        version = integer(change["version"], "version")
        currency = text(d["currency"], "currency", 5, empty=False)
        exp = money_exp(currency)
        login = d.get("login")
        history = d["history"]
        if not isinstance(history, list) or not history:
            raise BadRecord("payment history must list at least one status")
        steps = [(choice(h["status"], _PAYMENT_STATUS, "payment status"),
                  stamp(h["at_ms"], "history time"), text(h.get("note", ""), "note", 500))
                 for h in history]
        row = (pid, pid, self.client_id(text(d["client_id"], "client id", 64, empty=False)),
               None if login is None else self.account_id(
                   integer(login, "login"), d.get("account_currency") or currency),
               choice(d["direction"], {"deposit", "withdrawal"}, "direction"),
               choice(d["method"], _METHODS, "payment method"),
               text(d["provider"], "provider", 64),
               scaled(d["amount"], exp, "amount"), currency, scaled(d["fee"], exp, "fee"),
               choice(d["status"], _PAYMENT_STATUS, "payment status"),
               text(d.get("provider_ref", ""), "provider reference", 128),
               text(d.get("payer_name", ""), "payer name", 200),
               text(d.get("payer_account", ""), "payer account", 128),
               version, stamp(d["created_ms"], "created_ms"), stamp(d["updated_ms"],
                                                                   "updated_ms"),
               text(d.get("requested_by") or "", "requested by", 64),
               text(d.get("bank_code") or "", "bank code", 16),
               *self.booked(d), optional_integer(d.get("ticket"), "ticket"))
        batches.setdefault("payment", []).append(row)
        self.histories[pid] = (version, steps)

    @staticmethod
    def booked(d: dict[str, Any]) -> tuple[int | None, str]:
        """The amount in the trading account's currency and the rate, when the payment
        was made in another currency (account currency per payment currency)."""
        rate = d.get("fx_rate")
        if not rate:
            return None, ""
        account_currency = text(d.get("account_currency"), "account currency", 5, empty=False)
        places = money_exp(account_currency)
        return (scaled(d["account_amount"], places, "account amount"),
                text(rate, "fx rate", 32, empty=False))

    HANDLERS: ClassVar[dict[str, Callable[[MirrorWriter, dict[str, Any],
                                           dict[str, list[tuple[Any, ...]]]], None]]] = {
        "symbol": symbol, "client": client, "account": account,
        "account_state": account_state, "deal": deal, "position": position,
        "payment": payment}


_NEWER = 'WHERE excluded."server_version" > "{t}"."server_version"'
SQL = {
    # Only the platform's fields change on update: status, segment, risk and manager are
    # the back office's (see sync/owned.py). The partner follows the referral code when
    # the platform reports a new one (a placeholder's is ''); an unchanged or dropped code
    # leaves the partner a desk chose. A code whose partner is not here yet links when
    # the partner arrives (OwnedWriter.link_clients).
    "client": (
        "INSERT INTO clients (external_id, kind, first_name, last_name, company_name,"
        " display_name, search_name, email, phone, country, date_of_birth, referral_code,"
        " partner_id, status, segment, risk_rating, closed_reason, version, server_version,"
        " profile_version, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?,"
        " ?, ?, 'registered', '', 'unrated', '', 1, ?, 0, ?, ?)"
        " ON CONFLICT (external_id) DO UPDATE SET kind = excluded.kind,"
        " partner_id = CASE WHEN excluded.referral_code != ''"
        " AND excluded.referral_code IS NOT clients.referral_code THEN excluded.partner_id"
        " ELSE clients.partner_id END, referral_code = excluded.referral_code,"
        " first_name = excluded.first_name, last_name = excluded.last_name,"
        " company_name = excluded.company_name, display_name = excluded.display_name,"
        " search_name = excluded.search_name, email = excluded.email, phone = excluded.phone,"
        " country = excluded.country, date_of_birth = excluded.date_of_birth,"
        " server_version = excluded.server_version, updated_at = excluded.updated_at,"
        # a new name, date of birth or country is screened again (app/services/screening)
        " screened_at = CASE WHEN excluded.kind IS NOT clients.kind"
        " OR excluded.first_name IS NOT clients.first_name"
        " OR excluded.last_name IS NOT clients.last_name"
        " OR excluded.company_name IS NOT clients.company_name"
        " OR excluded.date_of_birth IS NOT clients.date_of_birth"
        " OR excluded.country IS NOT clients.country THEN NULL ELSE clients.screened_at END "
        + _NEWER.format(t="clients")),
    "account": (
        'INSERT INTO trading_accounts (platform, login, client_id, "group", currency, leverage,'
        " status, opened_at, server_version) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
        " ON CONFLICT (platform, login) DO UPDATE SET client_id = excluded.client_id,"
        ' "group" = excluded."group", currency = excluded.currency,'
        " leverage = excluded.leverage, status = excluded.status,"
        " opened_at = excluded.opened_at, server_version = excluded.server_version "
        + _NEWER.format(t="trading_accounts")),
    "account_state": (
        "INSERT INTO account_states (account_id, balance_minor, credit_minor, equity_minor,"
        " margin_minor, free_margin_minor, margin_level_bp, updated_at, server_version)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (account_id) DO UPDATE SET"
        " balance_minor = excluded.balance_minor, credit_minor = excluded.credit_minor,"
        " equity_minor = excluded.equity_minor, margin_minor = excluded.margin_minor,"
        " free_margin_minor = excluded.free_margin_minor,"
        " margin_level_bp = excluded.margin_level_bp, updated_at = excluded.updated_at,"
        " server_version = excluded.server_version " + _NEWER.format(t="account_states")),
    "deal": (
        "INSERT INTO deals (platform, ticket, account_id, symbol, action, entry, volume, price,"
        " profit_minor, commission_minor, swap_minor, fee_minor, position_id, time_ms, reason,"
        " comment, server_version) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
        " ON CONFLICT (platform, ticket) DO UPDATE SET account_id = excluded.account_id,"
        " symbol = excluded.symbol, action = excluded.action, entry = excluded.entry,"
        " volume = excluded.volume, price = excluded.price,"
        " profit_minor = excluded.profit_minor, commission_minor = excluded.commission_minor,"
        " swap_minor = excluded.swap_minor, fee_minor = excluded.fee_minor,"
        " position_id = excluded.position_id, time_ms = excluded.time_ms,"
        " reason = excluded.reason, comment = excluded.comment,"
        " server_version = excluded.server_version " + _NEWER.format(t="deals")),
    # A position closed at a later version than this copy stays closed.
    "position": (
        "INSERT INTO positions (platform, position_id, account_id, symbol, side, volume,"
        " open_price, current_price, profit_minor, swap_minor, opened_ms, server_version)"
        " SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12 WHERE NOT EXISTS"
        " (SELECT 1 FROM mirror_tombstones WHERE kind = 'position'"
        " AND id = CAST(?2 AS TEXT) AND version >= ?12) ON CONFLICT (platform, position_id)"
        " DO UPDATE SET account_id = excluded.account_id, symbol = excluded.symbol,"
        " side = excluded.side, volume = excluded.volume, open_price = excluded.open_price,"
        " current_price = excluded.current_price, profit_minor = excluded.profit_minor,"
        " swap_minor = excluded.swap_minor, opened_ms = excluded.opened_ms,"
        " server_version = excluded.server_version " + _NEWER.format(t="positions")),
    "tombstone": (
        "INSERT INTO mirror_tombstones (kind, id, version) VALUES (?, ?, ?)"
        " ON CONFLICT (kind, id) DO UPDATE SET version = max(version, excluded.version)"),
    "payment": (
        "INSERT INTO payment_requests (uid, external_id, client_id, account_id, direction,"
        " method, provider, amount_minor, currency, fee_minor, status, provider_ref,"
        " payer_name, payer_account, server_version, created_at, updated_at,"
        " requested_by_name, bank_code, account_amount_minor, fx_rate, ticket, version)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1)"
        " ON CONFLICT (external_id) DO UPDATE SET client_id = excluded.client_id,"
        " account_id = excluded.account_id, direction = excluded.direction,"
        " method = excluded.method, provider = excluded.provider,"
        " amount_minor = excluded.amount_minor, currency = excluded.currency,"
        " fee_minor = excluded.fee_minor, status = excluded.status,"
        " provider_ref = excluded.provider_ref, payer_name = excluded.payer_name,"
        " payer_account = excluded.payer_account, server_version = excluded.server_version,"
        " updated_at = excluded.updated_at, requested_by_name = excluded.requested_by_name,"
        " bank_code = excluded.bank_code, account_amount_minor = excluded.account_amount_minor,"
        " fx_rate = excluded.fx_rate, ticket = excluded.ticket "
        + _NEWER.format(t="payment_requests")),
}
