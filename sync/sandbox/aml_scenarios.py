"""AML scenarios seeded into the sandbox broker: for each monitoring rule, a client (or
a partner's clients) doing exactly what that rule looks for, and nothing any other
rule looks for. The simulation itself behaves (see simulation.py), so a desk that
syncs sees one alert per scenario seeded.

    little_trading       5,000.00 USD in, 4,500.00 asked back three days later, no trades
    structuring          three deposits of 9,500.00 USD in five days
    rapid_in_out         3,000.00 USD in, a 1-lot round turn, 2,700.00 asked back 4 h later
    third_party_payer    a deposit paid by someone else
    above_income         40,000.00 USD in over two months (the desk records the
                         client's declared income: the platform does not know it)
    shared_details       three clients signing in from one device
    fatf_country         a client living in Iran (or, with {"via": "iban"}, a wire from
                         a Lebanese IBAN) paying in
    dormant_reactivated  a client quiet for over a year who deposits 15,000.00 USD
    commission_farming   a partner's two clients making 60 round turns of 20 seconds

Every scenario makes new clients and accounts (group "scenario-usd", which the
simulation leaves alone), paid by e-wallets of their own so no scenario shares an
instrument with another. Records go through the broker inside the caller's
transaction, with the times the story needs.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sync.contract.wire import lots, money
from sync.sandbox.broker import Broker, State
from sync.sandbox.build import DAY_MS, client_id, devices_of, payment_id
from sync.sandbox.store import now_ms

HOUR_MS = 3_600_000
GROUP = "scenario-usd"


def _client(b: Broker, first: str, last: str, *, country: str = "GB",
            devices: list[str] | None = None, referral_code: str | None = None) -> str:
    n = b.counter("next_client")
    cid = client_id(n)
    b.write("client", cid, {
        "client_id": cid, "kind": "individual", "first_name": first, "last_name": last,
        "company_name": "", "email": f"client{n}@mail.example", "country": country,
        "phone": f"+4479{n:08d}", "date_of_birth": "1984-05-17", "address": "",
        "registered_ms": now_ms() - 500 * DAY_MS, "referral_code": referral_code,
        "devices": devices if devices is not None else devices_of("aml", cid)})
    return cid


def _account(b: Broker, cid: str, opened_ms: int) -> int:
    login = b.counter("next_login")
    b.write("account", str(login), {
        "login": login, "client_id": cid, "group": GROUP, "currency": "USD",
        "leverage": 30, "status": "active", "opened_ms": opened_ms})
    b.save_state(State(login, "USD", 0, 0, 0, 0))
    return login


def _deal(b: Broker, login: int, action: str, at: int, *, amount: int = 0, entry: str = "NONE",
          volume: int = 0, position: int | None = None, comment: str = "",
          reason: str = "CLIENT") -> int:
    ticket = b.counter("next_ticket")
    b.write("deal", str(ticket), {
        "ticket": ticket, "login": login, "currency": "USD",
        "symbol": "EURUSD" if action in ("BUY", "SELL") else "", "action": action,
        "entry": entry, "volume": lots(volume), "price": "1.08500" if volume else "0",
        "profit": money(amount), "commission": "0.00", "swap": "0.00", "fee": "0.00",
        "position_id": position, "time_ms": at, "reason": reason, "comment": comment[:64]})
    return ticket


def _payment(b: Broker, login: int, direction: str, amount: int, at: int, payer: str,
             payer_account: str, *, method: str = "e_wallet") -> str:
    account = b.account(login)
    pid = payment_id(b.counter("next_payment"))
    provider = {"e_wallet": "Skrill", "bank_wire": "SWIFT"}[method]
    ticket = None
    if direction == "deposit":
        steps = ["pending", "processing", "completed"]
        ticket = _deal(b, login, "BALANCE", at + 2 * 60_000, amount=amount,
                       comment=f"Deposit {pid}", reason="DEPOSIT")
        state = b.state(login)
        state.balance += amount
        b.save_state(state)
    else:
        steps = ["requested"]  # waits for a desk's decision: nothing moves yet
    history = [{"status": s, "at_ms": at + i * 60_000, "note": ""} for i, s in enumerate(steps)]
    b.write("payment", pid, {
        "payment_id": pid, "client_id": account["client_id"], "login": login,
        "direction": direction, "method": method, "provider": provider,
        "amount": money(amount), "currency": "USD", "fee": "0.00", "status": steps[-1],
        "history": history, "provider_ref": f"{provider[:3].upper()}-AML-{pid}",
        "payer_name": payer, "payer_account": payer_account, "third_party": False,
        "ticket": ticket, "created_ms": at, "updated_ms": history[-1]["at_ms"]})
    return pid


def _round_turn(b: Broker, login: int, volume: int, opened: int, closed: int) -> list[int]:
    position = b.counter("next_position")
    return [_deal(b, login, "BUY", opened, entry="IN", volume=volume, position=position),
            _deal(b, login, "SELL", closed, entry="OUT", volume=volume, position=position)]


def _wallet(cid: str) -> str:
    return f"{cid.lower()}@wallet.example"


def _person(b: Broker, first: str, last: str, opened_ago: int = 90 * DAY_MS,
            **kw: Any) -> tuple[str, int, str]:
    cid = _client(b, first, last, **kw)
    return cid, _account(b, cid, now_ms() - opened_ago), f"{first} {last}"


def little_trading(b: Broker, options: dict[str, Any]) -> dict[str, Any]:
    now = now_ms()
    cid, login, name = _person(b, "Lina", "Hartmann")
    deposit = _payment(b, login, "deposit", 500_000, now - 3 * DAY_MS, name, _wallet(cid))
    out = _payment(b, login, "withdrawal", 450_000, now - HOUR_MS, name, _wallet(cid))
    return {"client_id": cid, "login": login, "payments": [deposit, out],
            "anchor": deposit}


def structuring(b: Broker, options: dict[str, Any]) -> dict[str, Any]:
    now = now_ms()
    cid, login, name = _person(b, "Marek", "Nowicki")
    made = [_payment(b, login, "deposit", 950_000, now - days * DAY_MS, name, _wallet(cid))
            for days in (5, 3, 1)]
    return {"client_id": cid, "login": login, "payments": made, "anchor": made[0]}


def rapid_in_out(b: Broker, options: dict[str, Any]) -> dict[str, Any]:
    now = now_ms()
    cid, login, name = _person(b, "Owen", "Price")
    deposit = _payment(b, login, "deposit", 300_000, now - 6 * HOUR_MS, name, _wallet(cid))
    tickets = _round_turn(b, login, 100, now - 5 * HOUR_MS, now - 4 * HOUR_MS)
    out = _payment(b, login, "withdrawal", 270_000, now - 2 * HOUR_MS, name, _wallet(cid))
    return {"client_id": cid, "login": login, "payments": [deposit, out],
            "tickets": tickets, "anchor": deposit}


def third_party_payer(b: Broker, options: dict[str, Any]) -> dict[str, Any]:
    cid, login, _name = _person(b, "Greta", "Lindqvist")
    payer = str(options.get("payer", "Tomasz Wiśniewski"))
    deposit = _payment(b, login, "deposit", 80_000, now_ms() - 2 * DAY_MS, payer,
                       _wallet(cid))
    return {"client_id": cid, "login": login, "payments": [deposit], "payer": payer}


def above_income(b: Broker, options: dict[str, Any]) -> dict[str, Any]:
    now = now_ms()
    cid, login, name = _person(b, "Ivo", "Petrov")
    made = [_payment(b, login, "deposit", 2_000_000, now - days * DAY_MS, name, _wallet(cid))
            for days in (60, 30)]
    return {"client_id": cid, "login": login, "payments": made,
            "deposited": money(4_000_000)}


def shared_details(b: Broker, options: dict[str, Any]) -> dict[str, Any]:
    device = f"aml-shared-{b.counter('next_client'):08x}"
    people = (("Ada", "Quinn"), ("Ben", "Quarry"), ("Cyd", "Quell"))
    clients = [_client(b, first, last, devices=[device, devices_of("aml-own", last)[0]])
               for first, last in people]
    return {"client_ids": clients, "device": device}


def fatf_country(b: Broker, options: dict[str, Any]) -> dict[str, Any]:
    via_iban = options.get("via") == "iban"
    country = "GB" if via_iban else str(options.get("country", "IR"))
    cid, login, name = _person(b, "Dara", "Karimi", country=country)
    if via_iban:
        iban = str(options.get("iban", "LB62099900000001001901229114"))
        pid = _payment(b, login, "deposit", 150_000, now_ms() - DAY_MS, name, iban,
                       method="bank_wire")
        return {"client_id": cid, "login": login, "payments": [pid], "iban": iban}
    pid = _payment(b, login, "deposit", 150_000, now_ms() - DAY_MS, name, _wallet(cid))
    return {"client_id": cid, "login": login, "payments": [pid], "country": country}


def dormant_reactivated(b: Broker, options: dict[str, Any]) -> dict[str, Any]:
    now = now_ms()
    cid, login, name = _person(b, "Hugo", "Ferreira", opened_ago=400 * DAY_MS)
    first = _payment(b, login, "deposit", 100_000, now - 400 * DAY_MS, name, _wallet(cid))
    tickets = _round_turn(b, login, 10, now - 395 * DAY_MS, now - 394 * DAY_MS)
    woke = _payment(b, login, "deposit", 1_500_000, now - DAY_MS, name, _wallet(cid))
    return {"client_id": cid, "login": login, "payments": [first, woke], "tickets": tickets,
            "anchor": woke}


def _month_start(ms: int) -> int:
    d = datetime.fromtimestamp(ms // 1000, UTC)
    return int(datetime(d.year, d.month, 1, tzinfo=UTC).timestamp()) * 1000


def commission_farming(b: Broker, options: dict[str, Any]) -> dict[str, Any]:
    now = now_ms()
    n = b.counter("next_client")
    partner, code = f"IB-AML-{n}", f"SCALP-{n}"
    b.write("partner", partner, {"name": f"Quickfire Introducers {n}", "client_id": None,
                                 "parent_id": None, "referral_code": code,
                                 "currency": "USD", "active": True})
    accounts = []
    clients = []
    for first, last in (("Nils", "Berggren"), ("Oona", "Virtanen")):
        cid, login, name = _person(b, first, last, referral_code=code)
        _payment(b, login, "deposit", 100_000, now - 20 * DAY_MS, name, _wallet(cid))
        clients.append(cid)
        accounts.append(login)
    # All in one calendar month, the one before if this one began minutes ago.
    end = now - 60_000 if now - _month_start(now) > 3 * HOUR_MS else _month_start(now) - 60_000
    start = max(end - 2 * HOUR_MS, _month_start(end) + 60_000)
    turns = int(options.get("round_turns", 60))
    step = (end - start) // turns
    tickets: list[int] = []
    for i in range(turns):
        opened = start + i * step
        tickets += _round_turn(b, accounts[i % 2], 100, opened, opened + min(20_000, step // 2))
    return {"partner_id": partner, "referral_code": code, "client_ids": clients,
            "logins": accounts, "round_turns": turns, "tickets": tickets}


SCENARIOS: dict[str, Callable[[Broker, dict[str, Any]], dict[str, Any]]] = {
    "little_trading": little_trading, "structuring": structuring,
    "rapid_in_out": rapid_in_out, "third_party_payer": third_party_payer,
    "above_income": above_income, "shared_details": shared_details,
    "fatf_country": fatf_country, "dormant_reactivated": dormant_reactivated,
    "commission_farming": commission_farming}


def seed(b: Broker, name: str, options: dict[str, Any]) -> dict[str, Any]:
    if name not in SCENARIOS:
        raise ValueError(f"unknown AML scenario {name!r}; known: {', '.join(SCENARIOS)}")
    return {"scenario": name, **SCENARIOS[name](b, options)}
