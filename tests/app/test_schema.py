"""The migration builds exactly the model's schema, and the fast-path head is right."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

from app.migrations import KNOWN_REVISIONS, SCHEMA_HEAD
from app.models import Base
from app.services.workspace import Desk
from app.workspace.migrate import SCRIPTS


def test_schema_head_constant_matches_scripts() -> None:
    cfg = Config()
    cfg.set_main_option("script_location", str(SCRIPTS))
    script = ScriptDirectory.from_config(cfg)
    assert script.get_current_head() == SCHEMA_HEAD
    assert {r.revision for r in script.walk_revisions()} == set(KNOWN_REVISIONS)


def test_migrated_workspace_matches_the_models(desk: Desk) -> None:
    with desk.store.writer.connect() as conn:
        diffs = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}),
                                 Base.metadata)
    assert diffs == []


def test_every_part_has_its_tables() -> None:
    tables = set(Base.metadata.tables)
    for name in ("users", "clients", "client_contacts", "client_tags", "notes", "tasks",
                 "trading_accounts", "account_states", "positions", "deals",
                 "payment_requests", "payment_status_changes", "ledger_accounts",
                 "journal_entries", "postings", "kyc_cases", "kyc_documents",
                 "document_contents", "kyc_checks", "screening_hits", "alerts",
                 "compliance_cases", "approvals", "partners", "partner_moves",
                 "commission_plans", "plan_assignments", "commission_accruals", "payouts",
                 "audit_entries", "sync_cursors", "outbox", "settings"):
        assert name in tables, name


def test_no_float_columns_anywhere() -> None:
    from sqlalchemy import Float, Numeric

    for table in Base.metadata.tables.values():
        for column in table.columns:
            assert not isinstance(column.type, Float | Numeric), f"{table.name}.{column.name}"
