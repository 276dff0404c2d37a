"""Sanctions and PEP list files in their official formats, read into one shape.

`read_list(source, paths)` reads and checks the files of one list; a broken file
raises ListFileError naming the file, the line or entry, and the problem.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path

from app.screening.lists import eu, ofac, opensanctions, un
from app.screening.lists.common import ListedEntry, ListFile, ListFileError, ParsedList, read_files

READERS: dict[str, Callable[[list[ListFile], date], ParsedList]] = {
    "ofac": ofac.parse, "un": un.parse, "eu": eu.parse, "opensanctions": opensanctions.parse,
}
# What the files of each source are called where they are downloaded.
EXPECTED_FILES = {
    "ofac": "sdn.csv, alt.csv and add.csv", "un": "consolidated.xml",
    "eu": "the EU financial sanctions XML file", "opensanctions": "targets.simple.csv",
}


def read_list(source: str, paths: list[Path], today: date | None = None) -> ParsedList:
    reader = READERS.get(source)
    if reader is None:
        raise ListFileError("List", "", f"{source!r} is not a list Backdesk reads; choose "
                            f"one of {', '.join(READERS)}.")
    return reader(read_files(paths), today or date.today())


__all__ = ["EXPECTED_FILES", "READERS", "ListFileError", "ListedEntry", "ParsedList",
           "read_list"]
