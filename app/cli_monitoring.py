"""`backdesk monitoring rules | set | run`: the AML monitoring rules from the command
line, through the same services as the desktop."""

from __future__ import annotations

import argparse
from datetime import date
from pathlib import Path
from typing import Any

from app.errors import ValidationFailed


def add_parser(sub: Any) -> argparse.ArgumentParser:
    mon: argparse.ArgumentParser = sub.add_parser(
        "monitoring", help="AML transaction monitoring: the rules, their thresholds, a run")
    mon_sub = mon.add_subparsers(dest="monitoring_command", required=True)
    listing = mon_sub.add_parser("rules", help="every rule in words, with its thresholds")
    change = mon_sub.add_parser("set", help="change a rule's thresholds, severity or "
                                "days to review, or switch it on or off")
    change.add_argument("rule", help="the rule's id, as `rules` lists it")
    change.add_argument("--threshold", action="append", default=[], metavar="NAME=VALUE",
                        help="e.g. min_deposit=2500.00 (repeat for several)")
    change.add_argument("--severity", choices=["low", "medium", "high"])
    on_off = change.add_mutually_exclusive_group()
    on_off.add_argument("--enable", dest="enabled", action="store_const", const=True)
    on_off.add_argument("--disable", dest="enabled", action="store_const", const=False)
    change.add_argument("--days-to-review", type=int, metavar="DAYS",
                        help="an alert is due this many days after it is raised")
    run_p = mon_sub.add_parser("run", help="run every enabled rule over the history now")
    run_p.add_argument("--from", dest="date_from", type=date.fromisoformat, metavar="DAY",
                       help="first day of activity to look at (default: the beginning)")
    run_p.add_argument("--to", dest="date_to", type=date.fromisoformat, metavar="DAY",
                       help="last day of activity to look at (default: today)")
    for cmd in (mon, listing, change, run_p):
        cmd.add_argument("--workspace", type=Path, default=argparse.SUPPRESS)
    return mon


def _pairs(items: list[str]) -> dict[str, object]:
    out: dict[str, object] = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise ValidationFailed(f"Write each threshold as name=value, e.g. "
                                   f"min_deposit=2500.00; {item!r} is not.", "threshold")
        out[name.strip()] = value.strip()
    return out


def run(folder: Path, args: argparse.Namespace) -> int:
    from app.cli_password import ask
    from app.services import monitoring
    from app.services.workspace import open_workspace

    desk = open_workspace(folder, ask(f"Password for {folder}: "))
    try:
        if args.monitoring_command == "rules":
            for v in monitoring.rules(desk):
                state = "on" if v.enabled else "OFF"
                print(f"{v.rule}  [{state}, {v.severity.value}, review within "
                      f"{v.days_to_review} days]  {v.title}")
                print(f"    {v.description}")
                print("    " + "  ".join(f"{t.name}={t.edit_text(v.thresholds[t.name])}"
                                         for t in v.fields))
        elif args.monitoring_command == "set":
            if not (args.threshold or args.severity or args.enabled is not None
                    or args.days_to_review is not None):
                raise ValidationFailed("Say what to change: --threshold name=value, "
                                       "--severity, --enable or --disable, --days-to-review.")
            v = monitoring.set_rule(desk, args.rule, thresholds=_pairs(args.threshold),
                                    severity=args.severity, enabled=args.enabled,
                                    days_to_review=args.days_to_review)
            print(f"{v.rule} is {'on' if v.enabled else 'off'} ({v.severity.value}, review "
                  f"within {v.days_to_review} days): {v.description}")
        else:
            r = monitoring.run_monitoring(desk, args.date_from, args.date_to)
            rules = ", ".join(f"{n} {rule}" for rule, n in r.by_rule.items() if n) or "none"
            print(f"Run #{r.run_id}: {r.clients_checked:,} clients checked in {r.seconds:.1f} s;"
                  f" {r.found:,} hit(s), {r.alerts_raised:,} new alert(s) ({rules}).")
            if r.unconverted:
                money = ", ".join(f"{n:,} payment(s) in {c}"
                                  for c, n in sorted(r.unconverted.items()))
                print(f"Not converted to US dollars (no quote on the desk yet): {money}; "
                      "the rules that weigh amounts left them out.")
    finally:
        desk.close()
    return 0
