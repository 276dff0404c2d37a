"""`backdesk reconcile run | list | resolve | import-statement`: reconciliation from
the command line, through the same services as the desktop."""

from __future__ import annotations

import argparse
from datetime import date
from pathlib import Path
from typing import Any

from app.errors import ValidationFailed


def add_parser(sub: Any) -> argparse.ArgumentParser:
    rec: argparse.ArgumentParser = sub.add_parser(
        "reconcile", help="three-way reconciliation: ledger, platform and payment providers")
    rec_sub = rec.add_subparsers(dest="reconcile_command", required=True)
    run_p = rec_sub.add_parser("run", help="find every break now (a full run)")
    listing = rec_sub.add_parser("list", help="breaks not resolved yet (newest first)")
    listing.add_argument("--all", action="store_true", help="resolved ones too")
    listing.add_argument("--kind", help="only this kind, e.g. balance_drift")
    resolve = rec_sub.add_parser("resolve", help="resolve a break, saying how")
    resolve.add_argument("id", type=int, help="the exception's number from `list`")
    resolve.add_argument("--reason", required=True, help="what was found and done")
    imp = rec_sub.add_parser("import-statement", help="import a provider's statement (CSV)")
    imp.add_argument("--provider", required=True, help="the provider, as payments name it")
    imp.add_argument("--from", dest="period_from", type=date.fromisoformat, metavar="DAY",
                     help="first day the statement covers (default: its first value date)")
    imp.add_argument("--to", dest="period_to", type=date.fromisoformat, metavar="DAY",
                     help="last day it covers (default: its last value date)")
    imp.add_argument("file", type=Path)
    for cmd in (rec, run_p, listing, resolve, imp):
        cmd.add_argument("--workspace", type=Path, default=argparse.SUPPRESS)
    return rec


def run(folder: Path, args: argparse.Namespace) -> int:
    from app.cli_password import ask
    from app.models.reconciliation import BreakKind, BreakStatus
    from app.money import format_money
    from app.services import reconciliation
    from app.services.workspace import open_workspace

    desk = open_workspace(folder, ask(f"Password for {folder}: "))
    try:
        if args.reconcile_command == "run":
            r = reconciliation.run(desk)
            kinds = ", ".join(f"{n} {k}" for k, n in sorted(r.by_kind.items())) or "none"
            print(f"Run #{r.run_id}: {r.accounts:,} trading accounts, {r.payments:,} payments,"
                  f" {r.lines:,} statement lines in {r.seconds:.1f} s. Breaks: {r.found}"
                  f" ({kinds}); new {r.new}, cleared {r.cleared}.")
        elif args.reconcile_command == "list":
            statuses = set(BreakStatus) if args.all else None
            try:
                kind = BreakKind(args.kind) if args.kind else None
            except ValueError:
                raise ValidationFailed(f"Unknown kind {args.kind!r}; one of "
                                       f"{', '.join(k.value for k in BreakKind)}.") from None
            rows = reconciliation.list_exceptions(desk, statuses, kind)
            for e in rows:
                shown = format_money(e.difference_minor, e.currency) if e.currency else ""
                print(f"#{e.id:<6} {e.status.value:<13} {e.kind.value:<20} {shown:>18}  "
                      f"{e.summary}" + (f"  [owner {e.owner}]" if e.owner else ""))
            print(f"{len(rows)} exception(s).")
        elif args.reconcile_command == "resolve":
            reconciliation.resolve(desk, args.id, args.reason)
            print(f"Exception #{args.id} resolved.")
        else:
            period = None
            if args.period_from or args.period_to:
                if not (args.period_from and args.period_to):
                    raise ValidationFailed("Give both --from and --to, or neither.")
                period = (args.period_from, args.period_to)
            done = reconciliation.import_statement(desk, args.provider, args.file, period)
            print(f"Imported statement #{done.statement_id} from {args.provider}: "
                  f"{done.lines} new line(s), {done.already} already imported; covers "
                  f"{done.period_from} to {done.period_to}.")
    finally:
        desk.close()
    return 0
