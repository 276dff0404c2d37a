"""crm, kyc and screening: search terms, saved filters, segments, risk countries,
sanctions lists and entries, screening runs; client risk and freeze fields

Revision ID: 0004
Revises: 0003
"""
import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def _choice(column: str, values: tuple[str, ...], name: str, table: str) -> sa.CheckConstraint:
    whens = " ".join(f"WHEN '{v}' THEN 1" for v in values)
    return sa.CheckConstraint(f"CASE {column} {whens} ELSE {column} IS NULL END",
                              name=op.f(f"ck_{table}_{name}"))


def upgrade() -> None:
    op.create_table(
        "client_search_terms",
        sa.Column("term", sa.String(length=120), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["client_id"], ["clients.id"],
                                name="fk_client_search_terms_client_id_clients"),
        sa.PrimaryKeyConstraint("term", "client_id", name="pk_client_search_terms"),
        sqlite_with_rowid=False)
    op.create_index("ix_client_search_terms_client", "client_search_terms", ["client_id"])
    op.create_table(
        "saved_filters",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("definition", sa.JSON(), nullable=False),
        sa.Column("shared", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["owner_id"], ["users.id"],
                                name="fk_saved_filters_owner_id_users"),
        sa.PrimaryKeyConstraint("id", name="pk_saved_filters"),
        sa.UniqueConstraint("owner_id", "name", name="uq_saved_filters_owner_id_name"))
    op.create_table(
        "segments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("description", sa.String(length=300), nullable=False),
        sa.Column("rule", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_segments"),
        sa.UniqueConstraint("name", name="uq_segments_name"))
    op.create_table(
        "risk_countries",
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("fatf_list", sa.String(length=24), nullable=False),
        sa.Column("note", sa.String(length=200), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        _choice("fatf_list", ("call_for_action", "increased_monitoring"), "fatf_list",
                "risk_countries"),
        sa.PrimaryKeyConstraint("country", name="pk_risk_countries"))
    op.create_table(
        "sanction_lists",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=24), nullable=False),
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("version", sa.String(length=40), nullable=False),
        sa.Column("published", sa.Date(), nullable=True),
        sa.Column("imported_at", sa.DateTime(), nullable=False),
        sa.Column("imported_by", sa.Integer(), nullable=True),
        sa.Column("entry_count", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        _choice("source", ("ofac", "un", "eu", "opensanctions"), "list_source",
                "sanction_lists"),
        sa.ForeignKeyConstraint(["imported_by"], ["users.id"],
                                name="fk_sanction_lists_imported_by_users"),
        sa.PrimaryKeyConstraint("id", name="pk_sanction_lists"),
        sa.UniqueConstraint("source", "sha256", name="uq_sanction_lists_source_sha256"))
    op.create_table(
        "sanction_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("list_id", sa.Integer(), nullable=False),
        sa.Column("ref", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("aliases", sa.JSON(), nullable=False),
        sa.Column("birth_dates", sa.JSON(), nullable=False),
        sa.Column("countries", sa.JSON(), nullable=False),
        sa.Column("programs", sa.String(length=300), nullable=False),
        sa.Column("remarks", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["list_id"], ["sanction_lists.id"],
                                name="fk_sanction_entries_list_id_sanction_lists"),
        sa.PrimaryKeyConstraint("id", name="pk_sanction_entries"))
    op.create_index("ix_sanction_entries_list", "sanction_entries", ["list_id", "ref"])
    op.create_table(
        "screening_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("trigger", sa.String(length=20), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
        sa.Column("clients", sa.Integer(), nullable=False),
        sa.Column("hits", sa.Integer(), nullable=False),
        sa.Column("lists", sa.JSON(), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["actor_id"], ["users.id"],
                                name="fk_screening_runs_actor_id_users"),
        sa.PrimaryKeyConstraint("id", name="pk_screening_runs"))
    # ADD COLUMN with constant defaults: SQLite changes the schema only, no table copy.
    for column in (
        sa.Column("occupation", sa.String(length=120), server_default="", nullable=False),
        sa.Column("source_of_funds", sa.String(length=120), server_default="",
                  nullable=False),
        sa.Column("declared_income", sa.BigInteger(), nullable=True),
        sa.Column("pep", sa.Boolean(), server_default="0", nullable=False),
        sa.Column("frozen", sa.Boolean(), server_default="0", nullable=False),
        sa.Column("frozen_reason", sa.String(length=500), server_default="", nullable=False),
        sa.Column("screened_at", sa.DateTime(), nullable=True),
    ):
        op.add_column("clients", column)
    op.add_column("kyc_cases", sa.Column("risk_factors", sa.JSON(), server_default="{}",
                                         nullable=False))
    op.add_column("kyc_cases", sa.Column("rated_at", sa.DateTime(), nullable=True))
    op.add_column("kyc_cases", sa.Column("edd_reason", sa.String(length=500),
                                         server_default="", nullable=False))
    op.add_column("kyc_documents", sa.Column("requirement", sa.String(length=40),
                                             server_default="", nullable=False))
    op.add_column("kyc_documents", sa.Column("reviewed_at", sa.DateTime(), nullable=True))
    op.add_column("screening_hits", sa.Column("reviewed_at", sa.DateTime(), nullable=True))
    op.create_index("ix_screening_hits_entry", "screening_hits",
                    ["client_id", "list_name", "entry_ref"])


def downgrade() -> None:
    raise NotImplementedError("workspaces are only migrated forward")
