"""Importing clients from a CSV file: a preview first, then the import the user accepts.

The preview lists every row with what was read, its problems (line, field, words a
clerk understands) and whether it duplicates a client already here (same email) or an
earlier line. The import then takes the valid, new rows and skips the others -- the
preview said which, and the result says so again -- all in one transaction: a crash
or any error imports nothing. New clients start as leads (or registered, when the
file says so); the lifecycle takes them further.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from functools import partial
from pathlib import Path
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from app import audit
from app.crm import search_index
from app.crm.bulk import clean_tag
from app.crm.import_file import CsvTable, read_table
from app.errors import BackdeskError, ValidationFailed
from app.models.crm import (
    Client,
    ClientContact,
    ClientKind,
    ClientStatus,
    ClientTag,
    ContactKind,
)
from app.models.users import User
from app.roles import Permission, require
from app.services.clients import (
    ClientData,
    check_email,
    check_phone,
    check_start,
    display_name,
    validate,
)
from app.services.workspace import Desk
from app.text import fold
from app.workspace.bulk import insert_rows

_KINDS = {"person": ClientKind.PERSON, "individual": ClientKind.PERSON,
          "private": ClientKind.PERSON, "company": ClientKind.COMPANY,
          "corporate": ClientKind.COMPANY, "business": ClientKind.COMPANY,
          "legal entity": ClientKind.COMPANY}
_DATE_FORMATS = ("%Y-%m-%d", "%d.%m.%Y", "%d/%m/%Y", "%Y/%m/%d")
_LIMITS = {"first_name": 120, "last_name": 120, "company_name": 200, "segment": 40}


@dataclass(frozen=True)
class RowProblem:
    line: int  # in the file; the header is line 1
    field: str
    message: str


@dataclass(frozen=True)
class ImportRow:
    line: int
    values: dict[str, str]  # as read from the file, per field
    data: ClientData | None  # None when the row has problems
    tags: tuple[str, ...]
    problems: tuple[RowProblem, ...]
    duplicate: str  # why the row duplicates a client, or ""

    @property
    def importable(self) -> bool:
        return self.data is not None and not self.duplicate


@dataclass(frozen=True)
class ImportPreview:
    file_name: str
    sha256: str
    encoding: str
    delimiter: str
    ignored_columns: list[str]
    rows: list[ImportRow]

    @property
    def importable(self) -> int:
        return sum(r.importable for r in self.rows)

    @property
    def invalid(self) -> int:
        return sum(r.data is None for r in self.rows)

    @property
    def duplicates(self) -> int:
        return sum(r.data is not None and bool(r.duplicate) for r in self.rows)

    @property
    def problems(self) -> list[RowProblem]:
        return [p for r in self.rows for p in r.problems]


@dataclass(frozen=True)
class ImportResult:
    client_ids: list[int]
    skipped_invalid: int
    skipped_duplicates: int


def _date(value: str) -> date:
    for fmt in _DATE_FORMATS:
        try:
            parsed = datetime.strptime(value, fmt).date()
        except ValueError:
            continue
        if parsed.year < 1900:
            raise ValidationFailed(f"{value} is not a believable date of birth.")
        return parsed
    raise ValidationFailed(f"{value} is not a date; write it as YYYY-MM-DD (or DD.MM.YYYY, "
                           "DD/MM/YYYY: day first).")


def _country(value: str) -> str:
    import pycountry

    try:
        found = pycountry.countries.lookup(value.strip())
    except LookupError:
        raise ValidationFailed(f"{value or 'An empty value'} is not a country we know; use "
                               "the two-letter code (e.g. GB, CY, AE).") from None
    return str(found.alpha_2)


def _kind(value: str, values: dict[str, str]) -> ClientKind:
    if not value:
        company = values.get("company_name", "") and not values.get("last_name", "")
        return ClientKind.COMPANY if company else ClientKind.PERSON
    if (kind := _KINDS.get(" ".join(value.lower().split()))) is None:
        raise ValidationFailed(f"{value} is not a client kind; write person or company.")
    return kind


def _status(value: str) -> ClientStatus:
    key = "_".join(value.lower().replace("-", " ").split()) or "lead"
    try:
        status = ClientStatus(key)
    except ValueError:
        raise ValidationFailed(f"{value} is not a client status.") from None
    check_start(ClientData(status=status))
    return status


def _phone(value: str) -> str:
    value = value.strip()
    return "+" + value[2:] if value.startswith("00") else value


class _RowReader:
    def __init__(self, managers: dict[str, int]) -> None:
        self.managers = managers

    def read(self, line: int, values: dict[str, str]) -> ImportRow:
        problems: list[RowProblem] = []
        parsed: dict[str, Any] = {}

        def take(field: str, convert: Callable[[str], Any], column: str = "") -> None:
            column = column or field
            try:
                parsed[field] = convert(values.get(column, ""))
            except ValidationFailed as exc:
                problems.append(RowProblem(line, column, exc.message))

        take("kind", lambda v: _kind(v, values))
        for field, limit in _LIMITS.items():
            take(field, partial(_limited, field=field, limit=limit))
        take("email", lambda v: check_email(v) if v else "")
        take("phone", lambda v: check_phone(_phone(v)) if v else "")
        take("country", _country)
        take("date_of_birth", lambda v: _date(v) if v else None)
        take("status", _status)
        take("manager_id", self._manager, "manager")
        take("tags", _tags)
        data = None
        if not problems:
            tags = parsed.pop("tags")
            try:
                data = validate(ClientData(**parsed))
                check_start(data)
            except ValidationFailed as exc:
                problems.append(RowProblem(line, exc.field or "row", exc.message))
                data = None
            return ImportRow(line, values, data, tags, tuple(problems), "")
        return ImportRow(line, values, None, (), tuple(problems), "")

    def _manager(self, value: str) -> int | None:
        if not value.strip():
            return None
        found = self.managers.get(value.strip().lower())
        if found is None:
            raise ValidationFailed(f"There is no active desk user called {value}.")
        return found


def _limited(value: str, field: str, limit: int) -> str:
    value = " ".join(value.split())
    if len(value) > limit:
        raise ValidationFailed(f"The {field.replace('_', ' ')} is longer than {limit} "
                               "characters.")
    return value


def _tags(value: str) -> tuple[str, ...]:
    parts = [p for p in value.replace(";", ",").replace("|", ",").split(",") if p.strip()]
    return tuple(dict.fromkeys(clean_tag(p) for p in parts))


def _managers(s: Session) -> dict[str, int]:
    found: dict[str, int] = {}
    for uid, username, full_name in s.execute(
            select(User.id, User.username, User.full_name).where(User.active)):
        found.setdefault(full_name.lower(), uid)
        found[username.lower()] = uid
    return found


def _known_emails(s: Session, emails: Sequence[str]) -> dict[str, str]:
    """email -> 'client #id Name' for emails already in the workspace."""
    known: dict[str, str] = {}
    for start in range(0, len(emails), 500):
        chunk = list(emails[start:start + 500])
        for cid, name, email in s.execute(select(Client.id, Client.display_name,
                                                 func.lower(Client.email))
                                          .where(func.lower(Client.email).in_(chunk))):
            known.setdefault(email, f"#{cid} {name}")
        for cid, name, email in s.execute(
                select(Client.id, Client.display_name, func.lower(ClientContact.value))
                .join(ClientContact, ClientContact.client_id == Client.id)
                .where(ClientContact.kind == ContactKind.EMAIL,
                       func.lower(ClientContact.value).in_(chunk))):
            known.setdefault(email, f"#{cid} {name}")
    return known


def _mark_duplicates(s: Session, rows: list[ImportRow]) -> list[ImportRow]:
    emails = sorted({r.data.email for r in rows if r.data is not None and r.data.email})
    known = _known_emails(s, emails)
    first_line: dict[str, int] = {}
    out = []
    for r in rows:
        email = r.data.email if r.data is not None else ""
        why = ""
        if email in known:
            why = f"A client with {email} already exists ({known[email]})."
        elif email and email in first_line:
            why = f"Line {first_line[email]} has the same email {email}."
        if email:
            first_line.setdefault(email, r.line)
        out.append(replace(r, duplicate=why))
    return out


def _preview(s: Session, table: CsvTable, name: str, digest: str) -> ImportPreview:
    reader = _RowReader(_managers(s))
    rows = []
    for line, cells in table.rows:
        values = {field: cells[i].strip() if i < len(cells) else ""
                  for field, i in table.fields.items()}
        rows.append(reader.read(line, values))
    return ImportPreview(name, digest, table.encoding, table.delimiter, table.ignored,
                         _mark_duplicates(s, rows))


def preview_import(desk: Desk, path: Path | str) -> ImportPreview:
    """Read and check a file without importing anything."""
    require(desk.actor, Permission.IMPORT_CLIENTS)
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ValidationFailed(f"The file {path.name} cannot be read ({exc.strerror}).",
                               "file") from None
    return preview_bytes(desk, raw, path.name)


def preview_bytes(desk: Desk, raw: bytes, file_name: str) -> ImportPreview:
    require(desk.actor, Permission.IMPORT_CLIENTS)
    table = read_table(raw)
    with desk.store.read() as s:
        return _preview(s, table, file_name, hashlib.sha256(raw).hexdigest())


_COLUMNS = ["id", "kind", "first_name", "last_name", "company_name", "display_name",
            "search_name", "email", "phone", "country", "date_of_birth", "status", "segment",
            "risk_rating", "manager_id", "closed_reason", "version", "server_version",
            "profile_version", "occupation", "source_of_funds", "pep", "frozen",
            "frozen_reason", "created_at", "updated_at"]


def _client_row(cid: int, d: ClientData, now: str) -> tuple[Any, ...]:
    name = display_name(d)
    return (cid, d.kind.value, d.first_name, d.last_name, d.company_name, name, fold(name),
            d.email, d.phone, d.country, d.date_of_birth and d.date_of_birth.isoformat(),
            d.status.value, d.segment, d.risk_rating.value, d.manager_id, "", 1, 0, 0, "",
            "", 0, 0, "", now, now)


def commit_import(desk: Desk, preview: ImportPreview) -> ImportResult:
    """Import the preview's valid, new rows in one transaction. Rows with problems and
    duplicates (checked again now: another import may have added them) are skipped."""
    require(desk.actor, Permission.IMPORT_CLIENTS)
    try:
        with desk.store.write() as s:
            rows = _mark_duplicates(s, [r for r in preview.rows if r.data is not None])
            chosen = [r for r in rows if r.importable]
            if not chosen:
                raise ValidationFailed("No row can be imported: every row has a problem or "
                                       "duplicates a client already here.", "file")
            first = int(s.scalar(text("SELECT coalesce(max(id), 0) FROM clients")) or 0) + 1
            now = datetime.now(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")
            ids = list(range(first, first + len(chosen)))
            insert_rows(s, Client.__table__, _COLUMNS,
                        [_client_row(cid, r.data, now) for cid, r in zip(ids, chosen,
                                                                        strict=True)
                         if r.data is not None])
            insert_rows(s, ClientTag.__table__,
                        ["client_id", "tag"],
                        [(cid, tag) for cid, r in zip(ids, chosen, strict=True)
                         for tag in r.tags])
            search_index.refresh_clients(s, ids)
            audit.record(s, desk.actor, "client.import", "import", preview.file_name[:64],
                         after={"file": preview.file_name, "sha256": preview.sha256,
                                "imported": len(ids), "client_ids": [ids[0], ids[-1]],
                                "skipped_invalid": preview.invalid,
                                "skipped_duplicates": len(rows) - len(chosen)})
            return ImportResult(ids, preview.invalid, len(rows) - len(chosen))
    except BackdeskError:
        raise
    except Exception as exc:
        raise BackdeskError(f"The import stopped ({type(exc).__name__}); nothing was "
                            "imported. Try again; if it happens again, report it.") from exc
