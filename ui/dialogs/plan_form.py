"""A commission plan's terms: a new plan, or a plan's new terms from a date.

The rules are written as JSON, started from a template for the plan's kind, and
checked as they are typed by the same `parse_terms` the accrual uses: what is wrong
is said in words next to the text, and what is right is read back as one line."""

from __future__ import annotations

import json
import re
from datetime import date, timedelta
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QLineEdit, QPlainTextEdit, QWidget

from app.commissions.performance import PlanRow
from app.commissions.plans import describe, parse_terms
from app.errors import BackdeskError
from app.models.partners import PlanKind
from app.services import partners
from app.services.workspace import Desk
from ui.dialogs.partner_form import CURRENCIES, ServiceDialog, date_edit, long_date, to_date
from ui.dialogs.partner_move import recalculated
from ui.worker import DbWorker

RED, GREEN = "#b3261e", "#1e7b34"
KIND_LABELS = {PlanKind.PER_LOT: "Per lot", PlanKind.SPREAD_SHARE: "Spread share",
               PlanKind.REVENUE_SHARE: "Revenue share", PlanKind.CPA: "CPA",
               PlanKind.HYBRID: "Hybrid (several of these)"}
TEMPLATES: dict[PlanKind, dict[str, Any]] = {
    PlanKind.PER_LOT: {"per_lot": [{"symbols": "FX", "rate": "7.00"},
                                   {"symbols": "METALS", "rate": "10.00"}]},
    PlanKind.SPREAD_SHARE: {"spread_share": {"share_bp": 3000,
                                             "spread": [{"symbols": "*", "rate": "10.00"}]}},
    PlanKind.REVENUE_SHARE: {"revenue_share": {"share_bp": 2500}},
    PlanKind.CPA: {"cpa": {"amount": "200.00", "min_first_deposit": "100.00",
                           "min_lots": "1.00", "within_days": 30, "clawback": True}},
    PlanKind.HYBRID: {"per_lot": [{"symbols": "FX", "rate": "5.00"}],
                      "revenue_share": {"share_bp": 1000}},
}


def pretty(rules: dict[str, Any]) -> str:
    return json.dumps(rules, indent=2)


def tier_text(tiers: dict[str, Any]) -> str:
    levels = tiers.get("levels", []) if isinstance(tiers, dict) else []
    return ", ".join(str(v) for v in levels)


def read_tiers(text: str) -> dict[str, Any]:
    """"2000, 1000" -> {"levels": [2000, 1000]}; ValueError in words."""
    parts = [p for p in re.split(r"[,\s;]+", text.strip()) if p]
    if not parts:
        return {}
    if not all(p.isdigit() for p in parts):
        raise ValueError("Tier shares are whole numbers of basis points, parent first, "
                         "e.g. 2000, 1000 (20% to the parent, 10% of that further up).")
    return {"levels": [int(p) for p in parts]}


def check(kind: PlanKind, currency: str, rules_text: str,
          tiers_text: str) -> tuple[str, dict[str, Any] | None, dict[str, Any]]:
    """(what to say, the rules when they are right, the tier shares)."""
    try:
        rules = json.loads(rules_text)
    except json.JSONDecodeError as exc:
        return (f"The rules are not valid JSON at line {exc.lineno}, column {exc.colno}: "
                f"{exc.msg}.", None, {})
    try:
        tiers = read_tiers(tiers_text)
    except ValueError as exc:
        return str(exc), None, {}
    if not isinstance(rules, dict):
        return "The rules are a set of named parts in braces: { ... }.", None, tiers
    try:
        terms = parse_terms(kind, currency, rules, tiers)
    except BackdeskError as exc:
        return exc.message, None, tiers
    return f"Reads as: {describe(terms)}", rules, tiers


class PlanForm(ServiceDialog):
    """A new plan (`plan` None) or the terms of `plan` from a date."""

    def __init__(self, desk: Desk, worker: DbWorker, plan: PlanRow | None = None,
                 parent: QWidget | None = None) -> None:
        title = "New plan" if plan is None else f"Change {plan.name}"
        super().__init__(desk, worker, title, "Create plan" if plan is None
                         else "Change from the date", parent)
        self.plan = plan
        self.rules_ok: dict[str, Any] | None = None
        self.tiers: dict[str, Any] = {}
        self.name = QLineEdit("" if plan is None else plan.name)
        self.name.setPlaceholderText("e.g. Standard IB 2027")
        self.name.setReadOnly(plan is not None)
        self.kind = QComboBox()
        for kind, text in KIND_LABELS.items():
            self.kind.addItem(text, kind)
        self.currency = QComboBox()
        self.currency.addItems(CURRENCIES)
        self.rules = QPlainTextEdit()
        self.rules.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.rules.setMinimumSize(460, 230)
        self.verdict = QLabel()
        self.verdict.setObjectName("ruleCheck")
        self.verdict.setWordWrap(True)
        self.verdict.setTextFormat(Qt.TextFormat.PlainText)
        self.verdict.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.verdict.setMinimumWidth(240)
        editor = QHBoxLayout()
        editor.addWidget(self.rules, 3)
        editor.addWidget(self.verdict, 2)
        self.tier_shares = QLineEdit()
        self.tier_shares.setPlaceholderText("basis points per level up, parent first: "
                                            "2000, 1000 (empty: nothing shared up)")
        self.effective = date_edit(date.today() + timedelta(days=1))
        self.form.addRow("Name", self.name)
        self.form.addRow("Kind", self.kind)
        self.form.addRow("Currency", self.currency)
        self.form.addRow("Rules", editor)
        self.form.addRow("Tier shares", self.tier_shares)
        if plan is None:
            self._template = pretty(TEMPLATES[PlanKind.PER_LOT])
            self.rules.setPlainText(self._template)
            self.tier_shares.setText("2000, 1000")
            self.effective.hide()
            self.say_intro("The plan's terms apply from the date each partner is assigned "
                           "to it; change them later from a date.")
        else:
            latest = plan.versions[-1]
            self.kind.setCurrentIndex(self.kind.findData(PlanKind(plan.kind)))
            self.currency.setCurrentText(plan.currency)
            self.kind.setEnabled(False)
            self.currency.setEnabled(False)
            self._template = pretty(latest.rules)
            self.rules.setPlainText(self._template)
            self.tier_shares.setText(tier_text(latest.tier_shares))
            self.form.addRow("From", self.effective)
            self.say_intro(f"Deals from the date on earn under the new terms; deals before "
                           f"it keep the terms they were accrued under. Now: "
                           f"{latest.terms}.")
        self.kind.currentIndexChanged.connect(lambda _i: self._kind_changed())
        self.currency.currentTextChanged.connect(lambda _t: self.recheck())
        self.rules.textChanged.connect(self.recheck)
        self.tier_shares.textChanged.connect(lambda _t: self.recheck())
        self.name.textChanged.connect(lambda _t: self.recheck())
        self.recheck()

    def chosen_kind(self) -> PlanKind:
        return PlanKind(self.kind.currentData())

    def _kind_changed(self) -> None:
        """A new kind brings its template, unless the rules were written by hand."""
        if self.rules.toPlainText().strip() in ("", self._template.strip()):
            self._template = pretty(TEMPLATES[self.chosen_kind()])
            self.rules.setPlainText(self._template)
        self.recheck()

    def recheck(self) -> None:
        said, self.rules_ok, self.tiers = check(self.chosen_kind(), self.currency.currentText(),
                                                self.rules.toPlainText(),
                                                self.tier_shares.text())
        self.verdict.setText(said)
        self.verdict.setStyleSheet(f"color: {GREEN if self.rules_ok is not None else RED};")
        self.ok.setEnabled(self.rules_ok is not None and bool(self.name.text().strip()))

    def run(self) -> None:
        rules, tiers = self.rules_ok, self.tiers
        if rules is None:
            return
        desk, plan = self.desk, self.plan
        if plan is None:
            name, kind, cur = self.name.text(), self.chosen_kind(), self.currency.currentText()
            self.submit(lambda: partners.create_plan(desk, name, kind, cur, rules, tiers),
                        lambda _pid: f"Plan {name.strip()} is ready to assign.")
            return
        day = to_date(self.effective.date())
        self.submit(lambda: partners.change_plan(desk, plan.id, rules, tiers, day),
                    lambda done: (f"{plan.name} has new terms from {long_date(day)}. "
                                  + recalculated(done)))
