"""`backdesk retention show | set KIND YEARS | purge [--dry-run] [--today DAY]`: record
retention from the command line, through the same services as the desktop.

The purge is meant to run as a scheduled job, and a job's output ends up in log
files: it names clients by number only, never by name.
"""

from __future__ import annotations

import argparse
from datetime import date
from pathlib import Path
from typing import Any

from app.retention.policies import counted
from app.retention.purge import HeldClient, KindDue


def add_parser(sub: Any) -> argparse.ArgumentParser:
    cmd: argparse.ArgumentParser = sub.add_parser(
        "retention", help="how long records are kept; purge what is past its period")
    cmd_sub = cmd.add_subparsers(dest="retention_command", required=True)
    show = cmd_sub.add_parser("show", help="the retention periods and what is never purged")
    set_p = cmd_sub.add_parser("set", help="keep a kind of record for a number of years")
    set_p.add_argument("kind", help="the record kind, as `show` names it")
    set_p.add_argument("years", type=int, help="whole years after the relationship ends")
    purge = cmd_sub.add_parser("purge", help="remove what is past its retention period")
    purge.add_argument("--dry-run", action="store_true",
                       help="only say what would be removed and which clients are held")
    purge.add_argument("--today", type=date.fromisoformat, metavar="YYYY-MM-DD",
                       help="as of this day (a real purge: today or earlier)")
    for p in (cmd, show, set_p, purge):
        p.add_argument("--workspace", type=Path, default=argparse.SUPPRESS)
    return cmd


def _kinds(lines: tuple[KindDue, ...], verb: str) -> None:
    for k in lines:
        what = f" ({counted(k.rows)})" if k.count else ""
        print(f"  {k.kind:<22} {k.count:>7,} {verb}{what}; kept {k.years} years "
              f"(before {k.cutoff})")


def _held(held: tuple[HeldClient, ...]) -> None:
    if not held:
        return
    print(f"Held ({len(held)} closed client{'s' if len(held) > 1 else ''} past their period,"
          " nothing of theirs removed):")
    for h in held:
        ended = f"ended {h.ended}" + (" (no closing date recorded; last change)"
                                      if h.inferred else "")
        print(f"  client #{h.id}, {ended}: {'; '.join(h.reasons)}")


def run(folder: Path, args: argparse.Namespace) -> int:
    from app.cli_password import ask
    from app.retention.policies import NEVER_PURGED
    from app.services import retention
    from app.services.workspace import open_workspace

    desk = open_workspace(folder, ask(f"Password for {folder}: "))
    try:
        if args.retention_command == "show":
            print("Retention periods (whole years after the relationship or the record ends):")
            for p in retention.policies(desk):
                mark = " (default)" if p.is_default else ""
                print(f"  {p.kind.key:<22} {p.years:>2} years{mark}, at least "
                      f"{p.kind.floor_years}: {p.kind.label}. {p.kind.covers}")
            print("Never purged:")
            for what, why in NEVER_PURGED:
                print(f"  {what}: {why}")
            history = retention.purge_history(desk, limit=len(retention.policies(desk)))
            if history:
                last = history[0]
                removed = sum(h.removed for h in history if h.run_uid == last.run_uid)
                print(f"Last purge: {last.at:%Y-%m-%d %H:%M} UTC by {last.actor}, "
                      f"{removed:,} record(s) removed.")
        elif args.retention_command == "set":
            retention.set_policy(desk, args.kind, args.years)
            kind = next(p.kind for p in retention.policies(desk) if p.kind.key == args.kind)
            print(f"{kind.label}: now kept {args.years} years.")
        elif args.dry_run:
            preview = retention.preview_purge(desk, args.today)
            print(f"A purge as of {preview.today} would remove {preview.total:,} record(s):")
            _kinds(preview.kinds, "would go")
            _held(preview.held)
            if preview.inferred:
                print(f"{len(preview.inferred)} client(s) have no closing date recorded; "
                      "their last change is taken as the end of the relationship.")
        else:
            result = retention.purge(desk, args.today)
            print(f"Purge {result.run_uid} as of {result.today}: {result.removed:,} record(s) "
                  "removed.")
            _kinds(result.kinds, "removed")
            _held(result.held)
            if result.inferred:
                print(f"{len(result.inferred)} client(s) had no closing date recorded; their "
                      "last change was taken as the end and is now recorded.")
    finally:
        desk.close()
    return 0
