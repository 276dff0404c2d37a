"""`backdesk exceptions [--part P]`: what waits for somebody across the back office, the
oldest first, through the same query as the desktop's Exceptions page."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from app.queries.exceptions.rows import AGE_BUCKETS, Part

PARTS = ", ".join(p.value for p in Part)


def add_parser(sub: Any) -> argparse.ArgumentParser:
    cmd: argparse.ArgumentParser = sub.add_parser(
        "exceptions", help="the exception queue across parts, oldest first",
        description="Open reconciliation breaks, KYC documents expiring or expired, "
                    "periodic reviews overdue, stuck payments, sync conflicts and rejected "
                    "commands, and alerts and cases past their due date.")
    cmd.add_argument("--part", choices=[p.value for p in Part], metavar="PART",
                     help=f"only this part: {PARTS}")
    cmd.add_argument("--workspace", type=Path, default=argparse.SUPPRESS)
    return cmd


def run(folder: Path, args: argparse.Namespace) -> int:
    from app.cli_password import ask
    from app.queries.exceptions import age_bucket, exception_queue
    from app.services.workspace import open_workspace

    desk = open_workspace(folder, ask(f"Password for {folder}: "))
    try:
        rows = exception_queue(desk, Part(args.part) if args.part else None)
    finally:
        desk.close()
    for r in rows:
        due = f"due {r.due:%Y-%m-%d}" if r.due else ""
        about = f"  [{r.client_name} #{r.client_id}]" if r.client_id else ""
        owner = f"  (owner {r.owner})" if r.owner else ""
        print(f"{r.age_days:>5} d  {r.part.label:<14} {r.kind.label:<30} {due:<14} "
              f"{r.ref}  {r.summary}{about}{owner}")
    buckets = [0] * len(AGE_BUCKETS)
    for r in rows:
        buckets[age_bucket(r.age_days)] += 1
    ages = ", ".join(f"{n} {label}" for n, (label, _lo, _hi) in zip(buckets, AGE_BUCKETS,
                                                                     strict=True))
    where = f" in {Part(args.part).label}" if args.part else ""
    print(f"{len(rows)} open exception(s){where}" + (f": {ages}." if rows else "."))
    return 0
