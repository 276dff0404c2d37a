"""The simulated broker's rules: what commands do to accounts, money and payments.

Every method runs inside `Broker.transaction()`: the records it writes, the stream
frames they announce and the stream counter are committed together, and frames go
out only after the commit.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from app.errors import ValidationFailed
from app.models.payments import PaymentMethod
from app.payments import fx, providers
from sync.contract import wire
from sync.contract.wire import money, parse_money
from sync.sandbox.market import SYMBOLS
from sync.sandbox.store import DeskUser, Record, SandboxStore, dumps, now_ms
from sync.sandbox.stream import StreamHub

FRAME_FOR_KIND = {"deal": "deal.added", "account_state": "account_state.changed",
                  "payment": "payment.status_changed"}
IN_FLIGHT = ("requested", "approved", "pending", "processing")


class Refusal(Exception):
    """A command the broker's rules refuse; becomes an error response."""

    def __init__(self, status: int, code: str, message: str,
                 current: Record | None = None, **details: Any) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message
        self.current, self.details = current, details


# Fields that say who did something: a desk may only ever write its own user there.
SIGNED_FIELDS = {"note": ("author",), "kyc_case": ("decided_by",),
                 "kyc_document": ("reviewed_by",), "screening_review": ("reviewed_by",),
                 "approval": ("prepared_by", "decided_by"), "commission_run": ("prepared_by",),
                 "payout": ("prepared_by", "approved_by"), "plan_version": ("created_by",),
                 "partner_move": ("moved_by",)}
# Maker-checker: (preparer field, decider field) that must be different people.
FOUR_EYES = {"approval": ("prepared_by", "decided_by"), "payout": ("prepared_by", "approved_by")}
CHECKER_ROLES = frozenset({"compliance_officer", "finance_officer", "manager", "admin"})


def check_signatures(kind: str, data: dict[str, Any], before: dict[str, Any] | None,
                     user: DeskUser) -> None:
    for name in SIGNED_FIELDS.get(kind, ()):
        value = data.get(name)
        if value is not None and value != (before or {}).get(name) and value != user.username:
            raise Refusal(403, "signature_mismatch",
                          f"Only {value} can sign this {kind.replace('_', ' ')} as "
                          f"{name.replace('_', ' ')}.", field=name)
    if kind in FOUR_EYES:
        maker, checker = FOUR_EYES[kind]
        decided = data.get(checker)
        if decided is not None and decided != (before or {}).get(checker):
            if decided == data.get(maker):
                raise Refusal(403, "four_eyes",
                              "Whoever prepared this cannot also approve it: a second "
                              "person must decide.")
            if user.role not in CHECKER_ROLES:
                raise Refusal(403, "forbidden",
                              f"A {user.role.replace('_', ' ')} cannot decide a "
                              f"{kind.replace('_', ' ')}.")


def booked(p: dict[str, Any]) -> int:
    """What a payment moves on its trading account, in the account's currency."""
    return parse_money(p.get("account_amount") or p["amount"])


def change_json(r: Record) -> str:
    return (f'{{"seq":{r.seq},"kind":"{r.kind}","id":{dumps(r.id)},"version":{r.version},'
            f'"deleted":{"true" if r.deleted else "false"},'
            f'"data":{"null" if r.data is None else dumps(r.data)}}}')


@dataclass
class State:
    """An account's money in cents, as the platform keeps it."""

    login: int
    currency: str
    balance: int
    credit: int
    floating: int
    margin: int

    @property
    def equity(self) -> int:
        return self.balance + self.credit + self.floating

    @property
    def free_margin(self) -> int:
        return self.equity - self.margin

    def as_data(self, at_ms: int) -> dict[str, Any]:
        level = money(self.equity * 10_000 // self.margin) if self.margin else None
        return {"login": self.login, "currency": self.currency, "balance": money(self.balance),
                "credit": money(self.credit), "equity": money(self.equity),
                "margin": money(self.margin), "free_margin": money(self.free_margin),
                "margin_level": level, "updated_ms": at_ms}


@dataclass
class Broker:
    store: SandboxStore
    hub: StreamHub
    frames: list[tuple[str, str]] = field(default_factory=list)
    changed_other: bool = False

    # -- transactions ---------------------------------------------------------------------

    @contextmanager
    def transaction(self) -> Iterator[None]:
        self.frames, self.changed_other = [], False
        staged: list[str] = []
        try:
            with self.store.tx():
                yield
                if self.changed_other:
                    self.frames.append(("changes.available",
                                        f'{{"head_seq":{self.store.head}}}'))
                staged = self.hub.stage(self.frames)
                self.store.set_meta("stream_seq", self.hub.seq)
        except BaseException:
            self.hub.unstage(len(staged))
            raise
        finally:
            self.frames = []
        self.hub.publish(staged)

    def write(self, kind: str, rid: str, data: dict[str, Any] | None) -> Record:
        record = self.store.put(kind, rid, data)
        frame = FRAME_FOR_KIND.get(kind)
        if kind == "position":
            frame = "position.closed" if data is None else "position.changed"
        if frame:
            self.frames.append((frame, change_json(record)))
        else:
            self.changed_other = True
        return record

    def tick_frame(self, data: dict[str, Any]) -> None:
        self.frames.append(("price.tick", dumps(data)))

    def counter(self, name: str) -> int:
        value = int(self.store.meta(name))
        self.store.set_meta(name, value + 1)
        return value

    # -- reading accounts ---------------------------------------------------------------------

    def account(self, login: int) -> dict[str, Any]:
        record = self.store.get("account", str(login))
        if record is None or record.data is None:
            raise Refusal(422, "unknown_login", f"There is no trading account {login}.",
                          login=login)
        return record.data

    def state(self, login: int) -> State:
        record = self.store.get("account_state", str(login))
        assert record is not None and record.data is not None, f"account {login} has no state"
        d = record.data
        balance, credit = parse_money(d["balance"]), parse_money(d["credit"])
        return State(login, d["currency"], balance, credit,
                     parse_money(d["equity"]) - balance - credit, parse_money(d["margin"]))

    def save_state(self, state: State) -> Record:
        return self.write("account_state", str(state.login), state.as_data(now_ms()))

    def usable(self, login: int) -> dict[str, Any]:
        account = self.account(login)
        if account["status"] in ("disabled", "archived"):
            raise Refusal(422, "account_disabled",
                          f"Trading account {login} is disabled; no money can move on it.",
                          login=login)
        return account

    # -- deals ---------------------------------------------------------------------------------

    def deal(self, login: int, action: str, amount: int, comment: str, *, symbol: str = "",
             entry: str = "NONE", volume: str = "0.00", price: str = "0",
             commission: int = 0, swap: int = 0, position_id: int | None = None,
             reason: str = "DEALER") -> Record:
        ticket = self.counter("next_ticket")
        currency = self.account(login)["currency"]
        return self.write("deal", str(ticket), {
            "ticket": ticket, "login": login, "currency": currency, "symbol": symbol,
            "action": action,
            "entry": entry, "volume": volume, "price": price, "profit": money(amount),
            "commission": money(commission), "swap": money(swap), "fee": "0.00",
            "position_id": position_id, "time_ms": now_ms(), "reason": reason,
            "comment": comment[:64]})

    def move_money(self, login: int, action: str, amount: int, comment: str, *,
                   credit: bool = False, reason: str = "DEALER",
                   returning: bool = False) -> list[Record]:
        """A balance or credit deal and the account state it changes.

        A debit may take neither money the client does not have (the balance, or the
        credit) nor margin that open positions use. `returning` is for money that
        goes back to the client (a failed withdrawal): it moves even on a disabled
        account.
        """
        if not returning:
            self.usable(login)
        state = self.state(login)
        if amount < 0:
            own = state.credit if credit else state.balance
            available = max(min(own, state.free_margin), 0)
            if available < -amount:
                what = "of credit that free margin allows" if credit else \
                    "free to take out (free margin, credit excluded)"
                raise Refusal(
                    422, "insufficient_credit" if credit else "insufficient_free_margin",
                    f"Account {login} has {money(available)} {state.currency} {what}; "
                    f"the operation needs {money(-amount)} {state.currency}.",
                    login=login, available=money(available), needed=money(-amount))
        if credit:
            state.credit += amount
        else:
            state.balance += amount
        return [self.deal(login, action, amount, comment, reason=reason),
                self.save_state(state)]

    # -- commands --------------------------------------------------------------------------------

    def open_account(self, client_id: str, group: str, currency: str,
                     leverage: int) -> list[Record]:
        client = self.store.get("client", client_id)
        if client is None or client.deleted:
            raise Refusal(422, "unknown_client", f"There is no client {client_id}.",
                          client_id=client_id)
        login = self.counter("next_login")
        account = self.write("account", str(login), {
            "login": login, "client_id": client_id, "group": group, "currency": currency,
            "leverage": leverage, "status": "active", "opened_ms": now_ms()})
        return [account, self.save_state(State(login, currency, 0, 0, 0, 0))]

    def balance_operation(self, login: int, operation: str, amount_text: str,
                          comment: str) -> list[Record]:
        amount = parse_money(amount_text)
        if amount == 0 or (amount < 0 and operation != "correction"):
            raise Refusal(422, "invalid_amount",
                          "The amount must be above zero (only corrections may be negative).",
                          amount=amount_text)
        action, sign, credit = {
            "deposit": ("BALANCE", 1, False), "withdrawal": ("BALANCE", -1, False),
            "credit": ("CREDIT", 1, True), "credit_out": ("CREDIT", -1, True),
            "correction": ("CORRECTION", 1, False), "bonus": ("BONUS", 1, False),
            "agent_commission": ("AGENT", 1, False)}[operation]
        return self.move_money(login, action, sign * amount,
                               comment or operation.replace("_", " ").capitalize(),
                               credit=credit)

    def update_client(self, client_id: str, base_version: int,
                      changes: dict[str, Any]) -> list[Record]:
        current = self.store.get("client", client_id)
        if current is None or current.data is None:
            raise Refusal(422, "unknown_client", f"There is no client {client_id}.",
                          client_id=client_id)
        if current.version != base_version:
            raise Refusal(409, "version_conflict",
                          f"Client {client_id} was changed elsewhere (now version "
                          f"{current.version}, you edited {base_version}).", current=current)
        return [self.write("client", client_id, {**current.data, **changes})]

    def request_payment(self, body: dict[str, Any], username: str,
                        prices_e8: dict[str, int]) -> list[Record]:
        """A deposit a desk recorded (pending until the provider confirms it) or a
        withdrawal it asks for on the client's behalf (requested: waits for approval).
        Nothing moves on the account yet."""
        pid, login = body["payment_id"], body["login"]
        if self.store.get("payment", pid) is not None:
            raise Refusal(409, "version_conflict", f"Payment {pid} already exists.",
                          payment_id=pid)
        account = self.account(login)
        self.usable(login)
        try:
            method = PaymentMethod(body["method"])
            fee_rule = providers.provider(body["provider"], method)
        except ValidationFailed as exc:
            raise Refusal(422, "unknown_provider", str(exc), provider=body["provider"]) \
                from exc
        amount, currency = parse_money(body["amount"]), body["currency"]
        if amount <= 0:
            raise Refusal(422, "invalid_amount", "The amount must be above zero.",
                          amount=body["amount"])
        data: dict[str, Any] = {}
        if currency != account["currency"]:
            mids = {name: Decimal(bid + SYMBOLS[name].tick_e8).scaleb(-8)
                    for name, bid in prices_e8.items() if name in SYMBOLS}
            rate = fx.cross_rate(mids, currency, account["currency"])
            if rate is None:
                raise Refusal(422, "no_rate", f"No quote converts {currency} to "
                              f"{account['currency']}.", currency=currency)
            data = {"account_currency": account["currency"], "fx_rate": fx.rate_text(rate),
                    "account_amount": money(fx.convert(amount, currency, rate,
                                                       account["currency"]))}
        status = "pending" if body["direction"] == "deposit" else "requested"
        at = now_ms()
        return [self.write("payment", pid, {
            "payment_id": pid, "client_id": account["client_id"], "login": login,
            "direction": body["direction"], "method": method.value,
            "provider": fee_rule.name, "amount": money(amount), "currency": currency,
            "fee": money(providers.fee(fee_rule, amount)), "status": status,
            "history": [{"status": status, "at_ms": at, "note": f"asked by {username}"}],
            "provider_ref": f"{fee_rule.name[:3].upper()}-{pid[-10:]}",
            "payer_name": body["payer_name"], "payer_account": body["payer_account"],
            "bank_code": body["bank_code"], "network": body["network"],
            "third_party": False, "ticket": None, "requested_by": username,
            "created_ms": at, "updated_ms": at, **data})]

    def withdrawal_decision(self, payment_id: str, decision: str, reason: str,
                            username: str) -> list[Record]:
        record = self.store.get("payment", payment_id)
        if record is None or record.data is None:
            raise Refusal(422, "unknown_payment", f"There is no payment {payment_id}.",
                          payment_id=payment_id)
        p = record.data
        if p["direction"] != "withdrawal":
            raise Refusal(422, "not_a_withdrawal", f"Payment {payment_id} is a deposit.",
                          payment_id=payment_id)
        status = p["status"]
        allowed = {"approve": ("requested",), "reject": ("requested", "approved"),
                   "send": ("approved",)}[decision]
        if status not in allowed:
            raise Refusal(422, "invalid_payment_state",
                          f"Withdrawal {payment_id} is {status.replace('_', ' ')}; it cannot "
                          f"be {'sent' if decision == 'send' else decision + 'd'} now.",
                          payment_id=payment_id, payment_status=status)
        if decision == "approve" and p.get("requested_by") == username:
            raise Refusal(403, "four_eyes", "Whoever asked for this withdrawal cannot also "
                          "approve it: a second person must decide.", payment_id=payment_id)
        out: list[Record] = []
        amount = booked(p)
        if decision == "approve":
            out += self.move_money(p["login"], "BALANCE", -amount, f"Withdrawal {payment_id}",
                                   reason="WITHDRAWAL")
            p["ticket"] = out[0].data["ticket"] if out[0].data else None
        elif decision == "reject" and status == "approved":
            out += self.move_money(p["login"], "BALANCE", amount,
                                   f"Withdrawal {payment_id} rejected", reason="WITHDRAWAL")
        new = {"approve": "approved", "reject": "rejected", "send": "processing"}[decision]
        out.append(self.set_payment_status(payment_id, p, new, f"{username}: {reason}".strip()))
        return out

    def set_payment_status(self, payment_id: str, p: dict[str, Any], status: str,
                           note: str = "") -> Record:
        at = now_ms()
        p = {**p, "status": status, "updated_ms": at,
             "history": [*p["history"], {"status": status, "at_ms": at, "note": note[:200]}]}
        return self.write("payment", payment_id, p)

    def put_record(self, kind: str, rid: str, base_version: int, deleted: bool,
                   data: dict[str, Any] | None, user: DeskUser) -> list[Record]:
        current = self.store.get(kind, rid)
        if data is not None:
            check_signatures(kind, data, current.data if current else None, user)
        if base_version == 0 and current is not None:
            raise Refusal(409, "version_conflict",
                          f"A {kind.replace('_', ' ')} with id {rid} already exists.",
                          current=current)
        if base_version > 0:
            if current is None:
                raise Refusal(422, "unknown_record",
                              f"There is no {kind.replace('_', ' ')} {rid} to change.",
                              kind=kind, id=rid)
            if current.version != base_version or current.deleted:
                raise Refusal(409, "version_conflict",
                              f"This {kind.replace('_', ' ')} was changed at another desk "
                              f"(now version {current.version}, you edited {base_version}).",
                              current=current)
        if deleted and current is None:
            raise Refusal(422, "unknown_record", f"There is no {kind} {rid} to delete.")
        return [self.write(kind, rid, None if deleted else data)]

    def in_flight_payments(self) -> list[str]:
        marks = ",".join("?" * len(IN_FLIGHT))
        return [row[0] for row in self.store.db.execute(
            f"SELECT id FROM records WHERE kind = 'payment' AND deleted = 0 "
            f"AND json_extract(body, '$.status') IN ({marks}) ORDER BY seq", IN_FLIGHT)]

    def is_final(self, status: str) -> bool:
        return status in wire.FINAL_PAYMENT_STATUSES
