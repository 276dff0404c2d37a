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


def test_enum_checks_are_case_expressions_and_still_refuse(desk: Desk) -> None:
    import re

    import pytest
    from sqlalchemy import CheckConstraint
    from sqlalchemy.exc import IntegrityError

    with desk.store.writer.connect() as conn:
        tables = dict(conn.exec_driver_sql(
            "SELECT name, sql FROM sqlite_master WHERE type = 'table'").fetchall())
    found = {name for sql in tables.values()
             for name in re.findall(r"CONSTRAINT (ck_\w+) CHECK \(CASE ", sql)}
    wanted = {str(c.name) for t in Base.metadata.tables.values() for c in t.constraints
              if isinstance(c, CheckConstraint)}
    assert len(wanted) >= 20 and found == wanted
    assert not any(" IN (" in sql for sql in tables.values())
    with pytest.raises(IntegrityError, match="ck_deals_deal_action"), \
            desk.store.writer.begin() as conn:
        conn.exec_driver_sql(
            "INSERT INTO trading_accounts (platform, login, \"group\", currency, leverage,"
            " status, opened_at, server_version) VALUES ('gw', 1, '', 'USD', 100, 'active',"
            " '2026-01-01 00:00:00.000000', 0)")
        conn.exec_driver_sql(
            "INSERT INTO deals (platform, ticket, account_id, symbol, action, entry, volume,"
            " price, profit_minor, commission_minor, swap_minor, fee_minor, time_ms, reason,"
            " comment, server_version) VALUES ('gw', 1, 1, 'EURUSD', 'BUY', 'in', 1, 1, 0, 0,"
            " 0, 0, 0, '', '', 0)")
