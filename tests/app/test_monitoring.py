"""AML monitoring rules on hand-built books: each rule raises its alert on its pattern
and nothing just under its thresholds; the same activity never raises twice (not even
after compliance closed the alert); thresholds are checked, audited and permissioned;
the after-sync run looks only at what arrived."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from app.crm import contacts
from app.crm.search_index import dbapi
from app.errors import NotFound, PermissionDenied, ValidationFailed
from app.models.compliance import Severity
from app.models.crm import ContactKind
from app.models.trading import Quote
from app.models.users import Role
from app.monitoring.context import alert_uid
from app.monitoring.registry import RULES
from app.services import clients, monitoring, partners, users
from app.services.workspace import Desk, open_workspace
from tests.conftest import PASSWORD

DAY, HOUR = 86_400_000, 3_600_000
T0 = int(datetime(2026, 10, 1, tzinfo=UTC).timestamp()) * 1000


def stamp(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


@dataclass
class Book:
    """Clients, accounts, payments and deals written as the sync mirror writes them."""

    desk: Desk
    logins: int = 700_000
    tickets: int = 0
    positions: int = 0
    payments: int = 0
    accounts: dict[int, int] = field(default_factory=dict)   # client -> account

    def client(self, last: str, first: str = "Anna", *, country: str = "GB",
               phone: str = "", income_usd: str | None = None,
               partner: int | None = None) -> int:
        cid = clients.create_client(self.desk, clients.ClientData(
            first_name=first, last_name=last, country=country, phone=phone))
        with self.desk.store.write() as s:
            db = dbapi(s)
            db.execute("UPDATE clients SET external_id = ?, partner_id = ?,"
                       " declared_income = ? WHERE id = ?",
                       (f"C{cid}", partner, None if income_usd is None else
                        int(Decimal(income_usd) * 100), cid))
            self.logins += 1
            cur = db.execute(
                'INSERT INTO trading_accounts (platform, login, client_id, "group", currency,'
                " leverage, status, opened_at, server_version) VALUES ('gw', ?, ?, 'retail',"
                " 'USD', 100, 'active', '2024-01-01 00:00:00.000000', 1)", (self.logins, cid))
            self.accounts[cid] = int(cur.lastrowid)
        return cid

    def pay(self, cid: int, direction: str, amount: str, at: int, *, payer: str = "",
            account: str = "", method: str = "e_wallet", currency: str = "USD",
            status: str | None = None) -> str:
        self.payments += 1
        uid = f"PAY{self.payments:06d}"
        status = status or ("completed" if direction == "deposit" else "requested")
        with self.desk.store.write() as s:
            db = dbapi(s)
            own = db.execute("SELECT first_name || ' ' || last_name FROM clients WHERE id = ?",
                             (cid,)).fetchone()[0]
            db.execute(
                "INSERT INTO payment_requests (uid, external_id, client_id, account_id,"
                " direction, method, provider, amount_minor, currency, fee_minor, status,"
                " provider_ref, payer_name, payer_account, version, server_version,"
                " created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, 'Skrill', ?, ?, 0, ?, '',"
                " ?, ?, 1, 1, ?, ?)",
                (uid, uid, cid, self.accounts[cid], direction, method,
                 int(Decimal(amount) * 100), currency, status, payer or own,
                 account or f"c{cid}@wallet.example", stamp(at), stamp(at)))
        return uid

    def deal(self, cid: int, action: str, entry: str, at: int, volume: int = 0,
             position: int | None = None) -> int:
        self.tickets += 1
        with self.desk.store.write() as s:
            dbapi(s).execute(
                "INSERT INTO deals (platform, ticket, account_id, symbol, action, entry, volume,"
                " price, profit_minor, commission_minor, swap_minor, fee_minor, position_id,"
                " time_ms, reason, comment, server_version) VALUES ('gw', ?, ?, 'EURUSD', ?, ?,"
                " ?, 108000000, 0, 0, 0, 0, ?, ?, '', '', 1)",
                (self.tickets, self.accounts[cid], action, entry, volume, position, at))
        return self.tickets

    def round_turn(self, cid: int, lots_100: int, at: int, held_ms: int = 10 * 60_000) -> None:
        self.positions += 1
        self.deal(cid, "buy", "in", at, lots_100, self.positions)
        self.deal(cid, "sell", "out", at + held_ms, lots_100, self.positions)

    def device(self, cid: int, device: str) -> None:
        with self.desk.store.write() as s:
            dbapi(s).execute("INSERT INTO client_devices VALUES (?, ?)", (cid, device))

    def run(self) -> monitoring.MonitoringResult:
        return monitoring.run_monitoring(self.desk)

    def alerts(self, rule: str) -> dict[int, dict[str, Any]]:
        """client id -> the alert (key, summary, evidence, severity, due date, uid)."""
        with self.desk.store.read() as s:
            rows = dbapi(s).execute(
                "SELECT client_id, key, summary, evidence, severity, due_date, uid, status"
                " FROM alerts WHERE rule = ? ORDER BY id", (rule,)).fetchall()
        out: dict[int, dict[str, Any]] = {}
        for cid, key, summary, evidence, severity, due, uid, status in rows:
            assert cid not in out, f"two {rule} alerts for client {cid}"
            out[cid] = {"key": key, "summary": summary, "evidence": json.loads(evidence),
                        "severity": severity, "due": due, "uid": uid, "status": status}
        return out


@pytest.fixture
def book(desk: Desk) -> Book:
    return Book(desk)


def _people(desk: Desk) -> dict[str, Desk]:
    made = {"cora": Role.COMPLIANCE, "clara": Role.CLERK, "fiona": Role.FINANCE}
    return {n: Desk(desk.store, users.add_user(desk, n, n.title(), r)) for n, r in made.items()}


# -- the rules, one by one ------------------------------------------------------------------

def test_deposits_withdrawn_with_little_trading(book: Book) -> None:
    traded = book.client("Traded")                 # 0.10 lots traded: enough
    book.pay(traded, "deposit", "2000.00", T0)
    book.round_turn(traded, 5, T0 + DAY)
    book.pay(traded, "withdrawal", "1600.00", T0 + 3 * DAY)
    short = book.client("Short")                   # 79.99% withdrawn
    book.pay(short, "deposit", "2000.00", T0)
    book.pay(short, "withdrawal", "1599.98", T0 + 3 * DAY)
    small = book.client("Small")                   # deposits under 1,000.00
    book.pay(small, "deposit", "999.99", T0)
    book.pay(small, "withdrawal", "999.99", T0 + 3 * DAY)
    late = book.client("Late")                     # withdrawn after 7 days
    book.pay(late, "deposit", "2000.00", T0)
    book.pay(late, "withdrawal", "2000.00", T0 + 7 * DAY + 1)
    quiet = book.client("Quiet")                   # 0.08 lots: little trading
    deposit = book.pay(quiet, "deposit", "1200.00", T0)
    book.pay(quiet, "deposit", "800.00", T0 + DAY)
    book.round_turn(quiet, 4, T0 + DAY)
    first = book.pay(quiet, "withdrawal", "1000.00", T0 + 2 * DAY)
    second = book.pay(quiet, "withdrawal", "600.00", T0 + 3 * DAY)  # 80% in all: now
    book.pay(quiet, "withdrawal", "400.00", T0 + 4 * DAY)           # the same money again
    result = book.run()
    found = book.alerts("little_trading")
    assert set(found) == {quiet}
    alert = found[quiet]
    assert alert["key"] == f"little_trading:C{quiet}:{deposit}"
    assert alert["uid"] == alert_uid(alert["key"])
    assert alert["evidence"]["lots_traded"] == "0.08"
    assert alert["evidence"]["deposited_usd"] == "2000.00"
    assert [w["payment"] for w in alert["evidence"]["withdrawals"]] == [first, second]
    assert "2,000.00 USD" in alert["summary"] and "0.08 lots" in alert["summary"]
    assert alert["severity"] == "medium"
    today = datetime.now(UTC).date()
    assert alert["due"] == date.fromordinal(today.toordinal() + 10).isoformat()
    assert result.by_rule["little_trading"] == 1


def test_structuring_just_under_the_reporting_threshold(book: Book) -> None:
    split = book.client("Split")
    for day in (0, 3, 7):   # 9,000.00 is exactly 90%: in the band; day 7 is in the window
        book.pay(split, "deposit", "9000.00", T0 + day * DAY)
    two = book.client("Two")                    # one deposit is under the band
    for amount in ("8999.99", "9500.00", "9500.00"):
        book.pay(two, "deposit", amount, T0)
    spread = book.client("Spread")              # the third comes after 7 days
    for at in (0, 3 * DAY, 7 * DAY + 1):
        book.pay(spread, "deposit", "9500.00", T0 + at)
    over = book.client("Over")                  # at the threshold is not under it
    for day in (0, 1, 2):
        book.pay(over, "deposit", "10000.00", T0 + day * DAY)
    book.run()
    found = book.alerts("structuring")
    assert set(found) == {split}
    assert found[split]["evidence"]["count"] == 3
    assert found[split]["evidence"]["total_usd"] == "27000.00"
    assert found[split]["severity"] == "high"
    assert "10,000.00 USD reporting threshold" in found[split]["summary"]


def test_rapid_in_and_out(book: Book) -> None:
    fast = book.client("Fast")
    book.pay(fast, "deposit", "1000.00", T0)
    book.round_turn(fast, 100, T0 + HOUR)            # trading does not matter here
    book.pay(fast, "withdrawal", "700.00", T0 + 24 * HOUR)
    less = book.client("Less")                       # 69.99%
    book.pay(less, "deposit", "1000.00", T0)
    book.pay(less, "withdrawal", "699.99", T0 + HOUR)
    slow = book.client("Slow")                       # a millisecond too late
    book.pay(slow, "deposit", "1000.00", T0)
    book.pay(slow, "withdrawal", "1000.00", T0 + 24 * HOUR + 1)
    failed = book.client("Failed")                   # a failed withdrawal takes nothing
    book.pay(failed, "deposit", "1000.00", T0)
    book.pay(failed, "withdrawal", "1000.00", T0 + HOUR, status="failed")
    book.run()
    found = book.alerts("rapid_in_out")
    assert set(found) == {fast}
    assert found[fast]["evidence"]["withdrawn_pct"] == 70
    assert not book.alerts("little_trading").get(fast)  # it traded a lot in between


def test_third_party_payers_by_name_in_any_order_script_or_spelling(book: Book) -> None:
    anna = book.client("Berg", "Anna")
    for payer in ("BERG ANNA", "Anna Berg & Jon Berg", "Berg, Anna Maria"):
        book.pay(anna, "deposit", "500.00", T0, payer=payer)
    ivan = book.client("Иванов", "Иван")
    book.pay(ivan, "deposit", "500.00", T0, payer="Ivan Ivanov")   # transliterated
    book.pay(ivan, "deposit", "500.00", T0, payer="Iwan Iwanow")   # German habit
    jan = book.client("Nowak", "Ewa")
    book.pay(jan, "deposit", "300.00", T0, payer="Jan Kowalski")
    book.pay(jan, "withdrawal", "100.00", T0 + DAY, payer="Jan  KOWALSKI")
    book.pay(jan, "deposit", "99.99", T0, payer="Piotr Zieliński")  # under 100.00
    book.run()
    found = book.alerts("third_party_payer")
    assert set(found) == {jan}
    evidence = found[jan]["evidence"]
    assert [p["direction"] for p in evidence["payments"]] == ["deposit", "withdrawal"]
    assert "Kowalski" in found[jan]["summary"] and "Zieliński" not in found[jan]["summary"]


def test_deposits_out_of_line_with_declared_income_in_dollars(book: Book) -> None:
    with book.desk.store.write() as s:
        s.add(Quote(symbol="EURUSD", bid=Decimal("1.0999"), ask=Decimal("1.1001"), time_ms=0))
    half = book.client("Half", income_usd="20000.00")
    book.pay(half, "deposit", "6000.00", T0)
    book.pay(half, "deposit", "4000.00", T0 + 100 * DAY)        # 10,000 = 50%: now
    book.pay(half, "deposit", "4000.00", T0 + 101 * DAY)        # still over: nothing new
    under = book.client("Under", income_usd="20000.00")
    book.pay(under, "deposit", "6000.00", T0)
    book.pay(under, "deposit", "3999.99", T0 + DAY)
    gone = book.client("Gone", income_usd="20000.00")           # a year apart: window
    book.pay(gone, "deposit", "6000.00", T0)
    book.pay(gone, "deposit", "4000.00", T0 + 366 * DAY)
    modest = book.client("Modest", income_usd="2000.00")       # 250%, but under 5,000.00
    book.pay(modest, "deposit", "4999.99", T0)
    euro = book.client("Euro", income_usd="20000.00")
    book.pay(euro, "deposit", "9091.00", T0, currency="EUR")    # 10,000.10 USD
    unknown = book.client("Unknown")                            # no income declared
    book.pay(unknown, "deposit", "90000.00", T0)
    book.run()
    found = book.alerts("above_income")
    assert set(found) == {half, euro}
    assert found[half]["evidence"]["deposited_usd"] == "10000.00"
    assert found[half]["evidence"]["crossing_payment"] == \
        found[half]["evidence"]["deposits"][-1]["payment"]
    assert found[euro]["evidence"]["deposited_usd"] == "10000.10"
    assert "50% of the declared yearly income of 20,000.00 USD" in found[half]["summary"]


def test_clients_sharing_device_phone_instrument_or_address(book: Book) -> None:
    a, b, c, d = (book.client(n) for n in ("Ames", "Bell", "Cole", "Dunn"))
    for cid in (a, b, c):
        book.device(cid, "dev-shared-by-three")
    for cid in (a, b):
        book.device(cid, "dev-shared-by-two")
    ibans = ("DE89 3704 0044 0532 0130 00", "DE89370400440532013000",
             "de89-3704-0044-0532-0130-00")
    for cid, account in zip((a, b, c), ibans, strict=True):
        book.pay(cid, "deposit", "50.00", T0, account=account, method="bank_wire")
    for cid in (a, b, d):   # the last four digits of a card identify nothing
        book.pay(cid, "deposit", "50.00", T0, account="****1111", method="card")
    contacts.add_contact(book.desk, a, ContactKind.PHONE, "+44 7700 900123")
    contacts.add_contact(book.desk, b, ContactKind.PHONE, "+447700900123")
    with book.desk.store.write() as s:   # as a platform may send it
        dbapi(s).execute("UPDATE clients SET phone = '+44 (7700) 900-123' WHERE id = ?", (d,))
    for cid, where in ((b, "12 Market Street, Limassol"), (c, "12 market street  LIMASSOL"),
                       (d, "12 Market St., Limassol")):
        contacts.add_contact(book.desk, cid, ContactKind.ADDRESS, where)
    book.run()
    with book.desk.store.read() as s:
        rows = [(json.loads(e), cid) for e, cid in dbapi(s).execute(
            "SELECT evidence, client_id FROM alerts WHERE rule = 'shared_details'")]
    found = {e["kind"]: (e["value"], sorted(x["client"] for x in e["clients"]), cid)
             for e, cid in rows}
    group = {x: f"C{x}" for x in (a, b, c, d)}
    assert found == {
        "device": ("dev-shared-by-three", sorted(group[x] for x in (a, b, c)), c),
        "payment instrument": ("DE89370400440532013000", sorted(group[x] for x in (a, b, c)),
                               c),
        "phone": ("447700900123", sorted(group[x] for x in (a, b, d)), d)}
    # two addresses are the same words; "St." is not "Street": two of a kind are not many
    e = book.client("Eads")
    book.device(e, "dev-shared-by-three")  # the group grows: a new group, a new alert
    contacts.add_contact(book.desk, e, ContactKind.ADDRESS, "12 Market Street Limassol")
    assert book.run().by_rule["shared_details"] == 2
    with book.desk.store.read() as s:
        kinds = [json.loads(x)["kind"] for x, in dbapi(s).execute(
            "SELECT evidence FROM alerts WHERE rule = 'shared_details' ORDER BY id")]
    assert sorted(kinds[-2:]) == ["address", "device"]


def test_activity_from_fatf_listed_countries(book: Book) -> None:
    iran = book.client("Karimi", country="IR")
    book.pay(iran, "deposit", "100.00", T0)
    book.pay(iran, "deposit", "100.00", T0 + DAY)   # the same country: the same alert
    wire = book.client("Wire")
    book.pay(wire, "deposit", "300.00", T0, method="bank_wire",
             account="LB62 0999 0000 0001 0019 0122 9114")
    card = book.client("Card")   # LB as the start of a wallet id is no IBAN country
    book.pay(card, "deposit", "300.00", T0, account="LB-wallet-1")
    grey = book.client("Grey", country="BG")
    book.pay(grey, "deposit", "100.00", T0)
    idle = book.client("Idle", country="KP")        # no activity: nothing to see
    assert idle
    book.run()
    found = book.alerts("fatf_country")
    assert set(found) == {iran, wire, grey}
    assert found[iran]["key"] == f"fatf_country:C{iran}:country-IR"
    assert found[iran]["evidence"]["fatf_list"] == "call_for_action"
    assert found[iran]["evidence"]["count"] == 2
    assert found[wire]["evidence"]["iban"] == "LB62099900000001001901229114"
    assert "Lebanon" in found[wire]["summary"] and found[wire]["severity"] == "high"
    assert found[grey]["evidence"]["fatf_list"] == "increased_monitoring"


def test_fatf_grey_list_and_smallest_amount_are_thresholds(book: Book) -> None:
    monitoring.set_rule(book.desk, "fatf_country", thresholds={
        "grey_list": "no", "min_amount": "100.00"})
    grey = book.client("Grey", country="BG")
    book.pay(grey, "deposit", "5000.00", T0)
    small = book.client("Small", country="IR")
    book.pay(small, "deposit", "99.99", T0)
    big = book.client("Big", country="IR")
    book.pay(big, "deposit", "100.00", T0)
    book.run()
    assert set(book.alerts("fatf_country")) == {big}


def test_dormant_account_suddenly_active(book: Book) -> None:
    def sleeper(name: str, quiet_days: int, deposit: str = "0", lots_100: int = 0) -> int:
        cid = book.client(name)
        book.pay(cid, "deposit", "500.00", T0 - 400 * DAY)
        book.round_turn(cid, 10, T0 - 399 * DAY)
        woke = T0 - 399 * DAY + quiet_days * DAY + HOUR
        if deposit != "0":
            book.pay(cid, "deposit", deposit, woke)
        for n in range(lots_100 // 100):
            book.round_turn(cid, 50, woke + n * DAY)   # a lot a day, 0.50 in and out
        if lots_100 % 100:
            book.deal(cid, "buy", "in", woke + 20 * DAY, lots_100 % 100)
        return cid

    rich = sleeper("Rich", 200, deposit="10000.00")
    trader = sleeper("Trader", 200, lots_100=1000)
    assert sleeper("Nearly", 179, deposit="50000.00")      # not quiet for long enough
    assert sleeper("Modest", 200, deposit="9999.99")       # not enough money
    assert sleeper("Casual", 200, lots_100=999)            # not enough lots
    book.run()
    found = book.alerts("dormant_reactivated")
    assert set(found) == {rich, trader}
    assert found[rich]["evidence"]["quiet_days"] == 200
    assert found[rich]["evidence"]["first_activity_after"].startswith("payment:PAY")
    assert found[trader]["evidence"]["first_activity_after"].startswith("deal:gw:")
    assert found[trader]["evidence"]["lots_traded"] == "10.00"


def test_commission_farming_by_a_partners_clients(book: Book) -> None:
    desk = book.desk
    own = book.client("Owner")
    farm = partners.create_partner(desk, "Quickfire", "QUICK", "USD")
    fair = partners.create_partner(desk, "Steady", "STEADY", "USD")
    few = partners.create_partner(desk, "Few", "FEW", "USD")
    with desk.store.write() as s:
        dbapi(s).execute("UPDATE partners SET client_id = ? WHERE id = ?", (own, farm))

    def turns(partner: int, name: str, quick: int, slow: int) -> int:
        cid = book.client(name, partner=partner)
        for n in range(quick + slow):
            book.round_turn(cid, 100, T0 + n * HOUR, 60_000 if n < quick else 119_999 + 2)
        return cid

    turns(farm, "Fast", 20, 5)
    turns(farm, "Faster", 15, 10)              # 35 of 50 (70%) under 120 s
    turns(fair, "Calm", 34, 16)                # 68%
    turns(few, "Lone", 49, 0)                  # all quick, but 49 round turns
    book.run()
    found = book.alerts("commission_farming")
    assert set(found) == {own}                 # on the partner's own client record
    evidence = found[own]["evidence"]
    with desk.store.read() as s:
        uid = dbapi(s).execute("SELECT uid FROM partners WHERE id = ?", (farm,)).fetchone()[0]
    assert found[own]["key"] == f"commission_farming:partner-{uid}:2026-10"
    assert (evidence["partner"], evidence["round_turns"], evidence["held_briefly"],
            evidence["share_pct"]) == (uid, 50, 35, 70)
    assert [c["round_turns"] for c in evidence["clients"]] == [25, 25]
    assert len(evidence["short_tickets"]) == 20
    assert "Quickfire (QUICK)" in found[own]["summary"]


def test_farming_alert_goes_to_the_busiest_client_without_an_own_record(book: Book) -> None:
    farm = partners.create_partner(book.desk, "Quickfire", "QUICK", "USD")
    quiet = book.client("Quiet", partner=farm)
    busy = book.client("Busy", partner=farm)
    for n in range(10):
        book.round_turn(quiet, 100, T0 + n * HOUR, 30_000)
    for n in range(40):
        book.round_turn(busy, 100, T0 + n * HOUR, 30_000)
    book.run()
    assert set(book.alerts("commission_farming")) == {busy}


# -- the same activity raises one alert ---------------------------------------------------

def test_a_rerun_raises_nothing_new_and_a_closed_alert_stays_closed(book: Book) -> None:
    jan = book.client("Nowak", "Ewa")
    book.pay(jan, "deposit", "300.00", T0, payer="Jan Kowalski")
    first = book.run()
    assert first.alerts_raised == 1 and first.found == 1
    again = book.run()
    assert (again.found, again.alerts_raised, again.alert_ids) == (1, 0, [])
    with book.desk.store.write() as s:   # compliance closes it (the cases service does)
        dbapi(s).execute("UPDATE alerts SET status = 'closed' WHERE id = ?",
                         (first.alert_ids[0],))
    book.pay(jan, "deposit", "200.00", T0 + DAY, payer="Jan Kowalski")  # the same payer
    assert book.run().alerts_raised == 0
    assert book.alerts("third_party_payer")[jan]["status"] == "closed"
    book.pay(jan, "deposit", "200.00", T0 + DAY, payer="Olga Nowak")    # someone new
    assert book.run().alerts_raised == 1
    with book.desk.store.read() as s:
        runs = dbapi(s).execute("SELECT trigger, alerts_raised, actor_id FROM monitoring_runs"
                                " ORDER BY id").fetchall()
        audit = [json.loads(a) for a, in dbapi(s).execute(
            "SELECT after FROM audit_entries WHERE action = 'monitoring.run' ORDER BY id")]
    assert runs == [("on_demand", 1, book.desk.actor.id), ("on_demand", 0, book.desk.actor.id),
                    ("on_demand", 0, book.desk.actor.id), ("on_demand", 1, book.desk.actor.id)]
    assert [a["alert_ids"] for a in audit] == [first.alert_ids, [], [], [first.alert_ids[0] + 1]]
    assert audit[0]["by_rule"]["third_party_payer"] == 1 and audit[0]["clients_checked"] == 1


def test_a_period_limits_what_the_run_looks_at(book: Book) -> None:
    jan = book.client("Nowak", "Ewa")
    book.pay(jan, "deposit", "300.00", T0, payer="Jan Kowalski")
    before = monitoring.run_monitoring(book.desk, date(2026, 9, 1), date(2026, 9, 30))
    assert before.found == 0 and before.to_ms < T0
    with pytest.raises(ValidationFailed, match="ends before it starts"):
        monitoring.run_monitoring(book.desk, date(2026, 10, 2), date(2026, 10, 1))
    assert monitoring.run_monitoring(book.desk, date(2026, 10, 1), date(2026, 10, 1)
                                     ).alerts_raised == 1


# -- settings ---------------------------------------------------------------------------

def test_rules_in_words_with_their_thresholds(desk: Desk) -> None:
    views = {v.rule: v for v in monitoring.rules(desk)}
    assert list(views) == list(RULES) and len(views) == 9
    assert views["little_trading"].description == (
        "Deposits of at least 1,000.00 USD followed within 7 days by withdrawals of at "
        "least 80% of them, with fewer than 0.10 lots traded in between.")
    assert views["structuring"].description.startswith("3 or more deposits within 7 days")
    assert all(v.enabled and v.days_to_review > 0 for v in views.values())
    assert views["structuring"].severity is Severity.HIGH
    assert views["little_trading"].thresholds["min_deposit"] == Decimal("1000.00")


def test_thresholds_are_checked_saved_and_audited(desk: Desk) -> None:
    view = monitoring.set_rule(desk, "little_trading", thresholds={
        "min_deposit": "2,500.5", "window_days": 10, "max_lots": Decimal("0.5")},
        severity="HIGH", days_to_review="3")
    assert view.description == (
        "Deposits of at least 2,500.50 USD followed within 10 days by withdrawals of at "
        "least 80% of them, with fewer than 0.50 lots traded in between.")
    assert (view.severity, view.days_to_review) == (Severity.HIGH, 3)
    stored = {v.rule: v for v in monitoring.rules(desk)}["little_trading"]
    assert stored.thresholds == {"min_deposit": Decimal("2500.50"), "window_days": 10,
                                 "withdrawn_pct": 80, "max_lots": Decimal("0.50")}
    with desk.store.read() as s:
        before, after = dbapi(s).execute(
            "SELECT before, after FROM audit_entries WHERE action = 'monitoring.rule_set'"
            ).fetchone()
        raw = dbapi(s).execute("SELECT thresholds FROM monitoring_rules").fetchone()[0]
    assert json.loads(before)["thresholds"]["min_deposit"] == "1000.00"
    assert json.loads(after)["thresholds"]["min_deposit"] == "2500.50"
    assert json.loads(after)["severity"] == "high" and json.loads(after)["days_to_review"] == 3
    assert "." in json.loads(raw)["min_deposit"]          # text, never a float
    refusals = [
        ({"thresholds": {"min_deposit": 1000.5}}, "never a float"),
        ({"thresholds": {"min_deposit": "12.345"}}, "at most two decimal places"),
        ({"thresholds": {"min_deposit": "lots"}}, "is an amount like 1,000.00 USD"),
        ({"thresholds": {"window_days": "0"}}, "from 1 days to 365 days"),
        ({"thresholds": {"withdrawn_pct": "101"}}, "from 1% to 100%"),
        ({"thresholds": {"window_days": "7.5"}}, "is a whole number"),
        ({"thresholds": {"max_lots": "-1"}}, "from 0.00 lots"),
        ({"thresholds": {"colour": "red"}}, "has no threshold 'colour'"),
        ({"severity": "critical"}, "low, medium or high"),
        ({"days_to_review": 0}, "from 1 to 365"),
        ({"days_to_review": True}, "whole number of days"),
    ]
    for change, words in refusals:
        with pytest.raises(ValidationFailed, match=words):
            monitoring.set_rule(desk, "little_trading", **change)  # type: ignore[arg-type]
    with pytest.raises(ValidationFailed, match="yes or no"):
        monitoring.set_rule(desk, "fatf_country", thresholds={"grey_list": "maybe"})
    with pytest.raises(NotFound, match="no monitoring rule 'colour'"):
        monitoring.set_rule(desk, "colour", enabled=False)
    # nothing of the refused changes was saved, and a change to nothing is not audited
    assert {v.rule: v for v in monitoring.rules(desk)}["little_trading"] == view
    monitoring.set_rule(desk, "little_trading", severity="high")
    with desk.store.read() as s:
        assert dbapi(s).execute("SELECT count(*) FROM audit_entries WHERE action ="
                                " 'monitoring.rule_set'").fetchone()[0] == 1


def test_a_disabled_rule_raises_nothing_and_thresholds_change_what_fires(book: Book) -> None:
    jan = book.client("Nowak", "Ewa")
    book.pay(jan, "deposit", "300.00", T0, payer="Jan Kowalski")
    monitoring.set_rule(book.desk, "third_party_payer", enabled=False)
    result = book.run()
    assert result.found == 0 and "third_party_payer" not in result.by_rule
    monitoring.set_rule(book.desk, "third_party_payer", enabled=True,
                        thresholds={"min_amount": "300.01"})
    assert book.run().found == 0
    monitoring.set_rule(book.desk, "third_party_payer", thresholds={"min_amount": "300.00"})
    assert book.run().alerts_raised == 1


def test_who_may_read_change_and_run_the_rules(desk: Desk) -> None:
    people = _people(desk)
    for who in ("clara", "fiona"):
        with pytest.raises(PermissionDenied):
            monitoring.rules(people[who])
        with pytest.raises(PermissionDenied):
            monitoring.run_monitoring(people[who])
        with pytest.raises(PermissionDenied):
            monitoring.set_rule(people[who], "structuring", severity="low")
    cora = people["cora"]
    assert monitoring.set_rule(cora, "structuring", severity="low").severity is Severity.LOW
    assert len(monitoring.rules(cora)) == 9
    assert monitoring.run_monitoring(cora).alerts_raised == 0


# -- after a sync ---------------------------------------------------------------------------

def test_after_sync_looks_only_at_what_arrived_and_is_cheap_when_nothing_did(
        book: Book) -> None:
    store = book.desk.store
    others = [book.client(f"Other{n}") for n in range(5)]
    first = monitoring.monitor_after_sync(store)   # the first time: everyone
    assert first is not None and first.clients_checked == 5 and first.alerts_raised == 0
    assert monitoring.monitor_after_sync(store) is None
    jan = book.client("Nowak", "Ewa")
    book.pay(jan, "deposit", "300.00", T0, payer="Jan Kowalski")
    book.pay(others[0], "deposit", "50.00", T0)
    later = monitoring.monitor_after_sync(store)
    assert later is not None and later.trigger == "after_sync"
    assert later.clients_checked == 2 and later.alerts_raised == 1
    assert monitoring.monitor_after_sync(store) is None
    book.deal(others[1], "buy", "in", T0, 10)       # a deal arrives for someone else
    quiet = monitoring.monitor_after_sync(store)
    assert quiet is not None and (quiet.clients_checked, quiet.alerts_raised) == (1, 0)
    with store.read() as s:
        db = dbapi(s)
        runs = db.execute("SELECT trigger, alerts_raised, actor_id, clients_checked"
                          " FROM monitoring_runs ORDER BY id").fetchall()
        audits = db.execute("SELECT actor_id FROM audit_entries WHERE action = 'monitoring.run'"
                            ).fetchall()
    # quiet runs share a row; the run that raised an alert has its own, by the system
    assert runs == [("after_sync", 0, None, 5), ("after_sync", 1, None, 2),
                    ("after_sync", 0, None, 1)]
    assert audits == [(None,)]


def test_demo_alerts_carry_real_rules_keys_and_due_dates(demo_folder: Path) -> None:
    desk = open_workspace(demo_folder, PASSWORD)
    try:
        with desk.store.read() as s:
            rows = dbapi(s).execute("SELECT rule, key, uid, severity, due_date, created_at,"
                                    " client_id FROM alerts").fetchall()
    finally:
        desk.close()
    assert rows
    for rule, key, uid, severity, due, created, client in rows:
        spec = RULES[rule]
        assert key == f"{rule}:L{client}:demo" and uid == alert_uid(key)
        assert severity == spec.severity.value
        assert date.fromisoformat(due) == \
            date.fromisoformat(created[:10]) + timedelta(days=spec.days_to_review)


# -- edges found in review ------------------------------------------------------------------

def test_income_deposits_in_the_same_millisecond_cross_the_limit_once(book: Book) -> None:
    # Limit 10,000.00 (50% of 20,000.00). Deposits synced with one time: the running sum
    # takes them one after the other, so one of them crosses and raises one alert.
    pair = book.client("Pair", income_usd="20000.00")
    book.pay(pair, "deposit", "6000.00", T0)
    book.pay(pair, "deposit", "6000.00", T0)                 # 12,000 at once: one alert
    three = book.client("Three", income_usd="20000.00")
    book.pay(three, "deposit", "4500.00", T0)
    for _ in range(3):                                       # 7,500, 10,500, 13,500
        book.pay(three, "deposit", "3000.00", T0 + DAY)
    book.run()
    found = book.alerts("above_income")                      # asserts one per client
    assert set(found) == {pair, three}
    assert found[three]["evidence"]["crossing_payment"] == "PAY000005"


def test_fatf_any_payment_includes_a_currency_without_a_quote(book: Book) -> None:
    iran = book.client("Karimi", country="IR")
    book.pay(iran, "deposit", "100000", T0, currency="JPY")  # no USDJPY quote
    wire = book.client("Wire")
    book.pay(wire, "deposit", "300000", T0, currency="JPY", method="bank_wire",
             account="LB62 0999 0000 0001 0019 0122 9114")
    book.run()
    assert set(book.alerts("fatf_country")) == {iran, wire}


@pytest.mark.parametrize(("rule", "name", "raw"), [
    ("structuring", "window_days", "--5"),
    ("structuring", "reporting_threshold", "1e30"),
    ("structuring", "reporting_threshold", "1e400"),
])
def test_malformed_thresholds_are_refused_in_words(rule: str, name: str, raw: str) -> None:
    with pytest.raises(ValidationFailed):
        RULES[rule].threshold(name).parse(raw)


def test_after_sync_checks_the_past_months_of_a_partner_that_arrived_after_its_clients(
        book: Book) -> None:
    desk = book.desk
    cid = book.client("Fast")
    for n in range(60):
        book.round_turn(cid, 100, T0 + n * HOUR, 60_000)
    assert monitoring.monitor_after_sync(desk.store) is not None   # no partner yet
    farm = partners.create_partner(desk, "Quickfire", "QUICK", "USD")
    with desk.store.write() as s:   # the client's referral code links it now
        dbapi(s).execute("UPDATE clients SET partner_id = ? WHERE id = ?", (farm, cid))
    later = monitoring.monitor_after_sync(desk.store)
    assert later is not None and later.by_rule["commission_farming"] == 1


def test_a_client_the_platform_learns_of_later_is_not_alerted_twice(book: Book) -> None:
    jan = book.client("Nowak", "Ewa")
    with book.desk.store.write() as s:   # known only on this desk for now
        dbapi(s).execute("UPDATE clients SET external_id = NULL WHERE id = ?", (jan,))
    book.pay(jan, "deposit", "300.00", T0, payer="Jan Kowalski")
    assert book.run().alerts_raised == 1
    assert book.alerts("third_party_payer")[jan]["key"].split(":")[1] == f"L{jan}"
    with book.desk.store.write() as s:   # the platform now knows the client
        dbapi(s).execute("UPDATE clients SET external_id = ? WHERE id = ?", (f"C{jan}", jan))
    assert book.run().alerts_raised == 0
    book.pay(jan, "deposit", "400.00", T0 + DAY, payer="Piotr Zieliński")
    assert book.run().alerts_raised == 1  # another payer is new activity
