"""The contract's JSON shapes as pydantic models: the sandbox validates requests with
them and generates the OpenAPI document from them; clients may validate with them."""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from sync.contract import wire

Decimal2 = Annotated[str, StringConstraints(pattern=r"^-?\d{1,15}(\.\d{1,2})?$")]
PositiveAmount = Annotated[str, StringConstraints(pattern=r"^\d{1,15}(\.\d{1,2})?$")]
RecordId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_.:-]{1,64}$")]
Username = Annotated[str, StringConstraints(pattern=r"^[a-z0-9_.-]{1,40}$")]
ShortText = Annotated[str, StringConstraints(max_length=500)]


def _calendar_day(text: str) -> str:
    date.fromisoformat(text)  # 2026-02-30 fits the pattern but is no day: refused here
    return text


IsoDate = Annotated[str, StringConstraints(pattern=r"^\d{4}-\d{2}-\d{2}$"),
                    AfterValidator(_calendar_day)]
Country = Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")]
Currency = Annotated[str, StringConstraints(pattern=r"^[A-Z]{3,5}$")]

Kind = StrEnum("Kind", {k: k for k in wire.ALL_KINDS})  # type: ignore[misc]
OwnedKind = StrEnum("OwnedKind", {k: k for k in wire.OWNED_KINDS})  # type: ignore[misc]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Error(BaseModel):
    code: str = Field(description="Machine-readable reason, stable across versions.")
    message: str = Field(description="What happened, in words a clerk understands.")
    details: dict[str, Any] = Field(default_factory=dict)
    current: Change | None = Field(
        default=None, description="On a version conflict: the record as the gateway has it.")


class Change(BaseModel):
    seq: int = Field(description="Position in the changes feed.")
    kind: Kind
    id: str
    version: int = Field(ge=1)
    deleted: bool = Field(description="A tombstone: the record no longer exists.")
    data: dict[str, Any] | None = Field(description="The record; null for a tombstone.")


class ChangesPage(BaseModel):
    changes: list[Change]
    next_cursor: str = Field(description="Pass back as `cursor` to read on from here.")
    has_more: bool = Field(description="True when more changes were waiting at read time.")


class LoginRequest(Strict):
    username: Username
    password: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    device_id: RecordId = Field(description="Stable id of the desk installation.")


class DeskUserOut(BaseModel):
    username: str
    role: str
    display_name: str


class LoginResponse(BaseModel):
    token: str = Field(description="Bearer token for every other call.")
    expires_ms: int
    user: DeskUserOut


class GatewayInfo(BaseModel):
    api_version: str
    broker_name: str
    server_time_ms: int
    epoch: str = Field(description="Changes when the gateway's history is rebuilt.")
    head_seq: int
    stream_seq: int


class OpenAccount(Strict):
    client_id: RecordId
    group: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_\\-]{1,64}$")]
    currency: Literal["USD", "EUR", "GBP"]
    leverage: int = Field(ge=1, le=1000)


class BalanceOperation(Strict):
    login: int = Field(ge=1)
    operation: Literal[wire.BALANCE_OPERATIONS]  # type: ignore[valid-type]
    amount: Decimal2 = Field(description="Positive, except corrections which may be negative.")
    comment: Annotated[str, StringConstraints(max_length=64)] = ""


class UpdateClient(Strict):
    client_id: RecordId
    base_version: int = Field(ge=1, description="The client record version the desk edited.")
    email: Annotated[str, StringConstraints(max_length=254)] | None = None
    phone: Annotated[str, StringConstraints(max_length=32)] | None = None
    address: Annotated[str, StringConstraints(max_length=300)] | None = None
    country: Country | None = None


class WithdrawalDecision(Strict):
    payment_id: RecordId
    decision: Literal["approve", "reject", "send"]
    reason: ShortText = ""


class RequestPayment(Strict):
    payment_id: RecordId = Field(description="Chosen by the desk (a UUID); the payment's id.")
    login: int = Field(ge=1)
    direction: Literal["deposit", "withdrawal"]
    method: Literal["card", "bank_wire", "e_wallet", "crypto"]
    provider: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    amount: PositiveAmount = Field(description="In `currency`; the gateway converts it to "
                                               "the account's currency at its rate.")
    currency: Literal["USD", "EUR", "GBP"]
    payer_name: Annotated[str, StringConstraints(max_length=200)] = Field(
        description="Whose account the money comes from or goes to.")
    payer_account: Annotated[str, StringConstraints(min_length=1, max_length=128)] = Field(
        description="IBAN, e-wallet id, crypto address, or a card as ****1234 (never a "
                    "full card number).")
    bank_code: Annotated[str, StringConstraints(max_length=16)] = ""
    network: Annotated[str, StringConstraints(max_length=16)] = ""


class PutRecord(Strict):
    kind: OwnedKind
    id: RecordId = Field(description="Chosen by the desk that creates it (a UUID).")
    base_version: int = Field(ge=0, description="0 to create; else the version edited.")
    deleted: bool = False
    data: dict[str, Any] | None = Field(
        default=None, description="The whole record, shaped as its kind's schema.")


class CommandResult(BaseModel):
    command: str
    records: list[Change] = Field(description="Every record the command changed.")


class DocumentStored(BaseModel):
    id: str
    sha256: str
    size: int


# -- mirrors: the platform's records ---------------------------------------------------------

DeviceId = Annotated[str, StringConstraints(min_length=1, max_length=64)]


class MirrorClient(BaseModel):
    """A `client` record's data as the platform reports it (desks never write it)."""

    client_id: RecordId
    kind: Literal["individual", "company"] = "individual"
    first_name: Annotated[str, StringConstraints(max_length=120)] = ""
    last_name: Annotated[str, StringConstraints(max_length=120)] = ""
    company_name: Annotated[str, StringConstraints(max_length=200)] = ""
    email: Annotated[str, StringConstraints(max_length=254)] = ""
    phone: Annotated[str, StringConstraints(max_length=32)] = ""
    country: Country | Literal[""] = ""
    date_of_birth: IsoDate | None = None
    address: Annotated[str, StringConstraints(max_length=300)] = ""
    registered_ms: int | None = None
    referral_code: Annotated[str, StringConstraints(max_length=32)] | None = Field(
        default=None, description="The partner code the client signed up with (IB link).")
    devices: list[DeviceId] | None = Field(
        default=None, max_length=20,
        description="Opaque fingerprints of the devices the client signs in from (at most "
                    "20, each up to 64 characters; never an address or anything that "
                    "traces a person). Replaces the set the desk holds; absent leaves it "
                    "as it was. Monitoring looks for devices shared by many clients.")


MIRROR_SCHEMAS: dict[str, type[BaseModel]] = {"client": MirrorClient}


# -- shared back office records: one schema per kind ---------------------------------------

ClientStatus = Literal["lead", "registered", "kyc_pending", "verified", "active", "dormant",
                       "closed"]


class ClientProfile(Strict):
    client_id: RecordId
    status: ClientStatus
    segment: Annotated[str, StringConstraints(max_length=40)] = ""
    risk_rating: Literal["low", "medium", "high", "unrated"] = "unrated"
    manager: Username | None = None
    tags: list[Annotated[str, StringConstraints(max_length=40)]] = []
    closed_reason: ShortText = ""


class Note(Strict):
    client_id: RecordId
    author: Username
    body: Annotated[str, StringConstraints(min_length=1, max_length=10_000)]
    created_ms: int = Field(ge=0)


class Task(Strict):
    client_id: RecordId | None = None
    assignee: Username | None = None
    title: Annotated[str, StringConstraints(min_length=1, max_length=300)]
    due_date: IsoDate | None = None
    done: bool = False


class KycCase(Strict):
    client_id: RecordId
    status: Literal["open", "in_review", "approved", "rejected", "edd"]
    enhanced: bool = False
    decided_by: Username | None = None
    decided_ms: int | None = None
    next_review: IsoDate | None = None
    notes: Annotated[str, StringConstraints(max_length=10_000)] = ""


class KycDocument(Strict):
    case_id: RecordId
    doc_type: Annotated[str, StringConstraints(min_length=1, max_length=40)]
    issuing_country: Country | Literal[""] = ""
    number: Annotated[str, StringConstraints(max_length=64)] = ""
    issue_date: IsoDate | None = None
    expiry_date: IsoDate | None = None
    status: Literal["received", "accepted", "rejected", "expired"]
    reject_reason: ShortText = ""
    file_name: Annotated[str, StringConstraints(min_length=1, max_length=255)]
    mime_type: Annotated[str, StringConstraints(min_length=1, max_length=100)]
    sha256: Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]
    size: int = Field(ge=0)
    reviewed_by: Username | None = None


class ScreeningReview(Strict):
    client_id: RecordId
    list_name: Annotated[str, StringConstraints(min_length=1, max_length=40)]
    list_version: Annotated[str, StringConstraints(max_length=40)]
    entry_ref: Annotated[str, StringConstraints(max_length=64)]
    matched_name: Annotated[str, StringConstraints(max_length=300)]
    score: int = Field(ge=0, le=100)
    status: Literal["open", "confirmed", "false_positive"]
    reviewed_by: Username | None = None
    review_reason: ShortText = ""


class Alert(Strict):
    rule: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    severity: Literal["low", "medium", "high", "critical"]
    client_id: RecordId | None = None
    status: Literal["open", "in_case", "closed"]
    summary: ShortText
    evidence: dict[str, Any] = {}


class ComplianceCase(Strict):
    title: Annotated[str, StringConstraints(min_length=1, max_length=300)]
    client_id: RecordId | None = None
    status: Literal["open", "investigating", "closed"]
    outcome: Annotated[str, StringConstraints(max_length=40)] = ""
    outcome_reason: Annotated[str, StringConstraints(max_length=10_000)] = ""
    assignee: Username | None = None
    due_date: IsoDate | None = None
    alert_ids: list[RecordId] = []


class Approval(Strict):
    kind: Annotated[str, StringConstraints(min_length=1, max_length=40)]
    entity: Annotated[str, StringConstraints(min_length=1, max_length=40)]
    entity_ref: RecordId
    prepared_by: Username
    decided_by: Username | None = None
    decided_ms: int | None = None
    status: Literal["pending", "approved", "rejected"]
    reason: ShortText = ""


class Partner(Strict):
    name: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    client_id: RecordId | None = None
    parent_id: RecordId | None = None
    referral_code: Annotated[str, StringConstraints(pattern=r"^[A-Z0-9-]{2,32}$")]
    currency: Currency
    active: bool = True


PlanKind = Literal["per_lot", "spread_share", "revenue_share", "cpa", "hybrid"]
PlanRules = Annotated[dict[str, Any], Field(
    description="Rates and conditions, amounts as decimal strings (app/commissions/plans.py).")]
TierShares = Annotated[dict[str, Any], Field(
    description='Shares of the upper tiers in basis points: {"levels": [2000, 1000]}.')]


class CommissionPlan(Strict):
    name: Annotated[str, StringConstraints(min_length=1, max_length=120)]
    kind: PlanKind
    currency: Currency
    rules: PlanRules = {}
    tier_shares_bp: TierShares = {}


class PlanVersion(Strict):
    """A plan's terms from a date on; deals before it keep the terms they had."""

    plan_id: RecordId = Field(description="The commission_plan's id.")
    effective_from: IsoDate
    rules: PlanRules = {}
    tier_shares_bp: TierShares = {}
    created_by: Username


class PlanAssignment(Strict):
    """The plan a partner's clients earn under, for accounts in a group, from a date."""

    plan_id: RecordId = Field(description="The commission_plan's id.")
    partner_id: RecordId = Field(description="The partner's id.")
    client_group: Annotated[str, StringConstraints(min_length=1, max_length=64)] = Field(
        default="*", description='A pattern over the account group; "*" for all.')
    effective_from: IsoDate


class PartnerMove(Strict):
    """A partner put under another upline (or none) from a date."""

    partner_id: RecordId = Field(description="The partner that moves.")
    old_parent_id: RecordId | None = None
    new_parent_id: RecordId | None = None
    effective_from: IsoDate
    moved_by: Username


class CommissionRun(Strict):
    period_start: IsoDate
    period_end: IsoDate
    status: Literal["draft", "calculated", "approved", "paid", "cancelled"]
    prepared_by: Username
    totals: dict[str, Decimal2] = {}


class Payout(Strict):
    partner_id: RecordId
    period_start: IsoDate
    period_end: IsoDate
    amount: PositiveAmount
    currency: Currency
    status: Literal["draft", "pending_approval", "approved", "paid", "rejected"]
    prepared_by: Username
    approved_by: Username | None = None


OWNED_SCHEMAS: dict[str, type[Strict]] = {
    "client_profile": ClientProfile, "note": Note, "task": Task, "kyc_case": KycCase,
    "kyc_document": KycDocument, "screening_review": ScreeningReview, "alert": Alert,
    "compliance_case": ComplianceCase, "approval": Approval, "partner": Partner,
    "commission_plan": CommissionPlan, "commission_run": CommissionRun, "payout": Payout,
    "plan_version": PlanVersion, "plan_assignment": PlanAssignment,
    "partner_move": PartnerMove,
}
assert set(OWNED_SCHEMAS) == set(wire.OWNED_KINDS)

Error.model_rebuild()
