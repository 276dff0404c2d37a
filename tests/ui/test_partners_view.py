"""The Partners part as a partner manager and two finance officers drive it, on the small
broker of tests/app/test_partner_performance.py: Master > Alpha > Bravo (and Zed), one
plan at 10.00 a lot with tiers 20% / 10%, clients trading in October 2026."""

from __future__ import annotations

import json
from pathlib import Path

from PySide6.QtCore import QModelIndex, Qt
from pytestqt.qtbot import QtBot

from app.services.workspace import Desk
from tests.app.commission_world import day
from tests.app.test_commissions import _people
from tests.app.test_partner_performance import OCT_1, OCT_31, small_broker
from tests.ui.conftest import not_blank
from ui.dialogs.partner_form import to_qdate
from ui.dialogs.partner_move import AssignPlanDialog, MovePartnerDialog
from ui.dialogs.plan_form import PlanForm
from ui.theme import STYLE
from ui.views.partners_payouts import COLUMNS
from ui.views.partners_view import PartnersPage
from ui.worker import DbWorker

SHOTS = Path("/tmp/shots")
STATUS = COLUMNS.index("Status")


def shot(widget: object, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    widget.grab().save(str(path))  # type: ignore[attr-defined]
    assert not_blank(path) > 20, path


def opened(qtbot: QtBot, desk: Desk, worker: DbWorker) -> PartnersPage:
    page = PartnersPage(desk, worker)
    qtbot.addWidget(page)
    page.setStyleSheet(STYLE)   # the named styles the app applies to the whole window
    page.resize(1280, 800)
    page.show()
    page.day.setDate(to_qdate(day(20)))     # the tree as on 21 October 2026
    page.card.period.set_period(OCT_1, OCT_31)
    page.refresh()
    qtbot.waitUntil(lambda: page.model.shown() == 4, timeout=10000)
    return page


def names(page: PartnersPage, parent: QModelIndex) -> list[str]:
    m = page.model
    return [m.index(r, 0, parent).data() for r in range(m.rowCount(parent))]


def card_ready(page: PartnersPage, name: str) -> bool:
    card = page.card
    return (card.card is not None and card.card.name == name
            and card.performance is not None and card.row is not None
            and card.performance.partner_id == card.row.id)


def test_the_tree_shows_levels_and_the_card_its_figures(
        qtbot: QtBot, qtmodeltester: object, desk: Desk, worker: DbWorker,
        tmp_path: Path) -> None:
    b = small_broker(desk)
    page = opened(qtbot, desk, worker)
    m = page.model
    qtmodeltester.check(m, force_py=True)  # type: ignore[attr-defined]
    root = QModelIndex()
    assert names(page, root) == ["Master", "Zed"]
    master = m.index(0, 0, root)
    assert names(page, master) == ["Alpha"]
    alpha = m.index(0, 0, master)
    assert names(page, alpha) == ["Bravo"]
    bravo = m.index(0, 0, alpha)
    assert m.parent(bravo) == alpha and m.parent(alpha) == master
    assert "Level 2 below the top" in bravo.data(Qt.ItemDataRole.ToolTipRole)
    row = [m.index(0, c, master).data() for c in range(m.columnCount())]
    assert row == ["Alpha", "ALPHA", "5", "13.80 USD", "Active"]
    assert m.index(0, 3, root).data() == "3.20 USD"       # Master: 2.00 + 1.00 + 0.20
    assert page.count_label.text() == "4 partners, 2 at the top"

    page.select(b.alpha)
    qtbot.waitUntil(lambda: card_ready(page, "Alpha"), timeout=10000)
    card = page.card
    assert card.summary.text().startswith("Code ALPHA · paid in USD · active")
    assert card.upline.text() == "Upline: Master (MASTER) (as on 21 Oct 2026)"
    assert card.plans.text() == ("Plans: Standard — * 10.00 USD/lot; tiers 20%/10% "
                                 "(all accounts, from 1 Oct 2026, in effect)")
    assert card.payout.text().startswith("Payout account: none set")
    values = {k: v.text() for k, v in card.values.items()}
    assert values == {
        "clients": "5 (3 new in the period)",
        "funded": "4 ever, 2 in the period",
        "active": "2 clients traded in the period",
        "volume": "1.50 lots",
        "money": "300.00 EUR (in 300.00 EUR, out 0.00 EUR)\n"
                 "800.00 USD (in 1,000.00 USD, out 200.00 USD)",
        "sub_partners": "1 directly below, 1 in all"}
    assert card.commission.text() == ("Own clients: 12.00 USD\n"
                                      "Level 1 sub-partners' clients: 1.80 USD\n"
                                      "Total: 13.80 USD")
    assert [card.months.item(0, c).text() for c in range(4)] == [
        "Oct 2026", "3", "1.50", "13.80 USD"]
    # a longer period adds November's row
    card.period.set_period(OCT_1, day(60))
    qtbot.waitUntil(lambda: card.months.rowCount() == 2, timeout=10000)
    assert [card.months.item(1, c).text() for c in range(4)] == [
        "Nov 2026", "1", "2.00", "16.00 USD"]
    card.period.set_period(OCT_1, OCT_31)
    qtbot.waitUntil(lambda: card.months.rowCount() == 1, timeout=10000)
    qtbot.wait(50)
    shot(page, Path("/tmp/partners.png"))
    shot(page, SHOTS / "partners_tree_card.png")

    # the statement for the card's period, saved where the person chose
    target = tmp_path / "bravo.pdf"
    page.select(b.bravo)
    qtbot.waitUntil(lambda: card_ready(page, "Bravo"), timeout=10000)
    card.save_statement(target)
    qtbot.waitUntil(lambda: "Saved Bravo's commission statement" in card.message.text(),
                    timeout=20000)
    assert target.read_bytes().startswith(b"%PDF")

    # search by code keeps the match's uplines, so it stays where it is in the tree
    page.search.setText("brav")
    qtbot.waitUntil(lambda: page.model.shown() == 3, timeout=5000)
    assert page.count_label.text() == "1 of 4 partners match"
    qtbot.waitUntil(lambda: card_ready(page, "Bravo"), timeout=10000)
    qtmodeltester.check(m, force_py=True)  # type: ignore[attr-defined]  # the last reset


def test_a_move_that_makes_a_loop_is_refused_in_words(
        qtbot: QtBot, desk: Desk, worker: DbWorker) -> None:
    b = small_broker(desk)
    page = opened(qtbot, desk, worker)
    page.select(b.master)
    qtbot.waitUntil(lambda: card_ready(page, "Master"), timeout=10000)
    dialog = page.card.ask_move()
    assert isinstance(dialog, MovePartnerDialog) and dialog.isVisible()
    dialog.choose(b.bravo, day(22))
    dialog.ok.click()
    qtbot.waitUntil(dialog.error.isVisible, timeout=10000)
    assert dialog.error.text() == ("Bravo is below Master in the tree on 23 Oct 2026: the "
                                   "move would make a loop.")
    assert dialog.isVisible() and dialog.ok.isEnabled()
    qtbot.wait(50)   # the dialog grows to fit the message
    assert dialog.height() >= dialog.sizeHint().height()
    shot(dialog, SHOTS / "partners_move_loop.png")
    dialog.reject()

    # Bravo under Master from 2 October, before its client's deal of the 3rd: that
    # deal's 2.00 for the uplines goes to Master alone now, instead of 1.80 to Alpha
    page.select(b.bravo)
    qtbot.waitUntil(lambda: card_ready(page, "Bravo"), timeout=10000)
    dialog = page.card.ask_move()
    assert isinstance(dialog, MovePartnerDialog)
    dialog.choose(b.master, day(1))
    dialog.ok.click()
    qtbot.waitUntil(lambda: "Bravo is under Master (MASTER) from 2 Oct 2026"
                    in page.message.text(), timeout=10000)
    assert page.message.text().endswith("recalculated from that date: 2 partner balances "
                                        "have changed.")
    qtbot.waitUntil(lambda: names(page, page.model.index(0, 0)) == ["Alpha", "Bravo"],
                    timeout=10000)
    qtbot.waitUntil(lambda: card_ready(page, "Bravo")
                    and page.card.upline.text().startswith("Upline: Master (MASTER) ("),
                    timeout=10000)
    m = page.model
    assert [m.index(r, 3, m.index(0, 0)).data() for r in range(2)] == [
        "12.00 USD", "8.00 USD"]          # Alpha lost its 1.80 from Bravo's client
    assert m.index(0, 3).data() == "5.00 USD"   # Master: 2.00 + 1.00 + 2.00


def test_new_partner_and_a_plan_assigned_from_the_card(
        qtbot: QtBot, desk: Desk, worker: DbWorker) -> None:
    b = small_broker(desk)
    page = opened(qtbot, desk, worker)
    page.select(b.bravo)
    qtbot.waitUntil(lambda: card_ready(page, "Bravo"), timeout=10000)
    dialog = page.new_partner()
    assert dialog.upline.currentData() == b.bravo      # under the selected partner
    dialog.name.setText("Delta Affiliates")
    dialog.code.setText("bravo")
    dialog.ok.click()
    qtbot.waitUntil(dialog.error.isVisible, timeout=10000)
    assert dialog.error.text() == "Referral code BRAVO is already taken."
    dialog.code.setText("delta-1")
    dialog.ok.click()
    qtbot.waitUntil(lambda: card_ready(page, "Delta Affiliates"), timeout=10000)
    assert page.model.shown() == 5
    delta = page.model.index_of(page.card.row.id)  # type: ignore[union-attr]
    assert page.model.partner_at(page.model.parent(delta)).name == "Bravo"  # type: ignore[union-attr]
    assert page.card.plans.text().startswith("Plans: No plan assigned")

    assign = page.card.ask_assign()
    assert isinstance(assign, AssignPlanDialog)
    qtbot.waitUntil(lambda: assign.plan.count() == 1, timeout=10000)
    assert assign.terms.text() == "* 10.00 USD/lot; tiers 20%/10%"
    assign.effective.setDate(to_qdate(day(3)))
    assign.ok.click()
    qtbot.waitUntil(lambda: "Delta Affiliates earns under Standard" in page.message.text(),
                    timeout=10000)
    qtbot.waitUntil(lambda: "Standard — * 10.00 USD/lot" in page.card.plans.text(),
                    timeout=10000)


def test_a_plan_form_checks_the_rules_as_they_are_typed(
        qtbot: QtBot, desk: Desk, worker: DbWorker) -> None:
    small_broker(desk)
    page = opened(qtbot, desk, worker)
    page.tabs.setCurrentWidget(page.plans)
    plans = page.plans
    qtbot.waitUntil(lambda: plans.table.rowCount() == 1, timeout=10000)
    assert [plans.table.item(0, c).text() for c in range(6)] == [
        "Standard", "Per lot", "USD", "1", "2", "* 10.00 USD/lot; tiers 20%/10%"]
    form = plans.ask_new()
    assert "Reads as: FX 7.00 USD/lot; METALS 10.00 USD/lot" in form.verdict.text()
    assert not form.ok.isEnabled()                  # no name yet
    form.name.setText("Affiliates 2027")
    assert form.ok.isEnabled()
    form.kind.setCurrentIndex(form.kind.findText("Revenue share"))   # template follows
    assert json.loads(form.rules.toPlainText()) == {"revenue_share": {"share_bp": 2500}}
    assert form.verdict.text() == "Reads as: 25% of revenue; tiers 20%/10%"
    form.rules.setPlainText('{"revenue_share": {"share_bp": 2500,}}')
    assert form.verdict.text().startswith("The rules are not valid JSON at line 1, column 37")
    assert not form.ok.isEnabled()
    form.rules.setPlainText('{"revenue_share": {"share_bp": 25000}}')
    assert form.verdict.text() == ("Revenue share is a share in basis points, 0 to 10000 "
                                   "(2500 = 25%).")
    form.rules.setPlainText('{"per_lot": [{"symbols": "FX", "rate": 7}]}')
    assert "A revenue share plan has exactly that part" in form.verdict.text()
    form.rules.setPlainText('{"revenue_share": {"share_bp": 3000}}')
    form.tier_shares.setText("20%")
    assert form.verdict.text().startswith("Tier shares are whole numbers of basis points")
    form.tier_shares.setText("1500")
    assert form.verdict.text() == "Reads as: 30% of revenue; tiers 15%"
    shot(form, SHOTS / "partners_plan_form.png")
    form.ok.click()
    qtbot.waitUntil(lambda: plans.table.rowCount() == 2, timeout=10000)
    assert "Plan Affiliates 2027 is ready to assign." in plans.message.text()

    plans.select("Standard")
    change = plans.ask_change()
    assert isinstance(change, PlanForm) and not change.kind.isEnabled()
    assert json.loads(change.rules.toPlainText()) == {"per_lot": [{"symbols": "*",
                                                                    "rate": "10.00"}]}
    assert change.tier_shares.text() == "2000, 1000"
    change.rules.setPlainText('{"per_lot": [{"symbols": "*", "rate": "12.00"}]}')
    change.effective.setDate(to_qdate(day(15)))
    change.ok.click()
    qtbot.waitUntil(lambda: "Standard has new terms from 16 Oct 2026" in
                    plans.message.text(), timeout=10000)
    qtbot.waitUntil(lambda: plans.versions.rowCount() == 2, timeout=10000)
    assert [plans.versions.item(1, c).text() for c in range(3)] == [
        "16 Oct 2026", "Ada Admin", "* 12.00 USD/lot; tiers 20%/10%"]
    shot(page, SHOTS / "partners_plans.png")


def test_payouts_are_prepared_and_decided_with_four_eyes(
        qtbot: QtBot, desk: Desk, worker: DbWorker, tmp_path: Path) -> None:
    b = small_broker(desk)
    people = _people(desk)
    page = opened(qtbot, people["fin1"], worker)
    page.tabs.setCurrentWidget(page.payouts)
    tab = page.payouts
    tab.period.set_period(OCT_1, OCT_31)
    qtbot.waitUntil(lambda: "No payouts for periods ending" in tab.title.text(), timeout=10000)
    tab.prepare_button.click()
    qtbot.waitUntil(lambda: tab.table.rowCount() == 3, timeout=10000)
    assert tab.message.text() == ("Prepared 3 payouts (25.00 USD); another finance officer "
                                  "approves them.")
    rows = {tab.table.item(r, 0).text(): [tab.table.item(r, c).text()
                                          for c in range(len(COLUMNS))] for r in range(3)}
    assert rows["Alpha"] == ["Alpha", "ALPHA", "1 Oct 2026 – 31 Oct 2026", "13.80", "USD",
                             "Waiting for approval", "Fin1", "—", ""]
    assert [rows[n][3] for n in ("Master", "Bravo")] == ["3.20", "8.00"]
    tab.select(tab.rows[0].id)
    assert not tab.approve_button.isEnabled() and not tab.reject_button.isEnabled()
    assert "another finance officer" in tab.approve_button.toolTip()

    other = opened(qtbot, people["fin2"], worker)
    other.tabs.setCurrentWidget(other.payouts)
    checker = other.payouts
    checker.period.set_period(OCT_1, OCT_31)
    qtbot.waitUntil(lambda: checker.table.rowCount() == 3, timeout=10000)
    alpha = next(r for r in checker.rows if r.partner_id == b.alpha)
    checker.select(alpha.id)
    assert checker.approve_button.isEnabled() and checker.reject_button.isEnabled()
    assert not checker.send_button.isEnabled()
    checker.approve_button.click()
    qtbot.waitUntil(lambda: checker.message.text() ==
                    "Approved the payout of 13.80 USD to Alpha.", timeout=10000)
    qtbot.waitUntil(lambda: checker.current() is not None
                    and checker.current().status == "approved", timeout=10000)  # type: ignore[union-attr]
    assert not checker.approve_button.isEnabled() and checker.send_button.isEnabled()
    checker.send_button.click()   # Alpha has no payout account: refused, in words
    qtbot.waitUntil(lambda: "Alpha has no trading account to pay commission into"
                    in checker.message.text(), timeout=10000)

    # the payout account is set on Alpha's card; then the payout goes
    other.tabs.setCurrentWidget(other.tree_tab)
    other.select(b.alpha)
    qtbot.waitUntil(lambda: card_ready(other, "Alpha"), timeout=10000)
    account = other.card.ask_account()
    assert account is not None
    account.login.setText("12x")   # type: ignore[attr-defined]
    account.ok.click()
    assert account.error.text() == "A trading account number has digits only."
    login = b.world.accounts[b.a4]
    account.login.setText(str(login))   # type: ignore[attr-defined]
    account.ok.click()
    qtbot.waitUntil(lambda: other.card.payout.text() == f"Payout account: {login} (USD)",
                    timeout=10000)
    other.tabs.setCurrentWidget(other.payouts)
    qtbot.waitUntil(lambda: checker.current() is not None, timeout=10000)
    assert checker.current().partner_id == b.alpha  # type: ignore[union-attr]
    checker.send_button.click()
    qtbot.waitUntil(lambda: checker.message.text().startswith("The payout to Alpha is queued"),
                    timeout=10000)
    qtbot.waitUntil(lambda: checker.table.item(checker.rows.index(checker.current()),  # type: ignore[arg-type]
                                               STATUS).text() == "Sent to the platform",
                    timeout=10000)

    bravo = next(r for r in checker.rows if r.partner_id == b.bravo)
    checker.select(bravo.id)
    dialog = checker.ask_reject()
    assert dialog is not None and not dialog.reject_button.isEnabled()
    dialog.reason.setPlainText("   ")
    assert not dialog.reject_button.isEnabled()
    dialog.reason.setPlainText("Bravo's client is under review")
    dialog.reject_button.click()
    qtbot.waitUntil(lambda: checker.current() is not None
                    and checker.current().status == "rejected", timeout=10000)  # type: ignore[union-attr]
    n = checker.rows.index(checker.current())  # type: ignore[arg-type]
    assert checker.table.item(n, STATUS).text() == "Rejected"
    assert checker.table.item(n, COLUMNS.index("Reason")).text() == \
        "Bravo's client is under review"
    shot(other, SHOTS / "partners_payouts.png")

    checker.save_summary(tmp_path / "payouts.pdf")
    qtbot.waitUntil(lambda: "Saved the payout summary" in checker.message.text(),
                    timeout=20000)
    assert (tmp_path / "payouts.pdf").read_bytes().startswith(b"%PDF")
