"""`backdesk report statement|reconciliation`: the PDF reports without the desktop."""

from __future__ import annotations

import argparse
from datetime import date
from pathlib import Path
from typing import Any


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date as YYYY-MM-DD") from None


def add_parser(sub: Any) -> argparse.ArgumentParser:
    """Add `report` and its commands to the `backdesk` subparsers."""
    report: argparse.ArgumentParser = sub.add_parser(
        "report", help="PDF reports: client statements, reconciliation")
    report_sub = report.add_subparsers(dest="report_command", required=True)
    statement = report_sub.add_parser(
        "statement", help="a client's account statement for a period")
    statement.add_argument("--client", type=int, required=True, metavar="ID",
                           help="the client's number (as the Clients list shows it)")
    statement.add_argument("--from", dest="date_from", type=_day, required=True,
                           metavar="YYYY-MM-DD", help="first day of the period (UTC)")
    statement.add_argument("--to", dest="date_to", type=_day, required=True,
                           metavar="YYYY-MM-DD", help="last day of the period, included")
    recon = report_sub.add_parser(
        "reconciliation", help="the latest reconciliation run, open breaks and those "
        "resolved in the period (default: the last 30 days)")
    recon.add_argument("--from", dest="date_from", type=_day, default=None,
                       metavar="YYYY-MM-DD")
    recon.add_argument("--to", dest="date_to", type=_day, default=None, metavar="YYYY-MM-DD")
    for cmd in (report, statement, recon):
        cmd.add_argument("--workspace", type=Path, default=argparse.SUPPRESS)
    for cmd in (statement, recon):
        cmd.add_argument("path", type=Path, metavar="OUT.pdf", help="the PDF file to write")
    return report


def run(folder: Path, args: argparse.Namespace) -> int:
    from app.cli_password import ask
    from app.services import reports
    from app.services.workspace import open_workspace

    desk = open_workspace(folder, ask(f"Password for {folder}: "))
    try:
        if args.report_command == "statement":
            pages = reports.client_statement_pdf(desk, args.client, args.date_from,
                                                 args.date_to, args.path)
        else:
            pages = reports.reconciliation_pdf(desk, args.path, args.date_from, args.date_to)
    finally:
        desk.close()
    print(f"Wrote {args.path} ({pages} page{'s' if pages != 1 else ''}).")
    return 0
