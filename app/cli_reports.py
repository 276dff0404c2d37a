"""`backdesk report NAME --period P --out FILE.pdf`: any report of the library
(app.services.report_library) without the desktop; `backdesk report list` names them.

One command per report, made from the library's list: the options a report takes
are the parameters it asks for. The older forms still work: OUT.pdf as the last
argument, and --from/--to instead of --period.
"""

from __future__ import annotations

import argparse
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from app.errors import ValidationFailed

if TYPE_CHECKING:
    from app.reports.document import Period
    from app.services.report_library import ReportKind, ReportParams

# How each parameter a report asks for is given on the command line.
FLAGS = {"client": "--client ID", "partner": "--partner CODE", "run": "--run UID",
         "period": "--period P"}


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date as YYYY-MM-DD") from None


def _period(text: str) -> Period:
    from app.services.report_library import parse_period

    try:
        return parse_period(text)
    except ValidationFailed as exc:
        raise argparse.ArgumentTypeError(exc.message) from None


def _add_kind(report_sub: Any, kind: ReportKind) -> argparse.ArgumentParser:
    cmd: argparse.ArgumentParser = report_sub.add_parser(
        kind.name, help=kind.help, description=f"{kind.title}: {kind.help}.")
    takes = {p.value for p in kind.params}
    if "client" in takes:
        cmd.add_argument("--client", type=int, default=None, metavar="ID",
                         help="the client's number (as the Clients list shows it)")
    if "partner" in takes:
        cmd.add_argument("--partner", default=None, metavar="CODE",
                         help="the partner's referral code")
    if "run" in takes:
        cmd.add_argument("--run", default=None, metavar="UID",
                         help="the commission run's id (or its first characters)")
    if "period" in takes:
        cmd.add_argument("--period", type=_period, default=None, metavar="P",
                         help="2026-10 (a month), 2026-Q3, 2026 (a year), 2026-10-05 (a day) "
                         "or 2026-10-01..2026-10-31")
        cmd.add_argument("--from", dest="date_from", type=_day, default=None,
                         metavar="YYYY-MM-DD", help="first day of the period (UTC)")
        cmd.add_argument("--to", dest="date_to", type=_day, default=None,
                         metavar="YYYY-MM-DD", help="last day of the period, included")
    cmd.add_argument("path", type=Path, nargs="?", default=None, metavar="OUT.pdf",
                     help="the PDF file to write (or give it as --out)")
    cmd.add_argument("--out", type=Path, default=None, metavar="OUT.pdf",
                     help="the PDF file to write")
    return cmd


def add_parser(sub: Any) -> argparse.ArgumentParser:
    """Add `report` and one command per report of the library to the `backdesk`
    subparsers."""
    from app.services.report_library import KINDS

    report: argparse.ArgumentParser = sub.add_parser(
        "report", help="PDF reports: statements, reconciliation, commission, payouts, "
        "compliance, audit trail (`backdesk report list` names them all)")
    report_sub = report.add_subparsers(dest="report_command", required=True, metavar="NAME")
    commands = [report, report_sub.add_parser("list", help="the reports and what each asks "
                                              "for")]
    commands += [_add_kind(report_sub, k) for k in KINDS.values()]
    for cmd in commands:
        cmd.add_argument("--workspace", type=Path, default=argparse.SUPPRESS)
    return report


def _target(args: argparse.Namespace) -> Path:
    if args.out is not None and args.path is not None and args.out != args.path:
        raise ValidationFailed("Name the PDF file once: as OUT.pdf or as --out.", "path")
    path: Path | None = args.out or args.path
    if path is None:
        raise ValidationFailed("Name the PDF file to write (OUT.pdf or --out).", "path")
    return path


def _given_period(args: argparse.Namespace, kind: ReportKind) -> Period | None:
    from app.reports.document import Period
    from app.services.reports import default_period

    first, last = args.date_from, args.date_to
    given: Period | None = args.period
    if given is not None:
        if first is not None or last is not None:
            raise ValidationFailed("Give the period once: --period, or --from and --to.",
                                   "period")
        return given
    if first is not None and last is not None:
        return Period(first, last)
    if first is None and last is None:
        return None
    # One end only: the forms these reports always took.
    if kind.name == "reconciliation":
        return default_period(first, last)  # the other end: 30 days away, or today
    if kind.name == "payouts" and getattr(args, "run", None) is not None:
        raise ValidationFailed("Choose either a commission run or a period, not both.", "run")
    if kind.name == "payouts":
        return None  # the report says what it needs
    raise ValidationFailed("Give both --from and --to, or --period.", "period")


def params_of(args: argparse.Namespace, kind: ReportKind) -> ReportParams:
    """The report's parameters from the command line; what it needs and was not given
    is an error that names the flag."""
    from app.services.report_library import PERIOD_FORMS, Param, ReportParams

    given = {p: getattr(args, p, None) for p in ("client", "partner", "run")}
    period = _given_period(args, kind) if Param.PERIOD in kind.params else None
    for p in kind.params:
        missing = period is None if p.value == "period" else given[p.value] is None
        if missing and p not in kind.optional:
            more = f" ({PERIOD_FORMS}), or --from D --to D" if p.value == "period" else ""
            raise ValidationFailed(f"The {kind.name} report needs {FLAGS[p.value]}{more}.",
                                   p.value)
    return ReportParams(period, given["client"], given["partner"], given["run"])


def print_list() -> int:
    from app.services.report_library import KINDS

    for k in KINDS.values():
        asks = " ".join(f"[{FLAGS[p]}]" if p in k.optional else FLAGS[p] for p in k.params)
        print(f"{k.name:<15} {k.title} ({asks})\n{'':<15} {k.help}")
    return 0


def run(folder: Path, args: argparse.Namespace) -> int:
    from app.cli_password import ask
    from app.services.report_library import kind as find_kind
    from app.services.workspace import open_workspace

    if args.report_command == "list":
        return print_list()
    kind = find_kind(args.report_command)
    params = params_of(args, kind)
    path = _target(args)
    desk = open_workspace(folder, ask(f"Password for {folder}: "))
    try:
        pages = kind.write(desk, params, path)
    finally:
        desk.close()
    print(f"Wrote {path} ({pages} page{'s' if pages != 1 else ''}).")
    return 0
