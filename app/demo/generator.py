"""Fill a fresh workspace with a believable broker: clients in many countries and scripts,
trading accounts with deal history, payments, KYC, partners, notes, tasks and alerts.

Deterministic from the seed. Rows go in through the store's bulk path in one
transaction with one audit entry, so a failure leaves the workspace as it was.
"""

from __future__ import annotations

import json
import random
import uuid
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app import audit
from app.demo import market
from app.demo.names import (
    COMPANY_STEMS,
    COMPANY_WORDS,
    COUNTRY_WEIGHTS,
    MAIL_HOSTS,
    PHONE_PREFIX,
    POOLS,
)
from app.errors import ValidationFailed
from app.models import crm, partners, trading
from app.models.users import Role, User
from app.roles import Permission, require
from app.services.workspace import Desk
from app.text import fold
from app.workspace.bulk import insert_rows

STATUSES = [("lead", 8), ("registered", 10), ("kyc_pending", 7), ("verified", 10),
            ("active", 50), ("dormant", 12), ("closed", 3)]
TRADING_STATUSES = {"verified", "active", "dormant", "closed"}

ClientRow = tuple[int, str, str, datetime]  # id, status, currency, created
AccountRow = tuple[int, int, str, datetime]  # id, client id, currency, opened


@dataclass
class DemoCounts:
    users: int = 0
    clients: int = 0
    accounts: int = 0
    deals: int = 0
    positions: int = 0
    payments: int = 0
    kyc_documents: int = 0
    partners: int = 0
    notes: int = 0
    tasks: int = 0
    alerts: int = 0


def ts(value: datetime) -> str:
    """The text form SQLAlchemy's SQLite DateTime reads back (naive UTC)."""
    return value.astimezone(UTC).replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S.%f")


class _Builder:
    def __init__(self, session: Session, seed: int, now: datetime) -> None:
        self.s, self.rng, self.now = session, random.Random(seed), now
        self.counts = DemoCounts()
        self.statuses, weights = zip(*STATUSES, strict=True)
        self.status_weights = list(weights)
        self.countries = list(COUNTRY_WEIGHTS)
        self.country_weights = list(COUNTRY_WEIGHTS.values())

    def uid(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def staff(self) -> list[int]:
        people = [("c.ioannou", "Chrystalla Ioannou", Role.CLERK),
                  ("m.weber", "Markus Weber", Role.CLERK),
                  ("n.haddad", "Nadia Haddad", Role.COMPLIANCE),
                  ("p.kowalski", "Piotr Kowalski", Role.FINANCE),
                  ("s.petrova", "Svetlana Petrova", Role.MANAGER)]
        ids = []
        for username, name, role in people:
            user = User(username=username, full_name=name, role=role)
            self.s.add(user)
            self.s.flush()
            ids.append(user.id)
        self.counts.users = len(ids)
        return ids

    def partner_tree(self, n: int) -> list[int]:
        rows, ids = [], []
        for i in range(1, n + 1):
            parent = None if i <= max(1, n // 10) else self.rng.randint(1, i - 1)
            stem = self.rng.choice(COMPANY_STEMS)
            created = ts(self.now - timedelta(days=self.rng.randint(400, 900)))
            rows.append((i, self.uid(), f"{stem} Introducers {i}", parent, f"IB{i:05d}",
                         "USD", 1, 1, created, created))
            ids.append(i)
        insert_rows(self.s, partners.Partner.__table__,
                    ["id", "uid", "name", "parent_id", "referral_code", "currency", "active",
                     "version", "created_at", "updated_at"], rows)
        self.counts.partners = n
        return ids

    def person(self, country: str) -> tuple[str, str]:
        firsts, lasts = POOLS[country]
        return self.rng.choice(firsts), self.rng.choice(lasts)

    def clients(self, n: int, managers: list[int], partner_ids: list[int]) -> list[ClientRow]:
        rng, rows, out = self.rng, [], []
        for cid in range(1, n + 1):
            country = rng.choices(self.countries, self.country_weights)[0]
            status = rng.choices(self.statuses, self.status_weights)[0]
            created = self.now - timedelta(days=rng.randint(1, 900), minutes=rng.randint(0, 1440))
            if rng.random() < 0.04:
                kind, first, last = "company", "", ""
                company = f"{rng.choice(COMPANY_STEMS)} {rng.choice(COMPANY_WORDS)} Ltd"
                display = company
                email = f"office{cid}@{rng.choice(MAIL_HOSTS)}"
            else:
                kind, company = "person", ""
                first, last = self.person(country)
                display = f"{last}, {first}"
                email = f"client{cid}@{rng.choice(MAIL_HOSTS)}"
            phone = f"+{PHONE_PREFIX[country]}{rng.randint(10**8, 10**9 - 1)}"
            dob = date(rng.randint(1950, 2004), rng.randint(1, 12), rng.randint(1, 28))
            risk = rng.choices(["low", "medium", "high", "unrated"], [55, 30, 5, 10])[0]
            segment = rng.choices(["Retail", "Professional", "VIP"], [80, 15, 5])[0]
            partner = rng.choice(partner_ids) if partner_ids and rng.random() < 0.35 else None
            rows.append((cid, kind, first, last, company, display, fold(display), email, phone,
                         country, dob.isoformat(), status, segment, risk,
                         rng.choice(managers), partner, "", 1, ts(created), ts(created)))
            currency = "EUR" if country in ("DE", "FR", "ES", "GR", "CY") else "USD"
            out.append((cid, status, currency, created))
        insert_rows(self.s, crm.Client.__table__,
                    ["id", "kind", "first_name", "last_name", "company_name", "display_name",
                     "search_name", "email", "phone", "country", "date_of_birth", "status",
                     "segment", "risk_rating", "manager_id", "partner_id", "closed_reason",
                     "version", "created_at", "updated_at"], rows)
        tags = [(cid, rng.choice(["newsletter", "webinar", "high-volume", "mobile", "copy-trader"]))
                for cid, *_ in out if rng.random() < 0.3]
        insert_rows(self.s, crm.ClientTag.__table__, ["client_id", "tag"], tags)
        self.counts.clients = n
        return out

    def accounts(self, clients: list[ClientRow]) -> list[AccountRow]:
        rng, rows, out, aid = self.rng, [], [], 0
        for cid, status, currency, created in clients:
            if status not in TRADING_STATUSES:
                continue
            for _ in range(rng.choices([1, 2, 3], [70, 25, 5])[0]):
                aid += 1
                group = rng.choice(["real\\standard", "real\\pro", "real\\ecn"])
                acc_status = "disabled" if status == "closed" else "active"
                opened = created + timedelta(days=rng.randint(0, 20))
                rows.append((aid, "demo", 5_000_000 + aid, cid, group, currency,
                             rng.choice([30, 100, 200, 500]), acc_status, ts(opened), 1))
                out.append((aid, cid, currency, opened))
        insert_rows(self.s, trading.TradingAccount.__table__,
                    ["id", "platform", "login", "client_id", "group", "currency", "leverage",
                     "status", "opened_at", "server_version"], rows)
        self.counts.accounts = len(rows)
        return out

    def trading(self, accounts: list[AccountRow], total_deals: int) -> None:
        weights = [self.rng.paretovariate(1.3) for _ in accounts]
        scale = total_deals / max(sum(weights), 1e-9)
        deal_gen = market.DealWriter(self.rng, self.now)
        for (aid, _cid, currency, opened), w in zip(accounts, weights, strict=True):
            deal_gen.account(aid, currency, opened, round(w * scale))
            if len(deal_gen.deals) >= 200_000:
                self.counts.deals += deal_gen.flush(self.s)
        self.counts.deals += deal_gen.flush(self.s)
        self.counts.positions = deal_gen.write_positions_and_states(self.s)

    def json(self, value: dict[str, Any]) -> str:
        return json.dumps(value, ensure_ascii=False)


def fill(desk: Desk, *, clients: int = 2000, deals: int | None = None, seed: int = 7) -> DemoCounts:
    """Load demo data into a fresh workspace (administrators only)."""
    require(desk.actor, Permission.LOAD_DEMO)
    if clients < 1:
        raise ValidationFailed("The demo needs at least one client.", "clients")
    now = datetime.now(UTC).replace(microsecond=0)
    with desk.store.write() as s:
        if s.scalar(select(func.count()).select_from(crm.Client)):
            raise ValidationFailed("Demo data goes into a fresh workspace only; this one "
                                   "already has clients.")
        b = _Builder(s, seed, now)
        managers = b.staff()
        partner_ids = b.partner_tree(max(5, clients // 60))
        client_rows = b.clients(clients, managers, partner_ids)
        account_rows = b.accounts(client_rows)
        b.trading(account_rows, deals if deals is not None else len(account_rows) * 40)
        from app.demo import backoffice

        backoffice.fill(b, client_rows, account_rows, managers)
        audit.record(s, desk.actor, "demo.load", "workspace", desk.store.folder.name,
                     after={"seed": seed, **asdict(b.counts)})
        return b.counts


