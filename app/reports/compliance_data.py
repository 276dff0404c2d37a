"""What the KYC/AML compliance report says for a period, read from the KYC, screening
and monitoring tables.

Counts by status describe the workspace as it is when the report runs (the tables keep
no status history); everything else is what happened within the period: decisions,
screening runs and hits, alerts, cases, and documents that expire around its end.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from app.models.compliance import Alert, AlertStatus, CaseAlert, ComplianceCase, Severity
from app.models.crm import Client, ClientStatus, RiskRating
from app.models.kyc import HitStatus, KycCase, KycStatus, ScreeningHit, ScreeningRun
from app.models.users import User
from app.reports.compliance_documents import DocumentLine, read_documents
from app.reports.document import Period

# Documents expiring this many days after the period's end are listed as expiring.
EXPIRING_DAYS = 30
NO_CASE = "no KYC case"
HIT_OUTCOMES: dict[HitStatus, str] = {HitStatus.TRUE_MATCH: "confirmed",
                                      HitStatus.FALSE_POSITIVE: "false positive",
                                      HitStatus.OPEN: "open"}
# Where app.compliance keeps the review of an alert dismissed on its own (no case).
DISMISSAL = "_review"
ALERT_STATES: dict[AlertStatus, str] = {AlertStatus.OPEN: "open",
                                        AlertStatus.IN_CASE: "in a case",
                                        AlertStatus.CLOSED: "closed"}


def bounds(period: Period) -> tuple[datetime, datetime]:
    """The period as UTC instants: its first midnight, and the midnight after it."""
    return (datetime.combine(period.date_from, time(), UTC),
            datetime.combine(period.date_to + timedelta(days=1), time(), UTC))


_ACRONYMS = {"kyc": "KYC", "edd": "EDD", "pep": "PEP", "aml": "AML"}


def words(value: str) -> str:
    """A stored code as words: `kyc_pending` → `KYC pending`."""
    return " ".join(_ACRONYMS.get(w, w) for w in value.replace("_", " ").split(" "))


@dataclass(frozen=True)
class Decision:
    case_id: int
    client_id: int
    client_name: str
    status: KycStatus
    enhanced: bool
    decided_by: str
    decided_at: datetime
    notes: str


@dataclass(frozen=True)
class RiskClient:
    client_id: int
    name: str
    country: str
    rating: RiskRating
    pep: bool
    status: ClientStatus
    kyc: str
    next_review: date | None
    frozen: bool


@dataclass(frozen=True)
class ScreeningRunLine:
    id: int
    started_at: datetime
    trigger: str
    clients: int
    hits: int
    lists: str
    state: str
    run_by: str


@dataclass(frozen=True)
class HitLine:
    id: int
    client_id: int
    client_name: str
    list_label: str
    matched_name: str
    score: int
    outcome: str  # confirmed, false positive, open
    raised_at: datetime
    reviewed_by: str
    reviewed_at: datetime | None
    reason: str


@dataclass(frozen=True)
class AlertGroup:
    rule: str
    severity: Severity
    raised: int
    states: tuple[tuple[str, int], ...]  # ("open", n), ("in a case", n), ("closed", n)
    # Of the closed cases holding these alerts, and of alerts dismissed on their own.
    outcomes: tuple[tuple[str, int], ...]


@dataclass(frozen=True)
class CaseLine:
    id: int
    title: str
    client_name: str
    status: str
    opened_at: datetime
    opened_by: str
    closed_at: datetime | None
    closed_by: str
    outcome: str
    reason: str
    alerts: int


@dataclass(frozen=True)
class ComplianceReport:
    period: Period
    kyc_statuses: tuple[tuple[str, int], ...]
    client_statuses: tuple[tuple[str, int], ...]
    decisions: tuple[Decision, ...]
    risk_clients: tuple[RiskClient, ...]
    runs: tuple[ScreeningRunLine, ...]
    hits: tuple[HitLine, ...]
    alerts: tuple[AlertGroup, ...]
    cases: tuple[CaseLine, ...]  # opened or closed in the period
    expiring: tuple[DocumentLine, ...]  # within EXPIRING_DAYS after the period
    expired: tuple[DocumentLine, ...]  # in the period, or earlier and never renewed

    @property
    def hit_outcomes(self) -> list[tuple[str, int]]:
        counts = Counter(h.outcome for h in self.hits)
        return [(w, counts[w]) for w in HIT_OUTCOMES.values()]

    def cases_opened(self) -> list[CaseLine]:
        start, end = bounds(self.period)
        return [c for c in self.cases if start <= c.opened_at < end]

    def cases_closed(self) -> list[CaseLine]:
        start, end = bounds(self.period)
        return [c for c in self.cases if c.closed_at is not None and start <= c.closed_at < end]


def _counts(pairs: Iterable[tuple[str, int]], order: Iterable[str]) -> tuple[tuple[str, int], ...]:
    got = dict(pairs)
    return tuple((words(k), int(got.get(k, 0))) for k in order)


def _latest_cases(s: Session) -> dict[int, KycCase]:
    newest = select(func.max(KycCase.id)).group_by(KycCase.client_id)
    return {c.client_id: c for c in s.scalars(select(KycCase).where(KycCase.id.in_(newest)))}


def _statuses(s: Session, latest: dict[int, KycCase]) -> tuple[tuple[tuple[str, int], ...],
                                                                 tuple[tuple[str, int], ...]]:
    clients = dict(s.execute(select(Client.status, func.count()).group_by(Client.status)).all())
    total = sum(clients.values())
    kyc = Counter(c.status.value for c in latest.values())
    kyc[NO_CASE] = total - len(latest)
    return (_counts(kyc.items(), [*(k.value for k in KycStatus), NO_CASE]),
            _counts(((k.value, n) for k, n in clients.items()), (k.value for k in ClientStatus)))


def _decisions(s: Session, start: datetime, end: datetime,
               users: dict[int, str]) -> tuple[Decision, ...]:
    rows = s.execute(select(KycCase, Client.display_name)
                     .join(Client, Client.id == KycCase.client_id)
                     .where(KycCase.decided_at >= start, KycCase.decided_at < end)
                     .order_by(KycCase.decided_at, KycCase.id)).all()
    return tuple(Decision(c.id, c.client_id, name, c.status, c.enhanced,
                          users.get(c.decided_by or 0, "—"), c.decided_at or start, c.notes)
                 for c, name in rows)


def _risk_clients(s: Session, latest: dict[int, KycCase]) -> tuple[RiskClient, ...]:
    rows = s.scalars(select(Client).where(or_(Client.risk_rating == RiskRating.HIGH, Client.pep))
                     .order_by(Client.search_name, Client.id)).all()
    out = []
    for c in rows:
        case = latest.get(c.id)
        out.append(RiskClient(c.id, c.display_name, c.country, c.risk_rating, c.pep, c.status,
                              words(case.status.value) if case else NO_CASE,
                              case.next_review if case else None, c.frozen))
    return tuple(out)


def _runs(s: Session, start: datetime, end: datetime,
          users: dict[int, str]) -> tuple[ScreeningRunLine, ...]:
    rows = s.scalars(select(ScreeningRun).where(ScreeningRun.started_at >= start,
                                                ScreeningRun.started_at < end)
                     .order_by(ScreeningRun.started_at, ScreeningRun.id)).all()
    out = []
    for r in rows:
        used = r.lists.get("lists") or []
        lists = ", ".join(f"{x.get('name', '?')} {x.get('version', '')}".strip()
                          for x in used if isinstance(x, dict)) or "—"
        state = str(r.lists.get("state") or ("done" if r.finished_at else "running"))
        out.append(ScreeningRunLine(r.id, r.started_at, words(r.trigger), r.clients, r.hits,
                                    lists, words(state),
                                    users.get(r.actor_id, "") if r.actor_id else "automatic"))
    return tuple(out)


def _hits(s: Session, start: datetime, end: datetime,
          users: dict[int, str]) -> tuple[HitLine, ...]:
    """Hits raised in the period, and older ones decided in it."""
    rows = s.execute(
        select(ScreeningHit, Client.display_name)
        .join(Client, Client.id == ScreeningHit.client_id).where(or_(
            (ScreeningHit.created_at >= start) & (ScreeningHit.created_at < end),
            (ScreeningHit.reviewed_at >= start) & (ScreeningHit.reviewed_at < end)))
        .order_by(ScreeningHit.created_at, ScreeningHit.id)).all()
    return tuple(HitLine(h.id, h.client_id, name,
                         f"{h.list_name} {h.list_version}".strip(), h.matched_name, h.score,
                         HIT_OUTCOMES.get(h.status, words(h.status.value)), h.created_at,
                         users.get(h.reviewed_by or 0, ""), h.reviewed_at, h.review_reason)
                 for h, name in rows)


def _alerts(s: Session, start: datetime, end: datetime) -> tuple[AlertGroup, ...]:
    rows = s.execute(select(Alert.id, Alert.rule, Alert.severity, Alert.status, Alert.evidence)
                     .where(Alert.created_at >= start, Alert.created_at < end)).all()
    ids = [r[0] for r in rows]
    outcome_of: dict[int, str] = {}
    for chunk in range(0, len(ids), 500):
        for alert_id, outcome in s.execute(
                select(CaseAlert.alert_id, ComplianceCase.outcome)
                .join(ComplianceCase, ComplianceCase.id == CaseAlert.case_id)
                .where(CaseAlert.alert_id.in_(ids[chunk:chunk + 500]),
                       ComplianceCase.closed_at.is_not(None))):
            outcome_of[alert_id] = words(outcome) or "no outcome recorded"
    groups: dict[tuple[str, Severity], list[tuple[int, AlertStatus]]] = {}
    for alert_id, rule, severity, status, evidence in rows:
        groups.setdefault((rule, severity), []).append((alert_id, status))
        review = (evidence or {}).get(DISMISSAL)
        if (status is AlertStatus.CLOSED and isinstance(review, dict)
                and alert_id not in outcome_of):
            outcome_of[alert_id] = f"dismissed as {words(str(review.get('outcome', '')))}"
    order = list(Severity)
    out = []
    for (rule, severity), alerts in sorted(groups.items(),
                                           key=lambda g: (g[0][0], -order.index(g[0][1]))):
        states = Counter(status for _, status in alerts)
        outcomes = Counter(outcome_of[a] for a, _ in alerts if a in outcome_of)
        out.append(AlertGroup(rule, severity, len(alerts),
                              tuple((w, states[k]) for k, w in ALERT_STATES.items()),
                              tuple(sorted(outcomes.items()))))
    return tuple(out)


def _cases(s: Session, start: datetime, end: datetime,
           users: dict[int, str]) -> tuple[CaseLine, ...]:
    rows = s.execute(
        select(ComplianceCase, Client.display_name)
        .outerjoin(Client, Client.id == ComplianceCase.client_id).where(or_(
            (ComplianceCase.created_at >= start) & (ComplianceCase.created_at < end),
            (ComplianceCase.closed_at >= start) & (ComplianceCase.closed_at < end)))
        .order_by(ComplianceCase.created_at, ComplianceCase.id)).all()
    alerts = dict(s.execute(select(CaseAlert.case_id, func.count()).where(
        CaseAlert.case_id.in_([c.id for c, _ in rows])).group_by(CaseAlert.case_id)).all())
    return tuple(CaseLine(c.id, c.title, name or "", words(c.status.value),
                          c.created_at, users.get(c.opened_by or 0, ""), c.closed_at,
                          users.get(c.closed_by or 0, ""), words(c.outcome), c.outcome_reason,
                          int(alerts.get(c.id, 0)))
                 for c, name in rows)


def read_compliance(s: Session, period: Period) -> ComplianceReport:
    start, end = bounds(period)
    users = {i: n for i, n in s.execute(select(User.id, User.full_name))}
    latest = _latest_cases(s)
    kyc_statuses, client_statuses = _statuses(s, latest)
    return ComplianceReport(
        period, kyc_statuses, client_statuses, _decisions(s, start, end, users),
        _risk_clients(s, latest), _runs(s, start, end, users), _hits(s, start, end, users),
        _alerts(s, start, end), _cases(s, start, end, users),
        read_documents(s, period.date_to + timedelta(days=1),
                       period.date_to + timedelta(days=EXPIRING_DAYS), live_only=True),
        # Older documents count as expired here only while still held as valid.
        read_documents(s, date.min, period.date_from - timedelta(days=1), live_only=True)
        + read_documents(s, period.date_from, period.date_to, live_only=False))
