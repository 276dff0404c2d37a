"""What must be true before a withdrawal may be approved, each check with its reason.

A blocking check stops the approval; a warning lets it through only when the
approver writes why it is fine (kept in the audit log). The clerk sees the same
list, so nobody has to guess why a withdrawal waits.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.kyc import gates
from app.models.compliance import Alert, AlertStatus
from app.models.crm import Client, RiskRating
from app.models.kyc import HitStatus, ScreeningHit
from app.models.payments import (
    PaymentDirection,
    PaymentMethod,
    PaymentRequest,
    PaymentStatus,
)
from app.models.trading import AccountState, Deal, TradingAccount
from app.money import format_money
from app.text import fold

LOOKBACK = timedelta(days=30)
# Fewer closing trades than this in the lookback, after depositing, is "little trading".
LITTLE_TRADING = 5
_WORDS = re.compile(r"[^\W_]+")


class Outcome(enum.StrEnum):
    CLEAR = "clear"
    WARN = "warning"
    BLOCK = "blocked"


@dataclass(frozen=True)
class Check:
    name: str
    outcome: Outcome
    detail: str


@dataclass(frozen=True)
class Checks:
    items: tuple[Check, ...]

    @property
    def blocked(self) -> tuple[Check, ...]:
        return tuple(c for c in self.items if c.outcome is Outcome.BLOCK)

    @property
    def warnings(self) -> tuple[Check, ...]:
        return tuple(c for c in self.items if c.outcome is Outcome.WARN)

    def explain(self) -> str:
        return " ".join(f"{c.name}: {c.detail}" for c in self.blocked)


def booked_amount(p: PaymentRequest) -> int:
    """What the payment moves on the trading account, in the account's currency."""
    return p.amount_minor if p.account_amount_minor is None else p.account_amount_minor


def _kyc(s: Session, p: PaymentRequest, today: date) -> Check:
    gate = gates.withdrawal_gate(s, p.client_id, today)
    if gate.allowed:
        return Check("KYC", Outcome.CLEAR, "Verified, identity document current, not frozen.")
    return Check("KYC", Outcome.BLOCK, gate.message)


def _free_margin(s: Session, p: PaymentRequest, account: TradingAccount | None) -> Check:
    name = "Free margin"
    if p.status is not PaymentStatus.REQUESTED:
        return Check(name, Outcome.CLEAR, "The platform has already set the money aside.")
    if account is None:
        return Check(name, Outcome.BLOCK, "The withdrawal names no trading account.")
    state = s.get(AccountState, account.id)
    if state is None:
        return Check(name, Outcome.BLOCK, f"The platform has not reported account "
                     f"{account.login}'s balance yet; sync, then check again.")
    available = max(min(state.free_margin_minor, state.balance_minor), 0)
    wanted = booked_amount(p)
    shown = format_money(available, account.currency)
    if wanted > available:
        return Check(name, Outcome.BLOCK,
                     f"Account {account.login} has {shown} free to take out (free margin, "
                     f"credit excluded); the withdrawal needs "
                     f"{format_money(wanted, account.currency)}.")
    return Check(name, Outcome.CLEAR, f"{shown} free to take out.")


def _screening(s: Session, client: Client) -> Check:
    name = "Sanctions"
    open_hits = s.scalar(select(func.count()).select_from(ScreeningHit).where(
        ScreeningHit.client_id == client.id, ScreeningHit.status == HitStatus.OPEN)) or 0
    if open_hits:
        return Check(name, Outcome.BLOCK,
                     f"{open_hits} possible sanctions or PEP match(es) wait for compliance "
                     "to review them.")
    if client.screened_at is None:
        return Check(name, Outcome.WARN, "The client has not been screened against the "
                     "sanctions lists yet.")
    return Check(name, Outcome.CLEAR, "Screened, no open matches.")


def _same_person(a: str, b: str) -> bool:
    """The payee's name holds the client's names (or the reverse): 'J. Smith' is not
    enough, 'John Smith' and 'John Michael Smith' are."""
    mine, theirs = set(_WORDS.findall(fold(a))), set(_WORDS.findall(fold(b)))
    return bool(mine) and bool(theirs) and (mine <= theirs or theirs <= mine)


def legal_name(client: Client) -> str:
    """The name a bank account is held in: "Anna Berg", not the list form "Berg, Anna"."""
    if client.company_name:
        return client.company_name
    return " ".join(x for x in (client.first_name, client.last_name) if x) \
        or client.display_name


def _payee(s: Session, p: PaymentRequest, client: Client) -> Check:
    name = "Payee"
    if p.payer_name and not _same_person(p.payer_name, client.display_name):
        return Check(name, Outcome.BLOCK,
                     f"The money would go to {p.payer_name}, not to {legal_name(client)}: "
                     "withdrawals are paid only to an account in the client's own name.")
    used_for_deposits = s.scalar(select(func.count()).select_from(PaymentRequest).where(
        PaymentRequest.client_id == client.id,
        PaymentRequest.direction == PaymentDirection.DEPOSIT,
        PaymentRequest.status == PaymentStatus.COMPLETED,
        PaymentRequest.method == p.method,
        PaymentRequest.payer_account == p.payer_account)) or 0
    if p.method is PaymentMethod.CARD and not used_for_deposits:
        return Check(name, Outcome.BLOCK,
                     f"Card withdrawals go back to a card the client deposited with; no "
                     f"completed deposit came from card {p.payer_account}.")
    if not used_for_deposits:
        return Check(name, Outcome.WARN,
                     f"First payment to {p.payer_account or 'this destination'}: no deposit "
                     "ever came from it.")
    return Check(name, Outcome.CLEAR, "Paid back to where the client's deposits came from.")


def _aml(s: Session, p: PaymentRequest, client: Client, now: datetime) -> Check:
    flags: list[str] = []
    alerts = list(s.scalars(select(Alert.rule).where(
        Alert.client_id == client.id, Alert.status.in_((AlertStatus.OPEN,
                                                        AlertStatus.IN_CASE)))))
    if alerts:
        flags.append(f"{len(alerts)} open AML alert(s) ({', '.join(sorted(set(alerts)))})")
    if client.risk_rating is RiskRating.HIGH:
        flags.append("the client is rated high risk")
    since = now - LOOKBACK
    deposited = s.scalar(select(func.count()).select_from(PaymentRequest).where(
        PaymentRequest.client_id == client.id,
        PaymentRequest.direction == PaymentDirection.DEPOSIT,
        PaymentRequest.status == PaymentStatus.COMPLETED,
        PaymentRequest.created_at >= since)) or 0
    if deposited:
        trades = s.scalar(select(func.count()).select_from(Deal)
                          .join(TradingAccount, TradingAccount.id == Deal.account_id)
                          .where(TradingAccount.client_id == client.id,
                                 Deal.entry == "out",
                                 Deal.time_ms >= int(since.timestamp() * 1000))) or 0
        if trades < LITTLE_TRADING:
            flags.append(f"deposited in the last {LOOKBACK.days} days and closed only "
                         f"{trades} trade(s) since")
    payers = s.scalars(select(PaymentRequest.payer_name).where(
        PaymentRequest.client_id == client.id,
        PaymentRequest.direction == PaymentDirection.DEPOSIT,
        PaymentRequest.payer_name != "",
        PaymentRequest.status == PaymentStatus.COMPLETED))
    third = sum(1 for payer in payers if not _same_person(payer, client.display_name))
    if third:
        flags.append(f"{third} deposit(s) came from someone else's account")
    if flags:
        return Check("AML", Outcome.WARN, "; ".join(flags).capitalize() + ".")
    return Check("AML", Outcome.CLEAR, "No open alerts or risk flags.")


def withdrawal_checks(s: Session, p: PaymentRequest, now: datetime | None = None) -> Checks:
    now = now or datetime.now(UTC)
    client = s.get(Client, p.client_id)
    if client is None:
        return Checks((Check("Client", Outcome.BLOCK, "This client no longer exists."),))
    account = s.get(TradingAccount, p.account_id) if p.account_id is not None else None
    return Checks((_kyc(s, p, now.date()), _free_margin(s, p, account),
                   _screening(s, client), _payee(s, p, client), _aml(s, p, client, now)))
