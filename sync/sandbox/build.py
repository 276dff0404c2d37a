"""Builds the simulated broker's history from a seed, straight into the sandbox store.

Everything derives from the seed and the as-of day, so two builds with the same
arguments hold identical records. Deal bodies are formatted directly as JSON text:
at a million deals, `json.dumps` per row would be a third of the build time.
"""

from __future__ import annotations

import hashlib
import random
import secrets
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from app.demo.names import COMPANY_STEMS, COMPANY_WORDS, COUNTRY_WEIGHTS, PHONE_PREFIX, POOLS
from sync.contract.wire import lots, money, price
from sync.sandbox import market
from sync.sandbox.market import SYMBOLS, Symbol
from sync.sandbox.store import SandboxStore, dumps

DAY_MS = 86_400_000
HISTORY_DAYS = 365
FIRST_CLIENT, FIRST_LOGIN, FIRST_TICKET, FIRST_POSITION = 1_000_001, 500_001, 10_000_001, 1
EUR_COUNTRIES = {"DE", "FR", "ES", "GR", "CY"}
PROVIDERS = {"card": ("Stripe", "Checkout.com", "Nuvei"), "bank_wire": ("SEPA", "SWIFT"),
             "e_wallet": ("Skrill", "Neteller"), "crypto": ("BitGo", "Fireblocks")}
METHOD_WEIGHTS = (("card", 55), ("bank_wire", 25), ("e_wallet", 12), ("crypto", 8))
DESK_USERS = (("admin", "admin", "Ada Admin"), ("manager", "manager", "Max Manager"),
              ("finance", "finance_officer", "Fiona Finance"),
              ("finance2", "finance_officer", "Felix Finance"),
              ("compliance", "compliance_officer", "Cora Compliance"),
              ("clerk", "clerk", "Clara Clerk"), ("clerk2", "clerk", "Carl Clerk"))
SANDBOX_PASSWORD = "sandbox"  # noqa: S105 - documented demo password of a simulator
# The partner programme's demo terms: (id, name, kind, rules, tier shares). Rates are
# written in USD, so EUR and GBP accounts earn no per-lot or CPA commission, only the
# hybrid's revenue share (in the account's currency). Every partner gets a plan, in
# turn, from PLANS_FROM on, so commission accrues on the whole history as soon as a
# desk has synced it. Signed by a sandbox user who may set plans.
PLANS: tuple[tuple[str, str, str, dict[str, Any], dict[str, Any]], ...] = (
    ("PLAN-STANDARD-IB", "Standard IB", "per_lot",
     {"per_lot": [{"symbols": "FX", "rate": "7.00"}, {"symbols": "METALS", "rate": "10.00"},
                  {"symbols": "*", "rate": "3.50"}]},
     {"levels": [2000, 1000]}),
    ("PLAN-AFFILIATE-CPA", "Affiliate CPA", "cpa",
     {"cpa": {"amount": "200.00", "min_first_deposit": {"USD": "100.00"},
              "min_lots": "1.00", "within_days": 30}},
     {}),
    ("PLAN-HYBRID", "Hybrid", "hybrid",
     {"per_lot": [{"symbols": "FX", "rate": "4.00"}],
      "revenue_share": {"share_bp": 1500}},
     {"levels": [2000, 1000]}),
)
PLANS_FROM = "2020-01-01"
PLANS_BY = "manager"


def client_id(n: int) -> str:
    return f"C{n}"


def payment_id(n: int) -> str:
    return f"PAY{n:08d}"


def devices_of(seed: object, cid: str) -> list[str]:
    """The devices a client signs in from: one or two fingerprints of its own. Derived
    from the seed by digest, not drawn from the generator, so the rest of the world
    stays what the seed made before devices existed; no two clients share one (only
    the seeded AML scenarios do)."""
    digest = hashlib.sha256(f"device:{seed}:{cid}".encode()).hexdigest()
    return [digest[:24]] if digest[-1] in "0123456789" else [digest[:24], digest[24:48]]


def joint_payer(own: str, co_holder: str) -> str:
    """A joint account's holders as a bank writes them: the client and someone else.
    The payer is not the client alone (the provider flags it third-party), but it is
    the client's own account: monitoring raises no alert for it."""
    return f"{own} & {co_holder}"


def choose_weighted(rng: random.Random, pairs: tuple[tuple[str, int], ...]) -> str:
    return rng.choices([p for p, _ in pairs], weights=[w for _, w in pairs])[0]


@dataclass
class BuildCounts:
    clients: int = 0
    accounts: int = 0
    deals: int = 0
    positions: int = 0
    payments: int = 0
    partners: int = 0
    plans: int = 0
    records: int = 0


@dataclass
class _Account:
    login: int
    client: str
    payer: str
    currency: str
    opened_ms: int
    balance: int = 0
    floating: int = 0
    used_margin: int = 0
    deals: list[str] = field(default_factory=list)
    funded: list[tuple[int, int]] = field(default_factory=list)  # deposits: time, amount


class Builder:
    def __init__(self, seed: int, as_of: date) -> None:
        self.rng = random.Random(seed)
        self.seed = seed
        self.end_ms = int(datetime(as_of.year, as_of.month, as_of.day, tzinfo=UTC)
                          .timestamp() * 1000)
        self.start_ms = self.end_ms - HISTORY_DAYS * DAY_MS
        self.ticket = FIRST_TICKET
        self.position = FIRST_POSITION
        self.payment = 1
        self.counts = BuildCounts()
        self.countries = list(COUNTRY_WEIGHTS)
        self.weights = list(COUNTRY_WEIGHTS.values())

    # -- partners and clients -------------------------------------------------------------

    def partners(self, n: int) -> Iterator[tuple[str, str, str]]:
        """A three-level IB tree; returns records and remembers the referral codes."""
        self.codes: list[str] = []
        self.partner_ids: list[str] = []
        parents: list[str | None] = [None]
        for i in range(n):
            pid = f"IB{i + 1:05d}"
            self.partner_ids.append(pid)
            parent = parents[self.rng.randrange(len(parents))] if i else None
            code = f"IB-{i + 1:05d}"
            self.codes.append(code)
            data = {"name": f"{self.rng.choice(COMPANY_STEMS)} Introducers {i + 1}",
                    "client_id": None, "parent_id": parent, "referral_code": code,
                    "currency": "USD", "active": True}
            if len(parents) < 40:
                parents.append(pid)
            self.counts.partners += 1
            yield "partner", pid, dumps(data)

    def plans(self) -> Iterator[tuple[str, str, str]]:
        """The demo commission plans, a version of each and one assignment per partner
        (plans in turn). No randomness: the rest of the world is the seed's as before.
        They follow the partners and precede the deals in the feed, so a desk knows the
        terms before the first deal it accrues."""
        for plan_id, name, kind, rules, tiers in PLANS:
            self.counts.plans += 1
            yield "commission_plan", plan_id, dumps({
                "name": name, "kind": kind, "currency": "USD", "rules": rules,
                "tier_shares_bp": tiers})
            yield "plan_version", f"{plan_id}-{PLANS_FROM}", dumps({
                "plan_id": plan_id, "effective_from": PLANS_FROM, "rules": rules,
                "tier_shares_bp": tiers, "created_by": PLANS_BY})
        for i, partner in enumerate(self.partner_ids):
            yield "plan_assignment", f"ASG-{partner}", dumps({
                "plan_id": PLANS[i % len(PLANS)][0], "partner_id": partner,
                "client_group": "*", "effective_from": PLANS_FROM})

    def client(self, n: int, registered_ms: int) -> tuple[str, dict[str, object]]:
        rng = self.rng
        country = rng.choices(self.countries, weights=self.weights)[0]
        firsts, lasts = POOLS[country]
        company = rng.random() < 0.08
        first, last = ("", "") if company else (rng.choice(firsts), rng.choice(lasts))
        company_name = (f"{rng.choice(COMPANY_STEMS)} {rng.choice(COMPANY_WORDS)}"
                        if company else "")
        dob = None if company else date(rng.randint(1950, 2005), rng.randint(1, 12),
                                        rng.randint(1, 28)).isoformat()
        cid = client_id(n)
        data: dict[str, object] = {
            "client_id": cid, "kind": "company" if company else "individual",
            "first_name": first, "last_name": last, "company_name": company_name,
            "email": f"client{n}@mail.example", "country": country,
            "phone": f"+{PHONE_PREFIX[country]}{rng.randint(100_000_000, 999_999_999)}",
            "date_of_birth": dob, "address": f"{rng.randint(1, 250)} Market Street",
            "registered_ms": registered_ms, "devices": devices_of(self.seed, cid),
            "referral_code": rng.choice(self.codes) if self.codes and rng.random() < 0.3
            else None,
        }
        return cid, data

    def profiles(self, n: int, trading: set[int]) -> Iterator[tuple[str, str, str]]:
        """The back office's view of each client, as earlier desks left it."""
        rng = self.rng
        for i in range(n):
            if i in trading:
                status = "active" if rng.random() < 0.85 else rng.choice(("verified",
                                                                          "dormant"))
            else:
                status = rng.choice(("lead", "registered", "kyc_pending", "closed"))
            cid = client_id(FIRST_CLIENT + i)
            yield "client_profile", cid, dumps({
                "client_id": cid, "status": status,
                "segment": "professional" if rng.random() < 0.08 else "retail",
                "risk_rating": rng.choices(("low", "medium", "high"), (70, 25, 5))[0],
                "manager": None, "tags": [],
                "closed_reason": "Client asked to close" if status == "closed" else ""})

    # -- trading history --------------------------------------------------------------------

    def deal(self, acc: _Account, symbol: str, action: str, entry: str, volume: int,
             price_text: str, profit: int, commission: int, swap: int, position: int | None,
             when: int, comment: str = "", reason: str = "CLIENT") -> int:
        ticket = self.ticket
        self.ticket += 1
        pos = "null" if position is None else str(position)
        acc.deals.append(
            f'{{"ticket":{ticket},"login":{acc.login},"currency":"{acc.currency}",'
            f'"symbol":"{symbol}","action":"{action}",'
            f'"entry":"{entry}","volume":"{lots(volume)}","price":"{price_text}",'
            f'"profit":"{money(profit)}","commission":"{money(commission)}",'
            f'"swap":"{money(swap)}","fee":"0.00","position_id":{pos},"time_ms":{when},'
            f'"reason":"{reason}","comment":"{comment}"}}')
        return ticket

    def payment_record(self, acc: _Account, direction: str, amount: int, when: int,
                       status: str, ticket: int | None) -> tuple[str, str]:
        rng = self.rng
        method = choose_weighted(rng, METHOD_WEIGHTS)
        provider = rng.choice(PROVIDERS[method])
        pid = payment_id(self.payment)
        self.payment += 1
        steps = ["pending", "processing", "completed"] if direction == "deposit" else \
            ["requested", "approved", "processing", "completed"]
        if status == "cancelled":
            steps = ["pending", "cancelled"]
        elif status not in steps:
            steps = [*steps[:-1], status]
        history = [{"status": s, "at_ms": when + i * 60_000, "note": ""}
                   for i, s in enumerate(steps)]
        third_party = direction == "deposit" and rng.random() < 0.03
        payer = joint_payer(acc.payer, f"{rng.choice(POOLS['GB'][0])} "
                            f"{rng.choice(POOLS['GB'][1])}") if third_party else acc.payer
        fee = amount * (3 if method == "card" else 1) // 100 if method != "bank_wire" else 0
        data = {"payment_id": pid, "client_id": acc.client, "login": acc.login,
                "direction": direction, "method": method, "provider": provider,
                "amount": money(amount), "currency": acc.currency, "fee": money(fee),
                "status": status, "history": history,
                "provider_ref": f"{provider[:3].upper()}-{rng.getrandbits(40):010x}",
                "payer_name": payer, "payer_account": f"****{rng.randint(1000, 9999)}",
                "third_party": third_party, "ticket": ticket, "created_ms": when,
                "updated_ms": history[-1]["at_ms"]}
        self.counts.payments += 1
        return pid, dumps(data)

    def fund(self, acc: _Account, amount: int, when: int,
             payments: list[tuple[str, str, str]]) -> None:
        ticket = self.deal(acc, "", "BALANCE", "NONE", 0, "0", amount, 0, 0, None, when,
                           f"Deposit {payment_id(self.payment)}", "DEPOSIT")
        pid, body = self.payment_record(acc, "deposit", amount, when - 600_000, "completed",
                                        ticket)
        payments.append(("payment", pid, body))
        acc.balance += amount
        acc.funded.append((when - 600_000, amount))

    def history(self, acc: _Account, n_deals: int, payments: list[tuple[str, str, str]],
                positions: list[tuple[str, str, str]]) -> None:
        rng = self.rng
        span = max(self.end_ms - acc.opened_ms, DAY_MS)
        when = acc.opened_ms + rng.randint(0, 3_600_000)
        self.fund(acc, rng.choice((250, 500, 1000, 2000, 5000, 10000, 25000)) * 100, when,
                  payments)
        if rng.random() < 0.04:  # declined or abandoned deposits: no deal, no money came
            payments.append(("payment", *self.payment_record(
                acc, "deposit", 50_000, when + 3_600_000,
                rng.choice(("failed", "failed", "cancelled")), None)))
        trades = max(0, (n_deals - 1) // 2)
        step = span // (trades + 2)
        for _ in range(trades):
            when += rng.randint(step // 2, step) if step > 1 else 1
            sym = SYMBOLS[rng.choice(market.NAMES)]
            volume = rng.choice((1, 2, 5, 10, 10, 20, 50, 100))
            side = rng.choice(("BUY", "SELL"))
            open_e8 = sym.snap(sym.mid_e8 + sym.mid_e8 * rng.randint(-300, 300) // 10_000)
            close_e8 = sym.snap(max(open_e8 + int(rng.gauss(2, 35)) * sym.pip_e8 *
                                    (1 if side == "BUY" else -1), sym.tick_e8))
            gain = market.profit(sym, side, open_e8, close_e8, volume)
            fee = market.commission(volume)
            hold = rng.randint(30_000, 3 * DAY_MS)
            swap = -volume * 3 * (hold // DAY_MS)
            if acc.balance + gain + 2 * fee + swap < 0:
                self.fund(acc, rng.choice((500, 1000, 2000)) * 100, when - 1, payments)
            pos = self.position
            self.position += 1
            self.deal(acc, sym.name, side, "IN", volume, price(open_e8, sym.digits), 0, fee,
                      0, pos, when)
            self.deal(acc, sym.name, "SELL" if side == "BUY" else "BUY", "OUT", volume,
                      price(close_e8, sym.digits), gain, fee, swap, pos,
                      min(when + hold, self.end_ms - 1))
            acc.balance += gain + 2 * fee + swap
        if rng.random() < 0.06 and acc.balance > 20_000:
            asked = self.end_ms - 40 * DAY_MS
            amount = acc.balance // 4 // 100 * 100
            # A clean client does not ask back most of what it paid in the month before:
            # at most half of that (AML monitoring looks for money straight in and out).
            recent = sum(a for t, a in acc.funded if asked - 30 * DAY_MS <= t <= asked)
            if recent:
                amount = min(amount, max(recent // 2 // 100 * 100, 100))
            ticket = self.deal(acc, "", "BALANCE", "NONE", 0, "0", -amount, 0, 0, None,
                               self.end_ms - rng.randint(DAY_MS, 30 * DAY_MS),
                               f"Withdrawal {payment_id(self.payment)}", "WITHDRAWAL")
            payments.append(("payment", *self.payment_record(
                acc, "withdrawal", amount, asked, "completed", ticket)))
            acc.balance -= amount
        if rng.random() < 0.2:
            for _ in range(rng.randint(1, 3)):
                self.open_position(acc, positions)

    def open_position(self, acc: _Account, positions: list[tuple[str, str, str]]) -> None:
        rng = self.rng
        sym: Symbol = SYMBOLS[rng.choice(market.NAMES)]
        volume = rng.choice((1, 5, 10, 20, 50))
        side = rng.choice(("BUY", "SELL"))
        opened = self.end_ms - rng.randint(60_000, 5 * DAY_MS)
        open_e8 = sym.snap(sym.mid_e8 + sym.mid_e8 * rng.randint(-100, 100) // 10_000)
        fee = market.commission(volume)
        pos = self.position
        self.position += 1
        self.deal(acc, sym.name, side, "IN", volume, price(open_e8, sym.digits), 0, fee, 0,
                  pos, opened)
        acc.balance += fee
        floating = market.profit(sym, side, open_e8, sym.mid_e8, volume)
        acc.floating += floating
        acc.used_margin += market.margin(volume)
        positions.append(("position", str(pos), dumps({
            "position_id": pos, "login": acc.login, "currency": acc.currency,
            "symbol": sym.name, "side": side,
            "volume": lots(volume), "open_price": price(open_e8, sym.digits),
            "current_price": price(sym.mid_e8, sym.digits), "profit": money(floating),
            "swap": "0.00", "opened_ms": opened})))
        self.counts.positions += 1


def account_state(login: int, currency: str, balance: int, credit: int, floating: int,
                  used_margin: int, updated_ms: int) -> dict[str, object]:
    equity = balance + credit + floating
    level = None if not used_margin else money(equity * 10_000 // used_margin)
    return {"login": login, "currency": currency, "balance": money(balance),
            "credit": money(credit), "equity": money(equity), "margin": money(used_margin),
            "free_margin": money(equity - used_margin), "margin_level": level,
            "updated_ms": updated_ms}


def build(store: SandboxStore, *, seed: int, clients: int, deals: int, as_of: date,
          broker_name: str = "Sandbox Markets Ltd") -> BuildCounts:
    b = Builder(seed, as_of)
    with store.tx():
        for username, role, display in DESK_USERS:
            store.add_user(username, role, display, SANDBOX_PASSWORD)
        store.bulk_load(("symbol", s.name, dumps(
            {"symbol": s.name, "digits": s.digits, "pip": price(s.pip_e8, s.digits),
             "pip_value": str(s.pip_value)})) for s in SYMBOLS.values())
        store.bulk_load(b.partners(max(3, clients // 100)))
        store.bulk_load(b.plans())
        trading = [n for n in range(clients) if b.rng.random() < 0.8]
        per_account = max(1, deals // max(len(trading), 1))
        accounts: list[_Account] = []
        trading_set = set(trading)
        rows: list[tuple[str, str, str]] = []
        login = FIRST_LOGIN
        for n in range(clients):
            registered = b.start_ms + n * (HISTORY_DAYS * DAY_MS) // max(clients, 1)
            cid, data = b.client(FIRST_CLIENT + n, registered)
            rows.append(("client", cid, dumps(data)))
            if n in trading_set:
                payer = data["company_name"] or f"{data['first_name']} {data['last_name']}"
                country = str(data["country"])
                currency = "EUR" if country in EUR_COUNTRIES else \
                    "GBP" if country == "GB" else "USD"
                accounts.append(_Account(login, cid, str(payer), currency,
                                         registered + 3_600_000))
                login += 1
        b.counts.clients = clients
        store.bulk_load(rows)
        store.bulk_load(b.profiles(clients, trading_set))
        rows = []
        remaining = deals
        account_rows: list[tuple[str, str, str]] = []
        payments: list[tuple[str, str, str]] = []
        positions: list[tuple[str, str, str]] = []
        deal_rows: list[str] = []
        for i, acc in enumerate(accounts):
            share = remaining // (len(accounts) - i)
            n_deals = max(1, min(share + b.rng.randint(-per_account // 2, per_account // 2),
                                 remaining))
            if remaining > 0:
                b.history(acc, n_deals, payments, positions)
            remaining = deals - (b.ticket - FIRST_TICKET)
            group = b.rng.choice(("retail-std", "retail-std", "retail-raw", "pro-raw"))
            status = "active" if b.rng.random() < 0.96 else b.rng.choice(
                ("read_only", "disabled"))
            account_rows.append(("account", str(acc.login), dumps({
                "login": acc.login, "client_id": acc.client,
                "group": f"{group}-{acc.currency.lower()}", "currency": acc.currency,
                "leverage": 30 if group.startswith("retail") else 100, "status": status,
                "opened_ms": acc.opened_ms})))
            account_rows.append(("account_state", str(acc.login), dumps(account_state(
                acc.login, acc.currency, acc.balance, 0, acc.floating, acc.used_margin,
                b.end_ms))))
            deal_rows.extend(acc.deals)
            acc.deals = []
            # Accounts go into the feed before their deals, as on a platform: a desk
            # then knows whose deal it is (and the client's partner) when it accrues.
            if len(deal_rows) > 50_000 or len(account_rows) > 20_000:
                store.bulk_load(account_rows)
                account_rows = []
            if len(deal_rows) > 50_000:
                b.counts.deals += _load_deals(store, deal_rows)
        store.bulk_load(account_rows)
        b.counts.deals += _load_deals(store, deal_rows)
        store.bulk_load(payments)
        store.bulk_load(positions)
        b.counts.accounts = len(accounts)
        store.finish_build()
        store.set_meta("seed", seed)
        store.set_meta("as_of", as_of.isoformat())
        store.set_meta("broker_name", broker_name)
        # Random on purpose: a rebuilt history must not accept cursors from the old one.
        store.set_meta("epoch", f"{seed}-{as_of.isoformat()}-{secrets.token_hex(6)}")
        store.set_meta("next_client", FIRST_CLIENT + clients)
        store.set_meta("next_login", login)
        store.set_meta("next_ticket", b.ticket)
        store.set_meta("next_position", b.position)
        store.set_meta("next_payment", b.payment)
        store.set_meta("step", 0)
        store.set_meta("stream_seq", 0)
        store.set_meta("horizon", 0)
        store.set_meta("built", 1)
    b.counts.records = store.count()
    return b.counts


def _load_deals(store: SandboxStore, bodies: list[str]) -> int:
    # The ticket is the body's first field: '{"ticket":10000001,...'
    n = store.bulk_load(("deal", body[10:body.index(",")], body) for body in bodies)
    bodies.clear()
    return n
