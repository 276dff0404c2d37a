"""AML transaction monitoring as compliance works it: the rules in words, their
thresholds changed with a reason in the audit log, a run over the history on demand,
and a run after each sync over what arrived (app/monitoring has the rules).

Reading the rules and running them needs "work compliance alerts and cases" (the
thresholds are not for everyone's eyes: knowing them is knowing how to stay under
them); changing them needs "edit risk settings".
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from app import audit
from app.crm.search_index import dbapi
from app.errors import ValidationFailed
from app.kyc import fatf
from app.models.compliance import MonitoringRule, Severity
from app.monitoring.context import Scope
from app.monitoring.registry import spec
from app.monitoring.runner import (
    MAX_MS,
    Found,
    find,
    load_settings,
    quick_mark,
    raise_alerts,
    stamp,
    touched,
)
from app.monitoring.spec import DAYS_TO_REVIEW, Settings
from app.monitoring.thresholds import Threshold, Value
from app.roles import Actor, Permission, require
from app.services.workspace import Desk, get_setting, set_setting
from app.workspace.store import Store

MARK_KEY = "monitoring.mark"  # settings: what the last after-sync run had seen
# After-sync runs that raise nothing are kept as one row per stretch of this length.
QUIET_RUN_SPAN = timedelta(minutes=10)
DAYS_TO_REVIEW_RANGE = (1, 365)


@dataclass(frozen=True)
class RuleView:
    rule: str
    title: str
    description: str              # the rule in words, thresholds filled in
    severity: Severity
    enabled: bool
    thresholds: dict[str, Value]
    days_to_review: int
    fields: tuple[Threshold, ...]  # what each threshold is (label, kind, range)


@dataclass(frozen=True)
class MonitoringResult:
    run_id: int
    trigger: str
    from_ms: int
    to_ms: int
    clients_checked: int
    found: int
    alerts_raised: int
    by_rule: dict[str, int]               # alerts raised per rule
    alert_ids: list[int]
    seconds: float
    rule_seconds: dict[str, float] = field(default_factory=dict)
    unconverted: dict[str, int] = field(default_factory=dict)  # currency -> payments


def _can_read(actor: Actor) -> None:
    if not actor.can(Permission.EDIT_RISK_SETTINGS):
        require(actor, Permission.WORK_ALERTS)


def _view(cfg: Settings) -> RuleView:
    return RuleView(cfg.spec.rule, cfg.spec.title, cfg.spec.describe(cfg.values),
                    cfg.severity, cfg.enabled, dict(cfg.values), cfg.days_to_review,
                    cfg.spec.thresholds)


def rules(desk: Desk) -> list[RuleView]:
    _can_read(desk.actor)
    with desk.store.read() as s:
        return [_view(cfg) for cfg in load_settings(dbapi(s)).values()]


def _state(cfg: Settings) -> dict[str, Any]:
    return {"enabled": cfg.enabled, "severity": cfg.severity.value,
            "days_to_review": cfg.days_to_review,
            "thresholds": {t.name: t.stored(cfg.values[t.name]) for t in cfg.spec.thresholds}}


def _severity(value: Severity | str) -> Severity:
    try:
        return Severity(str(value).strip().lower())
    except ValueError:
        raise ValidationFailed(f"Severity is low, medium or high; {str(value)[:20]!r} is "
                               "none of them.", "severity") from None


def _days(value: object) -> int:
    low, high = DAYS_TO_REVIEW_RANGE
    if isinstance(value, bool) or not (isinstance(value, int) or
                                       (isinstance(value, str) and value.strip().isdigit())):
        raise ValidationFailed(f"Days to review is a whole number of days from {low} to "
                               f"{high}.", "days_to_review")
    days = int(value)
    if not low <= days <= high:
        raise ValidationFailed(f"Days to review must be from {low} to {high}; {days} is not.",
                               "days_to_review")
    return days


def set_rule(desk: Desk, rule: str, *, thresholds: dict[str, object] | None = None,
             severity: Severity | str | None = None, enabled: bool | None = None,
             days_to_review: int | str | None = None) -> RuleView:
    """Change a rule's settings; anything not given stays as it is. Every value is
    checked before anything is saved."""
    require(desk.actor, Permission.EDIT_RISK_SETTINGS)
    found = spec(rule)
    parsed = {name: found.threshold(name).parse(raw)
              for name, raw in (thresholds or {}).items()}
    new_severity = None if severity is None else _severity(severity)
    new_days = None if days_to_review is None else _days(days_to_review)
    if enabled is not None and not isinstance(enabled, bool):
        raise ValidationFailed("Enabled is yes or no.", "enabled")
    with desk.store.write() as s:
        cfg = load_settings(dbapi(s))[found.rule]
        before = _state(cfg)
        values = {**cfg.values, **parsed}
        after_cfg = Settings(found, cfg.enabled if enabled is None else enabled,
                             new_severity or cfg.severity,
                             cfg.days_to_review if new_days is None else new_days, values)
        after = _state(after_cfg)
        if after == before:
            return _view(after_cfg)
        row = s.get(MonitoringRule, found.rule)
        if row is None:
            row = MonitoringRule(rule=found.rule)
            s.add(row)
        row.enabled, row.severity = after_cfg.enabled, after_cfg.severity
        row.thresholds = {**after["thresholds"], DAYS_TO_REVIEW: after_cfg.days_to_review}
        row.updated_by, row.updated_at = desk.actor.id, datetime.now(UTC)
        audit.record(s, desk.actor, "monitoring.rule_set", "monitoring_rule", found.rule,
                     before=before, after=after)
        return _view(after_cfg)


def _seed_fatf(store: Store) -> None:
    """The FATF lists the FATF rule reads, seeded once per workspace."""
    with store.read() as s:
        if get_setting(s, fatf.SEEDED_KEY):
            return
    with store.write() as s:
        fatf.seed_if_new(s)


def _day_ms(day: date) -> int:
    return int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp()) * 1000


def _write(s: Session, found: Found, actor: Actor | None, trigger: str, started: datetime,
           from_ms: int, to_ms: int, seconds: float) -> tuple[int, list[tuple[int, str]]]:
    db = dbapi(s)
    now = datetime.now(UTC)
    raised = raise_alerts(db, found.hits, found.settings, now)
    by_rule = {rule: 0 for rule in found.found}
    for _id, rule in raised:
        by_rule[rule] = by_rule.get(rule, 0) + 1
    last = db.execute("SELECT id, trigger, alerts_raised, started_at, clients_checked"
                      " FROM monitoring_runs ORDER BY id DESC LIMIT 1").fetchone()
    quiet = (trigger == "after_sync" and not raised and last is not None
             and last[1] == "after_sync" and last[2] == 0
             and now - datetime.fromisoformat(str(last[3])).replace(tzinfo=UTC)
             < QUIET_RUN_SPAN)
    if quiet:  # one row for a stretch of after-sync runs that found nothing
        run_id = int(last[0])
        db.execute("UPDATE monitoring_runs SET finished_at = ?, to_ms = max(to_ms, ?),"
                   " clients_checked = clients_checked + ? WHERE id = ?",
                   (stamp(now), to_ms, found.clients_checked, run_id))
    else:
        run_id = int(db.execute(
            "INSERT INTO monitoring_runs (trigger, started_at, finished_at, actor_id, from_ms,"
            " to_ms, clients_checked, alerts_raised, by_rule) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (trigger, stamp(started), stamp(now), actor.id if actor else None, from_ms, to_ms,
             found.clients_checked, len(raised), json.dumps(by_rule))).lastrowid)
    if actor is not None or raised:
        audit.record(s, actor, "monitoring.run", "monitoring_run", run_id, after={
            "trigger": trigger, "from_ms": from_ms, "to_ms": to_ms,
            "clients_checked": found.clients_checked, "found": len(found.hits),
            "raised": len(raised), "by_rule": by_rule,
            "alert_ids": [a for a, _ in raised], "seconds": round(seconds, 3),
            "unconverted": found.unconverted})
    return run_id, raised


def _result(run_id: int, trigger: str, from_ms: int, to_ms: int, found: Found,
            raised: list[tuple[int, str]], seconds: float) -> MonitoringResult:
    by_rule = {rule: 0 for rule in found.found}
    for _id, rule in raised:
        by_rule[rule] += 1
    return MonitoringResult(run_id, trigger, from_ms, to_ms, found.clients_checked,
                            len(found.hits), len(raised), by_rule, [a for a, _ in raised],
                            seconds, found.seconds, found.unconverted)


def run_monitoring(desk: Desk, date_from: date | None = None,
                   date_to: date | None = None) -> MonitoringResult:
    """Every enabled rule over every client, for activity from `date_from` to `date_to`
    (whole days, UTC; by default all of it)."""
    require(desk.actor, Permission.WORK_ALERTS)
    if date_from and date_to and date_from > date_to:
        raise ValidationFailed("The period ends before it starts: swap the dates.", "date_to")
    _seed_fatf(desk.store)
    started = datetime.now(UTC)
    t = time.perf_counter()
    from_ms = _day_ms(date_from) if date_from else 0
    to_ms = _day_ms(date_to + timedelta(days=1)) - 1 if date_to else MAX_MS
    with desk.store.read() as s:
        found = find(s, dbapi(s), Scope(), from_ms, to_ms, started)
    shown_to = min(to_ms, int(started.timestamp() * 1000))
    with desk.store.write() as s:
        run_id, raised = _write(s, found, desk.actor, "on_demand", started, from_ms, shown_to,
                                time.perf_counter() - t)
    return _result(run_id, "on_demand", from_ms, shown_to, found, raised,
                   time.perf_counter() - t)


def monitor_after_sync(store: Store) -> MonitoringResult | None:
    """The rules over the clients something arrived for since the last such run (every
    client the first time), as the system. None when nothing arrived: a few indexed
    reads and one scan of the clients' change times."""
    with store.read() as s:
        db = dbapi(s)
        mark = quick_mark(db)
        saved = get_setting(s, MARK_KEY)
        if saved and json.loads(saved) == mark:
            return None
        scope = touched(db, json.loads(saved)) if saved else Scope()
    _seed_fatf(store)
    started = datetime.now(UTC)
    t = time.perf_counter()
    now_ms = int(started.timestamp() * 1000)
    found: Found | None = None
    if scope.clients is None or scope.clients or scope.partners:
        with store.read() as s:
            found = find(s, dbapi(s), scope, 0, MAX_MS, started)
    with store.write() as s:
        set_setting(s, MARK_KEY, json.dumps(mark))
        if found is None:
            return None
        run_id, raised = _write(s, found, None, "after_sync", started, 0, now_ms,
                                time.perf_counter() - t)
    return _result(run_id, "after_sync", 0, now_ms, found, raised, time.perf_counter() - t)
