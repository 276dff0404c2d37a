"""One data model for all eight parts. Importing this module registers every table."""

from app.models import (
    audit,
    compliance,
    crm,
    kyc,
    ledger,
    partners,
    payments,
    reconciliation,
    retention,
    sync_state,
    trading,
    users,
)
from app.models.base import Base

__all__ = [
    "Base", "audit", "compliance", "crm", "kyc", "ledger", "partners", "payments",
    "reconciliation", "retention", "sync_state", "trading", "users",
]
