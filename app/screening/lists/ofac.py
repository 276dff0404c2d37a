"""OFAC's SDN list in its legacy CSV files: sdn.csv, alt.csv, add.csv (no header rows).

The files carry no publication date, so the version is the import date and the
files' SHA-256. Dates of birth and nationalities are inside the remarks
("DOB 12 Mar 1965; POB Tehran, Iran; nationality Iran").
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from dataclasses import replace
from datetime import date

from app.screening.lists.common import (
    ListedEntry,
    ListFile,
    ListFileError,
    ParsedList,
    check_unique_refs,
    digest,
    fallback_version,
    loose_dates,
    unique,
)
from app.screening.lists.countries import country_code, country_codes

COLUMNS = {
    "sdn.csv": ("ent_num", "SDN_Name", "SDN_Type", "Program", "Title", "Call_Sign",
                "Vess_type", "Tonnage", "GRT", "Vess_flag", "Vess_owner", "Remarks"),
    "alt.csv": ("ent_num", "alt_num", "alt_type", "alt_name", "alt_remarks"),
    "add.csv": ("Ent_num", "Add_num", "Address", "City/State/Province/Postal Code", "Country",
                "Add_remarks"),
}
EMPTY = "-0-"
_DOB = re.compile(r"^(?:alt\. )?DOB (.+)$", re.I)
_NATIONALITY = re.compile(r"^(?:alt\. )?(?:nationality|citizen) (.+)$", re.I)


def _value(text: str) -> str:
    text = " ".join(text.split())
    return "" if text == EMPTY else text


def _rows(file: ListFile) -> Iterator[tuple[int, list[str]]]:
    reader = csv.reader(io.StringIO(file.text(), newline=""))
    try:
        for row in reader:
            # OFAC ends each file with an old DOS end-of-file mark on a line of its own.
            if not row or (len(row) == 1 and row[0].strip() in ("", "\x1a")):
                continue
            yield reader.line_num, row
    except csv.Error as exc:
        raise ListFileError(file.name, f"line {reader.line_num}",
                            f"the CSV cannot be read ({exc}).") from None


def _role(file: ListFile) -> str:
    """Which of OFAC's files this is: by its name, else by its number of columns."""
    name = file.name.lower()
    if name in COLUMNS:
        return name
    for _, row in _rows(file):
        for role, columns in COLUMNS.items():
            if len(row) == len(columns):
                return role
        break
    raise ListFileError(file.name, "", "this is not one of OFAC's sdn.csv, alt.csv or "
                        "add.csv files (12, 5 or 6 columns without a header row).")


def _checked(file: ListFile, role: str) -> Iterator[tuple[int, list[str], str]]:
    columns = COLUMNS[role]
    for line, row in _rows(file):
        if len(row) != len(columns):
            raise ListFileError(file.name, f"line {line}",
                                f"{len(row)} columns where OFAC's {role} has {len(columns)} "
                                f"({', '.join(columns)}).")
        ref = row[0].strip()
        if not ref.isdigit():
            raise ListFileError(file.name, f"line {line}",
                                f"the first column should be the entry number, not {ref!r}; "
                                "is this a file with a header row or another format?")
        yield line, row, ref


def _remarks_facts(remarks: str) -> tuple[list[str], list[str]]:
    dates: list[str] = []
    nations: list[str] = []
    for part in remarks.split(";"):
        part = part.strip(" .")
        if m := _DOB.match(part):
            dates += loose_dates(m[1])
        elif m := _NATIONALITY.match(part):
            nations.append(m[1])
    return dates, nations


def _programs(text: str) -> tuple[str, ...]:
    # 'SDGT] [IRGC': the legacy files drop the outer brackets of '[SDGT] [IRGC]'.
    return unique([p.strip("[] ") for p in text.split("]")])


def _main(file: ListFile) -> dict[str, ListedEntry]:
    entries: dict[str, ListedEntry] = {}
    for line, row, ref in _checked(file, "sdn.csv"):
        name, kind_text = _value(row[1]), _value(row[2]).lower()
        if not name:
            raise ListFileError(file.name, f"line {line} (entry {ref})", "the name is empty.")
        if ref in entries:
            raise ListFileError(file.name, f"line {line} (entry {ref})",
                                "this entry number appears twice.")
        remarks = _value(row[11])
        dates, nations = _remarks_facts(remarks)
        notes = [f"Title: {title}" for title in [_value(row[4])] if title]
        if kind_text in ("vessel", "aircraft"):
            flag = _value(row[9])
            notes.append(f"Listed {kind_text}" + (f", flag {flag}" if flag else ""))
            nations.append(flag)
        entries[ref] = ListedEntry(
            ref=ref, kind="person" if kind_text == "individual" else "entity", name=name,
            birth_dates=unique(dates), countries=country_codes(nations),
            programs=_programs(_value(row[3])),
            remarks="; ".join(n for n in [*notes, remarks] if n))
    return entries


def _unknown(file: ListFile, line: int, ref: str) -> ListFileError:
    return ListFileError(file.name, f"line {line}",
                         f"entry {ref} is not in sdn.csv: are the files from the same "
                         "download?")


def parse(files: list[ListFile], today: date) -> ParsedList:
    by_role: dict[str, ListFile] = {}
    for file in files:
        role = _role(file)
        if role in by_role:
            raise ListFileError(file.name, "", f"two {role} files were chosen "
                                f"({by_role[role].name} and {file.name}); choose one of each.")
        by_role[role] = file
    if "sdn.csv" not in by_role:
        raise ListFileError(files[0].name, "", "OFAC's list needs its main file, sdn.csv, "
                            "with alt.csv and add.csv from the same download.")
    entries = _main(by_role["sdn.csv"])
    aliases: dict[str, list[str]] = {}
    if (alt := by_role.get("alt.csv")) is not None:
        for line, row, ref in _checked(alt, "alt.csv"):
            if ref not in entries:
                raise _unknown(alt, line, ref)
            if not _value(row[3]):
                raise ListFileError(alt.name, f"line {line} (entry {ref})",
                                    "the alternate name is empty.")
            aliases.setdefault(ref, []).append(_value(row[3]))
    places: dict[str, list[str]] = {}
    if (add := by_role.get("add.csv")) is not None:
        for line, row, ref in _checked(add, "add.csv"):
            if ref not in entries:
                raise _unknown(add, line, ref)
            if code := country_code(_value(row[4])):
                places.setdefault(ref, []).append(code)
    listed = [replace(e, aliases=unique(aliases.get(e.ref, [])),
                      countries=tuple(sorted({*e.countries, *places.get(e.ref, [])})))
              for e in entries.values()]
    check_unique_refs(by_role["sdn.csv"].name, listed)
    sha = digest(files)
    return ParsedList(
        source="ofac", name="OFAC SDN", version=fallback_version(today, sha), published=None,
        version_note="OFAC's CSV files carry no publication date: the version is the import "
                     "date and the files' SHA-256.",
        sha256=sha, files=tuple(f.name for f in files), entries=tuple(listed))
