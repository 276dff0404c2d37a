"""compliance monitoring: alert keys and due dates, case notes and attachments,
monitoring rules and runs, client devices, when a relationship ended, retention

Revision ID: 0008
Revises: 0007
"""
import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def _severity() -> tuple[sa.Enum, sa.CheckConstraint]:
    values = ("low", "medium", "high")
    whens = " ".join(f"WHEN '{v}' THEN 1" for v in values)
    return (sa.Enum(*values, name="severity", native_enum=False, create_constraint=False,
                    length=24),
            sa.CheckConstraint(f"CASE severity {whens} ELSE severity IS NULL END",
                               name=op.f("ck_monitoring_rules_severity")))


def upgrade() -> None:
    with op.batch_alter_table("clients") as batch:
        batch.add_column(sa.Column("closed_at", sa.DateTime(), nullable=True))
    with op.batch_alter_table("alerts") as batch:
        batch.add_column(sa.Column("key", sa.String(length=200), nullable=True))
        batch.add_column(sa.Column("due_date", sa.Date(), nullable=True))
        batch.create_unique_constraint(op.f("uq_alerts_key"), ["key"])
    op.create_index("ix_alerts_client", "alerts", ["client_id", "created_at"])
    with op.batch_alter_table("compliance_cases") as batch:
        batch.add_column(sa.Column("opened_by", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("closed_by", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("closed_at", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("froze_withdrawals", sa.Boolean(), nullable=False,
                                   server_default="0"))
        batch.create_foreign_key(op.f("fk_compliance_cases_opened_by_users"), "users",
                                 ["opened_by"], ["id"])
        batch.create_foreign_key(op.f("fk_compliance_cases_closed_by_users"), "users",
                                 ["closed_by"], ["id"])
    op.create_index("ix_compliance_cases_status", "compliance_cases", ["status", "due_date"])
    op.create_index("ix_case_alerts_alert", "case_alerts", ["alert_id"])

    op.create_table(
        "case_notes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("uid", sa.String(length=36), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["author_id"], ["users.id"],
                                name=op.f("fk_case_notes_author_id_users")),
        sa.ForeignKeyConstraint(["case_id"], ["compliance_cases.id"],
                                name=op.f("fk_case_notes_case_id_compliance_cases")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_notes")),
        sa.UniqueConstraint("uid", name=op.f("uq_case_notes_uid")),
    )
    op.create_index(op.f("ix_case_notes_case_id"), "case_notes", ["case_id"])
    op.create_table(
        "case_attachments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("uid", sa.String(length=36), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("file_name", sa.String(length=255), nullable=False),
        sa.Column("mime_type", sa.String(length=100), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("added_by", sa.Integer(), nullable=True),
        sa.Column("added_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["added_by"], ["users.id"],
                                name=op.f("fk_case_attachments_added_by_users")),
        sa.ForeignKeyConstraint(["case_id"], ["compliance_cases.id"],
                                name=op.f("fk_case_attachments_case_id_compliance_cases")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_attachments")),
        sa.UniqueConstraint("uid", name=op.f("uq_case_attachments_uid")),
    )
    op.create_index(op.f("ix_case_attachments_case_id"), "case_attachments", ["case_id"])
    op.create_table(
        "case_attachment_contents",
        sa.Column("attachment_id", sa.Integer(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["attachment_id"], ["case_attachments.id"],
            name=op.f("fk_case_attachment_contents_attachment_id_case_attachments")),
        sa.PrimaryKeyConstraint("attachment_id", name=op.f("pk_case_attachment_contents")),
    )

    severity, severity_check = _severity()
    op.create_table(
        "monitoring_rules",
        sa.Column("rule", sa.String(length=64), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("severity", severity, nullable=False),
        sa.Column("thresholds", sa.JSON(), nullable=False),
        sa.Column("updated_by", sa.Integer(), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        severity_check,
        sa.ForeignKeyConstraint(["updated_by"], ["users.id"],
                                name=op.f("fk_monitoring_rules_updated_by_users")),
        sa.PrimaryKeyConstraint("rule", name=op.f("pk_monitoring_rules")),
    )
    op.create_table(
        "monitoring_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("trigger", sa.String(length=20), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("from_ms", sa.BigInteger(), nullable=False),
        sa.Column("to_ms", sa.BigInteger(), nullable=False),
        sa.Column("clients_checked", sa.Integer(), nullable=False),
        sa.Column("alerts_raised", sa.Integer(), nullable=False),
        sa.Column("by_rule", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["actor_id"], ["users.id"],
                                name=op.f("fk_monitoring_runs_actor_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_monitoring_runs")),
    )
    op.create_table(
        "client_devices",
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("device", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(["client_id"], ["clients.id"],
                                name=op.f("fk_client_devices_client_id_clients")),
        sa.PrimaryKeyConstraint("client_id", "device", name=op.f("pk_client_devices")),
        sqlite_with_rowid=False,
    )
    op.create_index("ix_client_devices_device", "client_devices", ["device", "client_id"])

    op.create_table(
        "retention_policies",
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("years", sa.Integer(), nullable=False),
        sa.Column("updated_by", sa.Integer(), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["updated_by"], ["users.id"],
                                name=op.f("fk_retention_policies_updated_by_users")),
        sa.PrimaryKeyConstraint("kind", name=op.f("pk_retention_policies")),
    )
    op.create_table(
        "retention_purges",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_uid", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("cutoff", sa.Date(), nullable=False),
        sa.Column("removed", sa.Integer(), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["actor_id"], ["users.id"],
                                name=op.f("fk_retention_purges_actor_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_retention_purges")),
    )
    op.create_index(op.f("ix_retention_purges_run_uid"), "retention_purges", ["run_uid"])


def downgrade() -> None:
    raise NotImplementedError("workspaces are not downgraded")
