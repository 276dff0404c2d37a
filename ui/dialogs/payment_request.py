"""Record a deposit or ask for a withdrawal for one trading account.

Each detail is checked by its method's rules as the clerk leaves the field, because a
typo in an IBAN or a wallet address sends a client's money to a stranger. The fee and
any conversion come from the same service that books the request, so the preview is
what will be sent. Nothing is written until Send.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.errors import ValidationFailed
from app.models.payments import PaymentDirection, PaymentMethod
from app.money import format_money, to_minor
from app.payments import methods
from app.payments.methods import CRYPTO_NETWORKS
from app.payments.providers import providers_for
from app.services import payments
from app.services.payments import PAYMENT_CURRENCIES, PaymentAccount, PaymentForm, Preview
from app.services.workspace import Desk
from ui.messages import user_message
from ui.worker import DbWorker

METHOD_LABELS = {PaymentMethod.BANK_WIRE: "Bank wire", PaymentMethod.CARD: "Card",
                 PaymentMethod.E_WALLET: "E-wallet", PaymentMethod.CRYPTO: "Crypto"}
# The rows each method needs; the others are hidden so nothing stale is sent.
METHOD_FIELDS = {PaymentMethod.BANK_WIRE: ("iban", "bic"), PaymentMethod.CARD: ("card",),
                 PaymentMethod.E_WALLET: ("wallet",),
                 PaymentMethod.CRYPTO: ("network", "address")}
# The service names the field it refuses; these are the rows that show its message.
SERVICE_FIELDS = {"login": "account", "currency": "amount", "amount": "amount",
                  "iban": "iban", "bic": "bic", "card": "card", "wallet": "wallet",
                  "address": "address", "network": "address"}
CARD_NOTE = "Only the last four digits are kept; the full card number is never stored."
ERROR_STYLE = "color: #b3261e;"
NO_PREVIEW = "The fee and any conversion show here once the account and amount are set."


class Field(QWidget):
    """An input with its message underneath, so the reason sits next to the mistake."""

    def __init__(self, editor: QWidget, note: str = "") -> None:
        super().__init__()
        self.editor = editor
        self.note = QLabel(note)
        self.note.setWordWrap(True)
        self.note.setVisible(bool(note))
        self.message = QLabel()
        self.message.setObjectName("formError")
        self.message.setStyleSheet(ERROR_STYLE)  # red without the theme too (previews)
        self.message.setWordWrap(True)
        self.message.hide()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(editor)
        layout.addWidget(self.note)
        layout.addWidget(self.message)

    def show_message(self, text: str) -> None:
        self.message.setText(text)
        self.message.setVisible(bool(text))


class PaymentRequestDialog(QDialog):
    sent = Signal(int, str)  # the local payment id, and what happens next in words

    def __init__(self, desk: Desk, worker: DbWorker, *, logins: Sequence[int] = (),
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.desk, self.worker = desk, worker
        self.setWindowTitle("New payment")
        self.setMinimumWidth(560)
        self.account_info: PaymentAccount | None = None
        self.account_problem = "Choose the trading account by its login."
        self.quote: Preview | None = None
        self.result_text = ""
        self._touched: set[str] = set()
        self._holder_edited = self._sending = False
        self._asked = 0  # answers to an older lookup or preview are dropped

        self.account = QComboBox()
        self.account.setEditable(True)
        for login in logins:
            self.account.addItem(str(login))
        self.account.setCurrentIndex(0 if logins else -1)
        account_edit = self.account.lineEdit()
        assert account_edit is not None  # an editable combo always has one
        account_edit.setPlaceholderText("Trading account login, e.g. 700123")
        self.direction = QComboBox()
        self.direction.addItem("Deposit: money in from the client", PaymentDirection.DEPOSIT)
        self.direction.addItem("Withdrawal: money out to the client",
                               PaymentDirection.WITHDRAWAL)
        self.method = QComboBox()
        for method, text in METHOD_LABELS.items():
            self.method.addItem(text, method)
        self.provider = QComboBox()
        self.amount = QLineEdit()
        self.amount.setPlaceholderText("1000.00")
        self.currency = QComboBox()
        self.currency.addItems(list(PAYMENT_CURRENCIES))
        money_row = QWidget()
        row = QHBoxLayout(money_row)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.amount, 1)
        row.addWidget(self.currency)
        self.iban, self.bic, self.card = QLineEdit(), QLineEdit(), QLineEdit()
        self.wallet, self.address, self.holder = QLineEdit(), QLineEdit(), QLineEdit()
        self.iban.setPlaceholderText("DE89 3704 0044 0532 0130 00")
        self.bic.setPlaceholderText("COBADEFFXXX")
        self.card.setPlaceholderText("4111 1111 1111 1111 or ****1111")
        self.wallet.setPlaceholderText("E-mail address or 8–16 digit account number")
        self.network = QComboBox()
        for key, text in CRYPTO_NETWORKS.items():
            self.network.addItem(text, key)
        self.fields = {
            "account": Field(self.account), "amount": Field(money_row),
            "iban": Field(self.iban), "bic": Field(self.bic),
            "card": Field(self.card, CARD_NOTE), "wallet": Field(self.wallet),
            "network": Field(self.network), "address": Field(self.address),
            "holder": Field(self.holder)}
        self.form = QFormLayout()
        for text, name in (("Trading account", "account"), ("Amount", "amount"),
                           ("IBAN", "iban"), ("BIC (SWIFT)", "bic"), ("Card number", "card"),
                           ("E-wallet", "wallet"), ("Network", "network"),
                           ("Address", "address"), ("Paid in by", "holder")):
            if name == "amount":
                self.form.addRow("Direction", self.direction)
                self.form.addRow("Method", self.method)
                self.form.addRow("Provider", self.provider)
            self.form.addRow(text, self.fields[name])
        self.preview = QLabel(NO_PREVIEW)
        self.preview.setObjectName("paymentPreview")
        self.preview.setWordWrap(True)
        self.error = QLabel()
        self.error.setObjectName("formError")
        self.error.setStyleSheet(ERROR_STYLE)
        self.error.setWordWrap(True)
        self.error.hide()
        buttons = QDialogButtonBox()
        self.send_button = QPushButton("Send")
        cancel = QPushButton("Cancel")
        for button in (self.send_button, cancel):
            button.setAutoDefault(False)  # Enter in a field must never send money
        buttons.addButton(self.send_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.addButton(cancel, QDialogButtonBox.ButtonRole.RejectRole)
        self.send_button.clicked.connect(self.send)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(self.form)
        layout.addWidget(self.preview)
        layout.addWidget(self.error)
        layout.addWidget(buttons)

        self._preview_timer = QTimer(self)
        self._preview_timer.setSingleShot(True)
        self._preview_timer.setInterval(250)
        self._preview_timer.timeout.connect(self._ask_preview)
        account_edit.editingFinished.connect(self.look_up_account)
        self.account.activated.connect(lambda _i: self.look_up_account())
        self.account.editTextChanged.connect(lambda _t: self._account_edited())
        self.direction.currentIndexChanged.connect(lambda _i: self._direction_changed())
        self.method.currentIndexChanged.connect(lambda _i: self._method_changed())
        self.provider.currentIndexChanged.connect(lambda _i: self._priced_input_changed())
        self.currency.currentIndexChanged.connect(lambda _i: self._priced_input_changed())
        self.amount.textChanged.connect(lambda _t: self._priced_input_changed())
        self.network.currentIndexChanged.connect(lambda _i: self._update())
        self.holder.textEdited.connect(lambda _t: setattr(self, "_holder_edited", True))
        editors = {"amount": self.amount, "iban": self.iban, "bic": self.bic,
                   "card": self.card, "wallet": self.wallet, "address": self.address,
                   "holder": self.holder}
        for name, editor in editors.items():
            editor.textChanged.connect(lambda _t: self._update())
            editor.editingFinished.connect(lambda n=name: self.left(n))
        self._method_changed()
        self._direction_changed()
        if logins:
            self.look_up_account()

    # -- what is on the form ----------------------------------------------------------------

    # Qt hands a StrEnum back as a plain str: the enum is rebuilt from it.
    def chosen_method(self) -> PaymentMethod:
        return PaymentMethod(str(self.method.currentData()))

    def chosen_direction(self) -> PaymentDirection:
        return PaymentDirection(str(self.direction.currentData()))

    def _visible(self) -> tuple[str, ...]:
        shown = tuple(n for n in METHOD_FIELDS[self.chosen_method()] if n != "network")
        return ("account", "amount", *shown, "holder")

    def _amount_minor(self) -> int:
        text = self.amount.text().strip()
        if not text:
            raise ValidationFailed("Enter the amount.", "amount")
        minor = to_minor(text, self.currency.currentText())
        if minor <= 0:
            raise ValidationFailed("The amount must be above zero.", "amount")
        return minor

    def problem(self, name: str) -> str:
        """What is wrong with one field, in the clerk's words; empty when it is fine."""
        if name == "account":
            return self.account_problem
        try:
            if name == "amount":
                self._amount_minor()
            elif name == "iban":
                methods.check_iban(self.iban.text())
            elif name == "bic":
                methods.check_bic(self.bic.text())
            elif name == "card":
                methods.check_card(self.card.text())
            elif name == "wallet":
                methods.check_ewallet(self.wallet.text())
            elif name == "address":
                methods.check_crypto_address(str(self.network.currentData()),
                                             self.address.text())
            elif name == "holder" and len(self.holder.text().strip()) > 200:
                return "A name has at most 200 characters."
        except ValidationFailed as exc:
            return exc.message
        return ""

    def _form(self) -> PaymentForm:
        method = self.chosen_method()
        account = {PaymentMethod.BANK_WIRE: self.iban, PaymentMethod.CARD: self.card,
                   PaymentMethod.E_WALLET: self.wallet,
                   PaymentMethod.CRYPTO: self.address}[method].text()
        login = self.account_info.login if self.account_info else 0
        return PaymentForm(
            login=login, direction=self.chosen_direction(), method=method,
            provider=self.provider.currentText(), amount=self.amount.text().strip(),
            currency=self.currency.currentText(), account=account,
            holder=self.holder.text(),
            bank_code=self.bic.text() if method is PaymentMethod.BANK_WIRE else "",
            network=str(self.network.currentData()) if method is PaymentMethod.CRYPTO
            else "")

    def left(self, name: str) -> None:
        """The clerk moved on from a field: from now on its message shows."""
        self._touched.add(name)
        self._update()

    def _update(self) -> None:
        problems = {name: self.problem(name) for name in self._visible()}
        for name, text in problems.items():
            if name in self._touched:
                self.fields[name].show_message(text)
        card_ok = self.chosen_method() is PaymentMethod.CARD and not problems.get("card")
        self.fields["card"].note.setText(
            f"{CARD_NOTE} Kept as {methods.check_card(self.card.text())}." if card_ok
            else CARD_NOTE)
        ready = not any(problems.values()) and self.quote is not None
        self.send_button.setEnabled(ready and not self._sending)

    # -- the account, whose it is -----------------------------------------------------------

    def _account_edited(self) -> None:
        if self.account_info is not None and \
                self.account.currentText().strip() != str(self.account_info.login):
            self.account_info, self.quote = None, None
            self.account_problem = "Press Tab to look the account up."
            self._update()

    def look_up_account(self) -> None:
        self._touched.add("account")
        text = self.account.currentText().strip()
        self.account_info, self.quote = None, None
        if not text.isdigit():
            self.account_problem = ("A trading account is given by its login number." if text
                                    else "Choose the trading account by its login.")
            self._update()
            return
        desk, login = self.desk, int(text)
        self._asked += 1
        asked = self._asked
        self.account_problem = "Looking the account up…"
        self._update()
        self.fields["account"].show_message("")  # a lookup in progress is not a mistake
        self.fields["account"].note.setText("Looking the account up…")
        self.fields["account"].note.show()
        self.worker.submit(lambda: payments.payment_account(desk, login),
                           lambda info: self._account_found(asked, info),
                           lambda exc: self._account_missing(asked, exc), owner=self)

    def _account_found(self, asked: int, info: PaymentAccount) -> None:
        if asked != self._asked:
            return
        self.account_info = info if info.on_platform else None
        self.account_problem = "" if info.on_platform else (
            f"Account {info.login} is not on the trading platform yet; sync first.")
        note = self.fields["account"].note
        note.setText(f"{info.client_name} · {info.currency} account")
        note.show()
        self.holder.setPlaceholderText(info.holder)
        if not self._holder_edited:
            self.holder.setText(info.holder)
        self._priced_input_changed()

    def _account_missing(self, asked: int, exc: BaseException) -> None:
        if asked == self._asked:
            self.account_problem = user_message(exc)
            self.fields["account"].note.hide()
            self._update()

    # -- choices that change the form or the price -----------------------------------------

    def _direction_changed(self) -> None:
        deposit = self.chosen_direction() is PaymentDirection.DEPOSIT
        label = self.form.labelForField(self.fields["holder"])
        if isinstance(label, QLabel):
            label.setText("Paid in by" if deposit else "Paid out to")
        self.holder.setToolTip("Whose account the money comes from." if deposit else
                               "Whose account the money goes to: only the client's own "
                               "account passes the withdrawal checks.")
        self._update()

    def _method_changed(self) -> None:
        method = self.chosen_method()
        self.provider.blockSignals(True)  # one price request for the change, not two
        self.provider.clear()
        self.provider.addItems(providers_for(method))
        self.provider.blockSignals(False)
        for name in ("iban", "bic", "card", "wallet", "network", "address"):
            self.form.setRowVisible(self.fields[name], name in METHOD_FIELDS[method])
        self._priced_input_changed()

    def _priced_input_changed(self) -> None:
        self.quote = None
        self._update()
        self._preview_timer.start()

    def _ask_preview(self) -> None:
        if self.account_info is None or self.problem("amount"):
            self.preview.setText(NO_PREVIEW)
            self.preview.setStyleSheet("")
            return
        desk, form = self.desk, self._form()
        self._asked += 1
        asked = self._asked
        self.worker.submit(lambda: payments.preview(desk, form),
                           lambda quote: self._previewed(asked, quote),
                           lambda exc: self._preview_failed(asked, exc), owner=self)

    def _previewed(self, asked: int, quote: Preview) -> None:
        if asked != self._asked or self.account_info is None:
            return
        self.quote = quote
        booked = format_money(quote.account_amount_minor, quote.account_currency)
        self.preview.setStyleSheet("")
        self.preview.setText(f"<b>Preview:</b> {quote.describe()}; books {booked} on "
                             f"account {self.account_info.login}.")
        self._update()

    def _preview_failed(self, asked: int, exc: BaseException) -> None:
        if asked == self._asked:
            self.preview.setStyleSheet(ERROR_STYLE)
            self.preview.setText(user_message(exc))

    # -- sending ----------------------------------------------------------------------------

    def send(self) -> None:
        if not self.send_button.isEnabled() or self.account_info is None:
            return
        desk, form = self.desk, self._form()
        self._sending = True
        self._update()
        self.error.hide()
        self.worker.submit(lambda: payments.request_payment(desk, form),
                           lambda pid: self._sent(pid, form), self._send_failed, owner=self)

    def _sent(self, payment_id: int, form: PaymentForm) -> None:
        kind = "Deposit" if form.direction is PaymentDirection.DEPOSIT else "Withdrawal"
        self.result_text = (f"{kind} of {form.amount} {form.currency} for account "
                            f"{form.login} queued; it reaches the gateway with the next sync.")
        self.sent.emit(payment_id, self.result_text)
        self.accept()

    def _send_failed(self, exc: BaseException) -> None:
        self._sending = False
        field = SERVICE_FIELDS.get(str(getattr(exc, "field", "") or ""))
        if field in self._visible():
            self.fields[str(field)].show_message(user_message(exc))
        self.error.setText(user_message(exc))
        self.error.show()
        self._update()
