"""The UN Security Council consolidated list, XML (CONSOLIDATED_LIST).

Individuals carry their name in up to four parts, aliases graded by QUALITY, and dates
of birth typed EXACT, APPROXIMATELY or BETWEEN; the file says when it was generated.
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
    child_text,
    children,
    digest,
    loose_dates,
    parse_xml,
    stamped_version,
    unique,
)
from app.screening.lists.countries import country_codes

WHAT = "the UN consolidated list"
NAME_PARTS = ("FIRST_NAME", "SECOND_NAME", "THIRD_NAME", "FOURTH_NAME")


def _birth_dates(element: Element) -> list[str]:
    out: list[str] = []
    for dob in children(element, "INDIVIDUAL_DATE_OF_BIRTH"):
        kind = child_text(dob, "TYPE_OF_DATE").upper()
        exact, year = child_text(dob, "DATE")[:10], child_text(dob, "YEAR")
        if kind == "BETWEEN":
            out += loose_dates(f"{child_text(dob, 'FROM_YEAR')} to {child_text(dob, 'TO_YEAR')}")
        elif kind == "APPROXIMATELY":  # only the year is trusted
            out += [d[:4] for d in loose_dates(exact or year)]
        else:
            out += loose_dates(exact or year)
    return out


def _aliases(element: Element, tag: str) -> tuple[list[str], list[str]]:
    good: list[str] = []
    weak: list[str] = []
    for alias in children(element, tag):
        name = child_text(alias, "ALIAS_NAME")
        # 'Low' aliases are nicknames and fragments ('Abu Ali'): shown, not screened.
        (weak if child_text(alias, "QUALITY").lower() == "low" else good).append(name)
    return good, weak


def _entry(element: Element, kind: str, position: int, file: ListFile) -> ListedEntry:
    ref = child_text(element, "REFERENCE_NUMBER") or child_text(element, "DATAID")
    label = "individual" if kind == "person" else "entity"
    if not ref:
        raise ListFileError(file.name, f"{label} no. {position}",
                            "it has neither a DATAID nor a REFERENCE_NUMBER.")
    name = " ".join(p for p in (child_text(element, t) for t in NAME_PARTS) if p)
    if not name:
        raise ListFileError(file.name, f"{label} {ref}", "the name is empty.")
    tag = "INDIVIDUAL" if kind == "person" else "ENTITY"
    good, weak = _aliases(element, f"{tag}_ALIAS")
    original = child_text(element, "NAME_ORIGINAL_SCRIPT")
    nations = [v.text or "" for n in children(element, "NATIONALITY")
               for v in children(n, "VALUE")]
    places = [child_text(a, "COUNTRY") for a in children(element, f"{tag}_ADDRESS")]
    notes = [child_text(element, "COMMENTS1"),
             *(f"Designation: {v.text.strip()}" for d in children(element, "DESIGNATION")
               for v in children(d, "VALUE") if v.text and v.text.strip())]
    if weak := [w for w in weak if w]:
        notes.append(f"Low-quality aliases: {'; '.join(weak)}")
    return ListedEntry(
        ref=ref[:64], kind=kind, name=name,
        aliases=tuple(a for a in unique([original, *good]) if a != name),
        birth_dates=unique(_birth_dates(element)) if kind == "person" else (),
        countries=country_codes(nations + places),
        programs=unique([child_text(element, "UN_LIST_TYPE")]),
        remarks="; ".join(n for n in notes if n))


def parse(files: list[ListFile], today: date) -> ParsedList:
    if len(files) != 1:
        raise ListFileError(files[1].name, "", f"{WHAT} is one XML file; choose only that.")
    file = files[0]
    root = parse_xml(file, "CONSOLIDATED_LIST", WHAT)
    groups = children(root, "INDIVIDUALS") + children(root, "ENTITIES")
    if not groups:
        raise ListFileError(file.name, "", "it has neither <INDIVIDUALS> nor <ENTITIES>: "
                            f"this is not {WHAT}.")
    entries = [_entry(e, "person", n, file) for g in children(root, "INDIVIDUALS")
               for n, e in enumerate(children(g, "INDIVIDUAL"), 1)]
    entries += [_entry(e, "entity", n, file) for g in children(root, "ENTITIES")
                for n, e in enumerate(children(g, "ENTITY"), 1)]
    check_unique_refs(file.name, entries)
    sha = digest(files)
    version, published, note = stamped_version(root.get("dateGenerated", ""),
                                               "dateGenerated", today, sha)
    return ParsedList(source="un", name="UN Consolidated", version=version,
                      published=published, version_note=note, sha256=sha,
                      files=(file.name,), entries=tuple(entries))
