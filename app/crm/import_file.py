"""Reading a client CSV file: its encoding, its delimiter and its header.

Read: UTF-8 with or without a byte order mark (Excel's "CSV UTF-8"), and UTF-16 with a
byte order mark (Excel's "Unicode text"). Any other encoding (Windows-1252, -1251,
ISO-8859-x ...) is refused with how to re-save the file: guessing would silently turn
names into wrong letters. Delimiters: comma, semicolon (Excel in most of Europe) or tab.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from dataclasses import dataclass

from app.errors import ValidationFailed

MAX_BYTES = 50 * 1024 * 1024
MAX_ROWS = 100_000

# Column names a file may use for each field (compared lower-case, with spaces for
# '_' and '-'); the first of each is what exports write.
COLUMNS: dict[str, tuple[str, ...]] = {
    "kind": ("kind", "type", "client type"),
    "first_name": ("first name", "firstname", "given name", "forename"),
    "last_name": ("last name", "lastname", "surname", "family name"),
    "company_name": ("company name", "company", "organisation", "organization"),
    "email": ("email", "e mail", "email address", "mail"),
    "phone": ("phone", "telephone", "phone number", "mobile", "tel"),
    "country": ("country", "country code", "residence"),
    "date_of_birth": ("date of birth", "dob", "birth date", "birthdate", "born"),
    "segment": ("segment",),
    "status": ("status",),
    "manager": ("manager", "account manager"),
    "tags": ("tags", "tag"),
}
_ALIAS = {alias: name for name, aliases in COLUMNS.items() for alias in aliases}
# Columns an export writes that an import does not take (ids are the workspace's own).
IGNORED = frozenset({"id", "risk rating", "partner", "created (utc)"})


@dataclass(frozen=True)
class CsvTable:
    encoding: str
    delimiter: str
    fields: dict[str, int]  # field name -> column index
    ignored: list[str]  # header names not imported
    rows: list[tuple[int, list[str]]]  # (line number in the file, cells)


def decode(raw: bytes) -> tuple[str, str]:
    if not raw.strip():
        raise ValidationFailed("The file is empty.", "file")
    if len(raw) > MAX_BYTES:
        raise ValidationFailed("The file is larger than 50 MB; split it into smaller files.",
                               "file")
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return raw.decode("utf-16"), "UTF-16"
    if b"\x00" in raw[:4096] or raw.startswith(b"PK\x03\x04"):
        raise ValidationFailed("This is not a CSV text file (an Excel workbook?). Save it "
                               "as “CSV UTF-8 (comma delimited)” and import that.", "file")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValidationFailed(
            f"The file is not UTF-8 text (unreadable byte at position {exc.start}); it was "
            "probably saved in a regional encoding. In Excel use File › Save As › “CSV "
            "UTF-8 (comma delimited)”, then import again.", "file") from None
    return text, "UTF-8 with BOM" if raw.startswith(codecs.BOM_UTF8) else "UTF-8"


def _delimiter(first_line: str) -> str:
    counts = {d: len(next(csv.reader([first_line], delimiter=d))) for d in ",;\t"}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] > 1 else ","


def _header_key(name: str) -> str:
    return " ".join(re.sub(r"[_\-]", " ", name.strip().lower()).split())


def read_table(raw: bytes) -> CsvTable:
    text, encoding = decode(raw)
    lines = text.splitlines()
    first = next((line for line in lines if line.strip()), "")
    delimiter = _delimiter(first)
    # strict: an unclosed quote is an error, not a cell swallowing the rest of the file
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    try:
        records = [(reader.line_num, row) for row in reader]
    except csv.Error as exc:
        raise ValidationFailed(f"The file is not valid CSV near line {reader.line_num}: "
                               f"{exc}.", "file") from None
    records = [(n, row) for n, row in records if any(cell.strip() for cell in row)]
    header = records[0][1]
    fields: dict[str, int] = {}
    ignored: list[str] = []
    for i, name in enumerate(header):
        key = _header_key(name)
        field = _ALIAS.get(key)
        if field is None:
            if key:
                ignored.append(name.strip())
            continue
        if field in fields:
            raise ValidationFailed(f"The header names {field.replace('_', ' ')} twice "
                                   f"(columns {fields[field] + 1} and {i + 1}).", "header")
        fields[field] = i
    if "country" not in fields or not {"last_name", "company_name"} & fields.keys():
        if any("@" in cell for cell in header):
            problem = "The first line holds data, not column names."
        else:
            problem = "The header lacks required columns."
        raise ValidationFailed(
            f"{problem} The first line must name the columns: last_name (or company_name) "
            "and country are required; first_name, email, phone, date_of_birth, kind, "
            "segment, status, manager and tags are optional.", "header")
    rows = records[1:]
    if not rows:
        raise ValidationFailed("The file has a header but no clients.", "file")
    if len(rows) > MAX_ROWS:
        raise ValidationFailed(f"The file has {len(rows):,} rows; import at most "
                               f"{MAX_ROWS:,} at a time.", "file")
    return CsvTable(encoding, delimiter, fields, [n for n in ignored if _header_key(n)
                                                  not in IGNORED], rows)

