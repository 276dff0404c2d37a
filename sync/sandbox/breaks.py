"""Reconciliation breaks seeded into the sandbox broker, for tests and the demo, and
the payment providers' statements as their portals would give them.

Each break is what goes wrong at real brokers:

    dropped_deposit      a deposit the provider completed that the platform never
                         credited (no deal, the balance unchanged)
    doubled_withdrawal   an approved withdrawal the platform debited twice
    one_cent_drift       an account's balance off by a cent with no deal behind it
    orphan_provider      a transaction on the provider's statement that matches no
                         payment

They go through the broker's own methods, inside the caller's transaction, so the
desk sees them through the changes feed and the stream like anything else.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Any

from app.reconcile.statement import write_csv
from sync.contract.wire import money, parse_money
from sync.sandbox.broker import Broker, Refusal
from sync.sandbox.build import payment_id
from sync.sandbox.store import now_ms

ORPHANS = "statement_orphans"  # meta: provider lines no payment explains
_STATEMENT_EVENTS = ("completed", "refunded", "charged_back")


def _day(ms: int) -> date:
    return datetime.fromtimestamp(ms // 1000, UTC).date()


def _login(b: Broker, options: dict[str, Any], at_least: int = 0) -> int:
    """The login asked for, or the first active account with that much money free."""
    if "login" in options:
        login = int(options["login"])
        b.usable(login)
        return login
    for record in b.store.iter_kind("account"):
        d = record.data
        if record.deleted or d is None or d["status"] != "active":
            continue
        state = b.state(int(d["login"]))
        if min(state.balance, state.free_margin) >= max(at_least, 1):
            return int(d["login"])
    raise Refusal(422, "no_account", "No active trading account has enough money free.")


def _payment(b: Broker, login: int, direction: str, amount: int, steps: list[str],
             provider: str, ticket: int | None) -> tuple[str, dict[str, Any]]:
    account = b.account(login)
    pid = payment_id(b.counter("next_payment"))
    at = now_ms()
    data = {
        "payment_id": pid, "client_id": account["client_id"], "login": login,
        "direction": direction, "method": "card", "provider": provider,
        "amount": money(amount), "currency": account["currency"], "fee": "0.00",
        "status": steps[-1],
        "history": [{"status": s, "at_ms": at, "note": ""} for s in steps],
        "provider_ref": f"{provider[:3].upper()}-SEED-{pid}", "payer_name": "Seeded Payer",
        "payer_account": "****0000", "third_party": False, "ticket": ticket,
        "created_ms": at, "updated_ms": at}
    b.write("payment", pid, data)
    return pid, data


def dropped_deposit(b: Broker, options: dict[str, Any]) -> dict[str, Any]:
    login = _login(b, options)
    amount = parse_money(str(options.get("amount", "250.00")))
    pid, data = _payment(b, login, "deposit", amount, ["pending", "processing", "completed"],
                         str(options.get("provider", "Stripe")), None)
    return {"payment_id": pid, "login": login, "amount": data["amount"],
            "currency": data["currency"], "provider": data["provider"],
            "provider_ref": data["provider_ref"]}


def doubled_withdrawal(b: Broker, options: dict[str, Any]) -> dict[str, Any]:
    login = _login(b, options, at_least=20_000)
    state = b.state(login)
    amount = parse_money(str(options["amount"])) if "amount" in options else \
        max(min(state.balance, state.free_margin) // 10 // 100 * 100, 100)
    pid = payment_id(int(b.store.meta("next_payment")))
    first = b.deal(login, "BALANCE", -amount, f"Withdrawal {pid}", reason="WITHDRAWAL")
    second = b.deal(login, "BALANCE", -amount, f"Withdrawal {pid}", reason="WITHDRAWAL")
    state.balance -= 2 * amount
    b.save_state(state)
    made, data = _payment(b, login, "withdrawal", amount, ["requested", "approved"],
                          str(options.get("provider", "Stripe")),
                          first.data["ticket"] if first.data else None)
    assert made == pid
    return {"payment_id": pid, "login": login, "amount": data["amount"],
            "currency": data["currency"],
            "tickets": [r.data["ticket"] for r in (first, second) if r.data]}


def one_cent_drift(b: Broker, options: dict[str, Any]) -> dict[str, Any]:
    login = _login(b, options)
    state = b.state(login)
    cents = int(options.get("cents", 1))
    state.balance += cents
    b.save_state(state)
    return {"login": login, "cents": cents, "balance": money(state.balance),
            "currency": state.currency}


def orphan_provider(b: Broker, options: dict[str, Any]) -> dict[str, Any]:
    orphans = json.loads(b.store.meta(ORPHANS, "[]"))
    provider = str(options.get("provider", "Stripe"))
    line = {"provider": provider,
            "provider_ref": f"{provider[:3].upper()}-ORPHAN-{len(orphans) + 1:04d}",
            "value_date": str(options.get("value_date", _day(now_ms()).isoformat())),
            "type": "deposit", "status": "completed",
            "amount": money(parse_money(str(options.get("amount", "123.45")))),
            "fee": "0.00", "currency": str(options.get("currency", "USD"))}
    date.fromisoformat(line["value_date"])
    b.store.set_meta(ORPHANS, json.dumps([*orphans, line]))
    return line


SEEDS = {"dropped_deposit": dropped_deposit, "doubled_withdrawal": doubled_withdrawal,
         "one_cent_drift": one_cent_drift, "orphan_provider": orphan_provider}


def seed(b: Broker, name: str, options: dict[str, Any]) -> dict[str, Any]:
    if name not in SEEDS:
        raise ValueError(f"unknown break {name!r}; known: {', '.join(SEEDS)}")
    return SEEDS[name](b, options)


def statement(b: Broker, provider: str, start: date, end: date) -> str:
    """What the provider's portal lists for the days from `start` to `end`: every
    payment event that moved money, and any seeded orphan line."""
    rows: dict[tuple[str, str], tuple[str, date, str, str, str, str, str]] = {}
    for record in b.store.iter_kind("payment"):
        p = record.data
        if record.deleted or p is None or p["provider"] != provider:
            continue
        for step in p["history"]:
            day = _day(int(step["at_ms"]))
            if step["status"] in _STATEMENT_EVENTS and start <= day <= end:
                rows.setdefault((p["provider_ref"], step["status"]), (
                    p["provider_ref"], day, p["direction"], step["status"], p["amount"],
                    p["fee"], p["currency"]))
    for line in json.loads(b.store.meta(ORPHANS, "[]")):
        day = date.fromisoformat(line["value_date"])
        if line["provider"] == provider and start <= day <= end:
            rows.setdefault((line["provider_ref"], line["status"]), (
                line["provider_ref"], day, line["type"], line["status"], line["amount"],
                line["fee"], line["currency"]))
    return write_csv(sorted(rows.values(), key=lambda r: (r[1], r[0], r[3])))
