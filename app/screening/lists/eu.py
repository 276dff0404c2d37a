"""The EU consolidated financial sanctions list, XML (the FSF 'export' file).

Everything sits in attributes of elements in the FSD export namespace: sanctionEntity
(logicalId), subjectType (person/enterprise), nameAlias (wholeName, in many
languages), birthdate, citizenship and address (countryIso2Code), regulation
(programme). The file says when it was generated.
"""

from __future__ import annotations

from datetime import date
from xml.etree.ElementTree import Element

from app.screening.lists.common import (
    ListedEntry,
    ListFile,
    ListFileError,
    ParsedList,
    check_unique_refs,
    children,
    digest,
    parse_xml,
    stamped_version,
    unique,
)
from app.screening.lists.countries import country_codes

WHAT = "the EU financial sanctions list"


def _attr(element: Element, name: str) -> str:
    return " ".join((element.get(name) or "").split())


def _name(alias: Element) -> str:
    whole = _attr(alias, "wholeName")
    parts = (_attr(alias, p) for p in ("firstName", "middleName", "lastName"))
    return whole or " ".join(p for p in parts if p)


def _birth_date(element: Element) -> str:
    full, year = _attr(element, "birthdate"), _attr(element, "year")
    if full[:4].isdigit():
        year = full[:4]
    if not year.isdigit():
        return ""
    if _attr(element, "circa").lower() == "true":  # only the year is trusted
        return year
    if len(full) >= 10:
        return full[:10]
    month, day = _attr(element, "monthOfYear"), _attr(element, "dayOfMonth")
    if month.isdigit() and day.isdigit():
        return f"{year}-{int(month):02d}-{int(day):02d}"
    return f"{year}-{int(month):02d}" if month.isdigit() else year


def _entry(element: Element, position: int, file: ListFile) -> ListedEntry:
    ref = _attr(element, "logicalId")
    if not ref:
        raise ListFileError(file.name, f"sanctionEntity no. {position}",
                            "it has no logicalId.")
    names = unique([_name(a) for a in children(element, "nameAlias")])
    if not names:
        raise ListFileError(file.name, f"sanctionEntity {ref}", "it has no name (no "
                            "nameAlias with a wholeName).")
    subject = children(element, "subjectType")
    kind = "person" if subject and _attr(subject[0], "code") == "person" else "entity"
    codes = [_attr(c, "countryIso2Code") for tag in ("citizenship", "address")
             for c in children(element, tag)]
    notes = [f"EU reference {number}" for number in [_attr(element, "euReferenceNumber")]
             if number]
    notes += [" ".join((r.text or "").split()) for r in children(element, "remark")]
    notes += unique([_attr(a, "function") for a in children(element, "nameAlias")])
    return ListedEntry(
        ref=ref[:64], kind=kind, name=names[0], aliases=names[1:],
        birth_dates=unique([_birth_date(b) for b in children(element, "birthdate")])
        if kind == "person" else (),
        countries=country_codes([c for c in codes if c and c != "00"]),
        programs=unique([_attr(r, "programme") for r in children(element, "regulation")]),
        remarks="; ".join(n for n in notes if n))


def parse(files: list[ListFile], today: date) -> ParsedList:
    if len(files) != 1:
        raise ListFileError(files[1].name, "", f"{WHAT} is one XML file; choose only that.")
    file = files[0]
    root = parse_xml(file, "export", WHAT)
    entities = children(root, "sanctionEntity")
    if not entities:
        raise ListFileError(file.name, "", f"it has no <sanctionEntity> elements: this is "
                            f"not {WHAT}, or the list is empty.")
    entries = [_entry(e, n, file) for n, e in enumerate(entities, 1)]
    check_unique_refs(file.name, entries)
    sha = digest(files)
    version, published, note = stamped_version(root.get("generationDate", ""),
                                               "generationDate", today, sha)
    return ParsedList(source="eu", name="EU Consolidated", version=version,
                      published=published, version_note=note, sha256=sha,
                      files=(file.name,), entries=tuple(entries))
