"""The client lifecycle: lead → registered → KYC pending → verified → active → dormant
→ closed, which steps are allowed and what each needs.

- verified (and active) only with an approved KYC case, and never while frozen;
- closed only with zero balance on every trading account, or with a recorded reason;
- a closed client is reopened as registered (and verified again).
Dormancy follows activity: see app.crm.dormancy.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from app import audit
from app.errors import NotFound, StaleRecord, ValidationFailed
from app.models.crm import Client, ClientStatus
from app.models.kyc import KycCase, KycStatus
from app.models.trading import AccountState, TradingAccount
from app.money import format_money
from app.roles import Actor, Permission, require
from app.services.outbox import queue_client_changes
from app.services.workspace import Desk

S = ClientStatus
NEXT: dict[ClientStatus, tuple[ClientStatus, ...]] = {
    S.LEAD: (S.REGISTERED, S.CLOSED),
    S.REGISTERED: (S.KYC_PENDING, S.CLOSED),
    S.KYC_PENDING: (S.VERIFIED, S.REGISTERED, S.CLOSED),
    S.VERIFIED: (S.ACTIVE, S.DORMANT, S.KYC_PENDING, S.CLOSED),
    S.ACTIVE: (S.DORMANT, S.KYC_PENDING, S.CLOSED),
    S.DORMANT: (S.ACTIVE, S.KYC_PENDING, S.CLOSED),
    S.CLOSED: (S.REGISTERED,),
}
# Where a new record may start; the later steps need the checks above.
START = (S.LEAD, S.REGISTERED)
_NEEDS_KYC = (S.VERIFIED, S.ACTIVE)


def label(status: ClientStatus) -> str:
    return "KYC pending" if status is S.KYC_PENDING else status.value


def _kyc_approved(s: Session, client_id: int) -> bool:
    return s.scalar(select(KycCase.id).where(KycCase.client_id == client_id,
                                             KycCase.status == KycStatus.APPROVED)
                    .limit(1)) is not None


def _money_left(s: Session, client_id: int) -> list[str]:
    rows = s.execute(
        select(TradingAccount.login, TradingAccount.currency, AccountState.balance_minor)
        .join(AccountState, AccountState.account_id == TradingAccount.id)
        .where(TradingAccount.client_id == client_id, AccountState.balance_minor != 0)
        .order_by(TradingAccount.login))
    return [f"{login}: {format_money(balance, currency)}" for login, currency, balance in rows]


def refusal(s: Session, client: Client, new: ClientStatus, reason: str = "") -> str | None:
    """Why `client` cannot move to `new` now, in a clerk's words; None when it can."""
    old = client.status
    name = client.display_name
    if new is old:
        return None
    if new not in NEXT[old]:
        steps = ", ".join(label(n) for n in NEXT[old])
        return (f"{name} is {label(old)} and cannot become {label(new)} directly. "
                f"From {label(old)} the next steps are: {steps}.")
    if new in _NEEDS_KYC:
        if client.frozen:
            why = client.frozen_reason or "no reason recorded"
            return (f"{name} is frozen by compliance ({why}); the freeze must be lifted "
                    f"before they can be {label(new)}.")
        if not _kyc_approved(s, client.id):
            return (f"{name} cannot be {label(new)}: there is no approved KYC case. A "
                    "compliance officer approves the client's KYC case first.")
    if new is S.CLOSED and not reason.strip():
        left = _money_left(s, client.id)
        if left:
            return (f"{name} still has money on {len(left)} trading account"
                    f"{'s' if len(left) > 1 else ''} ({'; '.join(left)}). Bring the balances "
                    "to zero first, or close the client with a recorded reason.")
    return None


def check_transition(s: Session, client: Client, new: ClientStatus, reason: str = "") -> None:
    why = refusal(s, client, new, reason)
    if why is not None:
        raise ValidationFailed(why, "status")


def apply_status(s: Session, actor: Actor, client: Client, new: ClientStatus,
                 reason: str = "", *, action: str = "client.status") -> None:
    """Move a client (checked first) inside the caller's transaction: audit entry and,
    for a platform client, the profile for the gateway."""
    check_transition(s, client, new, reason)
    old_status, old_reason = client.status, client.closed_reason
    client.status = new
    if new is S.CLOSED:
        client.closed_reason = reason.strip()[:500]
        if old_status is not S.CLOSED:
            client.closed_at = datetime.now(UTC)  # retention runs from here
    elif old_status is S.CLOSED:
        client.closed_reason = ""
        client.closed_at = None
    client.version += 1
    before: dict[str, object] = {"status": old_status}
    if client.closed_reason != old_reason:
        before["closed_reason"] = old_reason
    queue_client_changes(s, actor, client, before)
    audit.record(s, actor, action, "client", client.id,
                 before={k: getattr(v, "value", v) for k, v in before.items()},
                 after={"status": new.value, "reason": reason.strip()})


def change_status(desk: Desk, client_id: int, new: ClientStatus, *, reason: str = "",
                  expected_version: int | None = None) -> int:
    """A person moves a client along the lifecycle; returns the client's new version.
    `reason` is kept with the audit entry, and as the closing reason when closing."""
    require(desk.actor, Permission.EDIT_CLIENTS)
    with desk.store.write() as s:
        client = s.get(Client, client_id)
        if client is None:
            raise NotFound("This client no longer exists.")
        if expected_version is not None and client.version != expected_version:
            raise StaleRecord(f"{client.display_name} was changed by someone else; reopen "
                              "the client to see the latest version.")
        if new is client.status:
            return client.version
        apply_status(s, desk.actor, client, new, reason)
        return client.version


@dataclass(frozen=True)
class StatusOption:
    status: ClientStatus
    allowed: bool
    why_not: str  # empty when allowed
    needs_reason: bool = False  # closing with money left: the reason is required


def status_options(desk: Desk, client_id: int) -> list[StatusOption]:
    """The next steps for a client, each with why it is not possible now (for menus)."""
    require(desk.actor, Permission.VIEW)
    with desk.store.read() as s:
        client = s.get(Client, client_id)
        if client is None:
            raise NotFound("This client no longer exists.")
        out = []
        for new in NEXT[client.status]:
            needs_reason = new is S.CLOSED and bool(_money_left(s, client.id))
            # With a reason, closing is always possible: check it as if one were given.
            why = refusal(s, client, new, "reason" if needs_reason else "")
            out.append(StatusOption(new, why is None, why or "", needs_reason))
        return out
