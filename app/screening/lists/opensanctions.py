"""OpenSanctions' targets.simple.csv: one row per target, with a header row.

Aliases, dates of birth and countries are ';'-separated; countries are lower-case
ISO codes. The file has no export date of its own: the version is the newest
last_seen of its rows (when OpenSanctions last saw the data), else the import date.
"""

from __future__ import annotations

import csv
import io
from datetime import date

from app.screening.lists.common import (
    ListedEntry,
    ListFile,
    ListFileError,
    ParsedList,
    check_unique_refs,
    digest,
    loose_dates,
    stamped_version,
    unique,
)
from app.screening.lists.countries import country_codes

REQUIRED = ("id", "schema", "name")
PERSON_SCHEMAS = {"person"}


def _split(text: str) -> list[str]:
    return [part.strip() for part in text.split(";") if part.strip()]


def parse(files: list[ListFile], today: date) -> ParsedList:
    if len(files) != 1:
        raise ListFileError(files[1].name, "", "OpenSanctions' list is one CSV file "
                            "(targets.simple.csv); choose only that.")
    file = files[0]
    reader = csv.reader(io.StringIO(file.text(), newline=""))
    entries: list[ListedEntry] = []
    newest = ""
    try:
        header = [h.strip().lower() for h in next(reader)]
        missing = [c for c in REQUIRED if c not in header]
        if missing:
            raise ListFileError(file.name, "line 1", f"the header has no {', '.join(missing)} "
                                "column: this is not OpenSanctions' targets.simple.csv.")
        col = {name: i for i, name in enumerate(header)}
        for row in reader:
            if not any(cell.strip() for cell in row):
                continue
            where = f"line {reader.line_num}"
            if len(row) != len(header):
                raise ListFileError(file.name, where, f"{len(row)} columns where the header "
                                    f"has {len(header)}.")

            def cell(name: str, row: list[str] = row) -> str:
                return " ".join(row[col[name]].split()) if name in col else ""

            ref, name = cell("id"), cell("name")
            if not ref:
                raise ListFileError(file.name, where, "the id is empty.")
            if not name:
                raise ListFileError(file.name, f"{where} ({ref})", "the name is empty.")
            person = cell("schema").lower() in PERSON_SCHEMAS
            dates = [d for text in _split(cell("birth_date")) for d in loose_dates(text)]
            notes = [cell("sanctions"), f"Datasets: {cell('dataset')}" if cell("dataset") else ""]
            entries.append(ListedEntry(
                ref=ref[:64], kind="person" if person else "entity", name=name,
                aliases=tuple(a for a in unique(_split(cell("aliases"))) if a != name),
                birth_dates=unique(dates) if person else (),
                countries=country_codes(_split(cell("countries"))),
                programs=unique(_split(cell("program_ids"))),
                remarks="; ".join(n for n in notes if n)))
            newest = max(newest, cell("last_seen"))
    except StopIteration:
        raise ListFileError(file.name, "", "the file is empty.") from None
    except csv.Error as exc:
        raise ListFileError(file.name, f"line {reader.line_num}",
                            f"the CSV cannot be read ({exc}).") from None
    check_unique_refs(file.name, entries)
    sha = digest(files)
    version, published, note = stamped_version(newest, "last_seen", today, sha)
    if published is not None:
        note = "The version is the newest last_seen of the file's rows (the file carries " \
               "no export date)."
    return ParsedList(source="opensanctions", name="OpenSanctions", version=version,
                      published=published, version_note=note, sha256=sha,
                      files=(file.name,), entries=tuple(entries))
