"""What a client must prove, which document types prove it, and how far a case is."""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from app.models.crm import ClientKind
from app.models.kyc import DocumentStatus


class Requirement(enum.StrEnum):
    IDENTITY = "identity"
    PROOF_OF_ADDRESS = "proof_of_address"
    SELFIE = "selfie"
    INCORPORATION = "incorporation"
    DIRECTORS = "directors"
    UBO = "ubo"
    SOURCE_OF_WEALTH = "source_of_wealth"
    # Not a document: the second signature enhanced due diligence needs.
    SENIOR_APPROVAL = "senior_approval"

    @property
    def label(self) -> str:
        return _LABELS[self]


_LABELS = {
    Requirement.IDENTITY: "proof of identity",
    Requirement.PROOF_OF_ADDRESS: "proof of address",
    Requirement.SELFIE: "selfie",
    Requirement.INCORPORATION: "proof of incorporation",
    Requirement.DIRECTORS: "directors",
    Requirement.UBO: "ultimate beneficial owners",
    Requirement.SOURCE_OF_WEALTH: "source of wealth",
    Requirement.SENIOR_APPROVAL: "senior approval (second signature)",
}

R = Requirement
BASE_REQUIREMENTS: dict[ClientKind, tuple[Requirement, ...]] = {
    ClientKind.PERSON: (R.IDENTITY, R.PROOF_OF_ADDRESS, R.SELFIE),
    ClientKind.COMPANY: (R.INCORPORATION, R.DIRECTORS, R.UBO),
}
EDD_REQUIREMENTS = (R.SOURCE_OF_WEALTH, R.SENIOR_APPROVAL)


@dataclass(frozen=True)
class DocType:
    label: str
    proves: frozenset[Requirement]
    needs_number: bool = False
    needs_country: bool = False
    needs_expiry: bool = False
    needs_issue_date: bool = False


def _t(label: str, *proves: Requirement, number: bool = False, country: bool = False,
       expiry: bool = False, issued: bool = False) -> DocType:
    return DocType(label, frozenset(proves), number, country, expiry, issued)


DOC_TYPES: dict[str, DocType] = {
    "passport": _t("passport", R.IDENTITY, number=True, country=True, expiry=True),
    # Some national ID cards never expire; the others carry their date.
    "national_id": _t("national ID card", R.IDENTITY, number=True, country=True),
    "driving_licence": _t("driving licence", R.IDENTITY, number=True, country=True,
                          expiry=True),
    "residence_permit": _t("residence permit", R.IDENTITY, number=True, country=True,
                           expiry=True),
    # Proofs of address are only good while recent: their issue date is checked.
    "utility_bill": _t("utility bill", R.PROOF_OF_ADDRESS, issued=True),
    "bank_statement": _t("bank statement", R.PROOF_OF_ADDRESS, R.SOURCE_OF_WEALTH,
                         issued=True),
    "tax_letter": _t("tax office letter", R.PROOF_OF_ADDRESS, R.SOURCE_OF_WEALTH,
                     issued=True),
    "residence_certificate": _t("certificate of residence", R.PROOF_OF_ADDRESS, issued=True),
    "selfie": _t("selfie holding the identity document", R.SELFIE),
    "certificate_of_incorporation": _t("certificate of incorporation", R.INCORPORATION,
                                       number=True, country=True),
    "articles_of_association": _t("articles of association", R.INCORPORATION),
    "trade_register_extract": _t("trade register extract", R.INCORPORATION, R.DIRECTORS,
                                 country=True, issued=True),
    "register_of_directors": _t("register of directors", R.DIRECTORS),
    "director_id": _t("identity document of a director", R.DIRECTORS, number=True,
                      country=True),
    "register_of_shareholders": _t("register of shareholders", R.UBO),
    "ubo_declaration": _t("declaration of beneficial owners", R.UBO),
    "ubo_id": _t("identity document of a beneficial owner", R.UBO, number=True, country=True),
    "payslip": _t("payslip", R.SOURCE_OF_WEALTH),
    "tax_return": _t("tax return", R.SOURCE_OF_WEALTH),
    "audited_accounts": _t("audited accounts", R.SOURCE_OF_WEALTH),
    "sale_contract": _t("sale contract (property, business, shares)", R.SOURCE_OF_WEALTH),
    "inheritance_document": _t("inheritance document", R.SOURCE_OF_WEALTH),
    "source_of_wealth_declaration": _t("source of wealth declaration", R.SOURCE_OF_WEALTH),
}

IDENTITY_TYPES = frozenset(k for k, v in DOC_TYPES.items() if R.IDENTITY in v.proves)


def requirements_for(kind: ClientKind, enhanced: bool) -> tuple[Requirement, ...]:
    """What a case must have before it can be approved."""
    return BASE_REQUIREMENTS[kind] + (EDD_REQUIREMENTS if enhanced else ())


def attachable(kind: ClientKind) -> tuple[Requirement, ...]:
    """What documents may be attached for: a client may bring proof of wealth before
    anyone asks for it."""
    return (*BASE_REQUIREMENTS[kind], R.SOURCE_OF_WEALTH)


def doc_types_for(requirement: Requirement) -> list[str]:
    return [k for k, v in DOC_TYPES.items() if requirement in v.proves]


def requirement_of(requirement: str, doc_type: str) -> Requirement | None:
    """The requirement a document answers. Documents from before requirements were
    recorded (synced or demo data) are placed by their type."""
    if requirement in Requirement.__members__.values():
        return Requirement(requirement)
    if doc_type in Requirement.__members__.values():
        return Requirement(doc_type)
    known = DOC_TYPES.get(doc_type)
    if known is None:
        return None
    return min(known.proves, key=list(Requirement).index)


class State(enum.StrEnum):
    MET = "met"
    IN_REVIEW = "in_review"
    REJECTED = "rejected"
    EXPIRED = "expired"
    MISSING = "missing"


@dataclass(frozen=True)
class DocumentFacts:
    """What the summary needs to know about one document."""

    id: int
    requirement: str
    doc_type: str
    status: DocumentStatus
    expiry_date: date | None = None
    reject_reason: str = ""

    def expired(self, today: date) -> bool:
        # A document is good through its expiry date, and gone the day after.
        return self.status is DocumentStatus.EXPIRED or (
            self.expiry_date is not None and self.expiry_date < today)


@dataclass(frozen=True)
class RequirementStatus:
    requirement: Requirement
    state: State
    document_ids: tuple[int, ...]
    note: str  # in plain words, for the reviewer and for refusal messages


@dataclass(frozen=True)
class CaseSummary:
    requirements: tuple[RequirementStatus, ...]

    def _in(self, state: State) -> tuple[Requirement, ...]:
        return tuple(r.requirement for r in self.requirements if r.state is state)

    @property
    def met(self) -> tuple[Requirement, ...]:
        return self._in(State.MET)

    @property
    def missing(self) -> tuple[Requirement, ...]:
        return self._in(State.MISSING)

    @property
    def rejected(self) -> tuple[Requirement, ...]:
        return self._in(State.REJECTED)

    @property
    def expired(self) -> tuple[Requirement, ...]:
        return self._in(State.EXPIRED)

    @property
    def in_review(self) -> tuple[Requirement, ...]:
        return self._in(State.IN_REVIEW)

    def complete(self, *, ignoring: Iterable[Requirement] = ()) -> bool:
        skip = set(ignoring)
        return all(r.state is State.MET for r in self.requirements if r.requirement not in skip)

    def still_needed(self, *, ignoring: Iterable[Requirement] = ()) -> str:
        """`proof of address (nothing attached); selfie (rejected: blurred)`"""
        skip = set(ignoring)
        return "; ".join(f"{r.requirement.label} ({r.note})" for r in self.requirements
                         if r.state is not State.MET and r.requirement not in skip)


def summarise(kind: ClientKind, enhanced: bool, documents: Iterable[DocumentFacts],
              today: date, senior_approval: str | None = None) -> CaseSummary:
    """Where each requirement stands. `senior_approval` is the second signature's
    state: None (not asked), "pending" or "approved"."""
    by_requirement: dict[Requirement, list[DocumentFacts]] = {}
    for doc in documents:
        req = requirement_of(doc.requirement, doc.doc_type)
        if req is not None:
            by_requirement.setdefault(req, []).append(doc)
    states = []
    for req in requirements_for(kind, enhanced):
        if req is R.SENIOR_APPROVAL:
            states.append(_senior(senior_approval))
        else:
            states.append(_state(req, by_requirement.get(req, []), today))
    return CaseSummary(tuple(states))


def _senior(state: str | None) -> RequirementStatus:
    if state == "approved":
        return RequirementStatus(R.SENIOR_APPROVAL, State.MET, (), "signed by a second person")
    if state == "pending":
        return RequirementStatus(R.SENIOR_APPROVAL, State.IN_REVIEW, (),
                                 "waiting for a second person to sign")
    return RequirementStatus(R.SENIOR_APPROVAL, State.MISSING, (),
                             "asked for when the case is approved")


def _state(req: Requirement, docs: list[DocumentFacts], today: date) -> RequirementStatus:
    ids = tuple(d.id for d in docs)
    live = [d for d in docs if not d.expired(today)]
    if any(d.status is DocumentStatus.APPROVED for d in live):
        return RequirementStatus(req, State.MET, ids, "approved")
    if any(d.status is DocumentStatus.NEW for d in live):
        return RequirementStatus(req, State.IN_REVIEW, ids, "attached, waiting for review")
    gone = [d for d in docs if d.expired(today) and d.status is not DocumentStatus.REJECTED]
    if gone:
        last = max(gone, key=lambda d: d.expiry_date or date.min)
        when = f" on {last.expiry_date.isoformat()}" if last.expiry_date else ""
        name = DOC_TYPES[last.doc_type].label if last.doc_type in DOC_TYPES else last.doc_type
        return RequirementStatus(req, State.EXPIRED, ids,
                                 f"{name} expired{when}; a current one is needed")
    rejected = [d for d in docs if d.status is DocumentStatus.REJECTED]
    if rejected:
        return RequirementStatus(req, State.REJECTED, ids,
                                 f"rejected: {rejected[-1].reject_reason or 'no reason given'}")
    return RequirementStatus(req, State.MISSING, ids, "nothing attached")
