"""Segments computed from data: create, edit, delete, and how many clients each holds.

Membership is never stored: a segment is its rule (app.crm.segment_rules), evaluated in
SQL whenever it is counted or used as a filter, so it is always current.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app import audit
from app.crm.segment_rules import Rule, compile_rule, describe, validate_rule
from app.errors import NotFound, ValidationFailed
from app.models.crm import Client, Segment
from app.roles import Permission, require
from app.services.workspace import Desk, get_setting, set_setting

SEEDED_KEY = "crm.segments_seeded"


@dataclass(frozen=True)
class SegmentRow:
    id: int
    name: str
    description: str
    rule: Rule
    summary: str  # the rule in words


@dataclass(frozen=True)
class SegmentCount:
    id: int
    name: str
    count: int


def default_segments(base_currency: str) -> list[tuple[str, str, Rule]]:
    return [
        ("High depositors", f"Completed deposits of 10,000 {base_currency} or more",
         {"all": [{"field": "deposits", "currency": base_currency, "op": ">=",
                   "value": "10000"}]}),
        ("Active traders", "10 lots or more opened in the last 30 days",
         {"all": [{"field": "volume_lots", "op": ">=", "value": "10", "days": 30}]}),
        ("New clients", "Client records from the last 30 days",
         {"all": [{"field": "client_age_days", "op": "<=", "value": 30}]}),
        ("Funded, not trading", "Has deposited but opened nothing in 90 days",
         {"all": [{"field": "deposit_count", "op": ">=", "value": 1},
                  {"field": "volume_lots", "op": "=", "value": "0", "days": 90}]}),
        ("Verified, no deposit", "Verified or active clients who never deposited",
         {"all": [{"field": "status", "in": ["verified", "active"]},
                  {"field": "deposit_count", "op": "=", "value": 0}]}),
        ("Long-standing", "First trading account opened a year ago or more",
         {"all": [{"field": "account_age_days", "op": ">=", "value": 365}]}),
    ]


def seed_default_segments(s: Session) -> int:
    """Adds the default segments once per workspace (a deleted default stays deleted)."""
    if get_setting(s, SEEDED_KEY):
        return 0
    existing = set(s.scalars(select(Segment.name)))
    added = 0
    for name, description, rule in default_segments(get_setting(s, "base_currency", "USD")):
        if name not in existing:
            s.add(Segment(name=name, description=description, rule=validate_rule(rule)))
            added += 1
    set_setting(s, SEEDED_KEY, "1")
    audit.record(s, None, "segment.seed", "workspace", "segments", after={"added": added})
    return added


def _row(seg: Segment) -> SegmentRow:
    return SegmentRow(seg.id, seg.name, seg.description, dict(seg.rule), describe(seg.rule))


def _clean_name(name: str) -> str:
    name = " ".join(name.split())
    if not name or len(name) > 40:
        raise ValidationFailed("A segment name is 1 to 40 characters.", "name")
    return name


def list_segments(desk: Desk) -> list[SegmentRow]:
    require(desk.actor, Permission.VIEW)
    with desk.store.read() as s:
        return [_row(seg) for seg in s.scalars(select(Segment).order_by(Segment.name))]


def create_segment(desk: Desk, name: str, rule: dict[str, Any], description: str = "") -> int:
    require(desk.actor, Permission.EDIT_CLIENTS)
    name, rule = _clean_name(name), validate_rule(rule)
    try:
        with desk.store.write() as s:
            seg = Segment(name=name, description=description.strip()[:300], rule=rule)
            s.add(seg)
            s.flush()
            audit.record(s, desk.actor, "segment.create", "segment", seg.id,
                         after={"name": name, "rule": rule})
            return seg.id
    except IntegrityError:
        raise ValidationFailed(f"There is already a segment called {name}.", "name") from None


def update_segment(desk: Desk, segment_id: int, name: str, rule: dict[str, Any],
                   description: str = "") -> None:
    require(desk.actor, Permission.EDIT_CLIENTS)
    name, rule = _clean_name(name), validate_rule(rule)
    try:
        with desk.store.write() as s:
            seg = s.get(Segment, segment_id)
            if seg is None:
                raise NotFound("This segment no longer exists.")
            before = {"name": seg.name, "rule": seg.rule, "description": seg.description}
            seg.name, seg.rule, seg.description = name, rule, description.strip()[:300]
            s.flush()
            audit.record(s, desk.actor, "segment.update", "segment", segment_id,
                         before=before, after={"name": name, "rule": rule,
                                               "description": seg.description})
    except IntegrityError:
        raise ValidationFailed(f"There is already a segment called {name}.", "name") from None


def delete_segment(desk: Desk, segment_id: int) -> None:
    require(desk.actor, Permission.EDIT_CLIENTS)
    with desk.store.write() as s:
        seg = s.get(Segment, segment_id)
        if seg is None:
            raise NotFound("This segment no longer exists.")
        audit.record(s, desk.actor, "segment.delete", "segment", segment_id,
                     before={"name": seg.name, "rule": seg.rule})
        s.delete(seg)


def segment_rules(s: Session, ids: list[int]) -> dict[int, Rule]:
    """The rules of these segments; a missing one is refused by name of its id."""
    found = {seg.id: dict(seg.rule)
             for seg in s.scalars(select(Segment).where(Segment.id.in_(ids)))}
    if missing := [i for i in ids if i not in found]:
        raise NotFound(f"Segment {missing[0]} no longer exists; remove it from the filter.")
    return found


def segment_counts(desk: Desk, now: datetime | None = None) -> list[SegmentCount]:
    """Clients per segment, all counted in one SQL pass over the clients."""
    require(desk.actor, Permission.VIEW)
    now = now or datetime.now(UTC)
    with desk.store.read() as s:
        segs = list(s.scalars(select(Segment).order_by(Segment.name)))
        if not segs:
            return []
        sums = [func.coalesce(func.sum(case((compile_rule(seg.rule, now), 1), else_=0)), 0)
                for seg in segs]
        row = s.execute(select(*sums).select_from(Client)).one()
        return [SegmentCount(seg.id, seg.name, int(n))
                for seg, n in zip(segs, row, strict=True)]
