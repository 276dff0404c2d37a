"""`backdesk payments request|queue|checks|approve|reject`: payments without the desktop."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from app.models.payments import PaymentDirection, PaymentMethod


def add_parser(sub: Any) -> argparse.ArgumentParser:
    """Add `payments` and its commands to the `backdesk` subparsers."""
    payments: argparse.ArgumentParser = sub.add_parser(
        "payments", help="deposits and withdrawals: requests, checks, approvals")
    payments_sub = payments.add_subparsers(dest="payments_command", required=True)
    request = payments_sub.add_parser(
        "request", help="record a deposit or ask for a withdrawal for a trading account")
    request.add_argument("direction", choices=[d.value for d in PaymentDirection])
    request.add_argument("--login", type=int, required=True)
    request.add_argument("--method", choices=[m.value for m in PaymentMethod], required=True)
    request.add_argument("--provider", required=True)
    request.add_argument("--amount", required=True, help="e.g. 250.00")
    request.add_argument("--currency", default="USD")
    request.add_argument("--to", dest="account", required=True,
                         help="IBAN, card number (only the last four digits are kept), "
                              "e-wallet id or crypto address")
    request.add_argument("--bic", default="", help="the bank's BIC, for a bank wire")
    request.add_argument("--network", default="", help="bitcoin, ethereum or tron")
    request.add_argument("--holder", default="", help="account holder (default: the client)")
    request.add_argument("--preview", action="store_true",
                         help="only show the fee and conversion; send nothing")
    queue = payments_sub.add_parser("queue", help="withdrawals waiting for a decision")
    checks = payments_sub.add_parser("checks", help="why a withdrawal may or may not go")
    checks.add_argument("payment", type=int)
    approve = payments_sub.add_parser("approve", help="approve a withdrawal")
    approve.add_argument("payment", type=int)
    approve.add_argument("--note", default="", help="why it may go despite warnings")
    reject = payments_sub.add_parser("reject", help="reject a withdrawal (with a reason)")
    reject.add_argument("payment", type=int)
    reject.add_argument("--reason", required=True)
    for cmd in (payments, request, queue, checks, approve, reject):
        cmd.add_argument("--workspace", type=Path, default=argparse.SUPPRESS)
    return payments


def run(folder: Path, args: argparse.Namespace) -> int:
    from app.__main__ import _open
    from app.services import payments

    desk = _open(folder)
    try:
        command = args.payments_command
        if command == "request":
            form = payments.PaymentForm(
                args.login, PaymentDirection(args.direction), PaymentMethod(args.method),
                args.provider, args.amount, args.currency.upper(), args.account,
                args.holder, args.bic, args.network)
            print(payments.preview(desk, form).describe())
            if not args.preview:
                pid = payments.request_payment(desk, form)
                print(f"Payment #{pid} queued; it reaches the gateway with the next sync.")
        elif command == "queue":
            for r in payments.withdrawal_queue(desk):
                flag = "BLOCKED" if r.blocked else ("warning" if r.warnings else "clear")
                print(f"#{r.payment_id:<6} {r.login}  {r.created_at:%Y-%m-%d %H:%M}  "
                      f"{r.client}  {r.amount}  {r.method} to {r.payee}  [{flag}] {r.state}")
        elif command == "checks":
            for c in payments.checks(desk, args.payment).items:
                print(f"{c.outcome.value:<8} {c.name}: {c.detail}")
            print(payments.approval_state(desk, args.payment).describe())
        elif command == "approve":
            print(payments.approve_withdrawal(desk, args.payment, args.note))
        else:
            payments.reject_withdrawal(desk, args.payment, args.reason)
            print(f"Withdrawal #{args.payment} rejected; the gateway is told with the next "
                  "sync.")
    finally:
        desk.close()
    return 0
