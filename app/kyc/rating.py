"""Rating a client: gather what the rules read from the store, score it (app.kyc.risk),
keep the factors on the case and the rating on the client, and open EDD when due."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app import audit
from app.errors import NotFound
from app.kyc import edd, fatf, records
from app.kyc.cases import latest_case
from app.kyc.fx import usd_rates
from app.kyc.requirements import IDENTITY_TYPES, Requirement
from app.kyc.risk import RiskAssessment, RiskInputs, assess
from app.kyc.settings import RiskSettings
from app.kyc.settings import load as load_settings
from app.models.crm import Client
from app.models.kyc import DocumentStatus, HitStatus, KycCase, KycDocument, ScreeningHit
from app.models.payments import PaymentDirection, PaymentMethod, PaymentRequest, PaymentStatus
from app.roles import Actor, Permission, require
from app.services.workspace import Desk
from app.text import fold

# Attempts that never reached the broker say nothing about the cards a client uses.
_NOT_ATTEMPTS = (PaymentStatus.CANCELLED,)


def _words(name: str) -> frozenset[str]:
    return frozenset(fold(name).replace(",", " ").split())


def same_person(payer: str, client: Client) -> bool:
    """A payer name that is the client's own, in any order, with or without middle
    names."""
    payer_words = _words(payer)
    own = _words(client.company_name) if client.company_name else \
        _words(f"{client.first_name} {client.last_name}")
    if not payer_words or not own:
        return False
    return own <= payer_words or (len(payer_words) >= 2 and payer_words <= own)


def gather(s: Session, client: Client, settings: RiskSettings) -> RiskInputs:
    since = datetime.now(UTC) - timedelta(days=settings.deposit_window_days)
    identity = s.scalars(select(KycDocument.issuing_country).join(
        KycCase, KycCase.id == KycDocument.case_id).where(
        KycCase.client_id == client.id, KycDocument.status != DocumentStatus.REJECTED,
        (KycDocument.requirement == Requirement.IDENTITY.value)
        | ((KycDocument.requirement == "") & KycDocument.doc_type.in_(IDENTITY_TYPES)))).all()
    hits = Counter(s.scalars(select(ScreeningHit.status).where(
        ScreeningHit.client_id == client.id)).all())
    P = PaymentRequest
    deposits = s.execute(select(P.currency, func.sum(P.amount_minor)).where(
        P.client_id == client.id, P.direction == PaymentDirection.DEPOSIT,
        P.status == PaymentStatus.COMPLETED, P.created_at >= since).group_by(P.currency)
    ).all()
    methods = s.execute(select(P.method, P.status, P.payer_name, P.payer_account).where(
        P.client_id == client.id, P.direction == PaymentDirection.DEPOSIT,
        P.created_at >= since, P.status.not_in(_NOT_ATTEMPTS))).all()
    completed = [m for m in methods if m[1] is PaymentStatus.COMPLETED]
    third = dict.fromkeys(name.strip() for _, _, name, _ in completed
                          if name.strip() and not same_person(name, client))
    cards = {acct for method, _, _, acct in methods if method is PaymentMethod.CARD and acct}
    return RiskInputs(
        country=client.country, pep=client.pep, occupation=client.occupation,
        source_of_funds=client.source_of_funds, declared_income_usd=client.declared_income,
        identity_countries=tuple(sorted({c for c in identity if c})),
        open_hits=hits[HitStatus.OPEN], true_matches=hits[HitStatus.TRUE_MATCH],
        deposits={cur: int(total) for cur, total in deposits if total},
        crypto_deposits=sum(1 for m in completed if m[0] is PaymentMethod.CRYPTO),
        third_party_payers=tuple(third), cards=len(cards))


def rate_in(s: Session, actor: Actor, client: Client, case: KycCase | None,
            today: date) -> tuple[RiskAssessment, KycCase | None]:
    """Rate inside the caller's transaction. Returns the assessment and, when an
    approved client needs EDD, the new review case opened for it."""
    fatf.seed_if_new(s)
    settings = load_settings(s)
    assessment = assess(gather(s, client, settings), settings, fatf.listed(s), usd_rates(s))
    client.risk_rating = assessment.rating
    review = None
    if case is not None:
        case.risk_factors = assessment.to_json()
        case.rated_at = datetime.now(UTC)
        review = edd.open_if_needed(s, actor, client, case, assessment)
        if review is not None:
            review.risk_factors, review.rated_at = case.risk_factors, case.rated_at
    audit.record(s, actor, "kyc.rate", "client", client.id,
                 after={"rating": assessment.rating, "score": assessment.score,
                        "factors": [f.code for f in assessment.factors],
                        "case": None if case is None else case.id,
                        "edd": list(assessment.edd_reasons), "on": today})
    return assessment, review


def rate_client(desk: Desk, client_id: int) -> RiskAssessment:
    """Rate a client now (after new answers, deposits or screening results)."""
    require(desk.actor, Permission.REVIEW_KYC)
    return rate_now(desk, client_id)


def rate_now(desk: Desk, client_id: int) -> RiskAssessment:
    """Rating as a step of another service that checked its own permission."""
    with desk.store.write() as s:
        client = s.get(Client, client_id)
        if client is None:
            raise NotFound("This client no longer exists.")
        client_before = records.snapshot(client, records.CLIENT_FIELDS)
        case = latest_case(s, client.id)
        case_before = None if case is None else records.snapshot(case, records.CASE_FIELDS)
        assessment, review = rate_in(s, desk.actor, client, case, date.today())
        if case is not None:
            records.send_case(s, desk.actor, case, client, case_before)
        if review is not None:
            records.send_case(s, desk.actor, review, client, None)
        records.client_changed(s, desk.actor, client, client_before)
        return assessment
