"""What an audit-trail extract says: the audit entries of a period, or those about one
client and the records that belong to it, and whether the hash chain held when the
extract was made.

The extract prints each entry as the log holds it, adding nothing from the records it
refers to; only the extract's own heading names the client. Its own audit entry (a
saved or previewed extract) holds the client's number, never their name.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.orm import Session

from app.audit import VerifyResult, verify
from app.errors import NotFound, ValidationFailed
from app.models.audit import AuditEntry
from app.models.compliance import Alert, ComplianceCase
from app.models.crm import Client
from app.models.kyc import KycCase, KycDocument, ScreeningHit
from app.models.payments import PaymentRequest
from app.models.reconciliation import ReconException
from app.models.trading import TradingAccount
from app.models.users import User
from app.reports.compliance_data import bounds
from app.reports.document import Period

HASH_PREFIX = 12
VALUE_CHARS = 80  # one value in the change column
CHANGE_CHARS = 400  # the whole change column of one entry
_CHUNK = 500  # ids per IN list: well under SQLite's bound-parameter limit

# The entity names services write for records that belong to a client (see the calls
# of app.audit.record), with the label the extract's heading counts them by.
RELATED = (("kyc_case", "KYC case"), ("kyc_document", "KYC document"),
           ("payment", "payment"), ("account", "trading account"), ("alert", "alert"),
           ("compliance_case", "compliance case"), ("screening_hit", "screening hit"),
           ("recon_exception", "reconciliation break"))


@dataclass(frozen=True)
class AuditLine:
    id: int
    at: datetime
    who: str
    action: str
    entity: str
    entity_id: str
    change: str
    hash_prefix: str


@dataclass(frozen=True)
class AuditExtract:
    period: Period
    chain: VerifyResult  # the whole log, verified as the extract was read
    lines: tuple[AuditLine, ...]
    client_id: int | None = None
    client_name: str = ""
    # What "its records" meant for this client: ("KYC case", 2), ("payment", 5), ...
    related: tuple[tuple[str, int], ...] = ()

    @property
    def broken_id(self) -> int | None:
        return None if self.chain.ok else self.chain.entry_id


def _short(value: Any) -> str:
    if value is None:
        text = "—"
    elif value == "":
        text = "(empty)"
    elif isinstance(value, dict | list):
        text = json.dumps(value, ensure_ascii=False, sort_keys=True)
    else:
        text = str(value)
    return text if len(text) <= VALUE_CHARS else text[:VALUE_CHARS - 1] + "…"


def change_summary(before: Mapping[str, Any] | None, after: Mapping[str, Any] | None) -> str:
    """`key: old → new` for what changed, `key: value` for what was only recorded; one
    line each (a line that fits its column also costs far less to lay out)."""
    before, after = before or {}, after or {}
    parts = []
    for key in dict.fromkeys([*before, *after]):
        if key in before and key in after:
            if before[key] != after[key]:
                parts.append(f"{key}: {_short(before[key])} → {_short(after[key])}")
        elif key in after:
            if after[key] not in ("", None):  # a field recorded empty says nothing
                parts.append(f"{key}: {_short(after[key])}")
        else:
            parts.append(f"{key}: {_short(before[key])} → (removed)")
    text = "\n".join(parts) or "—"
    return text if len(text) <= CHANGE_CHARS else text[:CHANGE_CHARS - 1] + "…"


def _refs(s: Session, client_id: int) -> tuple[dict[str, set[str]], dict[str, int]]:
    """entity → the entity ids the audit log may hold for this client's records, and
    how many records of each entity the client has."""
    cases = [i for (i,) in s.execute(select(KycCase.id).where(KycCase.client_id == client_id))]
    payments = s.execute(select(PaymentRequest.id, PaymentRequest.external_id)
                         .where(PaymentRequest.client_id == client_id)).all()
    alerts = s.execute(select(Alert.id, Alert.uid).where(Alert.client_id == client_id)).all()
    comp = s.execute(select(ComplianceCase.id, ComplianceCase.uid)
                     .where(ComplianceCase.client_id == client_id)).all()
    refs: dict[str, set[str]] = {
        "client": {str(client_id)},
        "kyc_case": {str(i) for i in cases},
        "kyc_document": {str(i) for (i,) in s.execute(
            select(KycDocument.id).where(KycDocument.case_id.in_(cases)))},
        # Payments are audited by id, and their approvals by the gateway's id.
        "payment": {str(v) for row in payments for v in row if v is not None},
        "account": {str(x) for (x,) in s.execute(
            select(TradingAccount.login).where(TradingAccount.client_id == client_id))},
        "alert": {str(v) for row in alerts for v in row},
        "compliance_case": {str(v) for row in comp for v in row},
        "screening_hit": {str(i) for (i,) in s.execute(
            select(ScreeningHit.id).where(ScreeningHit.client_id == client_id))},
        "recon_exception": {str(i) for (i,) in s.execute(
            select(ReconException.id).where(ReconException.client_id == client_id))},
    }
    counts = {k: len(v) for k, v in refs.items()}
    counts.update(payment=len(payments), alert=len(alerts), compliance_case=len(comp))
    return refs, counts


def _about(refs: Mapping[str, Iterable[str]]) -> ColumnElement[bool]:
    conds = []
    for entity, ids in refs.items():
        ordered = sorted(ids)
        for n in range(0, len(ordered), _CHUNK):
            conds.append(and_(AuditEntry.entity == entity,
                              AuditEntry.entity_id.in_(ordered[n:n + _CHUNK])))
    return or_(*conds)


def _line(e: AuditEntry, names: Mapping[int, str]) -> AuditLine:
    full = names.get(e.actor_id or 0)
    who = f"{full}\n({e.actor_name})" if full else e.actor_name
    return AuditLine(e.id, e.at, who, e.action, e.entity, e.entity_id,
                     change_summary(e.before, e.after), e.hash[:HASH_PREFIX])


def read_audit(s: Session, period: Period | None, client_id: int | None = None,
               today: datetime | None = None) -> AuditExtract:
    """The entries of `period` (all of a client's when no period is given), oldest first."""
    if period is None and client_id is None:
        raise ValidationFailed("Choose a period, a client, or both for the audit-trail "
                               "extract.", "period")
    chain = verify(s)
    names = {i: n for i, n in s.execute(select(User.id, User.full_name))}
    where: list[ColumnElement[bool]] = []
    client_name = ""
    related: tuple[tuple[str, int], ...] = ()
    if client_id is not None:
        client = s.get(Client, client_id)
        if client is None:
            raise NotFound(f"There is no client #{client_id}.")
        client_name = client.display_name
        refs, counts = _refs(s, client_id)
        related = tuple((label, counts[entity]) for entity, label in RELATED if counts[entity])
        where.append(_about(refs))
        if period is None:
            first = s.scalar(select(func.min(AuditEntry.at)).where(*where))
            start = min(x for x in (first, client.created_at) if x is not None)
            period = Period(start.astimezone(UTC).date(),
                            (today or datetime.now(UTC)).astimezone(UTC).date())
    assert period is not None
    start, end = bounds(period)
    where += [AuditEntry.at >= start, AuditEntry.at < end]
    rows = s.scalars(select(AuditEntry).where(*where).order_by(AuditEntry.id))
    lines = tuple(_line(e, names) for e in rows.yield_per(5000))
    return AuditExtract(period, chain, lines, client_id, client_name, related)
