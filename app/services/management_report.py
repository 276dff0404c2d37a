"""The management report as staff run it: the dashboard's figures for a period and a
choice of clients, permission-checked; as data for a preview, or written to a PDF and
audited like every other report (app.services.reports)."""

from __future__ import annotations

from pathlib import Path

from app.analytics.scope import EVERYONE, ClientFilter
from app.reports.document import Period
from app.reports.management_data import ManagementReport, read_management
from app.reports.management_pdf import TITLE, write_management_report
from app.roles import Permission, require
from app.services.reports import _audited, _check_target, _header
from app.services.workspace import Desk


def management_report(desk: Desk, period: Period,
                       filters: ClientFilter | None = None) -> ManagementReport:
    require(desk.actor, Permission.RUN_REPORTS)
    return read_management(desk.store, period, filters or EVERYONE)


def management_report_pdf(desk: Desk, path: Path, period: Period,
                          filters: ClientFilter | None = None) -> int:
    """Write the management report to `path`; returns the page count."""
    report = management_report(desk, period, filters)
    _check_target(path)
    pages = write_management_report(report, _header(desk, TITLE, period), path)
    # The filters are references (a country code, a segment name, a user id), not data.
    chosen = report.filters
    _audited(desk, path, "report.management", "workspace", "management",
             {"period": period.label, "pages": pages, "country": chosen.country,
              "segment": chosen.segment, "manager_id": chosen.manager_id})
    return pages
