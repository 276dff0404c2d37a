"""Export a client list (any filter result) to CSV or XLSX at the path the user chose.

Nothing else touches the disk: rows stream from the store into the file, and the XLSX
sheet is assembled in memory (openpyxl's own writer would park the sheet, client data
in plain text, in a temporary file). A failed export removes its partial file. The
header uses the import's column names, so an export can be imported elsewhere.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from io import BytesIO
from pathlib import Path
from typing import Any
from zipfile import ZIP_DEFLATED, ZipFile

from sqlalchemy import func, select
from sqlalchemy.orm import aliased

from app import audit
from app.crm.filters import ClientFilter, matching_ids
from app.errors import ValidationFailed
from app.models.crm import Client, ClientTag
from app.models.partners import Partner
from app.models.users import User
from app.roles import Permission, require
from app.services.workspace import Desk

HEADER = ("ID", "Kind", "First name", "Last name", "Company name", "Email", "Phone",
          "Country", "Date of birth", "Status", "Segment", "Risk rating", "Manager",
          "Partner", "Tags", "Created (UTC)")
FORMATS = ("csv", "xlsx")
# A spreadsheet runs a cell starting with these as a formula (CSV injection); plain
# numbers such as '+35722123456' or '-5' are safe and kept as they are.
_FORMULA = re.compile(r"^[=+\-@\t\r]")
_NUMBER = re.compile(r"^[+-]?\d[\d ]*(\.\d+)?$")


@dataclass(frozen=True)
class ExportResult:
    path: Path
    rows: int
    format: str


def _safe(value: str) -> str:
    if _FORMULA.match(value) and not _NUMBER.match(value):
        return "'" + value
    return value


def _rows(desk: Desk, f: ClientFilter) -> Iterator[tuple[Any, ...]]:
    manager, partner = aliased(User), aliased(Partner)
    tags = (select(func.group_concat(ClientTag.tag, ", "))
            .where(ClientTag.client_id == Client.id).correlate(Client).scalar_subquery())
    with desk.store.read() as s:
        stmt = (select(Client.id, Client.kind, Client.first_name, Client.last_name,
                       Client.company_name, Client.email, Client.phone, Client.country,
                       Client.date_of_birth, Client.status, Client.segment,
                       Client.risk_rating, manager.username, partner.referral_code, tags,
                       Client.created_at)
                .outerjoin(manager, manager.id == Client.manager_id)
                .outerjoin(partner, partner.id == Client.partner_id)
                .where(Client.id.in_(matching_ids(s, f)))
                .order_by(Client.search_name, Client.id))
        for row in s.execute(stmt).yield_per(2000):
            yield tuple(getattr(v, "value", v) for v in row)


def _csv_value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, date):
        return value.isoformat()
    return _safe(str(value))


def _write_csv(path: Path, rows: Iterator[tuple[Any, ...]]) -> int:
    n = 0
    # UTF-8 with a BOM: Excel then opens names in every script correctly.
    with path.open("w", encoding="utf-8-sig", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(HEADER)
        for row in rows:
            writer.writerow([_csv_value(v) for v in row])
            n += 1
    return n


def _write_xlsx(path: Path, rows: Iterator[tuple[Any, ...]]) -> int:
    from openpyxl import Workbook  # type: ignore[import-untyped]
    from openpyxl.cell import WriteOnlyCell  # type: ignore[import-untyped]
    from openpyxl.drawing.spreadsheet_drawing import (  # type: ignore[import-untyped]
        SpreadsheetDrawing,
    )
    from openpyxl.worksheet._writer import WorksheetWriter  # type: ignore[import-untyped]
    from openpyxl.writer.excel import ExcelWriter  # type: ignore[import-untyped]

    class InMemorySheets(ExcelWriter):  # type: ignore[misc]
        def write_worksheet(self, ws: Any) -> None:
            ws._drawing = SpreadsheetDrawing()
            ws._drawing.charts, ws._drawing.images = ws._charts, ws._images
            if not ws.closed:
                ws.close()
            ws._rels = ws._writer._rels
            self._archive.writestr(ws.path[1:], ws._writer.out.getvalue())
            self.manifest.append(ws)

    book = Workbook(write_only=True)
    sheet = book.create_sheet("Clients")
    sheet._writer = WorksheetWriter(sheet, out=BytesIO())
    sheet._writer.write_top()

    def cell(value: Any) -> Any:
        if isinstance(value, str):
            c = WriteOnlyCell(sheet, value=value)
            c.data_type = "s"  # text stays text, even '=...' (no formulas)
            return c
        if isinstance(value, datetime):
            value = value.replace(tzinfo=None)
        c = WriteOnlyCell(sheet, value=value)
        if isinstance(value, datetime):
            c.number_format = "yyyy-mm-dd hh:mm:ss"
        elif isinstance(value, date):
            c.number_format = "yyyy-mm-dd"
        return c

    sheet.append(list(HEADER))
    n = 0
    for row in rows:
        sheet.append([cell(v) for v in row])
        n += 1
    with ZipFile(path, "w", ZIP_DEFLATED, allowZip64=True) as archive:
        InMemorySheets(book, archive).write_data()
    return n


def _stamp(path: Path) -> tuple[int, int] | None:
    try:
        st = path.stat()
    except FileNotFoundError:
        return None
    return st.st_mtime_ns, st.st_size


def export_clients(desk: Desk, f: ClientFilter, path: Path | str,
                   fmt: str | None = None) -> ExportResult:
    """Write the clients of filter `f` to `path`; the format comes from `fmt` or the
    file's extension (.csv or .xlsx)."""
    require(desk.actor, Permission.EXPORT_CLIENTS)
    path = Path(path)
    fmt = (fmt or path.suffix.lstrip(".")).lower()
    if fmt not in FORMATS:
        raise ValidationFailed("Export to a .csv or .xlsx file.", "format")
    if not path.parent.is_dir():
        raise ValidationFailed(f"The folder {path.parent} does not exist.", "path")
    before = _stamp(path)
    try:
        write = _write_csv if fmt == "csv" else _write_xlsx
        n = write(path, _rows(desk, f))
    except BaseException:
        if _stamp(path) != before:  # a file we began writing is garbage now
            path.unlink(missing_ok=True)
        raise
    with desk.store.write() as s:
        audit.record(s, desk.actor, "client.export", "export", path.name,
                     after={"format": fmt, "rows": n, "filter": f.to_json()})
    return ExportResult(path, n, fmt)
