"""The report library: every PDF report Backdesk makes, by name, with what it asks for.

Each kind reads its data (permission-checked by the service that reads it) and draws
it under the common header; `preview` lays it out into memory (bytes for the viewer,
never a temporary file), `write` into the file the person chose. Both are audited:
a saved report as `report.<kind>` with the file name, a preview as `report.preview`,
each with references and counts only, never a client's name or money.

A new kind is one entry in KINDS: a name, a title, the parameters it asks for, the
audit action of a saved copy, and a function from the parameters to a `Prepared`.

reportlab and the report modules are imported where a report is made, not here: the
command line reads KINDS to build its parser at every start of the program.
"""

from __future__ import annotations

import calendar
import io
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import select

from app import audit
from app.crm.search_index import search_condition
from app.errors import NotFound, ValidationFailed
from app.models.audit import AuditEntry
from app.models.crm import Client
from app.models.partners import CommissionRun, Partner
from app.models.users import User
from app.roles import Permission, require
from app.services.workspace import Desk

if TYPE_CHECKING:
    from reportlab.platypus import Flowable

    from app.reports.document import Period

PREVIEW_ACTION = "report.preview"
PERIOD_FORMS = ("a month (2026-10), a quarter (2026-Q3), a year (2026), a day (2026-10-05) "
                "or a first and last day (2026-10-01..2026-10-31)")
_MONTH = re.compile(r"(\d{4})-(\d{1,2})")
_QUARTER = re.compile(r"(\d{4})-[Qq]([1-4])")
_YEAR = re.compile(r"\d{4}")


def period_of(first: date, last: date) -> Period:
    """Period(first, last), without loading reportlab along with the class."""
    from app.reports.document import Period

    return Period(first, last)


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValidationFailed(f"{text!r} is not a date as YYYY-MM-DD; a period is "
                               f"{PERIOD_FORMS}.", "period") from None


def parse_period(text: str) -> Period:
    """A period as people write it: `2026-10`, `2026-Q3`, `2026`, `2026-10-05` or
    `2026-10-01..2026-10-31` (whole UTC days, both ends included)."""
    text = text.strip()
    if ".." in text:
        first, _, last = text.partition("..")
        return period_of(_day(first.strip()), _day(last.strip()))
    if _YEAR.fullmatch(text):
        return period_of(date(int(text), 1, 1), date(int(text), 12, 31))
    if m := _QUARTER.fullmatch(text):
        year, quarter = int(m[1]), int(m[2])
        last_month = quarter * 3
        return period_of(date(year, last_month - 2, 1),
                       date(year, last_month, calendar.monthrange(year, last_month)[1]))
    if m := _MONTH.fullmatch(text):
        year, month = int(m[1]), int(m[2])
        if not 1 <= month <= 12:
            raise ValidationFailed(f"{text!r}: there is no month {month}; a period is "
                                   f"{PERIOD_FORMS}.", "period")
        return period_of(date(year, month, 1),
                       date(year, month, calendar.monthrange(year, month)[1]))
    if re.fullmatch(r"\d{4}-\d{1,2}-\d{1,2}", text):
        day = _day(text)
        return period_of(day, day)
    raise ValidationFailed(f"{text!r} is not a period: give {PERIOD_FORMS}.", "period")


class Param(StrEnum):
    CLIENT = "client"
    PARTNER = "partner"
    RUN = "run"
    PERIOD = "period"


@dataclass(frozen=True)
class ReportParams:
    period: Period | None = None
    client_id: int | None = None
    partner: str | None = None  # the partner's referral code
    run: str | None = None  # a commission run's uid, or its first characters


@dataclass(frozen=True)
class Prepared:
    """A report read and ready to lay out, and what its audit entry refers to."""

    period: Period
    story: list[Flowable]
    entity: str
    entity_id: object
    details: dict[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class ReportKind:
    name: str
    title: str
    params: tuple[Param, ...]  # what the report asks for, in the order forms show them
    optional: frozenset[Param]  # of those, what it can do without
    action: str  # the audit action of a saved copy
    prepare: Callable[[Desk, ReportParams], Prepared]
    help: str
    # A report whose own service writes (and audits) the saved copy.
    writer: Callable[[Desk, ReportParams, Path], int] | None = None

    def preview(self, desk: Desk, params: ReportParams) -> bytes:
        """The report as PDF bytes held in memory, audited as a preview."""
        from app.reports.document import build_pdf
        from app.services.reports import _header

        require(desk.actor, Permission.RUN_REPORTS)
        ready = self.prepare(desk, params)
        out = io.BytesIO()
        pages = build_pdf(out, _header(desk, self.title, ready.period), ready.story)
        with desk.store.write() as s:
            audit.record(s, desk.actor, PREVIEW_ACTION, ready.entity, ready.entity_id,
                         after={"report": self.name, "period": ready.period.label,
                                "pages": pages, **ready.details})
        return out.getvalue()

    def write(self, desk: Desk, params: ReportParams, path: Path) -> int:
        """Write the report to `path`; returns its page count."""
        from app.reports.document import build_pdf
        from app.services.reports import _audited, _check_target, _header

        require(desk.actor, Permission.RUN_REPORTS)
        if self.writer is not None:
            return self.writer(desk, params, path)
        ready = self.prepare(desk, params)
        _check_target(path)
        pages = build_pdf(path, _header(desk, self.title, ready.period), ready.story)
        _audited(desk, path, self.action, ready.entity, ready.entity_id,
                 {"period": ready.period.label, "pages": pages, **ready.details})
        return pages


def _need_period(params: ReportParams, what: str) -> Period:
    if params.period is None:
        raise ValidationFailed(f"Choose the period of the {what}.", "period")
    return params.period


def _statement(desk: Desk, p: ReportParams) -> Prepared:
    from app.reports.document import styles
    from app.reports.statement_pdf import statement_story
    from app.services import reports

    if p.client_id is None:
        raise ValidationFailed("Choose the client whose statement this is.", "client")
    period = _need_period(p, "statement")
    data = reports.client_statement(desk, p.client_id, period.date_from, period.date_to)
    return Prepared(data.period, statement_story(data, styles()), "client", p.client_id)


def _reconciliation(desk: Desk, p: ReportParams) -> Prepared:
    from app.reports.document import styles
    from app.reports.recon_pdf import recon_story
    from app.services import reports

    period = p.period or reports.default_period(None, None)
    data = reports.reconciliation(desk, period.date_from, period.date_to)
    return Prepared(data.period, recon_story(data, styles()), "recon_run",
                    data.run.id if data.run else None, {"open_breaks": len(data.open_breaks)})


def _commission(desk: Desk, p: ReportParams) -> Prepared:
    from app.reports.commission_pdf import commission_story
    from app.reports.document import styles
    from app.services import reports

    if not p.partner:
        raise ValidationFailed("Choose the partner (by referral code).", "partner")
    period = _need_period(p, "commission statement")
    partner = reports.partner_by_code(desk, p.partner)
    data = reports.commission_statement(desk, partner, period.date_from, period.date_to)
    return Prepared(data.period, commission_story(data, styles()), "partner", partner)


def _payouts(desk: Desk, p: ReportParams) -> Prepared:
    from app.reports.document import styles
    from app.reports.payout_summary_pdf import payout_story
    from app.services import reports

    period = p.period
    data = reports.payout_summary(desk, p.run, period.date_from if period else None,
                                  period.date_to if period else None)
    return Prepared(data.period, payout_story(data, styles()), "commission_run",
                    data.run.id if data.run else None, {"payouts": len(data.lines)})


def _compliance(desk: Desk, p: ReportParams) -> Prepared:
    from app.reports.compliance_pdf import compliance_story
    from app.reports.document import styles
    from app.services import reports

    data = reports.compliance_report(desk, _need_period(p, "compliance report"))
    return Prepared(data.period, compliance_story(data, styles()), "workspace", "compliance",
                    {"decisions": len(data.decisions), "hits": len(data.hits),
                     "alerts": sum(g.raised for g in data.alerts), "cases": len(data.cases)})


def _audit(desk: Desk, p: ReportParams) -> Prepared:
    from app.reports.audit_pdf import audit_story
    from app.reports.document import styles
    from app.services import reports

    data = reports.audit_extract(desk, p.period, p.client_id)
    entity, entity_id = ("client", p.client_id) if p.client_id is not None else (
        "audit_log", data.chain.checked)
    return Prepared(data.period, audit_story(data, styles()), entity, entity_id,
                    {"entries": len(data.lines), "chain_ok": data.chain.ok})


def _management(desk: Desk, p: ReportParams) -> Prepared:
    from app.reports.document import styles
    from app.reports.management_pdf import management_story
    from app.services.management_report import management_report

    period = _need_period(p, "management report")
    data = management_report(desk, period)
    return Prepared(period, management_story(data, styles()), "workspace", "management")


def _management_pdf(desk: Desk, p: ReportParams, path: Path) -> int:
    from app.services.management_report import management_report_pdf

    return management_report_pdf(desk, path, _need_period(p, "management report"))


P = Param
NONE: frozenset[Param] = frozenset()
# The titles are the ones the report modules print (tests check they agree).
KINDS: dict[str, ReportKind] = {k.name: k for k in (
    ReportKind("statement", "Client account statement", (P.CLIENT, P.PERIOD), NONE,
               "report.client_statement", _statement,
               "a client's account statement: every posting, opening and closing balances"),
    ReportKind("reconciliation", "Reconciliation report", (P.PERIOD,), frozenset({P.PERIOD}),
               "report.reconciliation", _reconciliation,
               "the latest reconciliation run, open breaks, breaks resolved in the period "
               "(default: the last 30 days)"),
    ReportKind("commission", "IB commission statement", (P.PARTNER, P.PERIOD), NONE,
               "report.commission_statement", _commission,
               "a partner's IB commission statement for a period of server dates"),
    ReportKind("payouts", "Commission payout summary", (P.RUN, P.PERIOD),
               frozenset({P.RUN, P.PERIOD}), "report.payout_summary", _payouts,
               "the payouts of a commission run, or of the payout periods ending in the "
               "period (one of the two)"),
    ReportKind("compliance", "KYC/AML compliance report", (P.PERIOD,), NONE,
               "report.compliance", _compliance,
               "KYC status, high-risk and PEP clients, screening, alerts, cases and "
               "document expiry"),
    ReportKind("audit", "Audit-trail extract", (P.CLIENT, P.PERIOD),
               frozenset({P.CLIENT, P.PERIOD}), "report.audit_trail", _audit,
               "the audit entries of a period, or about a client and its records, with "
               "the hash chain verified"),
    ReportKind("management", "Management report", (P.PERIOD,), NONE, "report.management",
               _management, "the dashboard's figures for the period: onboarding, trading, "
               "money flow, partners, exceptions", writer=_management_pdf),
)}


def kind(name: str) -> ReportKind:
    found = KINDS.get(name.strip().lower())
    if found is None:
        raise NotFound(f"There is no report {name!r}; the reports are "
                       f"{', '.join(KINDS)}.")
    return found


def title_of(action: str, details: dict[str, object] | None = None) -> str:
    """The report an audit action (and, for a preview, its details) names."""
    if action == PREVIEW_ACTION and details:
        named = KINDS.get(str(details.get("report", "")))
        return named.title if named else str(details.get("report", "report"))
    return next((k.title for k in KINDS.values() if k.action == action),
                action.removeprefix("report.").replace("_", " ").capitalize())


@dataclass(frozen=True)
class HistoryLine:
    id: int
    at: datetime
    who: str
    title: str
    preview: bool
    file: str
    period: str
    pages: int | None


def report_history(desk: Desk, limit: int = 200) -> list[HistoryLine]:
    """Reports generated in this workspace, newest first, from the audit log."""
    require(desk.actor, Permission.RUN_REPORTS)
    with desk.store.read() as s:
        rows = s.execute(
            select(AuditEntry.id, AuditEntry.at, AuditEntry.actor_name, User.full_name,
                   AuditEntry.action, AuditEntry.after)
            .outerjoin(User, User.id == AuditEntry.actor_id)
            .where(AuditEntry.action.like("report.%"))
            .order_by(AuditEntry.id.desc()).limit(limit)).all()
    out = []
    for entry_id, at, username, full_name, action, after in rows:
        details = after if isinstance(after, dict) else {}
        pages = details.get("pages")
        out.append(HistoryLine(entry_id, at, full_name or username, title_of(action, details),
                               action == PREVIEW_ACTION, str(details.get("file", "")),
                               str(details.get("period", "")),
                               pages if isinstance(pages, int) else None))
    return out


def client_choices(desk: Desk, text: str, limit: int = 50) -> list[tuple[int, str]]:
    """Clients for a report form: by number, or by the words of their name."""
    require(desk.actor, Permission.RUN_REPORTS)
    text = text.strip().lstrip("#")
    with desk.store.read() as s:
        if text.isdigit():
            query = select(Client.id, Client.display_name).where(Client.id == int(text))
        else:
            condition = search_condition(text)
            query = select(Client.id, Client.display_name)
            if condition is not None:
                query = query.where(condition)
            query = query.order_by(Client.search_name, Client.id).limit(limit)
        return [(i, n) for i, n in s.execute(query)]


def partner_choices(desk: Desk) -> list[tuple[str, str]]:
    """(referral code, name) of every partner, by name."""
    require(desk.actor, Permission.RUN_REPORTS)
    with desk.store.read() as s:
        return [(c, n) for c, n in s.execute(select(Partner.referral_code, Partner.name)
                                             .order_by(Partner.name, Partner.id))]


def run_choices(desk: Desk) -> list[tuple[str, str]]:
    """(uid, label) of the commission runs, newest period first."""
    require(desk.actor, Permission.RUN_REPORTS)
    with desk.store.read() as s:
        rows = s.execute(select(CommissionRun.uid, CommissionRun.period_start,
                                CommissionRun.period_end, CommissionRun.status)
                         .order_by(CommissionRun.period_end.desc(), CommissionRun.id.desc()))
        return [(uid, f"{first:%Y-%m-%d} to {last:%Y-%m-%d} · {status.value} · {uid[:8]}")
                for uid, first, last, status in rows]
