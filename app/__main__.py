"""`backdesk`: the desktop app, and headless commands on the same services.

The composition root: the one module allowed to import `ui` and `sync`, lazily,
for the commands that need them.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from app.errors import BackdeskError
from app.version import __version__

if TYPE_CHECKING:
    from app.services.workspace import Desk


# Commands whose module holds both its parser (`add_parser(sub)`) and its runner
# (`run(folder, args)`), and needs neither sync nor the desktop.
PLAIN_COMMANDS = {
    "monitoring": "app.cli_monitoring",
    "exceptions": "app.cli_exceptions",
    "retention": "app.cli_retention",
}


def default_workspace() -> Path:
    from platformdirs import user_data_dir

    return Path(user_data_dir("Backdesk", appauthor=False)) / "workspace"


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="backdesk", description="Backdesk back office.")
    p.add_argument("--version", action="version", version=f"Backdesk {__version__}")
    p.add_argument("--workspace", type=Path, default=None,
                   help="workspace folder (default: in your user data folder)")
    sub = p.add_subparsers(dest="command")
    init = sub.add_parser("init", help="create a new encrypted workspace")
    init.add_argument("--broker", required=True, help="the broker's name for reports")
    init.add_argument("--currency", default="USD", help="base currency (default USD)")
    init.add_argument("--admin", default="admin", help="the administrator's username")
    init.add_argument("--admin-name", default="Administrator", help="their full name")
    demo = sub.add_parser("demo", help="create a workspace (if needed) and fill it with demo data")
    demo.add_argument("--clients", type=int, default=2000)
    demo.add_argument("--deals", type=int, default=None, help="total deals (default ~40/account)")
    demo.add_argument("--seed", type=int, default=7)
    passwd = sub.add_parser("passwd", help="change the workspace password (re-keys the file)")
    audit = sub.add_parser("audit", help="audit log tools")
    audit_sub = audit.add_subparsers(dest="audit_command", required=True)
    verify = audit_sub.add_parser("verify", help="check the audit log's hash chain")
    settings = sub.add_parser("settings", help="show or change workspace settings")
    settings.add_argument("--idle-lock", type=int, metavar="MINUTES",
                          help="lock the desktop after this many idle minutes (1-240)")
    gateway = sub.add_parser("gateway", help="set the gateway this workspace syncs with")
    gateway.add_argument("--url", required=True, help="e.g. https://gateway.broker.example")
    gateway.add_argument("--user", required=True, help="this desk's user on the gateway")
    gateway.add_argument("--verify", default="", metavar="CERT",
                         help="a certificate file to trust (a self-signed gateway)")
    sync = sub.add_parser("sync", help="sync with the gateway without the desktop")
    mode = sync.add_mutually_exclusive_group(required=True)
    mode.add_argument("--once", action="store_true", help="pull, push, pull; then stop")
    mode.add_argument("--follow", action="store_true", help="stay in sync until Ctrl+C")
    # The sandbox's own options live with it in sync/, parsed there: the core must not
    # import the network layer just to build this parser.
    sub.add_parser("sandbox", add_help=False,
                   help="run the sandbox broker gateway on loopback (see --help)")
    screening = sub.add_parser("screening", help="sanctions and PEP lists and screening")
    screening_sub = screening.add_subparsers(dest="screening_command", required=True)
    list_import = screening_sub.add_parser(
        "import", help="import a list version from its official files, then screen all "
        "clients against it")
    list_import.add_argument("--source", required=True,
                             choices=["ofac", "un", "eu", "opensanctions"],
                             help="ofac: sdn.csv alt.csv add.csv; un, eu: the XML file; "
                             "opensanctions: targets.simple.csv")
    list_import.add_argument("files", nargs="+", type=Path, metavar="FILE")
    rescreen = screening_sub.add_parser(
        "rescreen", help="screen all clients again (continues an unfinished screening)")
    clients = sub.add_parser("clients", help="client lifecycle jobs")
    clients_sub = clients.add_subparsers(dest="clients_command", required=True)
    dormancy = clients_sub.add_parser(
        "dormancy", help="move inactive clients to dormant and active ones back (run daily)")
    kyc = sub.add_parser("kyc", help="KYC queues and the document expiry sweep")
    kyc_sub = kyc.add_subparsers(dest="kyc_command", required=True)
    kyc_due = kyc_sub.add_parser("due", help="periodic reviews due and documents expiring")
    kyc_due.add_argument("--days", type=int, default=30,
                         help="how far ahead to look (default 30)")
    kyc_sweep = kyc_sub.add_parser(
        "sweep", help="mark documents past their expiry date expired (run daily)")
    ledger = sub.add_parser("ledger", help="the client-money ledger")
    ledger_sub = ledger.add_subparsers(dest="ledger_command", required=True)
    catch_up = ledger_sub.add_parser(
        "post-deals", help="post deals mirrored before the ledger existed (in pages)")
    trial = ledger_sub.add_parser("trial-balance", help="every account's balance, by currency")
    statement = ledger_sub.add_parser("statement", help="one account's postings in order")
    statement.add_argument("code", help="account code, e.g. trading:gw:500001:USD")
    reverse = ledger_sub.add_parser("reverse", help="reverse a journal entry (with a reason)")
    reverse.add_argument("entry", type=int)
    reverse.add_argument("--reason", required=True)
    export = ledger_sub.add_parser("export", help="write the journal as Beancount or CSV")
    export.add_argument("--format", choices=("beancount", "csv"), default="beancount")
    export.add_argument("path", type=Path)
    from app.cli_reports import add_parser as add_report_parser

    add_report_parser(sub)
    from app.cli_payments import add_parser as add_payments_parser

    add_payments_parser(sub)
    from app.cli_reconcile import add_parser as add_reconcile

    add_reconcile(sub)
    from app.cli_partners import add_parser as add_partners

    add_partners(sub)
    for module in PLAIN_COMMANDS.values():
        importlib.import_module(module).add_parser(sub)
    gui = sub.add_parser("gui", help="open the desktop app (the default)")
    gui.add_argument("--exit-after-show", action="store_true", help=argparse.SUPPRESS)
    gui.add_argument("--gateway", metavar="URL", help="the broker's gateway")
    gui.add_argument("--sandbox", action="store_true",
                     help="start the built-in sandbox gateway and use it")
    gui.add_argument("--sandbox-data", type=Path, help="where the sandbox keeps its data")
    selfcheck = sub.add_parser(
        "selfcheck", help="check that this installation works: opens the desktop on the "
        "workspace and every part of it for a moment, then quits (exit status 0 if all did)")
    selfcheck.add_argument("--sandbox", action="store_true",
                           help="also start the built-in sandbox gateway and reach it")
    for cmd in (init, demo, gui, selfcheck, passwd, audit, verify, settings, gateway, sync,
                screening, list_import, rescreen, kyc, kyc_due, kyc_sweep, clients, dormancy,
                ledger, catch_up, trial, statement, reverse, export):
        cmd.add_argument("--workspace", type=Path, default=argparse.SUPPRESS)
    return p


def _open(folder: Path) -> Desk:
    from app.cli_password import ask
    from app.services.workspace import open_workspace

    return open_workspace(folder, ask(f"Password for {folder}: "))


def default_sandbox_data() -> Path:
    from platformdirs import user_data_dir

    return Path(user_data_dir("Backdesk", appauthor=False)) / "sandbox"


def run(argv: list[str]) -> int:
    parser = _parser()
    args, extra = parser.parse_known_args(argv)
    command = args.command or "gui"
    if command == "sandbox":
        from sync.sandbox.server import main as sandbox_main

        return sandbox_main(extra, default_sandbox_data())
    if extra:
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    folder: Path = args.workspace or default_workspace()
    if command == "gui":
        from ui.app import run_gui

        sandbox = getattr(args, "sandbox", False)
        return run_gui(folder, exit_after_show=getattr(args, "exit_after_show", False),
                       gateway_url=getattr(args, "gateway", None),
                       sandbox_data=(getattr(args, "sandbox_data", None)
                                     or default_sandbox_data()) if sandbox else None)
    if command == "selfcheck":
        from app.cli_password import ask
        from ui.selfcheck import run_selfcheck

        return run_selfcheck(folder, ask(f"Password for {folder}: "), sandbox=args.sandbox)
    if command == "init":
        from app.cli_password import ask
        from app.services.workspace import init_workspace

        desk = init_workspace(folder, password=ask("New workspace password: ", confirm=True),
                              broker_name=args.broker, base_currency=args.currency,
                              admin_username=args.admin, admin_full_name=args.admin_name)
        desk.close()
        print(f"Created an encrypted workspace at {folder} for {args.broker}.")
        return 0
    if command == "demo":
        return _demo(folder, args)
    if command == "passwd":
        from app.cli_password import ask
        from app.services.workspace import change_password

        desk = _open(folder)
        try:
            old = os.environ.get("BACKDESK_PASSWORD") or ask("Current password: ")
            change_password(desk, old, ask("New password: ", "BACKDESK_NEW_PASSWORD",
                                           confirm=True))
        finally:
            desk.close()
        print("Password changed; the workspace was re-keyed and reopened with the new one.")
        return 0
    if command == "settings":
        from app.services.workspace import set_idle_lock_minutes, workspace_info

        desk = _open(folder)
        try:
            if args.idle_lock is not None:
                set_idle_lock_minutes(desk, args.idle_lock)
            info = workspace_info(desk.store)
        finally:
            desk.close()
        print(f"Broker: {info.broker_name}\nBase currency: {info.base_currency}\n"
              f"Auto-lock after: {info.idle_lock_minutes} idle minutes")
        return 0
    if command == "gateway":
        from app.cli_password import ask
        from app.services.gateway import set_gateway

        desk = _open(folder)
        try:
            secret = ask(f"Gateway password for {args.user}: ", "BACKDESK_GATEWAY_PASSWORD")
            set_gateway(desk, args.url, args.user, secret, args.verify)
        finally:
            desk.close()
        print(f"This workspace now syncs with {args.url} as {args.user}.")
        return 0
    if command == "sync":
        from sync.cli import run_sync

        return run_sync(_open(folder), follow=args.follow)
    if command == "screening":
        return _screening(folder, args)
    if command == "kyc":
        return _kyc(folder, args)
    if command == "ledger":
        return _ledger(folder, args)
    if command == "reconcile":
        from app.cli_reconcile import run as reconcile

        return reconcile(folder, args)
    if command == "partners":
        from app.cli_partners import run_partners

        return run_partners(folder, args)
    if command == "commissions":
        from app.cli_partners import run_commissions

        return run_commissions(folder, args)
    if command == "payments":
        from app.cli_payments import run as run_payments

        return run_payments(folder, args)
    if command in PLAIN_COMMANDS:
        runner: Callable[[Path, argparse.Namespace], int] = importlib.import_module(
            PLAIN_COMMANDS[command]).run
        return runner(folder, args)
    if command == "report":
        from app.cli_reports import run as run_report

        return run_report(folder, args)
    if command == "clients":
        return _dormancy(folder)
    if command == "audit":
        from app.audit import verify
        from app.roles import Permission, require

        desk = _open(folder)
        try:
            require(desk.actor, Permission.VERIFY_AUDIT)
            with desk.store.read() as s:
                result = verify(s)
        finally:
            desk.close()
        print(result.message)
        return 0 if result.ok else 1
    raise AssertionError(command)


def _demo(folder: Path, args: argparse.Namespace) -> int:
    from app.cli_password import ask
    from app.demo.generator import fill
    from app.services.workspace import init_workspace
    from app.workspace.keys import workspace_exists

    if workspace_exists(folder):
        desk = _open(folder)
    else:
        desk = init_workspace(folder, password=ask("New workspace password: ", confirm=True),
                              broker_name="Demo Markets Ltd", base_currency="USD",
                              admin_username="admin", admin_full_name="Demo Administrator")
    try:
        counts = fill(desk, clients=args.clients, deals=args.deals, seed=args.seed)
        from app.crm.setup import prepare_workspace

        prepare_workspace(desk.store)  # search terms and segments for the new clients
    finally:
        desk.close()
    print(f"Demo data loaded into {folder}: {counts.clients} clients, {counts.accounts} "
          f"trading accounts, {counts.deals} deals, {counts.payments} payments.")
    return 0


def _screening(folder: Path, args: argparse.Namespace) -> int:
    from app.services import screening

    desk = _open(folder)
    try:
        if args.screening_command == "import":
            list_id = screening.import_list(desk, args.source, args.files)
            version = next(v for v in screening.lists(desk) if v.id == list_id)
            dated = (f"published {version.published}" if version.published
                     else "the files carry no date")
            print(f"Imported {version.name} version {version.version} ({dated}): "
                  f"{version.entry_count} entries.")

        def progress(done: int, total: int) -> None:
            print(f"\rScreening clients: {done}/{total}", end="", file=sys.stderr, flush=True)

        result = screening.rescreen_all(
            desk, "list_update" if args.screening_command == "import" else "manual",
            progress=progress)
        print(file=sys.stderr)
    finally:
        desk.close()
    t = result.tally
    print(f"Screened {t.clients} clients: {t.hits} hits at or above the threshold, "
          f"{t.new} new and {t.reopened} reopened to review.")
    return 0


def _dormancy(folder: Path) -> int:
    from app.crm.dormancy import sweep

    desk = _open(folder)
    try:
        result = sweep(desk)
    finally:
        desk.close()
    print(f"Checked {result.checked} clients (no activity since {result.cutoff:%Y-%m-%d}): "
          f"{len(result.dormant)} now dormant, {len(result.reactivated)} active again.")
    for cid, why in result.held:
        print(f"  client #{cid} not moved: {why}")
    return 0


def _kyc(folder: Path, args: argparse.Namespace) -> int:
    from app.kyc import periodic

    desk = _open(folder)
    try:
        if args.kyc_command == "sweep":
            marked = periodic.sweep_expired(desk)
            for doc in marked:
                print(f"expired: {doc.client_name} — {doc.doc_label} ({doc.expiry_date})")
            print(f"{len(marked)} document(s) marked expired.")
            return 0
        reviews = periodic.review_queue(desk, within_days=args.days)
        expiring = periodic.expiring_documents(desk, within_days=args.days)
    finally:
        desk.close()
    print(f"Periodic reviews due within {args.days} days: {len(reviews)}")
    for r in reviews:
        print(f"  {r.next_review}  {r.client_name}  (risk {r.risk_rating.value})")
    print(f"Documents expiring within {args.days} days: {len(expiring)}")
    for d in expiring:
        print(f"  {d.expiry_date}  {d.client_name} — {d.doc_label}")
    return 0


def _ledger(folder: Path, args: argparse.Namespace) -> int:
    from app.ledger.views import totals
    from app.money import format_money
    from app.services import ledger

    desk = _open(folder)
    try:
        if args.ledger_command == "post-deals":
            print(f"Posted {ledger.post_waiting_deals(desk):,} deal entries.")
        elif args.ledger_command == "trial-balance":
            rows = ledger.trial_balance(desk)
            for b in rows:
                print(f"{b.code:<40} {b.kind.value:<9} {format_money(b.debit, b.currency):>22}"
                      f" {format_money(b.credit, b.currency):>22}")
            for currency, (debit, credit) in sorted(totals(rows).items()):
                state = "balances" if debit == credit else "DOES NOT BALANCE"
                print(f"{currency}: debits {format_money(debit, currency)}, credits "
                      f"{format_money(credit, currency)} — {state}")
        elif args.ledger_command == "statement":
            currency = args.code.rsplit(":", 1)[-1]
            for line in ledger.statement(desk, args.code, limit=100_000):
                print(f"{line.posted_at:%Y-%m-%d %H:%M}  #{line.entry_id:<8} "
                      f"{format_money(line.amount, currency):>20} "
                      f"{format_money(line.running, currency):>20}  {line.memo} "
                      f"[{line.source_kind}:{line.source_ref}]")
        elif args.ledger_command == "reverse":
            made = ledger.reverse_entry(desk, args.entry, args.reason)
            print(f"Entry #{args.entry} reversed by entry #{made}.")
        else:
            n = ledger.export_journal(desk, args.path, args.format)
            print(f"Wrote {n:,} {'entries' if args.format == 'beancount' else 'postings'} "
                  f"to {args.path}.")
    finally:
        desk.close()
    return 0


def main() -> None:
    try:
        code = run(sys.argv[1:])
    except BackdeskError as exc:
        print(f"backdesk: {exc.message}", file=sys.stderr)
        code = 2
    except KeyboardInterrupt:
        code = 130
    sys.exit(code)


if __name__ == "__main__":
    main()
