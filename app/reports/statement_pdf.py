"""Drawing a client account statement (read by statement_data) as a PDF."""

from __future__ import annotations

from pathlib import Path

from reportlab.platypus import Flowable, Paragraph, Spacer

from app.reports.document import ReportHeader, Styles, build_pdf, para, styles
from app.reports.statement_data import AccountStatement, ClientStatement
from app.reports.tables import Column, PagedTable, Row
from app.reports.text import amount, markup

TITLE = "Client account statement"


def _summary(statement: ClientStatement, st: Styles) -> PagedTable:
    columns = [Column("Account", 226, wrap=True), Column("Currency", 44),
               Column("Opening", 60, "right"), Column("Debits", 60, "right"),
               Column("Credits", 60, "right"), Column("Closing", 60, "right")]
    rows = [Row([a.title, a.currency, amount(a.opening, a.currency),
                 amount(a.total_debit, a.currency), amount(a.total_credit, a.currency),
                 amount(a.closing, a.currency)]) for a in statement.accounts]
    return PagedTable(columns, rows, st)


def _account(a: AccountStatement, st: Styles) -> list[Flowable]:
    c = a.currency
    columns = [Column("Date (UTC)", 54, wrap=True), Column("Description", 164, wrap=True),
               Column("Source", 90, wrap=True), Column(f"Debit {c}", 66, "right"),
               Column(f"Credit {c}", 66, "right"), Column(f"Balance {c}", 70, "right")]
    rows = [Row(["", "Opening balance", "", "", "", amount(a.opening, c)], total=True)]
    rows += [Row([f"{x.posted_at:%Y-%m-%d}\n{x.posted_at:%H:%M}", x.description,
                  f"{x.source_kind}, entry #{x.entry_id}\n{x.source_ref}",
                  amount(x.debit, c) if x.debit else "",
                  amount(x.credit, c) if x.credit else "", amount(x.balance, c)])
             for x in a.lines]
    if not a.lines:
        rows.append(Row(["", "No postings in this period.", "", "", "", ""]))
    rows += [Row(["", "Totals for the period", "", amount(a.total_debit, c),
                  amount(a.total_credit, c), ""], total=True),
             Row(["", "Closing balance", "", "", "", amount(a.closing, c)], total=True)]
    return [para(a.title, st.subheading), PagedTable(columns, rows, st)]


def statement_story(statement: ClientStatement, st: Styles) -> list[Flowable]:
    story: list[Flowable] = [
        Paragraph(f"{markup(statement.client_name)}  ·  client #{statement.client_id}",
                  st.heading),
        para(f"Statement period {statement.period.label}. Amounts read as the client sees "
             "them: a credit raises the balance, a debit lowers it.", st.small),
        Spacer(0, 6),
    ]
    if not statement.accounts:
        story.append(para("This client has no trading accounts and no money held in the "
                          "ledger.", st.body))
        return story
    story += [para("Summary", st.subheading), _summary(statement, st)]
    for a in statement.accounts:
        story += _account(a, st)
    return story


def write_statement(statement: ClientStatement, header: ReportHeader, path: Path) -> int:
    """Write the statement to `path`; returns its page count."""
    return build_pdf(path, header, statement_story(statement, styles()))
