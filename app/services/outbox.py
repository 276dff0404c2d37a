"""Commands for the gateway, queued in the same transaction as the local change.

A desk works offline: a note, a KYC decision or an approval shows at once, and its
command waits in the outbox until the sync engine delivers it (in device sequence
order, with its idempotency key). If the gateway refuses, `revert` puts the local
values back; on a version conflict a person chooses.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from app import audit
from app.errors import NotFound, ValidationFailed
from app.kyc import gates
from app.models.compliance import Approval, ApprovalStatus
from app.models.crm import Client, ClientTag, Note
from app.models.kyc import KycCase, KycStatus
from app.models.payments import PaymentRequest
from app.models.sync_state import OutboxCommand, OutboxStatus
from app.models.trading import TradingAccount
from app.money import exponent, from_minor, to_minor
from app.roles import Actor, Permission, require
from app.services.workspace import Desk, get_setting

BALANCE_OPERATIONS = ("deposit", "withdrawal", "credit", "credit_out", "correction", "bonus",
                      "agent_commission")
# Operations that take money or credit away from the client: KYC must clear them.
MONEY_OUT = ("withdrawal", "credit_out")


def signer(s: Session, actor: Actor) -> str:
    """The name this desk signs shared records with: its gateway user when it has one."""
    return get_setting(s, "gateway.username") or actor.username


def enqueue(s: Session, actor: Actor, command: str, payload: dict[str, Any], *,
            entity: str = "", entity_ref: str = "",
            revert: dict[str, Any] | None = None) -> OutboxCommand:
    last = s.scalar(select(func.max(OutboxCommand.device_seq))) or 0
    row = OutboxCommand(device_seq=last + 1, idempotency_key=uuid.uuid4().hex, kind=command,
                        payload=payload, status=OutboxStatus.PENDING, entity=entity,
                        entity_ref=entity_ref, revert=revert, created_by=actor.id)
    s.add(row)
    s.flush()
    return row


def put_record(s: Session, actor: Actor, kind: str, rid: str, base_version: int,
               data: dict[str, Any] | None, revert: dict[str, Any] | None) -> OutboxCommand:
    return enqueue(s, actor, "put-record",
                   {"kind": kind, "id": rid, "base_version": base_version,
                    "deleted": data is None, "data": data},
                   entity=kind, entity_ref=rid, revert=revert)


def _ms(value: datetime | None) -> int | None:
    return None if value is None else int(value.timestamp() * 1000)


def _shared_client(s: Session, client_id: int) -> Client:
    client = s.get(Client, client_id)
    if client is None:
        raise NotFound("This client no longer exists.")
    return client


# -- platform commands ----------------------------------------------------------------------

def queue_balance_operation(desk: Desk, login: int, operation: str, amount: Decimal | str,
                            comment: str = "") -> int:
    require(desk.actor, Permission.APPROVE_PAYMENTS)
    if operation not in BALANCE_OPERATIONS:
        raise ValidationFailed(f"Unknown balance operation {operation!r}.", "operation")
    with desk.store.write() as s:
        account = s.scalar(select(TradingAccount).where(TradingAccount.login == login))
        if account is None:
            raise NotFound(f"There is no trading account {login}.")
        if operation in MONEY_OUT:
            gates.check_withdrawal(s, account.client_id)
        minor = to_minor(Decimal(amount), account.currency)
        if minor <= 0 and operation != "correction":
            raise ValidationFailed("The amount must be above zero.", "amount")
        text = format(from_minor(minor, account.currency), "f")
        row = enqueue(s, desk.actor, "balance-operation",
                      {"login": login, "operation": operation, "amount": text,
                       "comment": comment[:64]}, entity="account", entity_ref=str(login))
        audit.record(s, desk.actor, "outbox.balance_operation", "account", login,
                     after={"operation": operation, "amount": text, "currency": account.currency,
                            "device_seq": row.device_seq})
        return row.id


def queue_withdrawal_decision(desk: Desk, payment_id: int, decision: str,
                              reason: str = "") -> int:
    require(desk.actor, Permission.APPROVE_PAYMENTS)
    if decision not in ("approve", "reject", "send"):
        raise ValidationFailed("A withdrawal is approved, rejected or sent.", "decision")
    with desk.store.write() as s:
        payment = s.get(PaymentRequest, payment_id)
        if payment is None or payment.external_id is None:
            raise NotFound("This withdrawal is not on the gateway.")
        if decision != "reject":  # refusing money out is always allowed
            gates.check_withdrawal(s, payment.client_id)
        row = enqueue(s, desk.actor, "withdrawal-decision",
                      {"payment_id": payment.external_id, "decision": decision,
                       "reason": reason[:500]}, entity="payment", entity_ref=payment.external_id)
        audit.record(s, desk.actor, f"outbox.withdrawal_{decision}", "payment", payment_id,
                     after={"reason": reason, "device_seq": row.device_seq})
        return row.id


def queue_open_account(desk: Desk, client_id: int, group: str, currency: str,
                       leverage: int) -> int:
    require(desk.actor, Permission.EDIT_CLIENTS)
    exponent(currency)
    with desk.store.write() as s:
        client = _shared_client(s, client_id)
        if client.external_id is None:
            raise ValidationFailed("This client is not on the trading platform yet.", "client")
        gates.check_open_account(s, client.id, group)
        row = enqueue(s, desk.actor, "open-account",
                      {"client_id": client.external_id, "group": group, "currency": currency,
                       "leverage": leverage}, entity="client", entity_ref=client.external_id)
        audit.record(s, desk.actor, "outbox.open_account", "client", client_id,
                     after={"group": group, "currency": currency, "leverage": leverage})
        return row.id


PLATFORM_FIELDS = ("email", "phone", "country")
PROFILE_FIELDS = ("status", "segment", "risk_rating", "manager_id", "closed_reason")


def queue_client_changes(s: Session, actor: Actor, client: Client,
                         before: dict[str, Any]) -> None:
    """After a local edit of a platform client: send what changed, in the same
    transaction. `before` holds the old values of the fields that changed."""
    if client.external_id is None:
        return
    platform = {k: getattr(client, k) for k in PLATFORM_FIELDS if k in before}
    if platform:
        enqueue(s, actor, "update-client",
                {"client_id": client.external_id, "base_version": client.server_version,
                 **platform}, entity="client", entity_ref=client.external_id,
                revert={"table": "clients", "id": client.id,
                        "values": {k: before[k] for k in platform}})
    profile = [k for k in PROFILE_FIELDS if k in before]
    if profile:
        from app.models.users import User

        manager = s.get(User, client.manager_id) if client.manager_id else None
        tags = list(s.scalars(select(ClientTag.tag).where(ClientTag.client_id == client.id)))
        put_record(s, actor, "client_profile", client.external_id, client.profile_version, {
            "client_id": client.external_id, "status": client.status.value,
            "segment": client.segment, "risk_rating": client.risk_rating.value,
            "manager": manager.username if manager else None, "tags": tags,
            "closed_reason": client.closed_reason},
            revert={"table": "clients", "id": client.id,
                    "values": {k: _plain(before[k]) for k in profile}})


def _plain(value: Any) -> Any:
    return getattr(value, "value", value)


# -- shared back office records ---------------------------------------------------------------

def add_note(desk: Desk, client_id: int, body: str) -> int:
    require(desk.actor, Permission.VIEW)
    body = body.strip()
    if not body:
        raise ValidationFailed("A note needs some text.", "body")
    with desk.store.write() as s:
        client = _shared_client(s, client_id)
        note = Note(uid=str(uuid.uuid4()), client_id=client.id, author_id=desk.actor.id,
                    body=body)
        s.add(note)
        s.flush()
        if client.external_id is not None:
            put_record(s, desk.actor, "note", note.uid, 0, {
                "client_id": client.external_id, "author": signer(s, desk.actor),
                "body": body, "created_ms": _ms(datetime.now(UTC))},
                revert={"table": "notes", "id": note.id, "delete": True})
        audit.record(s, desk.actor, "note.add", "client", client_id, after={"note": note.uid})
        return note.id


def decide_kyc_case(desk: Desk, case_id: int, status: KycStatus, notes: str = "") -> None:
    require(desk.actor, Permission.REVIEW_KYC)
    if status is KycStatus.APPROVED:
        # Approval checks the documents and the second signature: app.kyc.review.
        raise ValidationFailed("A KYC case is approved from its review, which checks the "
                               "documents and, for high-risk clients, a second signature.",
                               "status")
    with desk.store.write() as s:
        case = s.get(KycCase, case_id)
        if case is None:
            raise NotFound("This KYC case no longer exists.")
        client = _shared_client(s, case.client_id)
        before = {"status": case.status.value, "notes": case.notes,
                  "decided_by": case.decided_by,
                  "decided_at": None if case.decided_at is None else
                  case.decided_at.replace(tzinfo=None).isoformat(sep=" ")}
        case.status, case.notes = status, notes or case.notes
        decided = status in (KycStatus.APPROVED, KycStatus.REJECTED)
        if decided:
            case.decided_by, case.decided_at = desk.actor.id, datetime.now(UTC)
        if client.external_id is not None:
            put_record(s, desk.actor, "kyc_case", case.uid, case.server_version, {
                "client_id": client.external_id, "status": status.value,
                "enhanced": case.enhanced,
                "decided_by": signer(s, desk.actor) if decided else None,
                "decided_ms": _ms(case.decided_at) if decided else None,
                "next_review": None if case.next_review is None else
                case.next_review.isoformat(), "notes": case.notes},
                revert={"table": "kyc_cases", "id": case.id, "values": before})
        audit.record(s, desk.actor, "kyc_case.decide", "kyc_case", case_id,
                     before={"status": before["status"]}, after={"status": status.value})


def prepare_approval(desk: Desk, kind: str, entity: str, entity_ref: str) -> int:
    require(desk.actor, Permission.VIEW)
    with desk.store.write() as s:
        return prepare_approval_in(s, desk.actor, kind, entity, entity_ref)


def prepare_approval_in(s: Session, actor: Actor, kind: str, entity: str,
                        entity_ref: str) -> int:
    """The first signature, inside the caller's transaction."""
    approval = Approval(uid=str(uuid.uuid4()), kind=kind, entity=entity,
                        entity_ref=entity_ref, prepared_by=actor.id,
                        status=ApprovalStatus.PENDING)
    s.add(approval)
    s.flush()
    put_record(s, actor, "approval", approval.uid, 0, {
        "kind": kind, "entity": entity, "entity_ref": entity_ref,
        "prepared_by": signer(s, actor), "decided_by": None, "decided_ms": None,
        "status": "pending", "reason": ""},
        revert={"table": "approvals", "id": approval.id, "delete": True})
    audit.record(s, actor, "approval.prepare", entity, entity_ref,
                 after={"approval": approval.uid, "kind": kind})
    return approval.id


# Who may give the second signature, by what is being approved. A kind not listed
# here is decided by an administrator only.
APPROVAL_RIGHTS = {"withdrawal": Permission.APPROVE_PAYMENTS,
                   "payout": Permission.APPROVE_PAYOUTS,
                   "kyc_high_risk": Permission.APPROVE_HIGH_RISK}


def decide_approval(desk: Desk, approval_id: int, approve: bool, reason: str = "") -> None:
    with desk.store.write() as s:
        approval = s.get(Approval, approval_id)
        if approval is None:
            raise NotFound("This approval no longer exists.")
        decide_approval_in(s, desk.actor, approval, approve, reason)


def decide_approval_in(s: Session, actor: Actor, approval: Approval, approve: bool,
                       reason: str = "") -> None:
    """The second signature, inside the caller's transaction."""
    require(actor, APPROVAL_RIGHTS.get(approval.kind, Permission.MANAGE_WORKSPACE))
    if approval.prepared_by == actor.id:
        raise ValidationFailed("Whoever prepared this cannot also approve it: a second "
                               "person must decide.", "approval")
    if approval.status is not ApprovalStatus.PENDING:
        raise ValidationFailed(f"This approval is already {approval.status.value}.",
                               "approval")
    from app.models.users import User

    preparer = s.get(User, approval.prepared_by)
    before = {"status": approval.status.value, "decided_by": None, "decided_at": None,
              "reason": approval.reason}
    approval.status = ApprovalStatus.APPROVED if approve else ApprovalStatus.REJECTED
    approval.decided_by, approval.decided_at = actor.id, datetime.now(UTC)
    approval.reason = reason
    put_record(s, actor, "approval", approval.uid, approval.server_version, {
        "kind": approval.kind, "entity": approval.entity,
        "entity_ref": approval.entity_ref,
        "prepared_by": preparer.username if preparer else "",
        "decided_by": signer(s, actor), "decided_ms": _ms(approval.decided_at),
        "status": approval.status.value, "reason": reason},
        revert={"table": "approvals", "id": approval.id, "values": before})
    audit.record(s, actor, "approval.decide", approval.entity, approval.entity_ref,
                 after={"approval": approval.uid, "status": approval.status.value})


# -- the outbox itself ------------------------------------------------------------------------

def retry(desk: Desk, outbox_id: int) -> None:
    """Send a rejected or failed command again as it is (a new attempt, same key)."""
    require(desk.actor, Permission.VIEW)
    with desk.store.write() as s:
        row = s.get(OutboxCommand, outbox_id)
        if row is None:
            raise NotFound("This command is no longer in the outbox.")
        if row.status is not OutboxStatus.PENDING:
            raise ValidationFailed("Only a command still waiting can be retried; a refused "
                                   "one must be made again.", "outbox")
        row.attempts = 0
        row.last_error = ""


def discard(desk: Desk, outbox_id: int, why: str) -> None:
    """Drop a command that has not taken effect; its local change is put back."""
    require(desk.actor, Permission.DISCARD_OUTBOX)
    if not why.strip():
        raise ValidationFailed("Say why the command is discarded (it goes into the audit "
                               "log).", "why")
    with desk.store.write() as s:
        row = s.get(OutboxCommand, outbox_id)
        if row is None:
            raise NotFound("This command is no longer in the outbox.")
        if row.status in (OutboxStatus.DONE, OutboxStatus.DISCARDED, OutboxStatus.IN_FLIGHT):
            raise ValidationFailed(f"A command that is {row.status.value.replace('_', ' ')} "
                                   "cannot be discarded.", "outbox")
        if row.status is not OutboxStatus.REJECTED and row.revert:
            apply_revert(s, row.revert)  # a rejected one was reverted already
        before = row.status.value
        row.status = OutboxStatus.DISCARDED
        audit.record(s, desk.actor, "outbox.discard", "outbox", row.id,
                     before={"status": before, "kind": row.kind, "payload": row.payload},
                     after={"why": why})


REVERTIBLE = {"clients": {"email", "phone", "country", "status", "segment", "risk_rating",
                          "manager_id", "closed_reason"},
              "notes": set(), "approvals": {"status", "decided_by", "decided_at", "reason"},
              "kyc_cases": {"status", "notes", "decided_by", "decided_at", "enhanced",
                            "next_review"},
              "kyc_documents": {"status", "reject_reason", "reviewed_by", "reviewed_at"},
              # A payment request the gateway refused stays, marked rejected, so the
              # clerk sees it and why (the outbox keeps the gateway's words).
              "payment_requests": {"status"},
              # A payout the gateway would not pay goes back to approved, to be sent again.
              "payouts": {"status", "approved_by", "decided_at", "reason"}}


def apply_revert(s: Session, revert: dict[str, Any]) -> None:
    table, rid = str(revert["table"]), int(revert["id"])
    if table not in REVERTIBLE:
        raise ValueError(f"cannot revert {table}")
    if revert.get("delete"):
        s.execute(text(f"DELETE FROM {table} WHERE id = :id"), {"id": rid})
        return
    values = {k: v for k, v in revert["values"].items() if k in REVERTIBLE[table]}
    if values:  # names come from REVERTIBLE, values are bound
        sets = ", ".join(f"{k} = :{k}" for k in values)
        s.execute(text(f"UPDATE {table} SET {sets} WHERE id = :id"), {**values, "id": rid})


def resolve_conflict(desk: Desk, outbox_id: int, *, keep_mine: bool) -> dict[str, Any] | None:
    """A person decides a version conflict. Keeping ours sends it again on top of the
    gateway's version; taking theirs drops our command and puts our local values back.
    Returns the gateway's record when theirs is taken, for the sync layer to apply."""
    require(desk.actor, Permission.VIEW)
    with desk.store.write() as s:
        row = s.get(OutboxCommand, outbox_id)
        if row is None or row.status is not OutboxStatus.CONFLICT or row.conflict is None:
            raise NotFound("This conflict was already resolved.")
        theirs = dict(row.conflict)
        row.status = OutboxStatus.DISCARDED
        if keep_mine:
            payload = dict(row.payload)
            payload["base_version"] = int(theirs["version"])
            again = enqueue(s, desk.actor, row.kind, payload, entity=row.entity,
                            entity_ref=row.entity_ref, revert=row.revert)
            audit.record(s, desk.actor, "outbox.conflict_keep_mine", row.entity,
                         row.entity_ref, before={"theirs": theirs.get("data")},
                         after={"ours": payload.get("data", payload),
                                "device_seq": again.device_seq})
            return None
        if row.revert:
            apply_revert(s, row.revert)
        audit.record(s, desk.actor, "outbox.conflict_take_theirs", row.entity, row.entity_ref,
                     before={"ours": row.payload.get("data", row.payload)},
                     after={"theirs": theirs.get("data")})
        return theirs
