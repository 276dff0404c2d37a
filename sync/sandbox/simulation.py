"""The broker's life between commands: prices move, traders open and close positions,
clients deposit and ask to withdraw, providers move payments through their states.

Step n draws from `Random(f"{seed}:{n}")`, so the same seed gives the same events
whatever the wall clock does, and a restart resumes at the saved step.

The clients behave as clean clients do, so that AML monitoring finds nothing in the
simulation (the suspicious patterns are seeded on purpose, sync/sandbox/
aml_scenarios.py): deposits go to even logins and withdrawals come from odd ones, and
not from an account that had a deposit in the last 30 days of the built history (no
money straight in and out); traders hold a position at least five minutes (no
round turns of seconds); a payer other than the client is a joint account that holds
the client's name too. Accounts of the seeded scenarios are left alone.
"""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime
from typing import Any

from app.demo.names import COUNTRY_WEIGHTS, POOLS
from sync.contract.wire import lots, money, parse_money, parse_price, price
from sync.sandbox import market
from sync.sandbox.broker import Broker, Refusal, booked
from sync.sandbox.build import (
    DAY_MS,
    FIRST_CLIENT,
    FIRST_LOGIN,
    client_id,
    devices_of,
    joint_payer,
    payment_id,
)
from sync.sandbox.market import SYMBOLS
from sync.sandbox.store import now_ms

TRADERS_PER_STEP = 3
# A position younger than this stays open when its trader picks it to close. Wall
# clock, so with --tick 0 (hundreds of steps a second) only positions from before the
# simulation started close: the same in every run of a test.
MIN_HOLD_MS = 5 * 60_000
# An account funded this close to the end of the built history does not withdraw.
QUIET_BEFORE_WITHDRAWAL_MS = 30 * DAY_MS
SCENARIO_GROUP = "scenario-"  # accounts the AML scenarios seeded: not simulated


class Simulation:
    def __init__(self, broker: Broker) -> None:
        self.broker = broker
        store = broker.store
        self.seed = store.meta("seed")
        self.prices: dict[str, int] = {}
        self.open: dict[int, list[int]] = {}
        self.in_flight: list[str] = []
        self.recently_funded: set[int] = set()
        self.reload()

    def reload(self) -> None:
        """Rebuild what the simulation keeps in memory from the database, in creation
        order, so a restarted sandbox goes on exactly as one that never stopped."""
        store = self.broker.store
        saved = store.meta("prices")
        self.prices = json.loads(saved) if saved else {
            name: s.mid_e8 for name, s in SYMBOLS.items()}
        self.open = {}
        for pid, login in store.db.execute(
                "SELECT id, json_extract(body, '$.login') FROM records "
                "WHERE kind = 'position' AND deleted = 0 ORDER BY CAST(id AS INTEGER)"):
            self.open.setdefault(int(login), []).append(int(pid))
        self.in_flight = self.broker.in_flight_payments()
        as_of = store.meta("as_of")
        end = int(datetime.fromisoformat(as_of).replace(tzinfo=UTC).timestamp()) * 1000 \
            if as_of else 0
        self.recently_funded = {int(login) for login, in store.db.execute(
            "SELECT DISTINCT json_extract(body, '$.login') FROM records WHERE kind = 'payment'"
            " AND deleted = 0 AND json_extract(body, '$.direction') = 'deposit'"
            " AND json_extract(body, '$.created_ms') BETWEEN ? AND ?",
            (end - QUIET_BEFORE_WITHDRAWAL_MS, end)) if login is not None}

    @property
    def step_no(self) -> int:
        return int(self.broker.store.meta("step", "0"))

    def run(self, steps: int) -> None:
        for _ in range(steps):
            try:
                with self.broker.transaction():
                    self.step()
            except BaseException:
                self.reload()  # the step was rolled back; so is what it did in memory
                raise

    def step(self) -> None:
        n = self.step_no
        rng = random.Random(f"{self.seed}:{n}")
        self.broker.store.set_meta("step", n + 1)
        self.move_prices(rng, rng.sample(market.NAMES, 8))
        for _ in range(TRADERS_PER_STEP):
            self.trade(rng)
        if rng.random() < 0.3:
            self.new_deposit(rng)
        if rng.random() < 0.1:
            self.withdrawal_request(rng)
        self.advance_payments(rng)
        if rng.random() < 0.02:
            self.chargeback(rng)
        if rng.random() < 0.05:
            self.new_client(rng)

    def burst(self, ticks: int) -> None:
        """Price ticks only, as fast as they can be made (the stream benchmark)."""
        rng = random.Random(f"{self.seed}:burst:{self.broker.hub.seq}")
        with self.broker.transaction():
            for _ in range(ticks // len(market.NAMES) + 1):
                self.move_prices(rng, market.NAMES)

    def move_prices(self, rng: random.Random, names: tuple[str, ...] | list[str]) -> None:
        at = now_ms()
        for name in names:
            sym = SYMBOLS[name]
            bid = self.prices[name] = market.walk(rng, sym, self.prices[name])
            self.broker.tick_frame({"symbol": name, "bid": price(bid, sym.digits),
                                    "ask": price(bid + 2 * sym.tick_e8, sym.digits),
                                    "time_ms": at})
        self.broker.store.set_meta("prices", json.dumps(self.prices))

    # -- traders ---------------------------------------------------------------------------

    def random_login(self, rng: random.Random) -> int | None:
        last = int(self.broker.store.meta("next_login"))
        if last <= FIRST_LOGIN:
            return None
        login = rng.randrange(FIRST_LOGIN, last)
        account = self.broker.store.get("account", str(login))
        if account is None or account.data is None or account.data["status"] != "active" \
                or str(account.data["group"]).startswith(SCENARIO_GROUP):
            return None
        return login

    def of_parity(self, login: int | None, odd: bool) -> int | None:
        """The login, or its neighbour when the parity differs (None when that one is
        not an active account the simulation plays)."""
        if login is None or login % 2 == odd:
            return login
        neighbour = login + 1 if login + 1 < int(self.broker.store.meta("next_login")) \
            else login - 1
        account = self.broker.store.get("account", str(neighbour))
        if account is None or account.data is None or account.data["status"] != "active" \
                or str(account.data["group"]).startswith(SCENARIO_GROUP):
            return None
        return neighbour

    def trade(self, rng: random.Random) -> None:
        login = self.random_login(rng)
        if login is None:
            return
        positions = self.open.get(login, [])
        if positions and (len(positions) >= 3 or rng.random() < 0.5):
            chosen = rng.randrange(len(positions))
            if self.close_position(login, positions[chosen]):
                positions.pop(chosen)
        else:
            self.open_position(rng, login)

    def open_position(self, rng: random.Random, login: int) -> None:
        b = self.broker
        sym = SYMBOLS[rng.choice(market.NAMES)]
        volume = rng.choice((1, 2, 5, 10, 20, 50))
        state = b.state(login)
        if state.free_margin < market.margin(volume) * 2:
            return
        side = rng.choice(("BUY", "SELL"))
        at = self.prices[sym.name] + (2 * sym.tick_e8 if side == "BUY" else 0)
        fee = market.commission(volume)
        pid = b.counter("next_position")
        b.deal(login, side, 0, "", symbol=sym.name, entry="IN", volume=lots(volume),
               price=price(at, sym.digits), commission=fee, position_id=pid, reason="CLIENT")
        b.write("position", str(pid), {
            "position_id": pid, "login": login, "currency": state.currency,
            "symbol": sym.name, "side": side,
            "volume": lots(volume), "open_price": price(at, sym.digits),
            "current_price": price(at, sym.digits), "profit": "0.00", "swap": "0.00",
            "opened_ms": now_ms()})
        state.balance += fee
        state.margin += market.margin(volume)
        b.save_state(state)
        self.open.setdefault(login, []).append(pid)

    def close_position(self, login: int, pid: int) -> bool:
        """False when the position is too young to close (it stays open)."""
        b = self.broker
        record = b.store.get("position", str(pid))
        if record is None or record.data is None:
            return True
        p = record.data
        if now_ms() - int(p["opened_ms"]) < MIN_HOLD_MS:
            return False
        sym = SYMBOLS[p["symbol"]]
        volume = parse_money(p["volume"])
        open_e8 = parse_price(p["open_price"])
        close_e8 = self.prices[sym.name] + (0 if p["side"] == "BUY" else 2 * sym.tick_e8)
        gain = market.profit(sym, p["side"], open_e8, close_e8, volume)
        fee = market.commission(volume)
        swap = parse_money(p["swap"])
        b.deal(login, "SELL" if p["side"] == "BUY" else "BUY", gain, "", symbol=sym.name,
               entry="OUT", volume=p["volume"], price=price(close_e8, sym.digits),
               commission=fee, swap=swap, position_id=pid, reason="CLIENT")
        b.write("position", str(pid), None)
        state = b.state(login)
        state.floating -= parse_money(p["profit"])
        state.balance += gain + fee + swap
        state.margin = max(state.margin - market.margin(volume), 0)
        b.save_state(state)
        return True

    # -- clients and payments -----------------------------------------------------------------

    def new_deposit(self, rng: random.Random) -> None:
        login = self.of_parity(self.random_login(rng), odd=False)
        if login is None:
            return
        self.new_payment(rng, login, "deposit", rng.choice((100, 250, 500, 1000, 5000)) * 100,
                         "pending")

    def withdrawal_request(self, rng: random.Random) -> None:
        login = self.of_parity(self.random_login(rng), odd=True)
        if login is None or login in self.recently_funded:
            return
        state = self.broker.state(login)
        withdrawable = min(state.free_margin, state.balance)  # credit is not theirs
        if withdrawable < 10_000:
            return
        self.new_payment(rng, login, "withdrawal", withdrawable // 3 // 100 * 100, "requested")

    def new_payment(self, rng: random.Random, login: int, direction: str, amount: int,
                    status: str) -> None:
        b = self.broker
        account = b.account(login)
        client = b.store.get("client", account["client_id"])
        c = client.data if client and client.data else {}
        payer = c.get("company_name") or f"{c.get('first_name', '')} {c.get('last_name', '')}"
        third = direction == "deposit" and rng.random() < 0.03
        if third:
            payer = joint_payer(payer.strip(),
                                f"{rng.choice(POOLS['DE'][0])} {rng.choice(POOLS['DE'][1])}")
        method = rng.choice(("card", "card", "bank_wire", "e_wallet", "crypto"))
        provider = {"card": "Stripe", "bank_wire": "SEPA", "e_wallet": "Skrill",
                    "crypto": "BitGo"}[method]
        pid = payment_id(b.counter("next_payment"))
        at = now_ms()
        b.write("payment", pid, {
            "payment_id": pid, "client_id": account["client_id"], "login": login,
            "direction": direction, "method": method, "provider": provider,
            "amount": money(amount), "currency": account["currency"],
            "fee": money(amount * 2 // 100 if method == "card" else 0), "status": status,
            "history": [{"status": status, "at_ms": at, "note": ""}],
            "provider_ref": f"{provider[:3].upper()}-{rng.getrandbits(40):010x}",
            "payer_name": payer.strip(), "payer_account": f"****{rng.randint(1000, 9999)}",
            "third_party": third, "ticket": None, "created_ms": at, "updated_ms": at})
        self.in_flight.append(pid)

    def advance_payments(self, rng: random.Random) -> None:
        b = self.broker
        still: list[str] = []
        for pid in self.in_flight:
            record = b.store.get("payment", pid)
            if record is None or record.data is None:
                continue
            p = record.data
            status = p["status"]
            if status not in ("pending", "processing") or rng.random() > 0.3:
                if status in ("requested", "approved", "pending", "processing"):
                    still.append(pid)
                continue
            if status == "pending" and p["direction"] == "deposit" and rng.random() < 0.05:
                b.set_payment_status(pid, p, "cancelled", "Cancelled by the client")
            elif status == "pending":
                b.set_payment_status(pid, p, "processing")
                still.append(pid)
            elif rng.random() < 0.08:
                self.fail(pid, p)
            else:
                self.complete(pid, p)
        self.in_flight = still

    def complete(self, pid: str, p: dict[str, Any]) -> None:
        b = self.broker
        if p["direction"] == "deposit":
            try:
                records = b.move_money(p["login"], "BALANCE", booked(p),
                                       f"Deposit {pid}", reason="DEPOSIT")
            except Refusal as refusal:  # the account was disabled meanwhile
                b.set_payment_status(pid, p, "failed", refusal.message)
                return
            p = {**p, "ticket": records[0].data["ticket"] if records[0].data else None}
        b.set_payment_status(pid, p, "completed")

    def fail(self, pid: str, p: dict[str, Any]) -> None:
        b = self.broker
        if p["direction"] == "withdrawal":  # the money comes back to the account
            b.move_money(p["login"], "BALANCE", booked(p),
                         f"Withdrawal {pid} failed", reason="WITHDRAWAL", returning=True)
        b.set_payment_status(pid, p, "failed", "Declined by the provider")

    def chargeback(self, rng: random.Random) -> None:
        b = self.broker
        last = int(b.store.meta("next_payment"))
        if last <= 1:
            return
        pid = payment_id(rng.randrange(1, last))
        record = b.store.get("payment", pid)
        if record is None or record.data is None:
            return
        p = record.data
        if p["direction"] != "deposit" or p["status"] != "completed" or p["method"] != "card":
            return
        account = b.account(p["login"])
        if account["status"] in ("disabled", "archived"):
            return
        amount = booked(p)
        if rng.random() < 0.3:  # the broker refunds it, if the client still has the money
            try:
                b.move_money(p["login"], "BALANCE", -amount, f"Refund {pid}", reason="REFUND")
            except Refusal:
                return
            b.set_payment_status(pid, p, "refunded", "Refunded to the card")
            return
        state = b.state(p["login"])
        state.balance -= amount  # a chargeback takes the money even into a negative balance
        b.deal(p["login"], "CHARGE", -amount, f"Chargeback {pid}", reason="CHARGEBACK")
        b.save_state(state)
        b.set_payment_status(pid, p, "charged_back", "Cardholder dispute")

    def new_client(self, rng: random.Random) -> None:
        b = self.broker
        n = b.counter("next_client")
        country = rng.choices(list(COUNTRY_WEIGHTS), weights=list(COUNTRY_WEIGHTS.values()))[0]
        firsts, lasts = POOLS[country]
        cid = client_id(n)
        b.write("client", cid, {
            "client_id": cid, "kind": "individual", "first_name": rng.choice(firsts),
            "last_name": rng.choice(lasts), "company_name": "",
            "email": f"client{n}@mail.example", "country": country,
            "phone": f"+{rng.randint(10, 99)}{rng.randint(100_000_000, 999_999_999)}",
            "date_of_birth": None, "address": "", "registered_ms": now_ms(),
            "referral_code": None, "devices": devices_of(self.seed, cid)})
        if rng.random() < 0.5:
            b.open_account(cid, "retail-std-usd", "USD", 30)
        assert n >= FIRST_CLIENT
