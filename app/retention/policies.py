"""The record kinds a purge may remove, how long each is kept, and what is never purged.

Regulated records (client data, KYC, notes, screening, alerts and cases,
reconciliation) are kept at least five years after the relationship ends: the
anti-money-laundering record-keeping minimum. A period below a kind's floor is
refused. The defaults are that minimum: personal data is kept no longer than the
law asks (data minimisation); a broker whose regulator asks for longer (some ask
for seven years) raises the period.

Sync housekeeping (errors the sync met, commands the gateway has answered) is a
transport log, not a record of the business: what was done is in the records
themselves and in the audit log, which are kept. It has a floor of one year, enough
to look into a sync problem after the fact.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.errors import ValidationFailed
from app.models.retention import RetentionPolicy

LEGAL_MINIMUM_YEARS = 5
MAX_YEARS = 50  # a typo guard: a year number typed as a period


class Clock(enum.StrEnum):
    """From when a kind's period runs."""

    CLIENT = "client"  # the end of the client's relationship (closed clients only)
    OWN = "own"  # the record's own end: resolved, imported, sent, recorded


@dataclass(frozen=True)
class RecordKind:
    key: str
    label: str
    covers: str
    default_years: int
    floor_years: int
    clock: Clock
    housekeeping: bool = False


KINDS: tuple[RecordKind, ...] = (
    RecordKind(
        "client_personal_data", "Client personal data",
        "Names, email, phone, date of birth, occupation, source of funds and income, "
        "contacts, tags, devices and search terms of closed clients. The client row stays "
        "as \"Erased client #id\": the ledger, deals and payments point at it.",
        LEGAL_MINIMUM_YEARS, LEGAL_MINIMUM_YEARS, Clock.CLIENT),
    RecordKind(
        "kyc_records", "KYC records",
        "KYC cases, identity checks and documents with their encrypted scans.",
        LEGAL_MINIMUM_YEARS, LEGAL_MINIMUM_YEARS, Clock.CLIENT),
    RecordKind(
        "notes_tasks", "Notes and tasks",
        "Notes and tasks about a client.",
        LEGAL_MINIMUM_YEARS, LEGAL_MINIMUM_YEARS, Clock.CLIENT),
    RecordKind(
        "screening_hits", "Screening hits",
        "Sanctions and PEP screening hits of a client and their reviews.",
        LEGAL_MINIMUM_YEARS, LEGAL_MINIMUM_YEARS, Clock.CLIENT),
    RecordKind(
        "alerts_cases", "Closed alerts and cases",
        "Closed monitoring alerts and closed compliance cases with their notes and "
        "attached files. About a client: from the relationship's end; about no client: "
        "from the closing.",
        LEGAL_MINIMUM_YEARS, LEGAL_MINIMUM_YEARS, Clock.CLIENT),
    RecordKind(
        "reconciliation", "Reconciliation records",
        "Resolved reconciliation breaks (from their resolution; one about a client also "
        "waits for the relationship's end) and imported provider statements with their "
        "lines (from the import).",
        LEGAL_MINIMUM_YEARS, LEGAL_MINIMUM_YEARS, Clock.OWN),
    RecordKind(
        "sync_errors", "Sync errors",
        "Records the sync could not take, and why (housekeeping).",
        2, 1, Clock.OWN, housekeeping=True),
    RecordKind(
        "delivered_commands", "Answered gateway commands",
        "Commands the gateway has done, rejected or that were discarded (housekeeping). "
        "Commands waiting or in conflict, commands about commission payouts and the "
        "newest command (the device sequence goes on from it) are kept.",
        2, 1, Clock.OWN, housekeeping=True),
)
BY_KEY = {k.key: k for k in KINDS}

# What no purge removes, and why: shown with the policies.
NEVER_PURGED: tuple[tuple[str, str], ...] = (
    ("The ledger: accounts, journal entries and postings",
     "Every balance is the sum of its postings; removing any would unbalance the books."),
    ("The audit log",
     "Hash-chained: removing an entry breaks 'audit verify'. Each purge adds entries "
     "saying what it removed, by id."),
    ("Deals, positions and trading accounts",
     "Financial records mirrored from the platform; the ledger points at them."),
    ("Payments and their status history",
     "Financial records; the ledger and reconciliation point at them."),
    ("Client rows",
     "Kept, erased to \"Erased client #id\", because the ledger, deals and payments name "
     "the client by id."),
    ("Partners, commission plans, accruals and payouts",
     "Commission history and the payouts the ledger booked."),
    ("Four-eyes approvals",
     "The record of who prepared and who decided money and high-risk decisions."),
    ("What each purge removed",
     "Ids and counts only, never names or content, so the purge can be accounted for."),
)


# How the tables a purge touches are named to people: (one, many).
TABLE_WORDS: dict[str, tuple[str, str]] = {
    "clients": ("client erased", "clients erased"),
    "client_contacts": ("contact", "contacts"),
    "kyc_cases": ("KYC case", "KYC cases"),
    "kyc_documents": ("document", "documents"),
    "kyc_checks": ("check", "checks"),
    "notes": ("note", "notes"),
    "tasks": ("task", "tasks"),
    "screening_hits": ("hit", "hits"),
    "alerts": ("alert", "alerts"),
    "compliance_cases": ("case", "cases"),
    "case_notes": ("case note", "case notes"),
    "case_attachments": ("attached file", "attached files"),
    "recon_exceptions": ("break", "breaks"),
    "provider_statements": ("statement", "statements"),
    "sync_errors": ("error", "errors"),
    "outbox": ("command", "commands"),
}


def counted(rows: dict[str, int]) -> str:
    """{"kyc_documents": 2, "kyc_cases": 1} -> "2 documents, 1 KYC case"."""
    parts = []
    for table, n in rows.items():
        if n:
            one, many = TABLE_WORDS.get(table, (table, table))
            parts.append(f"{n:,} {one if n == 1 else many}")
    return ", ".join(parts)


@dataclass(frozen=True)
class Policy:
    kind: RecordKind
    years: int
    is_default: bool
    updated_at: datetime | None


def kind(key: str) -> RecordKind:
    found = BY_KEY.get(key)
    if found is None:
        raise ValidationFailed(f"There is no record kind {key!r}; the kinds are "
                               f"{', '.join(BY_KEY)}.", "kind")
    return found


def read_policies(s: Session) -> list[Policy]:
    rows = {r.kind: r for r in s.scalars(select(RetentionPolicy))}
    out = []
    for k in KINDS:
        row = rows.get(k.key)
        out.append(Policy(k, k.default_years, True, None) if row is None
                   else Policy(k, row.years, False, row.updated_at))
    return out


def check_years(k: RecordKind, years: int) -> None:
    if years < k.floor_years:
        if k.housekeeping:
            why = (f"{k.label} are kept at least {k.floor_years} year"
                   f"{'s' if k.floor_years > 1 else ''}, to look into sync problems after "
                   "the fact")
        else:
            why = (f"{k.label} must be kept at least {k.floor_years} years after the "
                   "relationship ends (the legal minimum)")
        raise ValidationFailed(f"{why}; {years} year{'s' if years != 1 else ''} is too "
                               "short.", "years")
    if years > MAX_YEARS:
        raise ValidationFailed(f"A retention period is at most {MAX_YEARS} years; {years} "
                               "looks like a typing mistake.", "years")


def store_policy(s: Session, k: RecordKind, years: int, actor_id: int | None) -> int:
    """Write the period inside the caller's transaction; returns the one it replaces."""
    row = s.get(RetentionPolicy, k.key)
    before = k.default_years if row is None else row.years
    if row is None:
        s.add(RetentionPolicy(kind=k.key, years=years, updated_by=actor_id,
                              updated_at=datetime.now(UTC)))
    else:
        row.years, row.updated_by, row.updated_at = years, actor_id, datetime.now(UTC)
    return before


def years_before(day: date, years: int) -> date:
    """The same calendar day `years` earlier (29 February becomes the 28th)."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)
