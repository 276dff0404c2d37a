"""FATF's public lists (call for action, increased monitoring) as data the compliance
officer keeps current. A workspace starts from resources/risk/fatf_lists.json, seeded
the first time the lists are needed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from app import audit
from app.countries import check_country, countries
from app.errors import NotFound, ValidationFailed
from app.kyc.settings import load_resource
from app.models.kyc import FatfList, RiskCountry
from app.roles import Permission, require
from app.services.workspace import Desk, get_setting, set_setting

SEEDED_KEY = "kyc.fatf_seeded"  # the as-of date of the lists seeded; never re-seeded


@dataclass(frozen=True)
class RiskCountryRow:
    country: str
    name: str
    fatf_list: FatfList
    note: str
    updated_at: datetime


def seed_if_new(s: Session) -> bool:
    """Fill risk_countries from the shipped lists once per workspace. A list a
    compliance officer emptied on purpose stays empty."""
    if get_setting(s, SEEDED_KEY):
        return False
    data = load_resource("fatf_lists.json")
    if s.scalar(select(RiskCountry.country).limit(1)) is None:
        now = datetime.now(UTC)
        for key in (FatfList.CALL_FOR_ACTION, FatfList.INCREASED_MONITORING):
            for code, name in data[key.value].items():
                s.add(RiskCountry(country=check_country(code), fatf_list=key,
                                  note=f"{name}; FATF list as of {data['as_of']}",
                                  updated_at=now))
    set_setting(s, SEEDED_KEY, str(data["as_of"]))
    audit.record(s, None, "kyc.fatf_seed", "setting", SEEDED_KEY,
                 after={"as_of": data["as_of"], "source": data["source"]})
    s.flush()
    return True


def ensure_seeded(desk: Desk) -> None:
    """Cheap when already seeded: a read, no write lock."""
    with desk.store.read() as s:
        if get_setting(s, SEEDED_KEY):
            return
    with desk.store.write() as s:
        seed_if_new(s)


def listed(s: Session) -> dict[str, FatfList]:
    return dict(s.execute(select(RiskCountry.country, RiskCountry.fatf_list)).all())


def list_risk_countries(desk: Desk) -> list[RiskCountryRow]:
    require(desk.actor, Permission.VIEW)
    ensure_seeded(desk)
    with desk.store.read() as s:
        rows = s.scalars(select(RiskCountry).order_by(RiskCountry.fatf_list,
                                                      RiskCountry.country)).all()
        return [RiskCountryRow(r.country, countries().get(r.country, r.country), r.fatf_list,
                               r.note, r.updated_at) for r in rows]


def set_risk_country(desk: Desk, country: str, fatf_list: FatfList | str,
                     note: str = "") -> None:
    """Put a country on a FATF list, or move it to the other one."""
    require(desk.actor, Permission.EDIT_RISK_SETTINGS)
    code = check_country(country)
    try:
        which = FatfList(fatf_list)
    except ValueError:
        raise ValidationFailed("A FATF list is either 'call for action' or 'increased "
                               "monitoring'.", "fatf_list") from None
    if len(note) > 200:
        raise ValidationFailed("The note can be at most 200 characters.", "note")
    ensure_seeded(desk)
    with desk.store.write() as s:
        row = s.get(RiskCountry, code)
        before = None if row is None else {"fatf_list": row.fatf_list, "note": row.note}
        if row is None:
            row = RiskCountry(country=code, fatf_list=which, note=note.strip())
            s.add(row)
        row.fatf_list, row.note, row.updated_at = which, note.strip(), datetime.now(UTC)
        audit.record(s, desk.actor, "kyc.fatf_set", "risk_country", code, before=before,
                     after={"fatf_list": which, "note": row.note})


def remove_risk_country(desk: Desk, country: str) -> None:
    require(desk.actor, Permission.EDIT_RISK_SETTINGS)
    code = check_country(country)
    ensure_seeded(desk)
    with desk.store.write() as s:
        row = s.get(RiskCountry, code)
        if row is None:
            raise NotFound(f"{countries()[code]} is not on a FATF list here.")
        audit.record(s, desk.actor, "kyc.fatf_remove", "risk_country", code,
                     before={"fatf_list": row.fatf_list, "note": row.note})
        s.delete(row)
