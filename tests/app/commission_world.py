"""A small broker for commission tests: partners, referred clients, their accounts and
deals written as the sync mirror writes them, in a real encrypted workspace."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from app.commissions.accrue import accrue_new_deals
from app.crm.search_index import dbapi
from app.ledger import views
from app.services import clients, partners
from app.services.workspace import Desk

DAY = 86_400_000
T0 = int(datetime(2026, 10, 1, tzinfo=UTC).timestamp()) * 1000  # 1 Oct 2026 00:00


def day(n: int) -> date:
    """Server date of day n after 1 Oct 2026 (server clock at UTC here)."""
    return date.fromordinal(date(2026, 10, 1).toordinal() + n)


@dataclass
class World:
    desk: Desk
    logins: int = 800_000
    tickets: int = 1
    positions: int = 1
    accounts: dict[int, int] = field(default_factory=dict)   # account id -> login

    def partner(self, name: str, parent: int | None = None, code: str = "") -> int:
        return partners.create_partner(self.desk, name, code or name.upper()[:8], "USD",
                                       parent_id=parent)

    def client(self, partner: int | None, *, currency: str = "USD", group: str = "retail-std",
               registered: int = 0, name: str = "Anna") -> int:
        """A referred client registered on day `registered`; returns its account id."""
        cid = clients.create_client(self.desk, clients.ClientData(
            first_name=name, last_name="Berg", country="DE"))
        self.logins += 1
        with self.desk.store.write() as s:
            db = dbapi(s)
            stamp = datetime.fromtimestamp((T0 + registered * DAY) // 1000, UTC)
            db.execute("UPDATE clients SET partner_id = ?, created_at = ? WHERE id = ?",
                       (partner, f"{stamp:%Y-%m-%d %H:%M:%S}.000000", cid))
            cur = db.execute(
                'INSERT INTO trading_accounts (platform, login, client_id, "group", currency,'
                " leverage, status, opened_at, server_version) VALUES"
                " ('gw', ?, ?, ?, ?, 100, 'active', '2026-01-01 00:00:00.000000', 1)",
                (self.logins, cid, group, currency))
            self.accounts[int(cur.lastrowid)] = self.logins
            return int(cur.lastrowid)

    def deal(self, account: int, action: str, entry: str = "none", *, volume: int = 0,
             symbol: str = "EURUSD", profit: int = 0, commission: int = 0, swap: int = 0,
             at: int = 0, position: int | None = None, reason: str = "") -> int:
        """One mirrored deal at `at` ms after 1 Oct 2026; its id."""
        self.tickets += 1
        with self.desk.store.write() as s:
            cur = dbapi(s).execute(
                "INSERT INTO deals (platform, ticket, account_id, symbol, action, entry, volume,"
                " price, profit_minor, commission_minor, swap_minor, fee_minor, position_id,"
                " time_ms, reason, comment, server_version) VALUES"
                " ('gw', ?, ?, ?, ?, ?, ?, '1', ?, ?, ?, 0, ?, ?, ?, '', 1)",
                (self.tickets, account, symbol if action in ("buy", "sell") else "", action,
                 entry, volume, profit, commission, swap, position, T0 + at, reason))
            return int(cur.lastrowid)

    def round_turn(self, account: int, volume: int, *, symbol: str = "EURUSD", at: int = 0,
                   held_ms: int = 600_000, profit: int = 0, commission: int = 0
                   ) -> tuple[int, int]:
        self.positions += 1
        opened = self.deal(account, "buy", "in", volume=volume, symbol=symbol, at=at,
                           position=self.positions)
        closed = self.deal(account, "sell", "out", volume=volume, symbol=symbol,
                           at=at + held_ms, position=self.positions, profit=profit,
                           commission=commission)
        return opened, closed

    def accrue(self) -> int:
        n = 0
        while True:
            with self.desk.store.write() as s:
                made = accrue_new_deals(dbapi(s))
            if made is None:
                return n
            n += made

    def accruals(self) -> dict[tuple[int, int], tuple[Any, ...]]:
        """(deal, partner) -> (amount_minor, tier, rule, exact_micro, residue_micro)."""
        with self.desk.store.read() as s:
            return {(d, p): tuple(rest) for d, p, *rest in dbapi(s).execute(
                "SELECT deal_id, partner_id, amount_minor, tier, rule, exact_micro,"
                " residue_micro FROM commission_accruals ORDER BY deal_id, partner_id")}

    def earned(self, partner: int) -> int:
        with self.desk.store.read() as s:
            return int(dbapi(s).execute(
                "SELECT coalesce(sum(amount_minor), 0) FROM commission_accruals"
                " WHERE partner_id = ?", (partner,)).fetchone()[0])

    def payable(self, partner: int, currency: str = "USD") -> int:
        """What the ledger says the broker owes the partner (a credit balance, positive)."""
        with self.desk.store.read() as s:
            return -views.balance(dbapi(s), f"ib_payable:P{partner}:{currency}")


PER_LOT: dict[str, Any] = {"per_lot": [{"symbols": "FX", "accounts": "pro-*", "rate": "5.00"},
                       {"symbols": "FX", "rate": "7.00"},
                       {"symbols": "METALS", "rate": {"USD": "10.00", "EUR": "9.00"}}]}
