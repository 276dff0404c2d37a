"""Provider statements: the CSV format read exactly (Decimal, never float), a broken
file refused whole with the row named, the same file never twice, overlapping
statements never doubling a line, and only finance may import."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from app.crm.search_index import dbapi
from app.errors import PermissionDenied
from app.models.users import Role
from app.reconcile.statement import StatementRefused, parse
from app.services import reconciliation, users
from app.services.workspace import Desk

HEADER = "provider_ref,value_date,type,status,amount,fee,currency\n"


def statement(tmp_path: Path, name: str, body: str, encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes((HEADER + body).encode(encoding))
    return path


def stored(desk: Desk) -> tuple[int, list[tuple[object, ...]]]:
    with desk.store.read() as s:
        db = dbapi(s)
        n = db.execute("SELECT count(*) FROM provider_statements").fetchone()[0]
        lines = db.execute("SELECT provider_ref, status, amount_minor, fee_minor, currency,"
                           " value_date, copies FROM provider_lines ORDER BY provider_ref,"
                           " status").fetchall()
    return n, lines


def test_a_statement_is_read_exactly_and_imported(desk: Desk, tmp_path: Path) -> None:
    path = statement(tmp_path, "stripe-nov.csv",
                     "STR-1,2026-11-01,deposit,completed,250.10,7.51,USD\n"
                     "STR-2,2026-11-02,withdrawal,completed,0.29,0,EUR\n"
                     "STR-3,2026-11-02,deposit,completed,1000,,JPY\n"
                     "\n"
                     "STR-1,2026-11-03,deposit,refunded,250.10,0.00,USD\n")
    done = reconciliation.import_statement(desk, "Stripe", path)
    assert (done.lines, done.already) == (4, 0)
    assert (done.period_from, done.period_to) == (date(2026, 11, 1), date(2026, 11, 3))
    # 0.29 is where binary floats go wrong (0.29 * 100 = 28.999...)
    assert stored(desk) == (1, [
        ("STR-1", "completed", 25_010, 751, "USD", "2026-11-01", 1),
        ("STR-1", "refunded", 25_010, 0, "USD", "2026-11-03", 1),
        ("STR-2", "completed", 29, 0, "EUR", "2026-11-02", 1),
        ("STR-3", "completed", 1000, 0, "JPY", "2026-11-02", 1)])


@pytest.mark.parametrize(("body", "message"), [
    ("STR-1,2026-11-01,deposit,completed,1.00,0,USD\nSTR-2,2026-11-01,deposit,completed,"
     "1,234.00,0,USD\n", "Row 3: 8 fields"),
    ("STR-1,2026-11-01,deposit,completed,1.00,0,USD\nSTR-2,2026-11-01,deposit,completed,"
     "12.5O,0,USD\n", "Row 3: amount '12.5O' is not an amount"),
    ("STR-1,2026-11-01,deposit,completed,-5.00,0,USD\n", "Row 2: amount '-5.00'"),
    ("STR-1,2026-11-01,deposit,completed,1.001,0,USD\n", "Row 2: 1.001 USD has more decimal"),
    ("STR-1,01/11/2026,deposit,completed,1.00,0,USD\n", "Row 2: value_date '01/11/2026'"),
    ("STR-1,2026-02-30,deposit,completed,1.00,0,USD\n", "Row 2: value_date '2026-02-30'"),
    ("STR-1,2026-11-01,deposit,completed,1.00,0,XYZ\n", "Row 2: currency 'XYZ'"),
    ("STR-1,2026-11-01,transfer,completed,1.00,0,USD\n", "Row 2: type 'transfer'"),
    ("STR-1,2026-11-01,deposit,settled,1.00,0,USD\n", "Row 2: status 'settled'"),
    ("STR-1,2026-11-01,deposit,completed,1.00,0,USD\n"
     "STR-1,2026-11-01,deposit,completed,2.00,0,USD\n", "Row 3: reference STR-1"),
])
def test_a_broken_file_names_the_row_and_imports_nothing(desk: Desk, tmp_path: Path,
                                                         body: str, message: str) -> None:
    with pytest.raises(StatementRefused, match=message) as refused:
        reconciliation.import_statement(desk, "Stripe", statement(tmp_path, "s.csv", body))
    assert "Nothing was imported" in refused.value.message
    assert stored(desk) == (0, [])


def test_a_bad_header_or_encoding_is_refused(desk: Desk, tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("ref,date,type,status,amount,fee,currency\nX,2026-11-01,deposit,"
                   "completed,1.00,0,USD\n", encoding="utf-8")
    with pytest.raises(StatementRefused, match=r"Row 1: .*missing: provider_ref, value_date"
                                               r".*not expected: ref, date"):
        reconciliation.import_statement(desk, "Stripe", bad)
    latin = statement(tmp_path, "latin.csv", "STR-Müller,2026-11-01,deposit,completed,1.00,0,"
                      "USD\n", encoding="latin-1")
    with pytest.raises(StatementRefused, match="Row 2: the file is not UTF-8"):
        reconciliation.import_statement(desk, "Stripe", latin)
    with pytest.raises(StatementRefused, match="no transactions"):
        reconciliation.import_statement(desk, "Stripe", statement(tmp_path, "empty.csv", ""))
    assert stored(desk) == (0, [])
    # A byte-order mark from a spreadsheet and any column order are fine.
    assert [x.amount for x in parse(b"\xef\xbb\xbfCurrency, Amount ,fee,status,type,"
                                    b"value_date,provider_ref\nGBP,3.10,0,completed,deposit,"
                                    b"2026-11-01,SEP-9\n")] == [310]


def test_the_same_file_twice_is_refused_and_overlaps_do_not_double(desk: Desk,
                                                                   tmp_path: Path) -> None:
    first = statement(tmp_path, "a.csv", "STR-1,2026-11-01,deposit,completed,10.00,0,USD\n"
                                         "STR-2,2026-11-05,deposit,completed,20.00,0,USD\n")
    reconciliation.import_statement(desk, "Stripe", first)
    with pytest.raises(StatementRefused, match="imported already, as statement #1"):
        reconciliation.import_statement(desk, "Stripe", first)
    overlap = statement(tmp_path, "b.csv", "STR-2,2026-11-05,deposit,completed,20.00,0,USD\n"
                                           "STR-2,2026-11-05,deposit,completed,20.00,0,USD\n"
                                           "STR-3,2026-11-09,deposit,completed,30.00,0,USD\n")
    done = reconciliation.import_statement(desk, "Stripe", overlap,
                                           (date(2026, 11, 5), date(2026, 11, 10)))
    assert (done.lines, done.already) == (1, 1)
    n, lines = stored(desk)
    assert n == 2
    # STR-2 is one line, listed twice on the second statement: a duplicate to report
    assert [(ref, copies) for ref, *_, copies in lines] == [("STR-1", 1), ("STR-2", 2),
                                                            ("STR-3", 1)]
    other = statement(tmp_path, "c.csv", "STR-3,2026-11-09,deposit,completed,31.00,0,USD\n")
    with pytest.raises(StatementRefused, match=r"Row 2: reference STR-3 .* statement #2"):
        reconciliation.import_statement(desk, "Stripe", other)
    outside = statement(tmp_path, "d.csv", "STR-4,2026-12-01,deposit,completed,1.00,0,USD\n")
    with pytest.raises(StatementRefused, match="outside the statement period"):
        reconciliation.import_statement(desk, "Stripe", outside,
                                        (date(2026, 11, 1), date(2026, 11, 30)))
    assert stored(desk)[0] == 2


def test_only_finance_imports_statements(desk: Desk, tmp_path: Path) -> None:
    path = statement(tmp_path, "a.csv", "STR-1,2026-11-01,deposit,completed,10.00,0,USD\n")
    clerk = Desk(desk.store, users.add_user(desk, "cleo", "Cleo Clerk", Role.CLERK))
    with pytest.raises(PermissionDenied):
        reconciliation.import_statement(clerk, "Stripe", path)
    assert stored(desk) == (0, [])
    finance = Desk(desk.store, users.add_user(desk, "fin", "Fin Ance", Role.FINANCE))
    reconciliation.import_statement(finance, "Stripe", path)
    with desk.store.read() as s:
        (action, actor), = dbapi(s).execute(
            "SELECT action, actor_name FROM audit_entries WHERE action LIKE 'reconcile.%'")
    assert (action, actor) == ("reconcile.import_statement", "fin")
