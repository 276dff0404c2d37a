"""Payments on one desk: method details, fees and conversion, withdrawal checks, and
who may approve what (the gateway round trip is in tests/sync/test_payments_sync.py)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from app.crm.search_index import dbapi
from app.errors import PermissionDenied, ValidationFailed
from app.kyc.gates import Blocked
from app.ledger import chart
from app.ledger.sources import Payment, payment_drafts
from app.models.audit import AuditEntry
from app.models.compliance import Approval, ApprovalStatus
from app.models.crm import Client, ClientStatus
from app.models.kyc import HitStatus, ScreeningHit
from app.models.payments import (
    PaymentDirection,
    PaymentMethod,
    PaymentRequest,
    PaymentStatus,
)
from app.models.sync_state import OutboxCommand
from app.models.trading import Quote
from app.models.users import Role
from app.payments import fx, methods, policy
from app.payments.checks import Outcome
from app.services import clients, payments, users
from app.services.workspace import Desk, set_setting

AT = datetime(2026, 11, 2, 12, 0, tzinfo=UTC)


# -- method details ---------------------------------------------------------------------------

@pytest.mark.parametrize(("network", "address"), [
    ("bitcoin", "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa"),
    ("bitcoin", "3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy"),
    ("bitcoin", "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq"),
    ("bitcoin", "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0"),
    ("ethereum", "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"),
    ("ethereum", "0xfb6916095ca1df60bb79ce92ce3ea74c37c5d359"),
    ("tron", "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t"),
])
def test_crypto_addresses_pass_and_one_mistyped_character_is_caught(network: str,
                                                                     address: str) -> None:
    assert methods.check_crypto_address(network, address).lower() == address.lower()
    i = len(address) - 3
    swapped = "q" if address[i] != "q" else "p"
    if network == "ethereum":  # flip one letter's case: the EIP-55 checksum catches it
        i = next(n for n, c in enumerate(address) if n > 1 and c.isalpha())
        swapped = address[i].swapcase()
        if address[2:] == address[2:].lower():
            swapped = "g"  # all lower case has no checksum; a non-hex letter is refused
    typo = address[:i] + swapped + address[i + 1:]
    with pytest.raises(ValidationFailed):
        methods.check_crypto_address(network, typo)
    with pytest.raises(ValidationFailed, match="network"):
        methods.check_crypto_address("dogecoin", address)


def test_iban_bic_card_and_wallet_rules() -> None:
    assert methods.check_iban("gb82 west 1234 5698 7654 32") == "GB82WEST12345698765432"
    assert methods.check_iban("FR14 2004 1010 0505 0001 3M02 606") == \
        "FR1420041010050500013M02606"
    with pytest.raises(ValidationFailed, match="check digits"):
        methods.check_iban("GB82WEST12345698765423")  # two digits swapped
    with pytest.raises(ValidationFailed, match="22 characters"):
        methods.check_iban("GB82WEST1234569876543")
    with pytest.raises(ValidationFailed, match="does not use IBANs"):
        methods.check_iban("US12345678901234")
    assert methods.check_bic("deutdeff500") == "DEUTDEFF500"
    with pytest.raises(ValidationFailed, match="8 or 11"):
        methods.check_bic("DEUTDEF")
    with pytest.raises(ValidationFailed, match="not a country"):
        methods.check_bic("DEUTQQFF")
    # a full card number is checked and cut to its last four digits
    assert methods.check_card("4111 1111 1111 1111") == "****1111"
    assert methods.check_card("**** 4242") == "****4242"
    with pytest.raises(ValidationFailed, match="check digit"):
        methods.check_card("4111 1111 1111 1112")
    assert methods.check_ewallet("Ann@Example.com") == "ann@example.com"
    with pytest.raises(ValidationFailed):
        methods.check_ewallet("ann@")
    wire = methods.check_destination(PaymentMethod.BANK_WIRE, "DE89 3704 0044 0532 0130 00",
                                     "COBADEFFXXX")
    assert wire == methods.Destination("DE89370400440532013000", "COBADEFFXXX")
    with pytest.raises(ValidationFailed, match="BIC"):
        methods.check_destination(PaymentMethod.BANK_WIRE, "DE89370400440532013000")


def test_rates_are_direct_inverted_or_across_the_dollar_and_reproduce_the_amount() -> None:
    prices = fx.mids([("EURUSD", Decimal("1.08490"), Decimal("1.08510")),
                      ("USDJPY", Decimal("151.190"), Decimal("151.210")),
                      ("GBPUSD", Decimal("1.26990"), Decimal("1.27010"))])
    assert fx.cross_rate(prices, "EUR", "USD") == Decimal("1.08500000")
    assert fx.cross_rate(prices, "USD", "EUR") == Decimal("0.92165899")
    eur_gbp = fx.cross_rate(prices, "EUR", "GBP")
    assert eur_gbp == (Decimal("1.085") / Decimal("1.27")).quantize(Decimal("1e-8"))
    assert fx.cross_rate(prices, "EUR", "CHF") is None
    assert fx.convert(100_00, "EUR", Decimal("1.085"), "USD") == 108_50
    assert fx.convert(1_00, "USD", Decimal("151.2"), "JPY") == 151  # no minor unit in JPY
    # half to even on the last cent: 0.125 -> 0.12, 0.135 -> 0.14
    assert fx.convert(1, "USD", Decimal("12.5"), "EUR") == 12
    assert fx.convert(1, "USD", Decimal("13.5"), "EUR") == 14


def test_approval_policy_limits_by_role_and_a_second_approver_above_the_line() -> None:
    rules = policy.DEFAULT
    assert rules.refusal(Role.FINANCE, 50_000_00) is None
    assert "above your approval limit" in str(rules.refusal(Role.FINANCE, 50_000_01))
    assert rules.refusal(Role.ADMIN, 10**12) is None
    assert "does not approve" in str(rules.refusal(Role.CLERK, 1))
    assert "No quote" in str(rules.refusal(Role.MANAGER, None))
    assert not rules.needs_second(10_000_00) and rules.needs_second(10_000_01)
    assert rules.needs_second(None)
    assert policy.parse(policy.dump(rules)) == rules
    with pytest.raises(ValidationFailed, match="damaged"):
        policy.parse('{"limits": {"finance_officer": "lots"}, "second_above": "1"}')


# -- two-phase withdrawals in the ledger ------------------------------------------------------

def _net(drafts: list, code: str) -> int:  # type: ignore[type-arg]
    return sum(amount for d in drafts for c, amount in d.lines if c == code)


def test_a_withdrawal_is_held_then_paid_or_returned_and_fx_legs_balance_per_currency() -> None:
    trading, held = chart.trading("gw", 5, "USD"), chart.client_money(7, "USD")
    approved = payment_drafts(Payment("W1", "withdrawal", "approved", "gw", 5, 7, "SEPA",
                                      100_00, 0, "USD", AT))
    assert [d.source_ref for d in approved] == ["W1:held"]
    assert _net(approved, trading) == 100_00 and _net(approved, held) == -100_00
    done = payment_drafts(Payment("W1", "withdrawal", "completed", "gw", 5, 7, "SEPA",
                                  100_00, 50, "USD", AT))
    assert [d.source_ref for d in done] == ["W1:held", "W1:completed"]
    assert _net(done, held) == 0 and _net(done, chart.clearing("SEPA", "USD")) == -100_50
    failed = payment_drafts(Payment("W1", "withdrawal", "failed", "gw", 5, 7, "SEPA",
                                    100_00, 0, "USD", AT, was_held=True))
    assert [d.source_ref for d in failed] == ["W1:held", "W1:released"]
    assert _net(failed, trading) == 0 and _net(failed, held) == 0
    # rejected before approval: the platform never took it, nothing posts
    assert payment_drafts(Payment("W2", "withdrawal", "rejected", "gw", 5, 7, "SEPA",
                                  100_00, 0, "USD", AT)) == []
    # paid in EUR from a USD account: the account moves in USD, the provider in EUR
    eur = payment_drafts(Payment("W3", "withdrawal", "completed", "gw", 5, 7, "SEPA",
                                 92_17, 0, "EUR", AT, 100_00, "USD"))
    assert _net(eur, trading) == 100_00
    assert _net(eur, chart.clearing("SEPA", "EUR")) == -92_17
    for d in eur:
        sums: dict[str, int] = {}
        for code, amount in d.lines:
            sums[code.rsplit(":", 1)[1]] = sums.get(code.rsplit(":", 1)[1], 0) + amount
        assert set(sums.values()) == {0}, d


# -- the workflow on one desk -----------------------------------------------------------------

def _client_with_account(desk: Desk, *, balance: int = 500_000, free: int = 400_000,
                         status: ClientStatus = ClientStatus.ACTIVE) -> tuple[int, int]:
    cid = clients.create_client(desk, clients.ClientData(first_name="Anna", last_name="Berg",
                                                         country="DE"))
    with desk.store.write() as s:
        client = s.get(Client, cid)
        assert client is not None
        client.status, client.external_id = status, f"C{cid}"
        client.screened_at = AT
        db = dbapi(s)
        cur = db.execute('INSERT INTO trading_accounts (platform, login, client_id, "group",'
                         " currency, leverage, status, opened_at, server_version) VALUES"
                         " ('gw', ?, ?, 'retail', 'USD', 100, 'active',"
                         " '2026-01-01 00:00:00.000000', 3)", (700000 + cid, cid))
        db.execute("INSERT INTO account_states (account_id, balance_minor, credit_minor,"
                   " equity_minor, margin_minor, free_margin_minor, updated_at,"
                   " server_version) VALUES (?, ?, 0, ?, 0, ?, '2026-01-01 00:00:00', 1)",
                   (cur.lastrowid, balance, balance, free))
        # the client's own deposit from the IBAN we will pay back to
        s.add(PaymentRequest(uid=f"D{cid}", external_id=f"D{cid}", client_id=cid,
                             account_id=cur.lastrowid, direction=PaymentDirection.DEPOSIT,
                             method=PaymentMethod.BANK_WIRE, provider="SEPA",
                             amount_minor=500_000, currency="USD", fee_minor=0,
                             status=PaymentStatus.COMPLETED, payer_name="Anna Berg",
                             payer_account="DE89370400440532013000", server_version=2))
    return cid, 700000 + cid


def _withdrawal(desk: Desk, cid: int, login: int, amount: int, *, payee: str = "Anna Berg",
                account: str = "DE89370400440532013000", requested_by: str = "portal") -> int:
    """A withdrawal as it arrives from the gateway (the client portal asked for it)."""
    with desk.store.write() as s:
        acc = dbapi(s).execute("SELECT id FROM trading_accounts WHERE login = ?",
                               (login,)).fetchone()[0]
        p = PaymentRequest(uid=f"W{cid}-{amount}", external_id=f"W{cid}-{amount}",
                           client_id=cid, account_id=acc,
                           direction=PaymentDirection.WITHDRAWAL,
                           method=PaymentMethod.BANK_WIRE, provider="SEPA",
                           amount_minor=amount, currency="USD", fee_minor=0,
                           status=PaymentStatus.REQUESTED, payer_name=payee,
                           payer_account=account, bank_code="COBADEFFXXX",
                           requested_by_name=requested_by, server_version=1)
        s.add(p)
        s.flush()
        return p.id


def _people(desk: Desk) -> dict[str, Desk]:
    made = {"clerk": Role.CLERK, "fin1": Role.FINANCE, "fin2": Role.FINANCE,
            "boss": Role.MANAGER}
    return {name: Desk(desk.store, users.add_user(desk, name, name.title(), role))
            for name, role in made.items()}


def test_each_check_says_why_a_withdrawal_is_blocked(desk: Desk) -> None:
    cid, login = _client_with_account(desk)
    ok = _withdrawal(desk, cid, login, 1_000_00)
    found = payments.checks(desk, ok)
    assert [c.outcome for c in found.items] == [Outcome.CLEAR] * 4 + [Outcome.WARN]
    assert "closed only 0 trade" in found.items[4].detail  # deposit, then no trading

    too_much = _withdrawal(desk, cid, login, 4_000_01)
    margin = payments.checks(desk, too_much).blocked
    assert [c.name for c in margin] == ["Free margin"]
    assert "4,000.00 USD free to take out" in margin[0].detail

    stranger = _withdrawal(desk, cid, login, 1_000_01, payee="Boris Fremd",
                           account="GB82WEST12345698765432")
    blocked = payments.checks(desk, stranger).blocked
    assert [c.name for c in blocked] == ["Payee"]
    assert "Boris Fremd, not to Anna Berg" in blocked[0].detail

    new_iban = _withdrawal(desk, cid, login, 1_000_02, account="GB82WEST12345698765432")
    payee = payments.checks(desk, new_iban).items[3]
    assert payee.outcome is Outcome.WARN and "First payment" in payee.detail

    with desk.store.write() as s:
        client = s.get(Client, cid)
        assert client is not None
        client.frozen, client.frozen_reason = True, "OFAC SDN match"
        s.add(ScreeningHit(uid="h1", client_id=cid, list_name="ofac", list_version="1",
                           entry_ref="e1", matched_name="Anna Berg", score=97,
                           status=HitStatus.OPEN))
    names = [c.name for c in payments.checks(desk, ok).blocked]
    assert names == ["KYC", "Sanctions"]
    assert "frozen" in payments.checks(desk, ok).explain()


def test_approval_needs_a_second_person_a_note_for_warnings_and_a_limit(desk: Desk) -> None:
    people = _people(desk)
    cid, login = _client_with_account(desk, balance=10_000_000, free=10_000_000)
    small = _withdrawal(desk, cid, login, 2_000_00, requested_by="fin1")

    with pytest.raises(PermissionDenied):
        payments.approve_withdrawal(people["clerk"], small, "fine")
    with pytest.raises(ValidationFailed, match="Say why"):  # the AML warning needs a note
        payments.approve_withdrawal(people["fin2"], small)
    # fin1 asked for it at the gateway under that name: fin1 may not approve it
    with desk.store.write() as s:
        set_setting(s, "gateway.username", "fin1")
    with pytest.raises(ValidationFailed, match="You asked for this withdrawal"):
        payments.approve_withdrawal(people["fin1"], small, "fine")
    with desk.store.write() as s:
        set_setting(s, "gateway.username", "fin2")
    said = payments.approve_withdrawal(people["fin2"], small, "Salary top-up, called client")
    assert said.startswith("Approved")
    with desk.store.read() as s:
        sent = list(s.scalars(select(OutboxCommand).where(
            OutboxCommand.kind == "withdrawal-decision").order_by(OutboxCommand.device_seq)))
    assert [c.payload["decision"] for c in sent] == ["approve", "send"]
    assert payments.approval_state(desk, small).queued
    with pytest.raises(ValidationFailed, match="already approved"):
        payments.approve_withdrawal(people["boss"], small, "again")

    large = _withdrawal(desk, cid, login, 60_000_00)
    with pytest.raises(ValidationFailed, match="above your approval limit"):
        payments.approve_withdrawal(people["fin2"], large, "big client")
    said = payments.approve_withdrawal(people["boss"], large, "big client, verified source")
    assert said.startswith("First approval")
    state = payments.approval_state(desk, large)
    assert state.needed == 2 and state.given_by == ("Boss",) and not state.queued
    with pytest.raises(ValidationFailed, match="second person"):
        payments.approve_withdrawal(people["boss"], large, "me again")
    admin = desk
    assert payments.approve_withdrawal(admin, large, "second signature").startswith(
        "Approved")
    with desk.store.read() as s:
        approval = s.scalar(select(Approval).where(Approval.entity_ref == f"W{cid}-6000000"))
        assert approval is not None and approval.status is ApprovalStatus.APPROVED
        actions = set(s.scalars(select(AuditEntry.action)))
    assert {"payment.approve", "payment.first_approval", "approval.prepare",
            "approval.decide"} <= actions


def test_a_policy_setting_changes_the_limits(desk: Desk) -> None:
    people = _people(desk)
    cid, login = _client_with_account(desk, balance=10_000_000, free=10_000_000)
    with desk.store.write() as s:
        set_setting(s, policy.SETTING, policy.dump(policy.ApprovalPolicy(
            {Role.FINANCE: 1_000_00, Role.ADMIN: None}, 500_00)))
    pid = _withdrawal(desk, cid, login, 1_500_00)
    with pytest.raises(ValidationFailed, match=r"1,000\.00 USD"):
        payments.approve_withdrawal(people["fin1"], pid, "ok")
    with pytest.raises(ValidationFailed, match="does not approve"):
        payments.approve_withdrawal(people["boss"], pid, "ok")  # managers left out
    assert payments.approval_state(desk, pid).needed == 2


def test_reject_needs_a_reason_and_blocked_withdrawals_cannot_be_approved(desk: Desk) -> None:
    people = _people(desk)
    cid, login = _client_with_account(desk, status=ClientStatus.KYC_PENDING)
    pid = _withdrawal(desk, cid, login, 1_000_00)
    with pytest.raises(Blocked, match="KYC"):
        payments.approve_withdrawal(people["fin1"], pid, "urgent")
    with pytest.raises(ValidationFailed, match="Say why"):
        payments.reject_withdrawal(people["fin1"], pid, "  ")
    payments.reject_withdrawal(people["fin1"], pid, "KYC not finished")
    state = payments.approval_state(desk, pid)
    assert state.pending == "reject" and not state.queued
    assert state.describe().startswith("Rejected here")
    with pytest.raises(ValidationFailed, match="already rejected"):
        payments.reject_withdrawal(people["fin2"], pid, "again")
    queue = payments.withdrawal_queue(people["clerk"])
    assert [r.payment_id for r in queue] == [pid]  # still requested until the gateway says
    assert queue[0].blocked and "KYC" in queue[0].blocked[0]
    with desk.store.read() as s:
        assert s.scalar(select(func.count()).select_from(OutboxCommand).where(
            OutboxCommand.kind == "withdrawal-decision")) == 1


def test_a_request_is_checked_priced_and_queued_with_its_conversion(desk: Desk) -> None:
    people = _people(desk)
    _cid, login = _client_with_account(desk)
    with desk.store.write() as s:
        s.add(Quote(symbol="EURUSD", bid=Decimal("1.08490"), ask=Decimal("1.08510"),
                    time_ms=0))
    form = payments.PaymentForm(login, PaymentDirection.WITHDRAWAL, PaymentMethod.BANK_WIRE,
                                "SWIFT", "1000.00", "EUR", "DE89 3704 0044 0532 0130 00",
                                bank_code="COBADEFFXXX")
    seen = payments.preview(people["clerk"], form)
    assert (seen.amount_minor, seen.fee_minor, seen.account_amount_minor) == (
        1_000_00, 1_00, 1_085_00)
    assert "at 1.08500000 USD/EUR = 1,085.00 USD" in seen.describe()
    with pytest.raises(ValidationFailed, match="check digits"):
        payments.request_payment(people["clerk"], form.__class__(
            **{**form.__dict__, "account": "DE89370400440532013001"}))
    with pytest.raises(ValidationFailed, match="does not take card"):
        payments.request_payment(people["clerk"], form.__class__(
            **{**form.__dict__, "method": PaymentMethod.CARD, "account": "****1111"}))
    pid = payments.request_payment(people["clerk"], form)
    with desk.store.read() as s:
        p = s.get(PaymentRequest, pid)
        assert p is not None
        assert (p.status, p.account_amount_minor, p.fx_rate, p.payer_name, p.bank_code) == (
            PaymentStatus.REQUESTED, 1_085_00, "1.08500000", "Anna Berg", "COBADEFFXXX")
        command = s.scalar(select(OutboxCommand).where(
            OutboxCommand.kind == "request-payment"))
        assert command is not None and command.payload["amount"] == "1000.00"
        assert command.payload["payer_account"] == "DE89370400440532013000"
    # the clerk who asked cannot approve (no right), nor can the same person with it
    with pytest.raises(PermissionDenied):
        payments.approve_withdrawal(people["clerk"], pid, "x")
    with pytest.raises(ValidationFailed, match="not reached the gateway"):
        payments.approve_withdrawal(people["fin1"], pid, "x")
