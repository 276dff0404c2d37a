"""The management report's figures: the dashboard's, for a report period and a choice
of clients, with the headline counts as they stand when the report is made."""

from __future__ import annotations

from dataclasses import dataclass

from app.analytics.figures import (
    DashboardFigures,
    FilterChoices,
    read_figures,
    read_filter_choices,
)
from app.analytics.scope import EVERYONE, ClientFilter, Span
from app.queries.dashboard import Headlines, headlines
from app.queries.exceptions import ExceptionRow, read_queue
from app.reports.document import Period
from app.workspace.store import Store

# The oldest exceptions the report lists by name; the counts cover all of them.
OLDEST = 20


@dataclass(frozen=True)
class ManagementReport:
    period: Period
    filters: ClientFilter
    clients_text: str          # which clients, in words
    headlines: Headlines
    figures: DashboardFigures
    oldest: tuple[ExceptionRow, ...]   # the exception queue's head


def clients_text(filters: ClientFilter, choices: FilterChoices) -> str:
    if not filters.active:
        return "All clients"
    parts = []
    if filters.country is not None:
        parts.append(f"country {filters.country}")
    if filters.segment is not None:
        parts.append(f"segment {filters.segment or '(none)'}")
    if filters.manager_id is not None:
        parts.append("manager " + (choices.manager_name(filters.manager_id)
                                   or f"user #{filters.manager_id}"))
    return "Chosen clients: " + ", ".join(parts)


def read_management(store: Store, period: Period, filters: ClientFilter = EVERYONE,
                    oldest: int = OLDEST) -> ManagementReport:
    span = Span(period.date_from, period.date_to)
    with store.read() as s:
        now = headlines(s)
        choices = read_filter_choices(s)
        queue = read_queue(s, filters=filters)[:oldest]
    return ManagementReport(period, filters, clients_text(filters, choices), now,
                            read_figures(store, span, filters), tuple(queue))
