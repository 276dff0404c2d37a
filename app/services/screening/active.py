"""The entries clients are screened against: the active version of each list.

Building the matcher's index over tens of thousands of entries takes seconds, so it
is built once per change of the active lists and shared by every screening (one
client at onboarding, or all of them after a list update), on any thread.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models.crm import ClientKind
from app.models.kyc import SanctionEntry, SanctionList
from app.screening.lists import ListedEntry
from app.screening.matcher import Entry, Subject
from app.screening.screener import Screener


@dataclass(frozen=True)
class ListInfo:
    id: int
    source: str
    name: str
    version: str


@dataclass(frozen=True)
class ActiveLists:
    # Each active list's id and digest: the same files give the same entries.
    key: tuple[tuple[int, str], ...]
    lists: dict[int, ListInfo]
    screener: Screener
    entries: dict[tuple[int, str], Entry]

    @property
    def signature(self) -> dict[str, Any]:
        """What a screening run records about the lists it used."""
        return {"lists": [{"id": i.id, "name": i.name, "version": i.version}
                          for i in self.lists.values()]}

    def info(self, entry: Entry) -> ListInfo:
        return self.lists[int(entry.list_id)]


_cache: dict[tuple[tuple[int, str], ...], ActiveLists] = {}
_lock = threading.Lock()
_KEEP = 2  # an open workspace, and one just locked or replaced


def active_lists(s: Session) -> ActiveLists:
    rows = s.execute(select(SanctionList.id, SanctionList.source, SanctionList.name,
                            SanctionList.version, SanctionList.sha256)
                     .where(SanctionList.active).order_by(SanctionList.id)).all()
    key = tuple((r.id, r.sha256) for r in rows)
    with _lock:
        found = _cache.get(key)
    if found is not None:
        return found
    lists = {r.id: ListInfo(r.id, r.source.value, r.name, r.version) for r in rows}
    entries: dict[tuple[int, str], Entry] = {}
    if lists:
        for e in s.scalars(select(SanctionEntry).where(SanctionEntry.list_id.in_(lists))):
            listed = ListedEntry(e.ref, e.kind, e.name, tuple(e.aliases),
                                 tuple(e.birth_dates), tuple(e.countries),
                                 tuple(p for p in e.programs.split("; ") if p), e.remarks)
            entries[e.list_id, e.ref] = listed.entry(str(e.list_id))
    built = ActiveLists(key, lists, Screener(list(entries.values())), entries)
    with _lock:
        while len(_cache) >= _KEEP:
            _cache.pop(next(iter(_cache)))
        _cache[key] = built
    return built


@dataclass(frozen=True)
class ClientFacts:
    """What screening reads of a client; compared again before results are written."""

    id: int
    kind: ClientKind
    first_name: str
    last_name: str
    company_name: str
    date_of_birth: str | None
    country: str

    def key(self) -> SubjectKey:
        """What screening depends on: clients with the same key get the same hits."""
        if self.kind is ClientKind.COMPANY:
            return ("entity", self.company_name, None, self.country)
        return ("person", f"{self.first_name} {self.last_name}".strip(), self.date_of_birth,
                self.country)

    def subject(self) -> Subject:
        return subject_of(self.key())


SubjectKey = tuple[str, str, str | None, str]  # kind, name, date of birth, country


def subject_of(key: SubjectKey) -> Subject:
    kind, name, birth_date, country = key
    return Subject.of(name, kind, birth_date, [country] if country else [])


FACT_COLUMNS = ("id", "kind", "first_name", "last_name", "company_name", "date_of_birth",
                "country")


def facts_of(row: Any) -> ClientFacts:
    dob = row.date_of_birth
    return ClientFacts(row.id, ClientKind(row.kind), row.first_name, row.last_name,
                       row.company_name, dob.isoformat() if dob else None, row.country)
