"""sync: gateway versions on shared records, quotes, sync errors, outbox details,
raw shared records

Revision ID: 0002
Revises: 0001
"""
import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

SHARED = ("alerts", "approvals", "clients", "commission_plans", "compliance_cases",
          "kyc_cases", "kyc_documents", "notes", "partners", "payment_requests", "payouts",
          "screening_hits", "tasks")


def upgrade() -> None:
    for table in SHARED:
        op.add_column(table, sa.Column("server_version", sa.BigInteger(), nullable=False,
                                       server_default="0"))
    op.add_column("clients", sa.Column("profile_version", sa.BigInteger(), nullable=False,
                                       server_default="0"))
    op.add_column("sync_cursors", sa.Column("epoch", sa.String(length=64), nullable=False,
                                            server_default=""))
    op.add_column("sync_cursors", sa.Column("bulk", sa.Boolean(), nullable=False,
                                            server_default="0"))
    op.add_column("outbox", sa.Column("entity", sa.String(length=40), nullable=False,
                                      server_default=""))
    op.add_column("outbox", sa.Column("entity_ref", sa.String(length=64), nullable=False,
                                      server_default=""))
    op.add_column("outbox", sa.Column("revert", sa.JSON(), nullable=True))
    op.add_column("outbox", sa.Column("conflict", sa.JSON(), nullable=True))
    op.create_table(
        "quotes",
        sa.Column("symbol", sa.String(length=32), nullable=False),
        sa.Column("bid", sa.BigInteger(), nullable=False),
        sa.Column("ask", sa.BigInteger(), nullable=False),
        sa.Column("time_ms", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("symbol", name=op.f("pk_quotes")))
    op.create_table(
        "sync_errors",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("record_id", sa.String(length=64), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sync_errors")))
    op.create_index("ix_sync_errors_at", "sync_errors", ["at"])
    op.create_table(
        "shared_records",
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.Column("data", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("kind", "id", name=op.f("pk_shared_records")))
    op.create_table(
        "mirror_tombstones",
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("kind", "id", name=op.f("pk_mirror_tombstones")))


def downgrade() -> None:
    raise NotImplementedError("workspaces only move forward")
