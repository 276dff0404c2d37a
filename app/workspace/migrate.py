"""Schema migrations (Alembic), applied when a workspace opens."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError

from app.errors import WorkspaceTooNew
from app.migrations import KNOWN_REVISIONS, SCHEMA_HEAD

SCRIPTS = Path(__file__).resolve().parent.parent / "migrations"


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        try:
            row = conn.exec_driver_sql("SELECT version_num FROM alembic_version").first()
        except OperationalError:
            return None
    return None if row is None else str(row[0])


def upgrade(engine: Engine) -> None:
    current = current_revision(engine)
    if current == SCHEMA_HEAD:
        return  # the common case: no Alembic import on the start-up path
    if current is not None and current not in KNOWN_REVISIONS:
        raise WorkspaceTooNew(
            "This workspace was written by a newer version of Backdesk "
            f"(schema {current}). Update Backdesk on this computer to open it; "
            "the workspace was not changed."
        )
    from alembic import command
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(SCRIPTS))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
