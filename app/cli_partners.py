"""`backdesk partners ...` and `backdesk commissions ...`: IB work without the desktop."""

from __future__ import annotations

import argparse
import json
from datetime import date
from pathlib import Path
from typing import Any

from app.errors import NotFound, ValidationFailed


def add_parser(sub: Any) -> None:
    """Add `partners` and `commissions` to the `backdesk` subparsers."""
    partners: argparse.ArgumentParser = sub.add_parser(
        "partners", help="introducing brokers and affiliates: tree, plans, moves")
    p_sub = partners.add_subparsers(dest="partners_command", required=True)
    tree = p_sub.add_parser("tree", help="the partner tree on a date")
    tree.add_argument("--on", type=date.fromisoformat, default=None, help="YYYY-MM-DD")
    add = p_sub.add_parser("add", help="a new partner")
    add.add_argument("name")
    add.add_argument("--code", required=True, help="the referral code clients sign up with")
    add.add_argument("--currency", default="USD")
    add.add_argument("--under", default=None, help="the upline's referral code")
    move = p_sub.add_parser("move", help="put a partner under another upline from a date")
    move.add_argument("code")
    move.add_argument("--under", default=None, help="the new upline's code (none: top)")
    move.add_argument("--from", dest="effective", type=date.fromisoformat, required=True)
    plan = p_sub.add_parser("plan", help="a new commission plan from a JSON file")
    plan.add_argument("name")
    plan.add_argument("--kind", required=True,
                      choices=("per_lot", "spread_share", "revenue_share", "cpa", "hybrid"))
    plan.add_argument("--rules", type=Path, required=True, help="JSON file of the rules")
    plan.add_argument("--tiers", default="", help="tier shares in basis points: 2000,1000")
    plan.add_argument("--currency", default="USD")
    assign = p_sub.add_parser("assign", help="the plan a partner's clients earn under")
    assign.add_argument("code")
    assign.add_argument("--plan", type=int, required=True)
    assign.add_argument("--group", default="*", help="account group pattern (default all)")
    assign.add_argument("--from", dest="effective", type=date.fromisoformat, required=True)
    pay_to = p_sub.add_parser("pay-to", help="the trading account commission is paid into")
    pay_to.add_argument("code")
    pay_to.add_argument("--login", type=int, required=True)

    commissions: argparse.ArgumentParser = sub.add_parser(
        "commissions", help="accruals, recalculation, payout runs and decisions")
    c_sub = commissions.add_subparsers(dest="commissions_command", required=True)
    c_sub.add_parser("accrue", help="accrue the deals recorded since the last time")
    recalc = c_sub.add_parser("recalculate", help="recalculate accruals from a date")
    recalc.add_argument("--from", dest="effective", type=date.fromisoformat, required=True)
    run = c_sub.add_parser("run", help="propose payouts for a period")
    run.add_argument("--from", dest="first", type=date.fromisoformat, required=True)
    run.add_argument("--to", dest="last", type=date.fromisoformat, required=True)
    c_sub.add_parser("payouts", help="payouts and their state")
    approve = c_sub.add_parser("approve", help="approve a payout (not your own run)")
    approve.add_argument("payout", type=int)
    reject = c_sub.add_parser("reject", help="reject a payout, with a reason")
    reject.add_argument("payout", type=int)
    reject.add_argument("--reason", required=True)
    send = c_sub.add_parser("send", help="pay an approved payout as an agent commission")
    send.add_argument("payout", type=int)
    for parser in (partners, *p_sub.choices.values(), commissions, *c_sub.choices.values()):
        parser.add_argument("--workspace", type=Path, default=argparse.SUPPRESS)


def _partner_id(desk: Any, code: str | None) -> int | None:
    if code is None:
        return None
    from sqlalchemy import select

    from app.models.partners import Partner

    with desk.store.read() as s:
        found = s.scalar(select(Partner.id).where(Partner.referral_code == code.upper()))
    if found is None:
        raise NotFound(f"There is no partner with the code {code.upper()}.")
    return int(found)


def run_partners(folder: Path, args: argparse.Namespace) -> int:
    from app.__main__ import _open
    from app.commissions.tree import Tree
    from app.crm.search_index import dbapi
    from app.services import partners

    desk = _open(folder)
    try:
        command = args.partners_command
        if command == "tree":
            with desk.store.read() as s:
                t = Tree.load(dbapi(s))
                codes = dict(dbapi(s).execute("SELECT id, referral_code FROM partners"))
            on = args.on or date.today()
            kids = t.children(on)

            def show(pid: int, depth: int) -> None:
                state = "" if t.active.get(pid) else "  (inactive)"
                print(f"{'  ' * depth}{t.names[pid]} [{codes[pid]}]{state}")
                for k in kids.get(pid, ()):
                    show(k, depth + 1)
            for top in kids.get(None, ()):
                show(top, 0)
        elif command == "add":
            pid = partners.create_partner(desk, args.name, args.code, args.currency,
                                          parent_id=_partner_id(desk, args.under))
            print(f"Partner #{pid} {args.name} [{args.code.upper()}] added.")
        elif command == "move":
            done = partners.move_partner(desk, _partner_id(desk, args.code) or 0,
                                         _partner_id(desk, args.under), args.effective)
            print(f"Moved from {args.effective}; {done.accruals_after:,} accruals recalculated.")
        elif command == "plan":
            try:
                rules = json.loads(args.rules.read_text(encoding="utf-8"))
            except (OSError, ValueError) as exc:
                raise ValidationFailed(f"The rules file could not be read as JSON: {exc}",
                                       "rules") from None
            tiers = {"levels": [int(x) for x in args.tiers.split(",") if x.strip()]} \
                if args.tiers else {}
            pid = partners.create_plan(desk, args.name, args.kind, args.currency, rules, tiers)
            print(f"Plan #{pid} {args.name} created.")
        elif command == "assign":
            partners.assign_plan(desk, args.plan, _partner_id(desk, args.code) or 0,
                                 args.effective, args.group)
            print(f"Plan #{args.plan} applies to {args.code.upper()} from {args.effective}.")
        else:
            partners.set_payout_account(desk, _partner_id(desk, args.code) or 0, args.login)
            print(f"{args.code.upper()} is paid into {args.login}.")
    finally:
        desk.close()
    return 0


def run_commissions(folder: Path, args: argparse.Namespace) -> int:
    from app.__main__ import _open
    from app.money import format_money
    from app.services import commissions

    desk = _open(folder)
    try:
        command = args.commissions_command
        if command == "accrue":
            print(f"{commissions.accrue_waiting(desk):,} accruals written.")
        elif command == "recalculate":
            done = commissions.recalculate(desk, args.effective)
            moved = ", ".join(f"partner #{p} {format_money(v, c)}"
                              for (p, c), v in sorted(done.changed.items())) or "nothing changed"
            print(f"{done.accruals_after:,} accruals from deal #{done.first_deal}: {moved}.")
        elif command == "run":
            result = commissions.prepare_run(desk, args.first, args.last)
            totals = ", ".join(format_money(v, c) for c, v in sorted(result.totals.items()))
            print(f"Run #{result.run_id}: {result.payouts} payouts proposed ({totals or 'none'});"
                  f" {result.carried} balances at or below zero carried forward.")
        elif command == "payouts":
            for r in commissions.payouts(desk):
                print(f"#{r.id:<5} {r.partner} [{r.code}]  {r.period_start}..{r.period_end}  "
                      f"{format_money(r.amount_minor, r.currency)}  {r.status}  "
                      f"prepared by {r.prepared_by}"
                      + (f", approved by {r.approved_by}" if r.approved_by else "")
                      + (f" — {r.reason}" if r.reason else ""))
        elif command == "approve":
            commissions.decide_payout(desk, args.payout, True)
            print(f"Payout #{args.payout} approved.")
        elif command == "reject":
            commissions.decide_payout(desk, args.payout, False, args.reason)
            print(f"Payout #{args.payout} rejected; its commission stays unpaid for the next "
                  "run.")
        else:
            commissions.send_payout(desk, args.payout)
            print(f"Payout #{args.payout} queued as an agent commission; it is paid with the "
                  "next sync.")
    finally:
        desk.close()
    return 0
