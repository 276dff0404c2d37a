"""What the screening screens show: hits to review, a client's hits, list versions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import aliased

from app.models.crm import Client
from app.models.kyc import HitStatus, SanctionList, ScreeningHit
from app.models.users import User
from app.roles import Permission, require
from app.services.workspace import Desk


@dataclass(frozen=True)
class HitView:
    id: int
    client_id: int
    client_name: str
    client_country: str
    client_birth_date: date | None
    client_frozen: bool
    list_name: str
    list_version: str
    entry_ref: str
    listed_name: str           # the entry's primary name
    matched_name: str          # the name (primary or alias) the client matched
    score: int
    why: tuple[str, ...]       # the matcher's reasons, and why a hit was reopened
    listed_birth_dates: tuple[str, ...]
    listed_countries: tuple[str, ...]
    programs: tuple[str, ...]
    remarks: str
    status: HitStatus
    review_reason: str
    reviewed_by: str | None    # full name
    reviewed_at: datetime | None
    found_at: datetime


@dataclass(frozen=True)
class ListVersion:
    id: int
    source: str
    name: str
    version: str
    published: date | None
    imported_at: datetime
    imported_by: str | None
    entry_count: int
    sha256: str
    active: bool

    @property
    def dated_by_file(self) -> bool:
        """False when the files carried no date (OFAC's CSV): the version is then the
        import date and the files' SHA-256."""
        return self.published is not None


def _view(hit: ScreeningHit, client: Client, reviewer: str | None) -> HitView:
    entry: dict[str, Any] = dict(hit.reasons.get("entry", {}))
    return HitView(
        hit.id, client.id, client.display_name, client.country, client.date_of_birth,
        client.frozen, hit.list_name, hit.list_version, hit.entry_ref,
        str(entry.get("name", hit.matched_name)), hit.matched_name, hit.score,
        tuple(hit.reasons.get("why", ())), tuple(entry.get("birth_dates", ())),
        tuple(entry.get("countries", ())), tuple(entry.get("programs", ())),
        str(entry.get("remarks", "")), hit.status, hit.review_reason, reviewer,
        hit.reviewed_at, hit.created_at)


def _hits() -> Select[ScreeningHit, Client, str]:
    reviewer = aliased(User)
    return (select(ScreeningHit, Client, reviewer.full_name)
            .join(Client, Client.id == ScreeningHit.client_id)
            .outerjoin(reviewer, reviewer.id == ScreeningHit.reviewed_by))


def open_hits(desk: Desk, limit: int = 1000) -> list[HitView]:
    """The review queue: open hits, highest score first."""
    require(desk.actor, Permission.REVIEW_SCREENING)
    with desk.store.read() as s:
        rows = s.execute(_hits().where(ScreeningHit.status == HitStatus.OPEN)
                         .order_by(ScreeningHit.score.desc(), ScreeningHit.id).limit(limit))
        return [_view(h, c, r) for h, c, r in rows]


def hits_for_client(desk: Desk, client_id: int) -> list[HitView]:
    """Every hit of one client, open ones first."""
    require(desk.actor, Permission.VIEW)
    with desk.store.read() as s:
        rows = s.execute(_hits().where(ScreeningHit.client_id == client_id)
                         .order_by((ScreeningHit.status != HitStatus.OPEN),
                                   ScreeningHit.score.desc(), ScreeningHit.id))
        return [_view(h, c, r) for h, c, r in rows]


def lists(desk: Desk) -> list[ListVersion]:
    """Every imported version, newest first per list."""
    require(desk.actor, Permission.VIEW)
    with desk.store.read() as s:
        rows = s.execute(select(SanctionList, User.full_name)
                         .outerjoin(User, User.id == SanctionList.imported_by)
                         .order_by(SanctionList.source, SanctionList.id.desc()))
        return [ListVersion(r.id, r.source.value, r.name, r.version, r.published,
                            r.imported_at, who, r.entry_count, r.sha256, r.active)
                for r, who in rows]
