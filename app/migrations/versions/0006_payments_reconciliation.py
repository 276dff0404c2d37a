"""payments and reconciliation: who requested a payment, its bank code, FX and platform
deal; reconciliation runs and exceptions; imported provider statements

Revision ID: 0006
Revises: 0005
"""
import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


KINDS = ("missing_on_platform", "missing_at_provider", "amount_mismatch", "duplicate",
         "orphan_provider", "orphan_platform", "balance_drift", "ledger_waiting")


def _enum(name: str, *values: str) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, create_constraint=False, length=24)


def _choice(column: str, values: tuple[str, ...], name: str, table: str) -> sa.CheckConstraint:
    whens = " ".join(f"WHEN '{v}' THEN 1" for v in values)
    return sa.CheckConstraint(f"CASE {column} {whens} ELSE {column} IS NULL END",
                              name=op.f(f"ck_{table}_{name}"))


def upgrade() -> None:
    with op.batch_alter_table("payment_requests") as batch:
        batch.add_column(sa.Column("requested_by_name", sa.String(length=64), nullable=False,
                                   server_default=""))
        batch.add_column(sa.Column("bank_code", sa.String(length=16), nullable=False,
                                   server_default=""))
        batch.add_column(sa.Column("account_amount_minor", sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column("fx_rate", sa.String(length=32), nullable=False,
                                   server_default=""))
        batch.add_column(sa.Column("ticket", sa.BigInteger(), nullable=True))

    op.create_table(
        "recon_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
        sa.Column("trigger", sa.String(length=20), nullable=False),
        sa.Column("run_by", sa.Integer(), nullable=True),
        sa.Column("accounts_checked", sa.Integer(), nullable=False),
        sa.Column("payments_checked", sa.Integer(), nullable=False),
        sa.Column("lines_checked", sa.Integer(), nullable=False),
        sa.Column("breaks_found", sa.Integer(), nullable=False),
        sa.Column("breaks_new", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["run_by"], ["users.id"], name=op.f("fk_recon_runs_run_by_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recon_runs")),
    )
    op.create_table(
        "recon_exceptions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", _enum("break_kind", *KINDS), nullable=False),
        sa.Column("key", sa.String(length=160), nullable=False),
        sa.Column("signature", sa.String(length=160), nullable=False),
        sa.Column("summary", sa.String(length=300), nullable=False),
        sa.Column("currency", sa.String(length=5), nullable=False),
        sa.Column("difference_minor", sa.BigInteger(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=True),
        sa.Column("ledger_side", sa.JSON(), nullable=True),
        sa.Column("platform_side", sa.JSON(), nullable=True),
        sa.Column("provider_side", sa.JSON(), nullable=True),
        sa.Column("status", _enum("break_status", "open", "investigating", "resolved"),
                  nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=True),
        sa.Column("first_run_id", sa.Integer(), nullable=False),
        sa.Column("last_run_id", sa.Integer(), nullable=False),
        sa.Column("cleared_run_id", sa.Integer(), nullable=True),
        sa.Column("resolution", sa.String(length=500), nullable=False),
        sa.Column("resolved_by", sa.Integer(), nullable=True),
        sa.Column("resolved_at", sa.DateTime(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["client_id"], ["clients.id"],
                                name=op.f("fk_recon_exceptions_client_id_clients")),
        sa.ForeignKeyConstraint(["owner_id"], ["users.id"],
                                name=op.f("fk_recon_exceptions_owner_id_users")),
        sa.ForeignKeyConstraint(["first_run_id"], ["recon_runs.id"],
                                name=op.f("fk_recon_exceptions_first_run_id_recon_runs")),
        sa.ForeignKeyConstraint(["last_run_id"], ["recon_runs.id"],
                                name=op.f("fk_recon_exceptions_last_run_id_recon_runs")),
        sa.ForeignKeyConstraint(["cleared_run_id"], ["recon_runs.id"],
                                name=op.f("fk_recon_exceptions_cleared_run_id_recon_runs")),
        sa.ForeignKeyConstraint(["resolved_by"], ["users.id"],
                                name=op.f("fk_recon_exceptions_resolved_by_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recon_exceptions")),
        sa.UniqueConstraint("key", "signature", name=op.f("uq_recon_exceptions_key_signature")),
        _choice("kind", KINDS, "break_kind", "recon_exceptions"),
        _choice("status", ("open", "investigating", "resolved"), "break_status",
                "recon_exceptions"),
    )
    with op.batch_alter_table("recon_exceptions") as batch:
        batch.create_index("ix_recon_exceptions_status", ["status", "kind"], unique=False)

    op.create_table(
        "provider_statements",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("provider", sa.String(length=64), nullable=False),
        sa.Column("file_name", sa.String(length=260), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("period_from", sa.Date(), nullable=True),
        sa.Column("period_to", sa.Date(), nullable=True),
        sa.Column("lines", sa.Integer(), nullable=False),
        sa.Column("imported_by", sa.Integer(), nullable=True),
        sa.Column("imported_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["imported_by"], ["users.id"],
                                name=op.f("fk_provider_statements_imported_by_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_provider_statements")),
        sa.UniqueConstraint("sha256", name=op.f("uq_provider_statements_sha256")),
    )
    op.create_table(
        "provider_lines",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("statement_id", sa.Integer(), nullable=False),
        sa.Column("provider", sa.String(length=64), nullable=False),
        sa.Column("provider_ref", sa.String(length=128), nullable=False),
        sa.Column("direction", sa.String(length=12), nullable=False),
        sa.Column("status", sa.String(length=24), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("fee_minor", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=5), nullable=False),
        sa.Column("value_date", sa.Date(), nullable=False),
        sa.Column("copies", sa.Integer(), nullable=False, server_default="1"),
        sa.ForeignKeyConstraint(["statement_id"], ["provider_statements.id"],
                                name=op.f("fk_provider_lines_statement_id_provider_statements")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_provider_lines")),
        sa.UniqueConstraint("provider", "provider_ref", "status",
                            name=op.f("uq_provider_lines_provider_provider_ref_status")),
    )
    with op.batch_alter_table("provider_lines") as batch:
        batch.create_index("ix_provider_lines_statement", ["statement_id"], unique=False)


def downgrade() -> None:
    op.drop_table("provider_lines")
    op.drop_table("provider_statements")
    op.drop_table("recon_exceptions")
    op.drop_table("recon_runs")
    with op.batch_alter_table("payment_requests") as batch:
        for column in ("ticket", "fx_rate", "account_amount_minor", "bank_code",
                       "requested_by_name"):
            batch.drop_column(column)
