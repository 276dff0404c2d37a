"""Wire formats shared by the gateway and its clients.

Money, prices and volumes travel as decimal strings ("1234.56", "1.08512", "0.10"):
exact, and safe from JSON parsers that turn numbers into binary floats.
"""

from __future__ import annotations

from decimal import Decimal

API_PREFIX = "/v1"

# Mirrors: owned by the platform and the payment providers, read-only for desks.
MIRROR_KINDS = ("symbol", "client", "account", "account_state", "position", "deal", "payment")
# Shared back office records: written by desks with the version they edited.
OWNED_KINDS = ("client_profile", "note", "task", "kyc_case", "kyc_document",
               "screening_review", "alert", "compliance_case", "approval", "partner",
               "commission_plan", "commission_run", "payout", "plan_version",
               "plan_assignment", "partner_move")
ALL_KINDS = MIRROR_KINDS + OWNED_KINDS

DEAL_ACTIONS = ("BUY", "SELL", "BALANCE", "CREDIT", "CHARGE", "CORRECTION", "BONUS",
                "COMMISSION", "AGENT")
DEAL_ENTRIES = ("IN", "OUT", "INOUT", "NONE")
PAYMENT_METHODS = ("card", "bank_wire", "e_wallet", "crypto")
PAYMENT_STATUSES = ("requested", "approved", "rejected", "pending", "processing", "completed",
                    "failed", "cancelled", "refunded", "charged_back")
FINAL_PAYMENT_STATUSES = frozenset({"rejected", "failed", "cancelled", "refunded",
                                    "charged_back"})
BALANCE_OPERATIONS = ("deposit", "withdrawal", "credit", "credit_out", "correction", "bonus",
                      "agent_commission")

# Stream frame types that carry a seq.
FRAME_TYPES = ("deal.added", "position.changed", "position.closed", "account_state.changed",
               "payment.status_changed", "changes.available", "price.tick")


def money(minor: int, exponent: int = 2) -> str:
    return format(Decimal(minor).scaleb(-exponent), "f")


def parse_money(text: str, exponent: int = 2) -> int:
    """A decimal string to minor units; refuses more places than the currency has."""
    value = Decimal(text).scaleb(exponent)
    if value != value.to_integral_value():
        raise ValueError(f"{text} has more than {exponent} decimal places")
    return int(value)


def price(e8: int, digits: int) -> str:
    return format(Decimal(e8).scaleb(-8).quantize(Decimal(1).scaleb(-digits)), "f")


def parse_price(text: str) -> int:
    value = Decimal(text).scaleb(8)
    if value != value.to_integral_value():
        raise ValueError(f"price {text} has more than 8 decimal places")
    return int(value)


def lots(hundredths: int) -> str:
    return format(Decimal(hundredths).scaleb(-2), "f")
