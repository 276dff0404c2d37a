"""The client list's filters, applied in SQL, and the lazy listing the UI pages through.

A filter combines any of status, country, segment, tag, manager, risk and partner
(values within one kind are alternatives, kinds must all hold) with a search text
looked up in the term index. Build the listing on the database worker: a filter on a
rule-based segment reads the segment's rule.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, func, or_, select
from sqlalchemy.orm import Session, aliased

from app.crm.search_index import search_condition
from app.crm.segment_rules import Rule, compile_rule
from app.errors import ValidationFailed
from app.models.crm import Client, ClientStatus, ClientTag, RiskRating
from app.models.users import User
from app.queries.listing import Column, Listing
from app.roles import Permission, require
from app.services.workspace import Desk


@dataclass(frozen=True)
class ClientFilter:
    text: str = ""
    statuses: tuple[ClientStatus, ...] = ()
    countries: tuple[str, ...] = ()
    segments: tuple[str, ...] = ()  # the client's segment label (Retail, VIP, ...)
    segment_ids: tuple[int, ...] = ()  # rule-based segments: the client is in any of them
    tags: tuple[str, ...] = ()  # the client has any of these tags
    manager_ids: tuple[int | None, ...] = ()  # None: no manager assigned
    risks: tuple[RiskRating, ...] = ()
    partner_ids: tuple[int | None, ...] = ()  # None: not introduced by a partner

    def is_empty(self) -> bool:
        return self == ClientFilter()

    def to_json(self) -> dict[str, Any]:
        """The stored form (saved filters): only what is set."""
        out = {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()}
        return {k: v for k, v in out.items() if v not in ("", [])}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ClientFilter:
        def values(key: str) -> list[Any]:
            raw = data.get(key, [])
            if not isinstance(raw, list):
                raise ValidationFailed(f"The saved filter's {key} is not a list.", key)
            return raw

        try:
            return cls(
                text=str(data.get("text", "")),
                statuses=tuple(ClientStatus(v) for v in values("statuses")),
                countries=tuple(str(v).upper() for v in values("countries")),
                segments=tuple(str(v) for v in values("segments")),
                segment_ids=tuple(int(v) for v in values("segment_ids")),
                tags=tuple(str(v) for v in values("tags")),
                manager_ids=tuple(None if v is None else int(v) for v in values("manager_ids")),
                risks=tuple(RiskRating(v) for v in values("risks")),
                partner_ids=tuple(None if v is None else int(v) for v in values("partner_ids")),
            )
        except (TypeError, ValueError) as exc:
            raise ValidationFailed(f"The saved filter holds a value this version does not "
                                   f"know ({exc}).", "definition") from None

    def without_text(self) -> ClientFilter:
        return replace(self, text="")


def _optional_in(column: Any, values: Sequence[int | None]) -> ColumnElement[bool]:
    ids = [v for v in values if v is not None]
    conds = []
    if ids:
        conds.append(column.in_(ids))
    if len(ids) != len(values):
        conds.append(column.is_(None))
    return or_(*conds)


def conditions(f: ClientFilter, rules: dict[int, Rule] | None = None,
               now: datetime | None = None) -> list[ColumnElement[bool]]:
    """The filter's conditions on `clients`, without the search text. `rules` holds the
    rules of f.segment_ids (see app.crm.segments.segment_rules)."""
    conds: list[ColumnElement[bool]] = []
    if f.statuses:
        conds.append(Client.status.in_(f.statuses))
    if f.countries:
        conds.append(Client.country.in_(f.countries))
    if f.segments:
        conds.append(Client.segment.in_(f.segments))
    if f.segment_ids:
        rules = rules or {}
        conds.append(or_(*[compile_rule(rules[i], now) for i in f.segment_ids]))
    if f.tags:
        conds.append(Client.id.in_(select(ClientTag.client_id)
                                   .where(ClientTag.tag.in_(f.tags))))
    if f.manager_ids:
        conds.append(_optional_in(Client.manager_id, f.manager_ids))
    if f.risks:
        conds.append(Client.risk_rating.in_(f.risks))
    if f.partner_ids:
        conds.append(_optional_in(Client.partner_id, f.partner_ids))
    return conds


def _rules_for(s: Session, f: ClientFilter) -> dict[int, Rule]:
    if not f.segment_ids:
        return {}
    from app.crm.segments import segment_rules

    return segment_rules(s, list(f.segment_ids))


def matching_ids(s: Session, f: ClientFilter, now: datetime | None = None) -> Select[Any]:
    """SELECT of the ids of the clients a filter (with its text) gives."""
    stmt = select(Client.id).where(*conditions(f, _rules_for(s, f), now))
    if (cond := search_condition(f.text)) is not None:
        stmt = stmt.where(cond)
    return stmt


_manager = aliased(User)


def client_listing(desk: Desk, f: ClientFilter = ClientFilter()) -> Listing:
    """The client list for a filter, paged and sorted in SQL (see app.queries.listing).
    The search box's text is matched through the term index; `f.text` is ignored here
    because the list's own search text is applied on top."""
    require(desk.actor, Permission.VIEW)
    with desk.store.read() as s:
        rules = _rules_for(s, f)
    return Listing(
        name="clients",
        columns=(
            Column("ID", Client.id, align_right=True),
            Column("Name", Client.search_name, render=lambda r: str(r[9])),
            Column("Status", Client.status),
            Column("Country", Client.country),
            Column("Email", Client.email),
            Column("Phone", Client.phone),
            Column("Segment", Client.segment),
            Column("Risk", Client.risk_rating),
            Column("Manager", _manager.full_name),
        ),
        extra=(Client.display_name,),
        source=Client.__table__.outerjoin(_manager, _manager.id == Client.manager_id),
        key=Client.id,
        where=tuple(conditions(f, rules)),
        matcher=search_condition,
        default_sort=1,
    )


def count_clients(desk: Desk, f: ClientFilter) -> int:
    require(desk.actor, Permission.VIEW)
    with desk.store.read() as s:
        return int(s.scalar(select(func.count()).select_from(
            matching_ids(s, f).subquery())) or 0)


@dataclass(frozen=True)
class FilterChoices:
    """What the filter bar offers: the values present in this workspace."""

    countries: list[str] = field(default_factory=list)
    segments: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    managers: list[tuple[int, str]] = field(default_factory=list)
    partners: list[tuple[int, str]] = field(default_factory=list)
    segment_rules: list[tuple[int, str]] = field(default_factory=list)


def filter_choices(desk: Desk) -> FilterChoices:
    from app.models.crm import Segment
    from app.models.partners import Partner

    require(desk.actor, Permission.VIEW)
    with desk.store.read() as s:
        return FilterChoices(
            countries=list(s.scalars(select(Client.country).distinct().order_by(
                Client.country))),
            segments=[v for v in s.scalars(select(Client.segment).distinct().order_by(
                Client.segment)) if v],
            tags=list(s.scalars(select(ClientTag.tag).distinct().order_by(ClientTag.tag))),
            managers=[(i, n) for i, n in s.execute(select(User.id, User.full_name).where(
                User.id.in_(select(Client.manager_id))).order_by(User.full_name))],
            partners=[(i, n) for i, n in s.execute(
                select(Partner.id, Partner.name).order_by(Partner.name))],
            segment_rules=[(i, n) for i, n in s.execute(
                select(Segment.id, Segment.name).order_by(Segment.name))],
        )
