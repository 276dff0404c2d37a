"""PDF reports as staff run them: permission-checked, audited, written to the file the
person chose. `client_statement`, `reconciliation`, `commission_statement`,
`payout_summary`, `compliance_report` and `audit_extract` return the same figures as
plain data for a preview on screen (app.services.report_library draws every kind)."""

from __future__ import annotations

import contextlib
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from app import audit
from app.crm.search_index import dbapi
from app.errors import ValidationFailed
from app.reports.audit_data import AuditExtract, read_audit
from app.reports.commission_data import CommissionStatement, find_partner
from app.reports.commission_data import read_commission_statement as read_commissions
from app.reports.commission_pdf import TITLE as COMMISSION_TITLE
from app.reports.commission_pdf import write_commission_statement
from app.reports.compliance_data import ComplianceReport, read_compliance
from app.reports.document import Period, ReportHeader
from app.reports.payout_summary_data import (
    PayoutSummary,
    read_period_payouts,
    read_run_payouts,
)
from app.reports.payout_summary_pdf import TITLE as PAYOUT_TITLE
from app.reports.payout_summary_pdf import write_payout_summary
from app.reports.recon_data import ReconReport, read_reconciliation
from app.reports.recon_pdf import TITLE as RECON_TITLE
from app.reports.recon_pdf import write_reconciliation
from app.reports.statement_data import ClientStatement, read_statement
from app.reports.statement_pdf import TITLE as STATEMENT_TITLE
from app.reports.statement_pdf import write_statement
from app.roles import Permission, require
from app.services.workspace import Desk, get_setting

# The reconciliation report's default window for resolved breaks.
DEFAULT_DAYS = 30


def client_statement(desk: Desk, client_id: int, date_from: date,
                     date_to: date) -> ClientStatement:
    require(desk.actor, Permission.RUN_REPORTS)
    period = Period(date_from, date_to)
    with desk.store.read() as s:
        return read_statement(dbapi(s), client_id, period)


def default_period(date_from: date | None, date_to: date | None) -> Period:
    end = date_to or datetime.now(UTC).date()
    return Period(date_from or end - timedelta(days=DEFAULT_DAYS - 1), end)


def reconciliation(desk: Desk, date_from: date | None = None,
                   date_to: date | None = None) -> ReconReport:
    require(desk.actor, Permission.RUN_REPORTS)
    period = default_period(date_from, date_to)
    with desk.store.read() as s:
        return read_reconciliation(s, period)


def _header(desk: Desk, title: str, period: Period) -> ReportHeader:
    with desk.store.read() as s:
        broker = get_setting(s, "broker_name")
    return ReportHeader(broker, title, period, desk.actor.full_name, datetime.now(UTC))


def _check_target(path: Path) -> None:
    if not path.parent.is_dir():
        raise ValidationFailed(f"The folder {path.parent} does not exist; choose another "
                               "place for the report.", "path")
    if path.is_dir():
        raise ValidationFailed(f"{path} is a folder; give the report a file name.", "path")


def _audited(desk: Desk, path: Path, action: str, entity: str, entity_id: object,
             details: dict[str, object]) -> None:
    """Audit a written report; a report whose audit entry failed is not left behind."""
    try:
        with desk.store.write() as s:
            audit.record(s, desk.actor, action, entity, entity_id,
                         after={"file": path.name, **details})
    except BaseException:
        with contextlib.suppress(OSError):
            path.unlink()
        raise


def client_statement_pdf(desk: Desk, client_id: int, date_from: date, date_to: date,
                         path: Path) -> int:
    """Write one client's account statement to `path`; returns the page count."""
    statement = client_statement(desk, client_id, date_from, date_to)
    _check_target(path)
    pages = write_statement(statement, _header(desk, STATEMENT_TITLE, statement.period), path)
    # Only references go to the audit log: the client's id, never their name or money.
    _audited(desk, path, "report.client_statement", "client", client_id,
             {"period": statement.period.label, "pages": pages})
    return pages


def reconciliation_pdf(desk: Desk, path: Path, date_from: date | None = None,
                       date_to: date | None = None) -> int:
    """Write the reconciliation report to `path`; returns the page count."""
    report = reconciliation(desk, date_from, date_to)
    _check_target(path)
    pages = write_reconciliation(report, _header(desk, RECON_TITLE, report.period), path)
    _audited(desk, path, "report.reconciliation", "recon_run",
             report.run.id if report.run else None,
             {"period": report.period.label, "pages": pages,
              "open_breaks": len(report.open_breaks)})
    return pages


def partner_by_code(desk: Desk, code: str) -> int:
    """A partner's id by its referral code (as the CLI names partners)."""
    require(desk.actor, Permission.RUN_REPORTS)
    with desk.store.read() as s:
        return find_partner(dbapi(s), code)


def commission_statement(desk: Desk, partner_id: int, date_from: date,
                         date_to: date) -> CommissionStatement:
    """A partner's commission for server dates date_from..date_to, with the payable
    the ledger holds for it."""
    require(desk.actor, Permission.RUN_REPORTS)
    period = Period(date_from, date_to)
    with desk.store.read() as s:
        return read_commissions(dbapi(s), partner_id, period)


def commission_statement_pdf(desk: Desk, partner_id: int, date_from: date, date_to: date,
                             path: Path) -> int:
    """Write one partner's commission statement to `path`; returns the page count."""
    statement = commission_statement(desk, partner_id, date_from, date_to)
    _check_target(path)
    pages = write_commission_statement(
        statement, _header(desk, COMMISSION_TITLE, statement.period), path)
    _audited(desk, path, "report.commission_statement", "partner", partner_id,
             {"period": statement.period.label, "pages": pages})
    return pages


def payout_summary(desk: Desk, run_uid: str | None = None, date_from: date | None = None,
                   date_to: date | None = None) -> PayoutSummary:
    """The payouts of one run (by uid), or of the payout periods ending from date_from
    to date_to (both needed)."""
    require(desk.actor, Permission.RUN_REPORTS)
    if run_uid is not None and (date_from is not None or date_to is not None):
        raise ValidationFailed("Choose either a commission run or a period, not both.", "run")
    if run_uid is None and (date_from is None or date_to is None):
        raise ValidationFailed("Choose a commission run, or a period with its first and "
                               "last day.", "period")
    with desk.store.read() as s:
        if run_uid is not None:
            return read_run_payouts(dbapi(s), run_uid)
        assert date_from is not None and date_to is not None
        return read_period_payouts(dbapi(s), Period(date_from, date_to))


def payout_summary_pdf(desk: Desk, path: Path, run_uid: str | None = None,
                       date_from: date | None = None, date_to: date | None = None) -> int:
    """Write the payout summary to `path`; returns the page count."""
    summary = payout_summary(desk, run_uid, date_from, date_to)
    _check_target(path)
    pages = write_payout_summary(summary, _header(desk, PAYOUT_TITLE, summary.period), path)
    _audited(desk, path, "report.payout_summary", "commission_run",
             summary.run.id if summary.run else None,
             {"period": summary.period.label, "pages": pages, "payouts": len(summary.lines)})
    return pages


def compliance_report(desk: Desk, period: Period) -> ComplianceReport:
    """KYC, screening, alerts, cases and document expiry for the period."""
    require(desk.actor, Permission.RUN_REPORTS)
    with desk.store.read() as s:
        return read_compliance(s, period)


def audit_extract(desk: Desk, period: Period | None,
                  client_id: int | None = None) -> AuditExtract:
    """The audit entries of a period, or about a client and its records (all of them
    when no period is given), with the whole chain verified as they are read."""
    require(desk.actor, Permission.RUN_REPORTS)
    with desk.store.read() as s:
        return read_audit(s, period, client_id)
