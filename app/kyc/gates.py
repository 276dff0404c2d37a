"""Gates: may money leave for this client, may it get a new live trading account?
The outbox asks before queuing a withdrawal or an account; the desktop asks to grey out
buttons. Each refusal names its reason in words a clerk can pass on."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.errors import NotFound, ValidationFailed
from app.kyc.requirements import DOC_TYPES, DocumentFacts, Requirement, requirement_of
from app.models.crm import Client, ClientStatus
from app.models.kyc import DocumentStatus, KycCase, KycDocument
from app.roles import Permission, require
from app.services.workspace import Desk

# Dormant clients passed KYC; their money must still be able to go home.
MAY_WITHDRAW = (ClientStatus.VERIFIED, ClientStatus.ACTIVE, ClientStatus.DORMANT)
MAY_OPEN_LIVE = (ClientStatus.VERIFIED, ClientStatus.ACTIVE)


class Blocked(ValidationFailed):
    """KYC does not allow this for this client (yet)."""


@dataclass(frozen=True)
class Gate:
    allowed: bool
    reasons: tuple[str, ...]

    @property
    def message(self) -> str:
        return " ".join(self.reasons)


def _status_label(status: ClientStatus) -> str:
    return {ClientStatus.KYC_PENDING: "waiting for KYC"}.get(status, status.value)


def expired_identity(s: Session, client_id: int, today: date) -> DocumentFacts | None:
    """The identity document that lapsed, when no current approved one replaced it."""
    rows = s.execute(select(KycDocument.id, KycDocument.requirement, KycDocument.doc_type,
                            KycDocument.status, KycDocument.expiry_date)
                     .join(KycCase, KycCase.id == KycDocument.case_id)
                     .where(KycCase.client_id == client_id,
                            KycDocument.status.in_((DocumentStatus.APPROVED,
                                                    DocumentStatus.EXPIRED)))).all()
    identity = [DocumentFacts(*row) for row in rows
                if requirement_of(row[1], row[2]) is Requirement.IDENTITY]
    if any(d.status is DocumentStatus.APPROVED and not d.expired(today) for d in identity):
        return None
    lapsed = [d for d in identity if d.expired(today)]
    return max(lapsed, key=lambda d: d.expiry_date or date.min) if lapsed else None


def _common(s: Session, client: Client, today: date, allowed: tuple[ClientStatus, ...],
            what: str) -> list[str]:
    reasons = []
    if client.status not in allowed:
        reasons.append(f"{client.display_name} is {_status_label(client.status)}: {what} "
                       "only once KYC has verified the client.")
    if client.frozen:
        why = f" ({client.frozen_reason})" if client.frozen_reason else ""
        reasons.append(f"{client.display_name} is frozen by compliance{why}; "
                       "nothing can proceed until compliance lifts the freeze.")
    lapsed = expired_identity(s, client.id, today)
    if lapsed is not None:
        label = DOC_TYPES[lapsed.doc_type].label if lapsed.doc_type in DOC_TYPES \
            else "identity document"
        when = f" on {lapsed.expiry_date:%d %b %Y}" if lapsed.expiry_date else ""
        reasons.append(f"{client.display_name}'s {label} expired{when}; {what} once a "
                       "current identity document is approved.")
    return reasons


def withdrawal_gate(s: Session, client_id: int | None, today: date | None = None) -> Gate:
    if client_id is None:
        return Gate(False, ("This trading account belongs to no client on this desk, so "
                            "KYC cannot clear a withdrawal from it.",))
    client = s.get(Client, client_id)
    if client is None:
        raise NotFound("This client no longer exists.")
    reasons = _common(s, client, today or date.today(), MAY_WITHDRAW, "money can be paid out")
    return Gate(not reasons, tuple(reasons))


def is_practice_group(group: str) -> bool:
    """Demo (practice) groups carry no money and need no KYC: `demo\\...`, `demo-...`."""
    first = group.strip().lower().replace("\\", "/").replace("-", "/").replace("_", "/")
    return first.split("/", 1)[0] == "demo"


def live_account_gate(s: Session, client_id: int, today: date | None = None) -> Gate:
    client = s.get(Client, client_id)
    if client is None:
        raise NotFound("This client no longer exists.")
    reasons = _common(s, client, today or date.today(), MAY_OPEN_LIVE,
                      "a live account can be opened")
    return Gate(not reasons, tuple(reasons))


def check_withdrawal(s: Session, client_id: int | None) -> None:
    gate = withdrawal_gate(s, client_id)
    if not gate.allowed:
        raise Blocked(f"Withdrawal refused. {gate.message}", "client")


def check_open_account(s: Session, client_id: int, group: str) -> None:
    if is_practice_group(group):
        return
    gate = live_account_gate(s, client_id)
    if not gate.allowed:
        raise Blocked(f"Live account refused. {gate.message}", "client")


def may_withdraw(desk: Desk, client_id: int) -> Gate:
    require(desk.actor, Permission.VIEW)
    with desk.store.read() as s:
        return withdrawal_gate(s, client_id)


def may_open_live_account(desk: Desk, client_id: int) -> Gate:
    require(desk.actor, Permission.VIEW)
    with desk.store.read() as s:
        return live_account_gate(s, client_id)
