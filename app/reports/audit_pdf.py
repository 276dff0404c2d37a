"""Drawing an audit-trail extract (read by audit_data) as a PDF: first whether the hash
chain held, then the entries, oldest first."""

from __future__ import annotations

from reportlab.lib import colors
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.utils import simpleSplit
from reportlab.platypus import Flowable, Paragraph

from app.reports.audit_data import AuditExtract, AuditLine
from app.reports.document import Styles, para
from app.reports.tables import PAD_H, Column, PagedTable, Row
from app.reports.text import markup

TITLE = "Audit-trail extract"
GOOD = colors.HexColor("#1b6e20")
BAD = colors.HexColor("#b3261e")
COLUMNS = (Column("Entry / hash", 70), Column("Time (UTC)", 58), Column("Who", 64, wrap=True),
           Column("Action", 104, wrap=True), Column("Entity", 76, wrap=True),
           Column("Before → after", 138, wrap=True))


def chain_statement(extract: AuditExtract) -> str:
    chain = extract.chain
    if chain.ok:
        return (f"✔ Hash chain verified when this extract was generated: all "
                f"{chain.checked:,} entries of the audit log are intact, in order, and none "
                "is missing.")
    where = f" Verification stopped at entry #{chain.entry_id}." if chain.entry_id else ""
    shown = any(x.id == chain.entry_id for x in extract.lines)
    return (f"✖ The hash chain did NOT verify when this extract was generated. "
            f"{chain.message}{where} Entries from there on cannot be relied on as written"
            + ("; the one that breaks the chain is marked ✖ below." if shown else "."))


def _statement(extract: AuditExtract, st: Styles) -> Paragraph:
    style = ParagraphStyle("chain", parent=st.body, fontName=st.fonts.bold, fontSize=10,
                           leading=13, spaceBefore=10, spaceAfter=10, borderPadding=5,
                           borderWidth=0.8, borderColor=GOOD if extract.chain.ok else BAD,
                           textColor=GOOD if extract.chain.ok else BAD)
    return Paragraph(markup(chain_statement(extract)), style)


def _lines(text: str, font: str, size: float, width: float) -> str:
    """Long text broken into lines that fit the column. A cell of lines that fit prints
    as plain strings; one that does not needs a Paragraph, which costs several times
    more to lay out (a 10,000-entry extract spends most of its time there otherwise).
    Right-to-left text may still be too wide once shaped: PagedTable wraps it then."""
    return "\n".join(part for line in text.split("\n")
                     for part in (simpleSplit(line, font, size, width) or [line]))


def entry_row(x: AuditLine, broken: int | None, font: str = "", size: float = 0) -> Row:
    mark = "✖ " if x.id == broken else ""
    change = x.change
    if font and len(change) > 30:  # shorter ones always fit
        change = _lines(change, font, size, COLUMNS[-1].width - 2 * PAD_H)
    return Row([f"{mark}#{x.id}\n{x.hash_prefix}", f"{x.at:%Y-%m-%d}\n{x.at:%H:%M:%S}", x.who,
                x.action, f"{x.entity}\n{x.entity_id}", change], total=bool(mark))


def entries_table(extract: AuditExtract, st: Styles) -> PagedTable:
    broken, font, size = extract.broken_id, st.fonts.regular, st.cell.fontSize
    return PagedTable(COLUMNS, [entry_row(x, broken, font, size) for x in extract.lines], st)


def audit_story(extract: AuditExtract, st: Styles) -> list[Flowable]:
    story: list[Flowable] = []
    if extract.client_id is not None:
        story.append(para(f"{extract.client_name}  ·  client #{extract.client_id}", st.heading))
        records = ", ".join(f"{n:,} {label}{'s' if n != 1 else ''}"
                            for label, n in extract.related)
        story.append(para("Entries about the client" + (f" and its records: {records}."
                                                         if records else "."), st.small))
    else:
        story.append(para(f"Every audit entry from {extract.period.label}", st.heading))
    story.append(_statement(extract, st))
    count = len(extract.lines)
    story.append(para(f"{count:,} entr{'y' if count == 1 else 'ies'} in this extract, oldest "
                      "first, each as the log holds it; the hash is the first characters of "
                      "the entry's own chain hash.", st.small))
    if not extract.lines:
        story.append(para("No audit entry falls in the period.", st.body))
    else:
        story.append(entries_table(extract, st))
    return story
