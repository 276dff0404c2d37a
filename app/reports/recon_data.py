"""What the reconciliation report says, read from the reconciliation tables.

The engine that fills recon_runs and recon_exceptions writes each side's records as
JSON it chooses; the report prints them as "field: value" lines, amounts in minor
units (`*_minor`, in the record's `currency`) in the currency's decimal form.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models.crm import Client
from app.models.reconciliation import BreakKind, BreakStatus, ReconException, ReconRun
from app.models.users import User
from app.money import CURRENCIES
from app.reports.document import Period
from app.reports.text import amount

KIND_LABELS: dict[BreakKind, str] = {
    BreakKind.MISSING_ON_PLATFORM: "Missing on the platform",
    BreakKind.MISSING_AT_PROVIDER: "Missing at the provider",
    BreakKind.AMOUNT_MISMATCH: "Amount mismatch",
    BreakKind.DUPLICATE: "Duplicate",
    BreakKind.ORPHAN_PROVIDER: "Provider transaction no payment explains",
    BreakKind.ORPHAN_PLATFORM: "Platform payment no payment explains",
    BreakKind.BALANCE_DRIFT: "Balance drift",
    BreakKind.LEDGER_WAITING: "Deals the ledger cannot post yet",
}
SIDES = (("Ledger", "ledger_side"), ("Platform", "platform_side"), ("Provider", "provider_side"))


@dataclass(frozen=True)
class RunSummary:
    id: int
    started_at: datetime
    finished_at: datetime | None
    trigger: str
    run_by: str
    accounts_checked: int
    payments_checked: int
    lines_checked: int
    breaks_found: int
    breaks_new: int


@dataclass(frozen=True)
class Break:
    id: int
    kind: BreakKind
    summary: str
    client: str
    currency: str
    difference: int  # minor units of `currency`; a plain count when it has none
    status: BreakStatus
    owner: str
    first_seen: datetime
    sides: tuple[tuple[str, tuple[str, ...]], ...]  # ("Ledger", lines), ...
    resolution: str = ""
    resolved_by: str = ""
    resolved_at: datetime | None = None

    @property
    def kind_label(self) -> str:
        return KIND_LABELS.get(self.kind, self.kind.value)

    @property
    def difference_text(self) -> str:
        if self.currency in CURRENCIES:
            return f"{amount(self.difference, self.currency)} {self.currency}"
        return str(self.difference)


@dataclass(frozen=True)
class ReconReport:
    period: Period
    run: RunSummary | None
    open_breaks: tuple[Break, ...]
    resolved: tuple[Break, ...]

    @property
    def open_by_kind(self) -> list[tuple[str, list[Break]]]:
        groups: dict[BreakKind, list[Break]] = {}
        for b in self.open_breaks:
            groups.setdefault(b.kind, []).append(b)
        order = list(BreakKind)
        return [(KIND_LABELS.get(k, k.value), groups[k])
                for k in sorted(groups, key=order.index)]


def side_lines(side: Mapping[str, Any] | None, currency: str) -> tuple[str, ...]:
    """A side's record as "field: value" lines; an absent record says so."""
    if side is None:
        return ("no record",)
    currency = str(side.get("currency") or currency)
    lines = []
    labelled = currency in CURRENCIES and any(k.endswith("_minor") for k in side)
    for key, value in side.items():
        if f"{key}_minor" in side or (key == "currency" and labelled):
            continue  # the minor-unit twin prints it, with its currency
        if key.endswith("_minor") and isinstance(value, int) and currency in CURRENCIES:
            lines.append(f"{key.removesuffix('_minor')}: {amount(value, currency)} {currency}")
        elif isinstance(value, dict | list):
            lines.append(f"{key}: {json.dumps(value, ensure_ascii=False, sort_keys=True)}")
        else:
            lines.append(f"{key}: {'—' if value is None else value}")
    return tuple(lines) or ("(empty record)",)


def _break(e: ReconException, names: Mapping[int, str], clients: Mapping[int, str]) -> Break:
    return Break(
        e.id, e.kind, e.summary, clients.get(e.client_id, "") if e.client_id else "",
        e.currency, e.difference_minor, e.status,
        names.get(e.owner_id, "") if e.owner_id else "", e.created_at,
        tuple((label, side_lines(getattr(e, attr), e.currency)) for label, attr in SIDES),
        e.resolution, names.get(e.resolved_by, "") if e.resolved_by else "", e.resolved_at)


def read_reconciliation(session: Session, period: Period) -> ReconReport:
    """The latest run, the breaks still open, and those resolved within the period."""
    names = {i: name for i, name in session.execute(select(User.id, User.full_name))}
    run = session.scalars(select(ReconRun).order_by(ReconRun.started_at.desc(),
                                                    ReconRun.id.desc()).limit(1)).first()
    summary = None if run is None else RunSummary(
        run.id, run.started_at, run.finished_at, run.trigger,
        names.get(run.run_by, "") if run.run_by else "automatic", run.accounts_checked,
        run.payments_checked, run.lines_checked, run.breaks_found, run.breaks_new)
    # A break a later run no longer found (cleared_run_id) is not open any more.
    still_open = session.scalars(
        select(ReconException)
        .where(ReconException.status != BreakStatus.RESOLVED,
               ReconException.cleared_run_id.is_(None))
        .order_by(ReconException.kind, ReconException.id)).all()
    start = datetime.combine(period.date_from, time(), UTC)
    end = datetime.combine(period.date_to + timedelta(days=1), time(), UTC)
    resolved = session.scalars(
        select(ReconException)
        .where(ReconException.status == BreakStatus.RESOLVED,
               ReconException.resolved_at >= start, ReconException.resolved_at < end)
        .order_by(ReconException.resolved_at, ReconException.id)).all()
    wanted = {e.client_id for e in (*still_open, *resolved) if e.client_id}
    clients = {i: name for i, name in session.execute(
        select(Client.id, Client.display_name).where(Client.id.in_(wanted)))}
    return ReconReport(period, summary,
                       tuple(_break(e, names, clients) for e in still_open),
                       tuple(_break(e, names, clients) for e in resolved))
