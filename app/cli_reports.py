"""`backdesk report statement|reconciliation|commission|payouts`: the PDF reports
without the desktop."""

from __future__ import annotations

import argparse
from datetime import date
from pathlib import Path
from typing import Any

from app.errors import ValidationFailed


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date as YYYY-MM-DD") from None


def add_parser(sub: Any) -> argparse.ArgumentParser:
    """Add `report` and its commands to the `backdesk` subparsers."""
    report: argparse.ArgumentParser = sub.add_parser(
        "report", help="PDF reports: client statements, reconciliation, IB commission "
        "statements, payout summaries")
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
    commission = report_sub.add_parser(
        "commission", help="a partner's IB commission statement for a period of server dates")
    commission.add_argument("--partner", required=True, metavar="CODE",
                            help="the partner's referral code")
    commission.add_argument("--from", dest="date_from", type=_day, required=True,
                            metavar="YYYY-MM-DD", help="first server date of the period")
    commission.add_argument("--to", dest="date_to", type=_day, required=True,
                            metavar="YYYY-MM-DD", help="last server date, included")
    payouts = report_sub.add_parser(
        "payouts", help="the payouts of a commission run, or of the payout periods ending "
        "within --from..--to: one line each, totals per currency, counts by status")
    payouts.add_argument("--run", metavar="UID", default=None,
                         help="the commission run's id (or its first characters)")
    payouts.add_argument("--from", dest="date_from", type=_day, default=None,
                         metavar="YYYY-MM-DD")
    payouts.add_argument("--to", dest="date_to", type=_day, default=None,
                         metavar="YYYY-MM-DD")
    for cmd in (report, statement, recon, commission, payouts):
        cmd.add_argument("--workspace", type=Path, default=argparse.SUPPRESS)
    for cmd in (statement, recon):
        cmd.add_argument("path", type=Path, metavar="OUT.pdf", help="the PDF file to write")
    for cmd in (commission, payouts):
        cmd.add_argument("path", type=Path, nargs="?", default=None, metavar="OUT.pdf",
                         help="the PDF file to write (or give it as --out)")
        cmd.add_argument("--out", type=Path, default=None, metavar="OUT.pdf",
                         help=argparse.SUPPRESS)
    return report


def _target(args: argparse.Namespace) -> Path:
    if args.out is not None and args.path is not None and args.out != args.path:
        raise ValidationFailed("Name the PDF file once: as OUT.pdf or as --out.", "path")
    path: Path | None = args.out or args.path
    if path is None:
        raise ValidationFailed("Name the PDF file to write (OUT.pdf or --out).", "path")
    return path


def run(folder: Path, args: argparse.Namespace) -> int:
    from app.cli_password import ask
    from app.services import reports
    from app.services.workspace import open_workspace

    if args.report_command in ("commission", "payouts"):
        args.path = _target(args)
    desk = open_workspace(folder, ask(f"Password for {folder}: "))
    try:
        if args.report_command == "statement":
            pages = reports.client_statement_pdf(desk, args.client, args.date_from,
                                                 args.date_to, args.path)
        elif args.report_command == "commission":
            partner = reports.partner_by_code(desk, args.partner)
            pages = reports.commission_statement_pdf(desk, partner, args.date_from,
                                                     args.date_to, args.path)
        elif args.report_command == "payouts":
            pages = reports.payout_summary_pdf(desk, args.path, args.run, args.date_from,
                                               args.date_to)
        else:
            pages = reports.reconciliation_pdf(desk, args.path, args.date_from, args.date_to)
    finally:
        desk.close()
    print(f"Wrote {args.path} ({pages} page{'s' if pages != 1 else ''}).")
    return 0
