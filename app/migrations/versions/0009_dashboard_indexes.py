"""dashboard indexes: covering indexes for the management figures and the exception
queue; ix_deals_time widened in place

Revision ID: 0009
Revises: 0008
"""
import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

NEW = (
    ("ix_clients_created", "clients", ["created_at", "segment", "country", "manager_id"]),
    ("ix_kyc_cases_progress", "kyc_cases", ["client_id", "status", "decided_at", "created_at"]),
    ("ix_kyc_cases_review", "kyc_cases", ["status", "next_review"]),
    ("ix_payment_requests_flow", "payment_requests",
     ["status", "updated_at", "currency", "direction", "amount_minor", "client_id"]),
    ("ix_commission_accruals_tier", "commission_accruals",
     ["tier", "currency", "time_ms", "amount_minor", "client_id"]),
)
# The same name, more columns. A first sync pull sets ix_deals_time aside and builds
# it from the model when it ends (sync.pull): if it is absent now, it stays absent.
WIDENED = (
    ("ix_deals_time", "deals", ["time_ms"], ["time_ms", "action", "account_id", "entry",
                                             "volume"]),
)


def _exists(name: str) -> bool:
    return op.get_bind().execute(
        sa.text("SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = :n"),
        {"n": name}).first() is not None


def _rebuild(name: str, table: str, columns: list[str]) -> None:
    if _exists(name):
        op.drop_index(name, table_name=table)
        op.create_index(name, table, columns)


def upgrade() -> None:
    for name, table, columns in NEW:
        op.create_index(name, table, columns)
    for name, table, _old, wide in WIDENED:
        _rebuild(name, table, wide)


def downgrade() -> None:
    for name, table, old, _wide in WIDENED:
        _rebuild(name, table, old)
    for name, table, _columns in reversed(NEW):
        op.drop_index(name, table_name=table)
