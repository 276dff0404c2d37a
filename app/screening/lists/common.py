"""What every list format turns into, and the checks every list file goes through.

A list file comes from outside (a download, an e-mail attachment): it is read
strictly, and anything that does not look like the official format stops the import
with a message that names the file, the line or entry, and what is wrong.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException  # type: ignore[import-untyped]
from defusedxml.ElementTree import fromstring  # type: ignore[import-untyped]

from app.errors import ValidationFailed
from app.screening.matcher import Entry
from app.screening.names import name_form

KINDS = ("person", "entity")


class ListFileError(ValidationFailed):
    """A list file that cannot be imported; nothing of it was stored."""

    def __init__(self, file: str, where: str, problem: str) -> None:
        place = f"{file}, {where}" if where else file
        super().__init__(f"{place}: {problem}", "file")
        self.file, self.where, self.problem = file, where, problem


@dataclass(frozen=True)
class ListedEntry:
    """One listed person or entity as the list publishes it."""

    ref: str                          # the list's own id (ent_num, DATAID, logicalId, ...)
    kind: str                         # "person" | "entity"
    name: str
    aliases: tuple[str, ...] = ()
    birth_dates: tuple[str, ...] = ()  # "1970", "1970-03" or "1970-03-15"
    countries: tuple[str, ...] = ()    # ISO 3166 alpha-2
    programs: tuple[str, ...] = ()
    remarks: str = ""

    def entry(self, list_id: str) -> Entry:
        """The matcher's view of this entry."""
        names = (self.name, *self.aliases)
        return Entry(list_id, self.ref, self.kind, tuple(name_form(n) for n in names),
                     self.birth_dates, frozenset(self.countries), self.programs, self.remarks)


@dataclass(frozen=True)
class ParsedList:
    """A list file set, read and checked, ready to store."""

    source: str          # ofac | un | eu | opensanctions
    name: str            # what a compliance officer calls it
    version: str         # at most 40 characters
    published: date | None
    # How version and date were obtained, shown with the list (some formats carry none).
    version_note: str
    sha256: str
    files: tuple[str, ...]
    entries: tuple[ListedEntry, ...] = field(repr=False)


@dataclass(frozen=True)
class ListFile:
    """One file's name, bytes and digest, read once."""

    path: Path
    data: bytes

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()

    def text(self) -> str:
        if not self.data.strip():
            raise ListFileError(self.name, "", "the file is empty.")
        try:
            return self.data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            line = self.data[:exc.start].count(b"\n") + 1
            raise ListFileError(
                self.name, f"line {line}",
                f"the file is not UTF-8 text (byte 0x{self.data[exc.start]:02x} cannot be "
                "read). Download the list again from its official site.") from None


def read_files(paths: list[Path]) -> list[ListFile]:
    if not paths:
        raise ListFileError("No file", "", "choose the list file(s) to import.")
    out = []
    for path in paths:
        path = Path(path)
        try:
            out.append(ListFile(path, path.read_bytes()))
        except FileNotFoundError:
            raise ListFileError(path.name, "", f"there is no such file in {path.parent}.") \
                from None
        except IsADirectoryError:
            raise ListFileError(path.name, "", "this is a folder, not a list file.") from None
        except OSError as exc:
            raise ListFileError(path.name, "", f"the file cannot be read ({exc.strerror}).") \
                from None
    return out


def digest(files: list[ListFile]) -> str:
    """Of the files' contents, whatever order they were chosen in."""
    combined = hashlib.sha256()
    for one in sorted(f.sha256 for f in files):
        combined.update(one.encode())
    return combined.hexdigest()


def fallback_version(today: date, sha256: str) -> str:
    return f"{today.isoformat()} #{sha256[:8]}"


def stamped_version(stamp: str, attribute: str, today: date,
                    sha256: str) -> tuple[str, date | None, str]:
    """Version, publication date and how they were found, from the date-time a list
    file carries ('2024-01-29T18:00:04.207Z'); without one, the import date."""
    try:
        published = date.fromisoformat(stamp.strip()[:10])
    except ValueError:
        return (fallback_version(today, sha256), None,
                f"The file has no {attribute}: the version is the import date and the "
                "file's SHA-256.")
    return stamp.strip()[:19], published, f"The version is the file's {attribute}."


def local_name(element: Element) -> str:
    """The tag without its namespace: the EU file uses one, others do not."""
    return element.tag.rsplit("}", 1)[-1] if isinstance(element.tag, str) else ""


def parse_xml(file: ListFile, root_name: str, what: str) -> Element:
    text = file.text()  # empty and non-UTF-8 files get their own message first
    if not text.lstrip().startswith("<"):
        raise ListFileError(file.name, "", f"this is not an XML file, so it cannot be {what}.")
    try:
        root: Element = fromstring(file.data)
    except ParseError as exc:
        line, column = exc.position
        raise ListFileError(file.name, f"line {line}, column {column}",
                            "the XML is broken (the file may be cut short or edited); "
                            "download the list again.") from None
    except DefusedXmlException:
        raise ListFileError(file.name, "", "the file declares entities or a DTD, which "
                            "official lists never do; it was not read.") from None
    if local_name(root) != root_name:
        raise ListFileError(file.name, "", f"the file's top element is <{local_name(root)}>, "
                            f"not <{root_name}>: this is not {what}.")
    return root


def child_text(element: Element, name: str) -> str:
    for child in element:
        if local_name(child) == name:
            return " ".join((child.text or "").split())
    return ""


def children(element: Element, name: str) -> list[Element]:
    return [child for child in element if local_name(child) == name]


_MONTHS = {m: i for i, m in enumerate(
    ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), 1)}
_DAY_MONTH_YEAR = re.compile(r"^(\d{1,2}) ([A-Za-z]{3})[a-z]* (\d{4})$")
_MONTH_YEAR = re.compile(r"^([A-Za-z]{3})[a-z]* (\d{4})$")
_YEAR_RANGE = re.compile(r"^(\d{4}) ?(?:to|-) ?(\d{4})$")
_ISO = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?")


def loose_dates(text: str) -> list[str]:
    """Dates of birth as lists write them, to "YYYY", "YYYY-MM" or "YYYY-MM-DD".
    'circa 1965' and '1960 to 1962' keep only the years; what cannot be read gives
    nothing (the original stays in the remarks)."""
    text = " ".join(text.replace(",", " ").split()).strip(". ")
    text = re.sub(r"^(?:circa|approximately|about|c\.|ca\.)\s*", "", text, flags=re.I)
    if m := _DAY_MONTH_YEAR.match(text):
        month = _MONTHS.get(m[2].lower())
        return [f"{m[3]}-{month:02d}-{int(m[1]):02d}"] if month else []
    if m := _MONTH_YEAR.match(text):
        month = _MONTHS.get(m[1].lower())
        return [f"{m[2]}-{month:02d}"] if month else []
    if m := _YEAR_RANGE.match(text):
        first, last = int(m[1]), int(m[2])
        return [str(y) for y in range(first, last + 1)] if 0 <= last - first <= 10 else []
    if m := _ISO.match(text):
        return ["-".join(part for part in m.groups() if part)]
    return []


def unique(values: list[str]) -> tuple[str, ...]:
    """In first-seen order, blanks and repeats dropped."""
    seen: dict[str, None] = {}
    for value in values:
        value = " ".join(value.split())
        if value:
            seen.setdefault(value, None)
    return tuple(seen)


def check_unique_refs(file: str, entries: list[ListedEntry]) -> None:
    seen: set[str] = set()
    for entry in entries:
        if entry.ref in seen:
            raise ListFileError(file, f"entry {entry.ref}",
                                "this entry appears twice; the file is not a clean copy "
                                "of the list.")
        seen.add(entry.ref)
    if not entries:
        raise ListFileError(file, "", "the file lists no persons or entities.")
