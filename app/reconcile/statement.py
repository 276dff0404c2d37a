"""Provider statements: the CSV file a provider's portal gives, read and imported.

The format (one file per provider; the provider is named at import):

    provider_ref,value_date,type,status,amount,fee,currency
    STR-00a1b2c3d4,2026-11-01,deposit,completed,250.00,7.50,USD
    SEP-0f9e8d7c6b,2026-11-01,withdrawal,completed,1200.00,0.00,EUR

- UTF-8 text (a byte-order mark is allowed), comma separated, a header row naming
  these seven columns in any order (case and surrounding spaces ignored).
- provider_ref: the provider's reference of the transaction, as the payment has it.
- value_date: YYYY-MM-DD, the day the money moved.
- type: deposit or withdrawal. status: completed, refunded, charged_back or failed.
- amount: a positive decimal with a dot and no thousands separators, at most the
  currency's decimal places (2 for USD, 0 for JPY, 8 for BTC); fee the same, zero
  or more (empty means 0). currency: an ISO 4217 code or a crypto asset the desk knows.

A file that breaks any of this is refused as a whole, with the row it stops at; the
same file (by SHA-256) is never imported twice; a transaction already imported from
an overlapping statement is kept once, and refused if the new file gives it other
figures. The statement covers the period given at import, or else the first to the
last value date in it: payments of that provider completed in the period are
expected on it.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from app.errors import ValidationFailed
from app.money import CURRENCIES, to_minor

COLUMNS = ("provider_ref", "value_date", "type", "status", "amount", "fee", "currency")
TYPES = frozenset({"deposit", "withdrawal"})
STATUSES = frozenset({"completed", "refunded", "charged_back", "failed"})
_DECIMAL = re.compile(r"[0-9]+(\.[0-9]+)?")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


class StatementRefused(ValidationFailed):
    def __init__(self, message: str) -> None:
        super().__init__(message + " Nothing was imported.", "file")


@dataclass(frozen=True, slots=True)
class StatementLine:
    row: int
    provider_ref: str
    value_date: date
    direction: str
    status: str
    amount: int
    fee: int
    currency: str
    copies: int = 1

    @property
    def figures(self) -> tuple[str, str, int, int, str]:
        return (self.value_date.isoformat(), self.direction, self.amount, self.fee,
                self.currency)


def _money(text: str, currency: str, row: int, column: str) -> int:
    if not _DECIMAL.fullmatch(text):
        raise StatementRefused(f"Row {row}: {column} {text!r} is not an amount (write it like "
                               "1234.50: digits, a dot, no signs or thousands separators).")
    try:
        return to_minor(text, currency)
    except ValidationFailed as exc:
        raise StatementRefused(f"Row {row}: {exc.message}") from None


def parse(data: bytes) -> list[StatementLine]:
    """The file's lines, repeats of a transaction counted as copies."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        at = data[:exc.start].count(b"\n") + 1
        raise StatementRefused(f"Row {at}: the file is not UTF-8 text (byte {exc.start}); "
                               "save it from the portal or a spreadsheet as CSV UTF-8.") from None
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader, None)
    names = [h.strip().lower() for h in header or []]
    if sorted(names) != sorted(COLUMNS):
        missing = [c for c in COLUMNS if c not in names]
        extra = [n for n in names if n not in COLUMNS or names.count(n) > 1]
        raise StatementRefused(
            "Row 1: the header must name the columns " + ", ".join(COLUMNS)
            + (f"; missing: {', '.join(missing)}" if missing else "")
            + (f"; not expected: {', '.join(extra)}" if extra else "") + ".")
    where = {n: names.index(n) for n in COLUMNS}
    lines: dict[tuple[str, str], StatementLine] = {}
    for row, cells in enumerate(reader, start=2):
        if not any(c.strip() for c in cells):
            continue
        if len(cells) != len(COLUMNS):
            raise StatementRefused(f"Row {row}: {len(cells)} fields, expected {len(COLUMNS)}.")
        f = {n: cells[i].strip() for n, i in where.items()}
        line = _line(row, f)
        key = (line.provider_ref, line.status)
        first = lines.get(key)
        if first is None:
            lines[key] = line
        elif first.figures == line.figures:
            lines[key] = replace(first, copies=first.copies + 1)
        else:
            raise StatementRefused(
                f"Row {row}: reference {line.provider_ref} is {line.status} again with other "
                f"figures than row {first.row}.")
    return list(lines.values())


def _line(row: int, f: dict[str, str]) -> StatementLine:
    ref = f["provider_ref"]
    if not ref or len(ref) > 128:
        raise StatementRefused(f"Row {row}: provider_ref must be 1 to 128 characters.")
    try:
        if not _DATE.fullmatch(f["value_date"]):
            raise ValueError
        day = date.fromisoformat(f["value_date"])
    except ValueError:
        raise StatementRefused(f"Row {row}: value_date {f['value_date']!r} is not a date "
                               "written YYYY-MM-DD.") from None
    direction, status, currency = f["type"].lower(), f["status"].lower(), f["currency"].upper()
    if direction not in TYPES:
        raise StatementRefused(f"Row {row}: type {f['type']!r} is neither deposit nor "
                               "withdrawal.")
    if status not in STATUSES:
        raise StatementRefused(f"Row {row}: status {f['status']!r} is not one of "
                               f"{', '.join(sorted(STATUSES))}.")
    if currency not in CURRENCIES:
        raise StatementRefused(f"Row {row}: currency {f['currency']!r} is not one the desk "
                               "knows.")
    amount = _money(f["amount"], currency, row, "amount")
    if amount == 0:
        raise StatementRefused(f"Row {row}: amount must be above zero.")
    fee = _money(f["fee"] or "0", currency, row, "fee")
    return StatementLine(row, ref, day, direction, status, amount, fee, currency)


@dataclass(frozen=True, slots=True)
class Imported:
    statement_id: int
    lines: int          # new lines
    already: int        # lines an overlapping statement had brought already
    period_from: date
    period_to: date


def import_file(db: Any, provider: str, file_name: str, data: bytes,
                period: tuple[date, date] | None, imported_by: int | None,
                now: str) -> Imported:
    """Parse and store a statement in the caller's write transaction."""
    provider = provider.strip()
    if not provider or len(provider) > 64:
        raise StatementRefused("Name the provider the statement comes from (up to 64 "
                               "characters).")
    digest = hashlib.sha256(data).hexdigest()
    twice = db.execute("SELECT id, file_name, imported_at FROM provider_statements"
                       " WHERE sha256 = ?", (digest,)).fetchone()
    if twice is not None:
        raise StatementRefused(f"This file was imported already, as statement #{twice[0]} "
                               f"({twice[1]}) on {str(twice[2])[:16]}.")
    lines = parse(data)
    if period is None:
        if not lines:
            raise StatementRefused("The statement lists no transactions; give the period it "
                                   "covers to import it as a quiet period.")
        period = (min(x.value_date for x in lines), max(x.value_date for x in lines))
    start, end = period
    if start > end:
        raise StatementRefused(f"The period starts ({start}) after it ends ({end}).")
    for x in lines:
        if not start <= x.value_date <= end:
            raise StatementRefused(f"Row {x.row}: value date {x.value_date} is outside the "
                                   f"statement period {start} to {end}.")
    known: dict[tuple[str, str], tuple[Any, ...]] = {}
    for i in range(0, len(lines), 400):
        chunk = lines[i:i + 400]
        refs = [x.provider_ref for x in chunk]
        for row in db.execute(
                "SELECT provider_ref, status, value_date, direction, amount_minor, fee_minor,"
                " currency, statement_id, copies FROM provider_lines WHERE provider = ?"
                f" AND provider_ref IN ({','.join('?' * len(refs))})", (provider, *refs)):
            known[(row[0], row[1])] = row[2:]
    new = [x for x in lines if (x.provider_ref, x.status) not in known]
    again = [x for x in lines if (x.provider_ref, x.status) in known]
    for x in again:
        k = known[(x.provider_ref, x.status)]
        if (str(k[0])[:10], *k[1:5]) != x.figures:
            raise StatementRefused(
                f"Row {x.row}: reference {x.provider_ref} ({x.status}) differs from the same "
                f"transaction in statement #{k[5]}; ask {provider} which is right.")
    cur = db.execute(
        "INSERT INTO provider_statements (provider, file_name, sha256, period_from, period_to,"
        " lines, imported_by, imported_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (provider, file_name[:260], digest, start.isoformat(), end.isoformat(), len(lines),
         imported_by, now))
    statement_id = int(cur.lastrowid)
    db.executemany(
        "INSERT INTO provider_lines (statement_id, provider, provider_ref, direction, status,"
        " amount_minor, fee_minor, currency, value_date, copies)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [(statement_id, provider, x.provider_ref, x.direction, x.status, x.amount, x.fee,
          x.currency, x.value_date.isoformat(), x.copies) for x in new])
    db.executemany("UPDATE provider_lines SET copies = max(copies, ?) WHERE provider = ?"
                   " AND provider_ref = ? AND status = ?",
                   [(x.copies, provider, x.provider_ref, x.status) for x in again])
    return Imported(statement_id, len(new), len(again), start, end)


def write_csv(rows: list[tuple[str, date, str, str, str, str, str]]) -> str:
    """A statement in this format (the sandbox's provider portal uses it)."""
    out = io.StringIO(newline="")
    w = csv.writer(out, lineterminator="\n")
    w.writerow(COLUMNS)
    for ref, day, direction, status, amount, fee, currency in rows:
        w.writerow((ref, day.isoformat(), direction, status, amount, fee, currency))
    return out.getvalue()
