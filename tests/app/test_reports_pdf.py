"""The PDF reports as a reader gets them: real ledger and reconciliation data in a real
workspace, the PDFs read back with pypdf. Names in four scripts must come back out of
the file (so the embedded font has their glyphs and the text maps to them), balances
and totals must be exact, and long statements must page with "Page N of M"."""

from __future__ import annotations

import json
import re
import unicodedata
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader
from reportlab.pdfbase import pdfmetrics
from sqlalchemy import select

from app.crm.search_index import dbapi
from app.errors import NotFound, PermissionDenied, ValidationFailed
from app.ledger import chart
from app.ledger.chart import Accounts
from app.ledger.journal import Draft, Line, post, post_many
from app.models.audit import AuditEntry
from app.models.reconciliation import BreakKind, BreakStatus, ReconException, ReconRun
from app.models.trading import TradingAccount
from app.models.users import Role
from app.reports.fonts import (
    FONT_DIR_VARIABLE,
    REGULAR_FILE,
    ReportFontMissing,
    find_font,
    report_fonts,
)
from app.reports.text import visual
from app.services import clients, reports, users
from app.services.workspace import Desk

MARCH = (date(2026, 3, 1), date(2026, 3, 31))
CLEARING = chart.clearing("Stripe", "USD")
ARABIC = "سعيد الهاشمي"
CYRILLIC = "Белозёров"
GREEK = "Παπαδόπουλος"


def at(day: int, month: int = 3, hour: int = 9) -> datetime:
    return datetime(2026, month, day, hour, 0, tzinfo=UTC)


def client(desk: Desk, last: str, first: str = "", login: int | None = None,
           country: str = "GB") -> int:
    cid = clients.create_client(desk, clients.ClientData(first_name=first, last_name=last,
                                                         country=country))
    if login is not None:
        with desk.store.write() as s:
            s.add(TradingAccount(platform="gw", login=login, client_id=cid, group="real",
                                 currency="USD", leverage=30, status="active"))
    return cid


def write(desk: Desk, *drafts: Draft) -> None:
    with desk.store.write() as s:
        db = dbapi(s)
        accounts = Accounts(db)
        for d in drafts:
            assert post(db, accounts, d) is not None


def deposit(ref: str, login: int, minor: int, when: datetime) -> Draft:
    return Draft("payment", f"{ref}:completed", f"Deposit {ref} via Stripe",
                 (Line(CLEARING, minor), Line(chart.trading("gw", login, "USD"), -minor)), when)


def deal(ticket: int, login: int, client_loss: int, when: datetime) -> Draft:
    """A closed deal; positive `client_loss` is money the client lost."""
    return Draft("deal", f"gw:{ticket}", f"Deal {ticket} (sell EURUSD) on {login}",
                 (Line(chart.trading("gw", login, "USD"), client_loss),
                  Line("trading_pnl:USD", -client_loss)), when)


def held(ref: str, login: int, cid: int, minor: int, when: datetime) -> Draft:
    return Draft("payment", f"{ref}:held", f"Withdrawal {ref} held for payment",
                 (Line(chart.trading("gw", login, "USD"), minor),
                  Line(chart.client_money(cid, "USD"), -minor)), when)


def pages_text(path: Path) -> list[str]:
    return [p.extract_text() for p in PdfReader(path).pages]


def logical(text: str) -> str:
    """Extracted text with Arabic presentation forms folded back to plain letters."""
    return unicodedata.normalize("NFKC", text)


@pytest.fixture
def smith(desk: Desk) -> int:
    """A client with activity before, inside and after March 2026."""
    cid = client(desk, "Smith", "Jane", login=500001)
    write(desk,
          deposit("P1", 500001, 100_000, at(20, month=2)),         # before: opening 1,000.00
          deal(1, 500001, 25_050, at(5)),                          # loss 250.50: a debit
          deposit("P2", 500001, 50_000, at(10)),                   # 500.00: a credit
          held("P3", 500001, cid, 20_000, at(20)),                 # 200.00 out to held
          deposit("P4", 500001, 99_900, at(1, month=4)))            # after: not shown
    return cid


def test_statement_data_reads_as_the_client_sees_it(desk: Desk, smith: int) -> None:
    st = reports.client_statement(desk, smith, *MARCH)
    assert st.client_name == "Smith, Jane"
    trading, money = st.accounts
    assert trading.code == "trading:gw:500001:USD"
    assert (trading.opening, trading.total_debit, trading.total_credit, trading.closing) == (
        100_000, 45_050, 50_000, 104_950)
    assert [(x.debit, x.credit, x.balance) for x in trading.lines] == [
        (25_050, 0, 74_950), (0, 50_000, 124_950), (20_000, 0, 104_950)]
    assert [x.reference for x in trading.lines] == [
        "deal:gw:1", "payment:P2:completed", "payment:P3:held"]
    assert money.code == f"client_money:{smith}:USD"
    assert (money.opening, money.total_credit, money.closing) == (0, 20_000, 20_000)


def test_statement_pdf_has_header_balances_and_totals(desk: Desk, smith: int,
                                                      tmp_path: Path) -> None:
    out = tmp_path / "smith.pdf"
    pages = reports.client_statement_pdf(desk, smith, *MARCH, out)
    (text,) = pages_text(out)
    assert pages == 1
    for expected in ("Test Markets Ltd", "Client account statement",
                     "Period: 2026-03-01 to 2026-03-31", "Smith, Jane", f"client #{smith}",
                     "Page 1 of 1", "Trading account 500001 (gw), USD",
                     "Money held for withdrawals in progress, USD"):
        assert expected in text
    assert re.search(r"Generated by Ada Admin on \d{4}-\d\d-\d\d \d\d:\d\d UTC", text)
    lines = text.splitlines()
    # Summary rows: opening, debits, credits, closing, in that order, exact.
    trading_row = lines.index("Trading account 500001 (gw), USD")
    assert lines[trading_row + 1:trading_row + 6] == [
        "USD", "1,000.00", "450.50", "500.00", "1,049.50"]
    money_row = lines.index("Money held for withdrawals in progress, USD")
    assert lines[money_row + 1:money_row + 6] == ["USD", "0.00", "0.00", "200.00", "200.00"]
    assert lines[lines.index("Closing balance") + 1] == "1,049.50"
    assert lines[lines.index("Totals for the period") + 1:
                 lines.index("Totals for the period") + 3] == ["450.50", "500.00"]
    # Each posting names its source and journal entry, for drill-down.
    assert "deal, entry #2" in text and "gw:1" in text and "P3:held" in text
    assert "P4" not in text and "999.00" not in text  # April is outside the period
    assert "P1" not in text  # before the period: only in the opening balance


def test_every_font_in_the_file_is_embedded_dejavu(desk: Desk, smith: int,
                                                   tmp_path: Path) -> None:
    out = tmp_path / "fonts.pdf"
    reports.client_statement_pdf(desk, smith, *MARCH, out)
    seen = set()
    for page in PdfReader(out).pages:
        resources: Any = page["/Resources"]
        for ref in resources["/Font"].values():
            font = ref.get_object()
            seen.add(str(font["/BaseFont"]).split("+", 1)[-1])
            assert "/FontFile2" in font["/FontDescriptor"].get_object()  # embedded TrueType
    assert seen == {"DejaVuSans", "DejaVuSans-Bold"}


def test_the_report_font_has_a_glyph_for_every_letter_of_the_names() -> None:
    fonts = report_fonts()
    for name in (fonts.regular, fonts.bold):
        face = pdfmetrics.getFont(name).face
        for text in (ARABIC, CYRILLIC, GREEK, "Алексей", "Νίκος", "Zoë Ångström"):
            missing = [c for c in visual(text) if c != " " and ord(c) not in face.charToGlyph]
            assert not missing, (name, text, missing)


def test_names_in_four_scripts_come_back_out_of_the_pdf(desk: Desk, tmp_path: Path) -> None:
    people = {"Latin": client(desk, "Ångström", "Zoë", login=610001),
              "Cyrillic": client(desk, CYRILLIC, "Алексей", login=610002),
              "Greek": client(desk, GREEK, "Νίκος", login=610003, country="GR"),
              "Arabic": client(desk, ARABIC, login=610004, country="AE")}
    write(desk, *(deposit(f"N{n}", 610001 + n, 12_345, at(3)) for n in range(4)))
    expected = {"Latin": "Ångström, Zoë", "Cyrillic": f"{CYRILLIC}, Алексей",
                "Greek": f"{GREEK}, Νίκος", "Arabic": ARABIC}
    for script, cid in people.items():
        out = tmp_path / f"{script}.pdf"
        reports.client_statement_pdf(desk, cid, *MARCH, out)
        (text,) = pages_text(out)
        assert expected[script] in logical(text), script
        assert "123.45" in text
    # The Arabic name is drawn joined (presentation forms), not as isolated letters.
    (arabic_text,) = pages_text(tmp_path / "Arabic.pdf")
    assert any("\ufb50" <= c <= "\ufeff" for c in arabic_text)
    assert ARABIC not in arabic_text  # raw, unshaped letters would mean no shaping


def test_a_long_statement_pages_with_page_n_of_m(desk: Desk, tmp_path: Path) -> None:
    cid = client(desk, GREEK, "Νίκος", login=620001, country="GR")
    write(desk, deposit("G0", 620001, 1_000_000, at(28, month=2)))
    start = at(1)
    losses = [(n % 9 - 4) * 101 or 37 for n in range(400)]  # gains and losses, in cents
    with desk.store.write() as s:
        db = dbapi(s)
        assert post_many(db, Accounts(db), [
            deal(10_000 + n, 620001, loss, start + timedelta(minutes=90 * n))
            for n, loss in enumerate(losses)]) == 400
    out = tmp_path / "long.pdf"
    pages = reports.client_statement_pdf(desk, cid, *MARCH, out)
    texts = pages_text(out)
    assert pages == len(texts) >= 5
    for n, text in enumerate(texts, start=1):
        assert f"Page {n} of {pages}" in text
        assert "Test Markets Ltd" in text and "Period: 2026-03-01 to 2026-03-31" in text
    # Column titles repeat at the top of every page the posting table runs over.
    assert all("Balance USD" in t for t in texts[1:])
    everything = "\n".join(texts)
    for n in (0, 199, 399):
        assert f"gw:{10_000 + n}" in everything
    closing = 1_000_000 - sum(losses)
    debit = sum(x for x in losses if x > 0)
    credit = -sum(x for x in losses if x < 0)
    lines = texts[-1].splitlines()
    assert lines[lines.index("Closing balance") + 1] == _usd(closing)
    total = lines.index("Totals for the period")
    assert lines[total + 1:total + 3] == [_usd(debit), _usd(credit)]


def _usd(minor: int) -> str:
    sign = "-" if minor < 0 else ""
    whole, cents = divmod(abs(minor), 100)
    return f"{sign}{whole:,}.{cents:02d}"


def test_a_client_without_activity_gets_opening_equal_to_closing(desk: Desk,
                                                                 tmp_path: Path) -> None:
    quiet = client(desk, CYRILLIC, "Алексей", login=630001)
    write(desk, deposit("Q1", 630001, 75_000, at(15, month=1)))
    out = tmp_path / "quiet.pdf"
    assert reports.client_statement_pdf(desk, quiet, *MARCH, out) == 1
    (text,) = pages_text(out)
    assert "No postings in this period." in text
    lines = text.splitlines()
    assert lines[lines.index("Opening balance") + 1] == "750.00"
    assert lines[lines.index("Closing balance") + 1] == "750.00"
    nobody = client(desk, "Nobody", "No")
    reports.client_statement_pdf(desk, nobody, *MARCH, tmp_path / "none.pdf")
    (text,) = pages_text(tmp_path / "none.pdf")
    assert "no trading accounts and no money held" in text


def _run(desk: Desk, found: int, when: datetime) -> int:
    with desk.store.write() as s:
        run = ReconRun(started_at=when, finished_at=when + timedelta(seconds=42),
                       trigger="on_demand", run_by=desk.actor.id, accounts_checked=1_234,
                       payments_checked=567, lines_checked=89, breaks_found=found,
                       breaks_new=found)
        s.add(run)
        s.flush()
        return run.id


def _break(desk: Desk, run: int, kind: BreakKind, key: str, difference: int, *,
           status: BreakStatus = BreakStatus.OPEN, client_id: int | None = None,
           resolution: str = "", resolved_by: int | None = None,
           resolved_at: datetime | None = None, cleared: bool = False,
           ledger: dict[str, object] | None = None,
           platform: dict[str, object] | None = None,
           provider: dict[str, object] | None = None) -> None:
    with desk.store.write() as s:
        s.add(ReconException(kind=kind, key=key, signature=f"USD:{difference}",
                             summary=f"Payment {key} differs", currency="USD",
                             difference_minor=difference, client_id=client_id,
                             ledger_side=ledger, platform_side=platform,
                             provider_side=provider, status=status, first_run_id=run,
                             last_run_id=run, cleared_run_id=run if cleared else None,
                             resolution=resolution, resolved_by=resolved_by,
                             resolved_at=resolved_at))


def test_reconciliation_report_lists_open_and_resolved_breaks(desk: Desk,
                                                              tmp_path: Path) -> None:
    arab = client(desk, ARABIC, country="AE")
    fiona = users.add_user(desk, "fiona", "Fiona Finance", Role.FINANCE)
    run = _run(desk, 3, at(30, hour=18))
    _break(desk, run, BreakKind.AMOUNT_MISMATCH, "PAY7", 1, client_id=arab,
           ledger={"payment": "PAY7", "amount": "100.00", "amount_minor": 10_000,
                   "currency": "USD"},
           platform={"ticket": 88123, "amount_minor": 10_001, "currency": "USD"})
    _break(desk, run, BreakKind.DUPLICATE, "PAY8", 25_000,
           provider={"provider_ref": "ST-991", "amount_minor": 25_000, "copies": 2})
    _break(desk, run, BreakKind.ORPHAN_PROVIDER, "ST-5", 4_200, cleared=True)
    _break(desk, run, BreakKind.BALANCE_DRIFT, "acct:700001", 300,
           status=BreakStatus.RESOLVED, resolution="Platform fee refunded on 12 March",
           resolved_by=fiona.id, resolved_at=at(12, hour=11))
    _break(desk, run, BreakKind.BALANCE_DRIFT, "acct:700002", 900,
           status=BreakStatus.RESOLVED, resolution="Old January fix",
           resolved_by=fiona.id, resolved_at=at(5, month=1))

    report = reports.reconciliation(desk, *MARCH)
    assert [b.kind for b in report.open_breaks] == [BreakKind.AMOUNT_MISMATCH,
                                                    BreakKind.DUPLICATE]
    assert [b.resolution for b in report.resolved] == ["Platform fee refunded on 12 March"]

    out = tmp_path / "recon.pdf"
    assert reports.reconciliation_pdf(desk, out, *MARCH) == 1
    (text,) = pages_text(out)
    for expected in ("Test Markets Ltd", "Reconciliation report",
                     "Period: 2026-03-01 to 2026-03-31", f"#{run} (on demand)",
                     "2026-03-30 18:00 UTC", "Ada Admin", "1,234", "567", "89",
                     "3 (3 new)", "Amount mismatch (1)", "Duplicate (1)",
                     "Payment PAY7 differs", "0.01 USD", "amount: 100.00 USD",
                     "amount: 100.01 USD", "ticket: 88123", "no record",
                     "Payment PAY8 differs", "250.00 USD", "copies: 2",
                     "Platform fee refunded on 12 March", "Fiona Finance",
                     "2026-03-12 11:00 UTC", "Page 1 of 1"):
        assert expected in text, expected
    assert f"Client: {ARABIC}" in logical(text)
    assert "No breaks:" not in text
    assert "ST-5" not in text  # cleared by a later run: not open any more
    assert "Old January fix" not in text  # resolved outside the period
    # Groups in the order of the break kinds, each break under its own kind.
    assert text.index("Amount mismatch (1)") < text.index("PAY7") < text.index(
        "Duplicate (1)") < text.index("PAY8") < text.index("Resolved in the period")


def test_a_clean_run_says_no_breaks(desk: Desk, tmp_path: Path) -> None:
    out = tmp_path / "none-yet.pdf"
    reports.reconciliation_pdf(desk, out, *MARCH)
    (text,) = pages_text(out)
    assert "No reconciliation has been run yet" in text
    _run(desk, 0, at(31))
    out = tmp_path / "clean.pdf"
    reports.reconciliation_pdf(desk, out, *MARCH)
    (text,) = pages_text(out)
    assert "No breaks: the ledger, the trading platform and the payment providers agree" in (
        text.replace("\n", " "))
    assert "0 (0 new)" in text and "No breaks were resolved in the period." in text
    assert "No reconciliation has been run yet" not in text


def test_a_clerk_is_refused_and_nothing_is_written(desk: Desk, smith: int,
                                                   tmp_path: Path) -> None:
    tmp_path = tmp_path / "out"
    tmp_path.mkdir()
    clerk = Desk(desk.store, users.add_user(desk, "cleo", "Cleo Clerk", Role.CLERK))
    with pytest.raises(PermissionDenied, match="run reports"):
        reports.client_statement_pdf(clerk, smith, *MARCH, tmp_path / "s.pdf")
    with pytest.raises(PermissionDenied, match="run reports"):
        reports.reconciliation_pdf(clerk, tmp_path / "r.pdf")
    with pytest.raises(PermissionDenied):
        reports.client_statement(clerk, smith, *MARCH)
    assert list(tmp_path.iterdir()) == []
    compliance = Desk(desk.store, users.add_user(desk, "olga", "Olga Comply", Role.COMPLIANCE))
    assert reports.reconciliation_pdf(compliance, tmp_path / "r.pdf") == 1


def test_reports_are_audited_without_client_data(desk: Desk, smith: int,
                                                 tmp_path: Path) -> None:
    reports.client_statement_pdf(desk, smith, *MARCH, tmp_path / "jane-march.pdf")
    reports.reconciliation_pdf(desk, tmp_path / "recon.pdf", *MARCH)
    with desk.store.read() as s:
        entries = s.scalars(select(AuditEntry).where(AuditEntry.action.like("report.%"))
                            .order_by(AuditEntry.id)).all()
        logged = [(e.action, e.entity, e.entity_id, e.actor_name, e.after) for e in entries]
    assert logged == [
        ("report.client_statement", "client", str(smith), "admin",
         {"file": "jane-march.pdf", "period": "2026-03-01 to 2026-03-31", "pages": 1}),
        ("report.reconciliation", "recon_run", "None", "admin",
         {"file": "recon.pdf", "period": "2026-03-01 to 2026-03-31", "pages": 1,
          "open_breaks": 0})]
    dumped = json.dumps([e[4] for e in logged], ensure_ascii=False)
    assert "Smith" not in dumped and "1,049.50" not in dumped and "104950" not in dumped


def test_bad_requests_are_clear_errors(desk: Desk, smith: int, tmp_path: Path) -> None:
    tmp_path = tmp_path / "out"
    tmp_path.mkdir()
    with pytest.raises(ValidationFailed, match="starts"):
        reports.client_statement_pdf(desk, smith, date(2026, 3, 31), date(2026, 3, 1),
                                     tmp_path / "x.pdf")
    with pytest.raises(ValidationFailed, match="does not exist"):
        reports.client_statement_pdf(desk, smith, *MARCH, tmp_path / "no" / "x.pdf")
    with pytest.raises(NotFound, match="no client #999"):
        reports.client_statement_pdf(desk, 999, *MARCH, tmp_path / "x.pdf")
    assert list(tmp_path.iterdir()) == []


def test_a_missing_font_is_a_clear_error_and_a_font_folder_can_be_named(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ReportFontMissing, match="apt-get install fonts-dejavu-core"):
        find_font("NoSuchFont-Book.ttf")
    system = find_font(REGULAR_FILE)
    own = tmp_path / "fonts"
    own.mkdir()
    (own / REGULAR_FILE).write_bytes(system.read_bytes())
    monkeypatch.setenv(FONT_DIR_VARIABLE, str(own))
    assert find_font(REGULAR_FILE) == own / REGULAR_FILE
