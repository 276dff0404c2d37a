"""The journal as Beancount (checked by `bean-check`) and as CSV, for accountants'
own tools. Both are written in entry order with every posting; amounts are exact
decimals of the currency's minor unit."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from typing import Any, TextIO

from app.ledger.chart import account
from app.models.ledger import LedgerKind
from app.money import from_minor

_ROOTS = {LedgerKind.ASSET: "Assets", LedgerKind.LIABILITY: "Liabilities",
          LedgerKind.EQUITY: "Equity", LedgerKind.INCOME: "Income",
          LedgerKind.EXPENSE: "Expenses"}
_OTHER = re.compile(r"[^A-Za-z0-9-]+")


def beancount_name(code: str) -> str:
    """'trading:mt5:100234:USD' → 'Liabilities:Trading:Mt5-100234:USD'."""
    a = account(code)
    head, *middle, currency = code.split(":")
    parts = ["".join(w.capitalize() for w in head.split("_"))]
    if middle:
        part = _OTHER.sub("-", "-".join(middle)).strip("-") or "X"
        parts.append(part[0].upper() + part[1:])
    return ":".join([_ROOTS[a.kind], *parts, currency])


def _rows(db: Any) -> Iterator[tuple[int, str, str, str, str, str, str, int, str]]:
    yield from db.execute(
        "SELECT j.id, j.posted_at, j.memo, j.source_kind, j.source_ref, j.reason, a.code,"
        " p.amount_minor, p.currency FROM journal_entries j"
        " JOIN postings p ON p.entry_id = j.id"
        " JOIN ledger_accounts a ON a.id = p.ledger_account_id ORDER BY j.id, p.id")


def _quoted(text: str) -> str:
    return '"' + text.replace("\\", "/").replace('"', "'").replace("\n", " ") + '"'


def write_beancount(db: Any, out: TextIO, title: str = "Backdesk ledger") -> int:
    """Write the whole journal; returns the number of transactions."""
    opened: dict[str, str] = {}
    for code, first in db.execute(
            "SELECT a.code, min(j.posted_at) FROM ledger_accounts a"
            " JOIN postings p ON p.ledger_account_id = a.id"
            " JOIN journal_entries j ON j.id = p.entry_id GROUP BY a.id ORDER BY a.code"):
        opened[code] = first[:10]
    out.write(f"option \"title\" {_quoted(title)}\n\n")
    for code, day in sorted(opened.items(), key=lambda kv: (kv[1], kv[0])):
        out.write(f"{day} open {beancount_name(code)} {code.rsplit(':', 1)[1]}\n")
    count, current = 0, None
    for entry, at, memo, kind, ref, reason, code, amount, currency in _rows(db):
        if entry != current:
            current = entry
            count += 1
            out.write(f"\n{at[:10]} * {_quoted(memo)}\n")
            out.write(f"  entry: \"{entry}\"\n  source: {_quoted(f'{kind}:{ref}')}\n")
            if reason:
                out.write(f"  reason: {_quoted(reason)}\n")
        out.write(f"  {beancount_name(code)}  {from_minor(amount, currency)} {currency}\n")
    return count


def write_csv(db: Any, out: TextIO) -> int:
    """One row per posting; returns the number of rows."""
    w = csv.writer(out)
    w.writerow(["entry", "posted_at", "memo", "source", "reason", "account", "debit",
                "credit", "currency"])
    n = 0
    for entry, at, memo, kind, ref, reason, code, amount, currency in _rows(db):
        value = from_minor(abs(amount), currency)
        w.writerow([entry, at[:19], _safe(memo), f"{kind}:{ref}", _safe(reason), code,
                    value if amount > 0 else "", value if amount < 0 else "", currency])
        n += 1
    return n


def _safe(text: str) -> str:
    # A memo beginning with = + - @ would run as a formula in a spreadsheet.
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text


def beancount_text(db: Any) -> str:
    buf = io.StringIO()
    write_beancount(db, buf)
    return buf.getvalue()
