"""commissions: plan versions, exact accruals with carried residues, CPA awards,
payout runs; where a partner's commission is paid

Revision ID: 0007
Revises: 0006
"""
import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("clients") as batch:
        batch.add_column(sa.Column("referral_code", sa.String(length=32), nullable=False,
                                   server_default=""))
    for table in ("partner_moves", "plan_assignments"):
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("uid", sa.String(length=36), nullable=True))
            batch.create_unique_constraint(op.f(f"uq_{table}_uid"), ["uid"])
    with op.batch_alter_table("partners") as batch:
        batch.add_column(sa.Column("payout_account_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(op.f("fk_partners_payout_account_id_trading_accounts"),
                                 "trading_accounts", ["payout_account_id"], ["id"])
    op.create_table(
        "commission_plan_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("uid", sa.String(length=36), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("effective_from", sa.Date(), nullable=False),
        sa.Column("rules", sa.JSON(), nullable=False),
        sa.Column("tier_shares_bp", sa.JSON(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["created_by"], ["users.id"],
                                name=op.f("fk_commission_plan_versions_created_by_users")),
        sa.ForeignKeyConstraint(["plan_id"], ["commission_plans.id"],
                                name=op.f("fk_commission_plan_versions_plan_id_commission_plans")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_commission_plan_versions")),
        sa.UniqueConstraint("uid", name=op.f("uq_commission_plan_versions_uid")),
        sa.UniqueConstraint("plan_id", "effective_from",
                            name=op.f("uq_commission_plan_versions_plan_id_effective_from")),
    )
    op.create_table(
        "commission_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("uid", sa.String(length=36), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("prepared_by", sa.Integer(), nullable=False),
        sa.Column("status", sa.Enum("proposed", "decided", name="run_status", native_enum=False,
                                    create_constraint=False, length=24), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("server_version", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["prepared_by"], ["users.id"],
                                name=op.f("fk_commission_runs_prepared_by_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_commission_runs")),
        sa.CheckConstraint("CASE status WHEN 'proposed' THEN 1 WHEN 'decided' THEN 1"
                           " ELSE status IS NULL END", name=op.f("ck_commission_runs_run_status")),
        sa.UniqueConstraint("uid", name=op.f("uq_commission_runs_uid")),
    )
    with op.batch_alter_table("payouts") as batch:
        batch.add_column(sa.Column("run_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("decided_at", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("reason", sa.String(length=300), nullable=False,
                                   server_default=""))
        batch.create_foreign_key(op.f("fk_payouts_run_id_commission_runs"), "commission_runs",
                                 ["run_id"], ["id"])
        batch.create_index(batch.f("ix_payouts_run_id"), ["run_id"], unique=False)

    # Accruals were never written before this version: the table is rebuilt keyed by
    # deal and beneficiary, without a rowid (one b-tree fewer on the hot path).
    op.drop_table("commission_accruals")
    op.create_table(
        "commission_accruals",
        sa.Column("deal_id", sa.Integer(), nullable=False),
        sa.Column("partner_id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("tier", sa.Integer(), nullable=False),
        sa.Column("rule", sa.String(length=64), nullable=False),
        sa.Column("exact_micro", sa.BigInteger(), nullable=False),
        sa.Column("revenue_micro", sa.BigInteger(), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("residue_micro", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=5), nullable=False),
        sa.Column("time_ms", sa.BigInteger(), nullable=False),
        sa.Column("payout_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["deal_id"], ["deals.id"],
                                name=op.f("fk_commission_accruals_deal_id_deals")),
        sa.ForeignKeyConstraint(["partner_id"], ["partners.id"],
                                name=op.f("fk_commission_accruals_partner_id_partners")),
        sa.ForeignKeyConstraint(["payout_id"], ["payouts.id"],
                                name=op.f("fk_commission_accruals_payout_id_payouts")),
        sa.ForeignKeyConstraint(["plan_id"], ["commission_plans.id"],
                                name=op.f("fk_commission_accruals_plan_id_commission_plans")),
        sa.PrimaryKeyConstraint("deal_id", "partner_id", name=op.f("pk_commission_accruals")),
        sqlite_with_rowid=False,
    )
    op.create_index("ix_commission_accruals_partner_time", "commission_accruals",
                    ["partner_id", "time_ms"])
    op.create_table(
        "commission_carry",
        sa.Column("partner_id", sa.Integer(), nullable=False),
        sa.Column("currency", sa.String(length=5), nullable=False),
        sa.Column("residue_micro", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["partner_id"], ["partners.id"],
                                name=op.f("fk_commission_carry_partner_id_partners")),
        sa.PrimaryKeyConstraint("partner_id", "currency", name=op.f("pk_commission_carry")),
    )
    op.create_table(
        "commission_cpa_awards",
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("partner_id", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("deal_id", sa.Integer(), nullable=False),
        sa.Column("clawback_deal_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["client_id"], ["clients.id"],
                                name=op.f("fk_commission_cpa_awards_client_id_clients")),
        sa.ForeignKeyConstraint(["partner_id"], ["partners.id"],
                                name=op.f("fk_commission_cpa_awards_partner_id_partners")),
        sa.ForeignKeyConstraint(["plan_id"], ["commission_plans.id"],
                                name=op.f("fk_commission_cpa_awards_plan_id_commission_plans")),
        sa.ForeignKeyConstraint(["deal_id"], ["deals.id"],
                                name=op.f("fk_commission_cpa_awards_deal_id_deals")),
        sa.ForeignKeyConstraint(["clawback_deal_id"], ["deals.id"],
                                name=op.f("fk_commission_cpa_awards_clawback_deal_id_deals")),
        sa.PrimaryKeyConstraint("client_id", name=op.f("pk_commission_cpa_awards")),
    )


def downgrade() -> None:
    raise NotImplementedError("workspaces are not downgraded")
