"""Deposits and withdrawals as the back office works them.

A clerk records a deposit or asks for a withdrawal for a client: the details are
checked by method, the provider's fee and any currency conversion are shown before
anything is sent, and the request goes to the gateway through the outbox. A
withdrawal then waits for its checks and for a finance approver who is not the
person who asked for it; above the policy's amount a second approver must sign too.
The approval sends "approve" and "send" to the gateway; the platform takes the
money at approval and the provider completes or fails the payment, which the ledger
follows (app/ledger/sources.py). Every step is audited.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from app import audit
from app.errors import NotFound, ValidationFailed
from app.kyc.gates import Blocked
from app.models.compliance import Approval, ApprovalStatus
from app.models.crm import Client
from app.models.payments import (
    PaymentDirection,
    PaymentMethod,
    PaymentRequest,
    PaymentStatus,
    PaymentStatusChange,
)
from app.models.sync_state import OutboxCommand, OutboxStatus
from app.models.trading import Quote, TradingAccount
from app.models.users import User
from app.money import format_money, from_minor, to_minor
from app.payments import fx, methods, policy, providers
from app.payments.checks import Checks, booked_amount, legal_name, withdrawal_checks
from app.roles import Actor, Permission, require
from app.services.outbox import (
    decide_approval_in,
    enqueue,
    prepare_approval_in,
    signer,
)
from app.services.workspace import Desk, get_setting

# The currencies the gateway takes payments in.
PAYMENT_CURRENCIES = ("USD", "EUR", "GBP")


@dataclass(frozen=True)
class PaymentForm:
    login: int
    direction: PaymentDirection
    method: PaymentMethod
    provider: str
    amount: Decimal | str
    currency: str
    account: str            # IBAN, card, e-wallet id or crypto address
    holder: str = ""        # whose account it is; the client's name when empty
    bank_code: str = ""     # BIC, for a wire
    network: str = ""       # for crypto


@dataclass(frozen=True)
class Preview:
    """What the clerk sees before sending: amount, fee and conversion."""

    amount_minor: int
    currency: str
    fee_minor: int
    account_currency: str
    account_amount_minor: int
    rate: Decimal | None  # account currency per payment currency; None: same currency

    def describe(self) -> str:
        parts = [format_money(self.amount_minor, self.currency),
                 f"provider fee {format_money(self.fee_minor, self.currency)}"]
        if self.rate is not None:
            parts.append(f"at {fx.rate_text(self.rate)} {self.account_currency}/"
                         f"{self.currency} = "
                         f"{format_money(self.account_amount_minor, self.account_currency)}")
        return ", ".join(parts)


@dataclass(frozen=True)
class ApprovalState:
    needed: int                  # 1 or 2 approvers
    given_by: tuple[str, ...]    # full names, in order
    usd_minor: int | None        # value in US cents (None: no quote)
    # The decision made here that waits in the outbox for the gateway: approve/reject.
    pending: str | None = None

    @property
    def queued(self) -> bool:
        return self.pending == "approve"

    def describe(self) -> str:
        if self.pending == "approve":
            return "Approved; waiting to reach the gateway."
        if self.pending == "reject":
            return "Rejected here; the rejection waits to reach the gateway."
        if not self.given_by:
            return f"Waiting for {'two approvers' if self.needed == 2 else 'approval'}."
        return f"Approved by {', '.join(self.given_by)}; waiting for a second approver."


def _prices(s: Session) -> dict[str, Decimal]:
    return fx.mids((symbol, bid, ask) for symbol, bid, ask in
                   s.execute(select(Quote.symbol, Quote.bid, Quote.ask)))


def _account(s: Session, login: int) -> TradingAccount:
    account = s.scalar(select(TradingAccount).where(TradingAccount.login == login))
    if account is None or account.client_id is None:
        raise NotFound(f"There is no trading account {login} with a client on this desk.")
    return account


def _preview(s: Session, form: PaymentForm, account: TradingAccount) -> Preview:
    if form.currency not in PAYMENT_CURRENCIES:
        raise ValidationFailed(f"Payments are taken in {', '.join(PAYMENT_CURRENCIES)}.",
                               "currency")
    amount = to_minor(Decimal(form.amount), form.currency)
    if amount <= 0:
        raise ValidationFailed("The amount must be above zero.", "amount")
    fee = providers.fee(providers.provider(form.provider, form.method), amount)
    if form.currency == account.currency:
        return Preview(amount, form.currency, fee, account.currency, amount, None)
    rate = fx.cross_rate(_prices(s), form.currency, account.currency)
    if rate is None:
        raise ValidationFailed(f"No platform quote converts {form.currency} to "
                               f"{account.currency} yet; sync, or take the payment in "
                               f"{account.currency}.", "currency")
    return Preview(amount, form.currency, fee, account.currency,
                   fx.convert(amount, form.currency, rate, account.currency), rate)


def preview(desk: Desk, form: PaymentForm) -> Preview:
    require(desk.actor, Permission.REQUEST_PAYMENTS)
    with desk.store.read() as s:
        return _preview(s, form, _account(s, form.login))


def request_payment(desk: Desk, form: PaymentForm) -> int:
    """Record a deposit or ask for a withdrawal; returns the local payment id. The
    request reaches the gateway with the next sync."""
    require(desk.actor, Permission.REQUEST_PAYMENTS)
    destination = methods.check_destination(form.method, form.account, form.bank_code,
                                            form.network)
    with desk.store.write() as s:
        account = _account(s, form.login)
        client = s.get(Client, account.client_id)
        if client is None or client.external_id is None or account.server_version == 0:
            raise ValidationFailed("This account is not on the trading platform yet; sync "
                                   "first.", "login")
        quote = _preview(s, form, account)
        holder = " ".join(form.holder.split()) or legal_name(client)
        pid = uuid.uuid4().hex
        status = (PaymentStatus.PENDING if form.direction is PaymentDirection.DEPOSIT
                  else PaymentStatus.REQUESTED)
        who = signer(s, desk.actor)
        payment = PaymentRequest(
            uid=pid, external_id=pid, client_id=client.id, account_id=account.id,
            direction=form.direction, method=form.method, provider=form.provider,
            amount_minor=quote.amount_minor, currency=quote.currency,
            fee_minor=quote.fee_minor, status=status, payer_name=holder,
            payer_account=destination.account, bank_code=destination.bank_code,
            requested_by=desk.actor.id, requested_by_name=who,
            account_amount_minor=None if quote.rate is None else quote.account_amount_minor,
            fx_rate="" if quote.rate is None else fx.rate_text(quote.rate))
        s.add(payment)
        s.flush()
        s.add(PaymentStatusChange(payment_id=payment.id, status=status,
                                  actor_id=desk.actor.id, note=f"asked by {who}"))
        row = enqueue(s, desk.actor, "request-payment", {
            "payment_id": pid, "login": account.login, "direction": form.direction.value,
            "method": form.method.value, "provider": form.provider,
            "amount": format(from_minor(quote.amount_minor, quote.currency), "f"),
            "currency": quote.currency, "payer_name": holder[:200],
            "payer_account": destination.account, "bank_code": destination.bank_code,
            "network": destination.network},
            entity="payment", entity_ref=pid,
            revert={"table": "payment_requests", "id": payment.id,
                    "values": {"status": PaymentStatus.REJECTED.value}})
        audit.record(s, desk.actor, f"payment.request_{form.direction.value}", "payment",
                     payment.id, after={"login": account.login, "method": form.method.value,
                                        "provider": form.provider,
                                        "amount": quote.describe(),
                                        "device_seq": row.device_seq})
        return payment.id


# -- withdrawal approval ----------------------------------------------------------------------

def _withdrawal(s: Session, payment_id: int) -> PaymentRequest:
    payment = s.get(PaymentRequest, payment_id)
    if payment is None or payment.direction is not PaymentDirection.WITHDRAWAL:
        raise NotFound("This withdrawal no longer exists.")
    return payment


def _policy(s: Session) -> policy.ApprovalPolicy:
    text = get_setting(s, policy.SETTING)
    return policy.parse(text) if text else policy.DEFAULT


def usd_value(s: Session, payment: PaymentRequest) -> int | None:
    if payment.currency == "USD":
        return payment.amount_minor
    rate = fx.cross_rate(_prices(s), payment.currency, "USD")
    return None if rate is None else fx.convert(payment.amount_minor, payment.currency,
                                                rate, "USD")


def _first_signature(s: Session, payment: PaymentRequest) -> Approval | None:
    return s.scalar(select(Approval).where(
        Approval.kind == "withdrawal", Approval.entity == "payment",
        Approval.entity_ref == payment.external_id,
        Approval.status == ApprovalStatus.PENDING))


def _pending(s: Session, payment: PaymentRequest) -> str | None:
    """The last decision made here that has not reached the gateway yet."""
    payload = s.scalar(select(OutboxCommand.payload).where(
        OutboxCommand.kind == "withdrawal-decision",
        OutboxCommand.entity_ref == payment.external_id,
        OutboxCommand.status.in_((OutboxStatus.PENDING, OutboxStatus.IN_FLIGHT)))
        .order_by(OutboxCommand.device_seq.desc()).limit(1))
    if payload is None:
        return None
    decision = str(payload.get("decision"))
    return "approve" if decision == "send" else decision


def _state(s: Session, payment: PaymentRequest) -> ApprovalState:
    usd = usd_value(s, payment)
    first = _first_signature(s, payment)
    names: tuple[str, ...] = ()
    if first is not None:
        user = s.get(User, first.prepared_by)
        names = (user.full_name if user else "?",)
    return ApprovalState(2 if _policy(s).needs_second(usd) else 1, names, usd,
                         _pending(s, payment))


def checks(desk: Desk, payment_id: int) -> Checks:
    require(desk.actor, Permission.VIEW)
    with desk.store.read() as s:
        return withdrawal_checks(s, _withdrawal(s, payment_id))


def approval_state(desk: Desk, payment_id: int) -> ApprovalState:
    require(desk.actor, Permission.VIEW)
    with desk.store.read() as s:
        return _state(s, _withdrawal(s, payment_id))


def _is_requester(s: Session, actor: Actor, payment: PaymentRequest) -> bool:
    return payment.requested_by == actor.id or (
        bool(payment.requested_by_name) and payment.requested_by_name == signer(s, actor))


def approve_withdrawal(desk: Desk, payment_id: int, note: str = "") -> str:
    """Approve as one of the approvers; returns what happens next, in words."""
    require(desk.actor, Permission.APPROVE_PAYMENTS)
    note = note.strip()
    with desk.store.write() as s:
        payment = _withdrawal(s, payment_id)
        if payment.status is not PaymentStatus.REQUESTED:
            raise ValidationFailed(f"This withdrawal is {payment.status.value.replace('_', ' ')}"
                                   "; only a requested one can be approved.", "status")
        if payment.server_version == 0:
            raise ValidationFailed("This withdrawal has not reached the gateway yet; sync "
                                   "first.", "status")
        if _is_requester(s, desk.actor, payment):
            raise ValidationFailed("You asked for this withdrawal, so you cannot approve it: "
                                   "another finance officer must.", "approver")
        pending = _pending(s, payment)
        if pending == "reject":
            raise ValidationFailed("This withdrawal was rejected here; the rejection waits "
                                   "to reach the gateway.", "status")
        if pending:
            raise ValidationFailed("This withdrawal is already approved and waiting to be "
                                   "sent.", "status")
        found = withdrawal_checks(s, payment)
        if found.blocked:
            raise Blocked(f"Withdrawal blocked. {found.explain()}", "checks")
        if found.warnings and not note:
            raise ValidationFailed(
                "Say why this withdrawal may go ahead despite: "
                + " ".join(f"{c.name}: {c.detail}" for c in found.warnings), "note")
        rules = _policy(s)
        usd = usd_value(s, payment)
        refusal = rules.refusal(desk.actor.role, usd)
        if refusal:
            raise ValidationFailed(refusal, "approver")
        first = _first_signature(s, payment)
        facts = {"usd": None if usd is None else format_money(usd, "USD"), "note": note,
                 "warnings": [c.name for c in found.warnings]}
        if rules.needs_second(usd) and first is None:
            prepare_approval_in(s, desk.actor, "withdrawal", "payment",
                                str(payment.external_id))
            audit.record(s, desk.actor, "payment.first_approval", "payment", payment.id,
                         after=facts)
            return "First approval recorded; a second approver must approve it too."
        if first is not None:
            preparer = s.get(User, first.prepared_by)
            if preparer is not None and preparer.username == signer(s, desk.actor) \
                    and preparer.id != desk.actor.id:
                # This desk signs as the gateway user who gave the first approval.
                raise ValidationFailed(
                    f"The first approval was signed as {preparer.username}, the name this "
                    "desk signs with: a second person must approve from their own desk.",
                    "approver")
            decide_approval_in(s, desk.actor, first, True, note)
        for decision in ("approve", "send"):
            enqueue(s, desk.actor, "withdrawal-decision",
                    {"payment_id": payment.external_id, "decision": decision,
                     "reason": note[:500]}, entity="payment",
                    entity_ref=str(payment.external_id))
        audit.record(s, desk.actor, "payment.approve", "payment", payment.id, after=facts)
        return "Approved: the gateway takes the money from the account and sends it."


def reject_withdrawal(desk: Desk, payment_id: int, reason: str) -> None:
    require(desk.actor, Permission.APPROVE_PAYMENTS)
    reason = reason.strip()
    if not reason:
        raise ValidationFailed("Say why the withdrawal is rejected; the client is told.",
                               "reason")
    with desk.store.write() as s:
        payment = _withdrawal(s, payment_id)
        if payment.status not in (PaymentStatus.REQUESTED, PaymentStatus.APPROVED):
            raise ValidationFailed(f"This withdrawal is {payment.status.value}; it can no "
                                   "longer be rejected.", "status")
        if _pending(s, payment) == "reject":
            raise ValidationFailed("This withdrawal is already rejected; the rejection "
                                   "waits to reach the gateway.", "status")
        first = _first_signature(s, payment)
        if first is not None:
            first.status = ApprovalStatus.REJECTED
            first.reason = reason
        enqueue(s, desk.actor, "withdrawal-decision",
                {"payment_id": payment.external_id, "decision": "reject",
                 "reason": reason[:500]}, entity="payment",
                entity_ref=str(payment.external_id))
        audit.record(s, desk.actor, "payment.reject", "payment", payment.id,
                     after={"reason": reason})


@dataclass(frozen=True)
class QueueRow:
    payment_id: int
    external_id: str
    client: str
    login: int | None
    method: str
    provider: str
    amount: str
    payee: str
    requested_by: str
    created_at: datetime
    state: str
    blocked: tuple[str, ...]
    warnings: tuple[str, ...]


def withdrawal_queue(desk: Desk, limit: int = 500) -> list[QueueRow]:
    """Withdrawals waiting for a decision, oldest first, with why each waits."""
    require(desk.actor, Permission.VIEW)
    now = datetime.now(UTC)
    with desk.store.read() as s:
        rows = s.execute(
            select(PaymentRequest, Client.display_name, TradingAccount.login,
                   TradingAccount.currency)
            .join(Client, Client.id == PaymentRequest.client_id)
            .outerjoin(TradingAccount, TradingAccount.id == PaymentRequest.account_id)
            .where(PaymentRequest.direction == PaymentDirection.WITHDRAWAL,
                   PaymentRequest.status == PaymentStatus.REQUESTED)
            .order_by(PaymentRequest.created_at, PaymentRequest.id).limit(limit)).all()
        out = []
        for payment, name, login, account_currency in rows:
            found = withdrawal_checks(s, payment, now)
            shown = format_money(payment.amount_minor, payment.currency)
            if payment.account_amount_minor is not None:
                shown += f" = {format_money(booked_amount(payment), account_currency)}"
            out.append(QueueRow(
                payment.id, str(payment.external_id), name, login, payment.method.value,
                payment.provider, shown, payment.payer_account,
                payment.requested_by_name or "client portal", payment.created_at,
                _state(s, payment).describe(),
                tuple(f"{c.name}: {c.detail}" for c in found.blocked),
                tuple(f"{c.name}: {c.detail}" for c in found.warnings)))
        return out


__all__ = ["PAYMENT_CURRENCIES", "ApprovalState", "PaymentForm", "Preview", "QueueRow",
           "approval_state", "approve_withdrawal", "checks", "preview",
           "reject_withdrawal", "request_payment", "usd_value", "withdrawal_queue"]


# -- for the payment form ---------------------------------------------------------------------

@dataclass(frozen=True)
class PaymentAccount:
    """Whose trading account a payment form names, read before anything is typed."""

    login: int
    currency: str
    client_id: int
    client_name: str
    holder: str         # the name the client's bank accounts and wallets are held in
    on_platform: bool   # False: the gateway does not know it yet, so a request would fail


def payment_account(desk: Desk, login: int) -> PaymentAccount:
    require(desk.actor, Permission.REQUEST_PAYMENTS)
    with desk.store.read() as s:
        account = _account(s, login)
        client = s.get(Client, account.client_id)
        if client is None:
            raise NotFound(f"The client of trading account {login} no longer exists.")
        return PaymentAccount(account.login, account.currency, client.id, client.display_name,
                              legal_name(client),
                              client.external_id is not None and account.server_version != 0)


def pending_decisions(desk: Desk) -> dict[str, str]:
    """The decision each withdrawal waits to send, by its gateway id ("approve" or
    "reject"): ApprovalState.queued is true for both, and a clerk must not read a
    rejection as an approval."""
    require(desk.actor, Permission.VIEW)
    with desk.store.read() as s:
        rows = s.execute(select(OutboxCommand.entity_ref, OutboxCommand.payload).where(
            OutboxCommand.kind == "withdrawal-decision",
            OutboxCommand.status.in_((OutboxStatus.PENDING, OutboxStatus.IN_FLIGHT)))
            .order_by(OutboxCommand.device_seq))
        found: dict[str, str] = {}
        for ref, payload in rows:
            if payload.get("decision") in ("approve", "reject"):
                found[ref] = str(payload["decision"])
        return found


__all__ += ["PaymentAccount", "payment_account", "pending_decisions"]
