"""enum CHECK constraints as CASE expressions instead of IN lists

SQLite evaluates `x IN ('a', 'b', ...)` in a CHECK by building a temporary index for
the list on every row written; CASE compares in place. The two accept exactly the
same values, so existing rows need no rewrite and the table text is edited in place
with SQLite's documented writable_schema procedure for constraint changes
(https://www.sqlite.org/lang_altertable.html, "otheralter").

Revision ID: 0003
Revises: 0002
"""
import re

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

_IN_LIST = re.compile(r"CHECK \((\w+) IN \(((?:'[a-z_]+'(?:, )?)+)\)\)")


def _as_case(match: re.Match[str]) -> str:
    column, values = match.group(1), re.findall(r"'([a-z_]+)'", match.group(2))
    whens = " ".join(f"WHEN '{v}' THEN 1" for v in values)
    return f"CHECK (CASE {column} {whens} ELSE {column} IS NULL END)"


def upgrade() -> None:
    conn = op.get_bind()
    tables = conn.exec_driver_sql(
        "SELECT name, sql FROM sqlite_master WHERE type = 'table' AND sql LIKE '%CHECK%'"
    ).fetchall()
    changed = [(name, _IN_LIST.sub(_as_case, sql)) for name, sql in tables]
    changed = [(name, sql) for name, sql in changed if " IN (" not in sql]
    version = conn.exec_driver_sql("PRAGMA schema_version").scalar()
    conn.exec_driver_sql("PRAGMA writable_schema = ON")
    for name, sql in changed:
        conn.exec_driver_sql(
            "UPDATE sqlite_master SET sql = ? WHERE type = 'table' AND name = ?", (sql, name))
    conn.exec_driver_sql(f"PRAGMA schema_version = {int(version or 0) + 1}")
    conn.exec_driver_sql("PRAGMA writable_schema = OFF")
    # The edited text must still parse, and every row must satisfy it.
    problems = conn.exec_driver_sql("PRAGMA quick_check").fetchall()
    if problems != [("ok",)]:
        raise RuntimeError(f"schema check after editing constraints: {problems[:3]}")
    for name, _ in changed:
        bad = conn.exec_driver_sql(f'PRAGMA integrity_check("{name}")').fetchall()
        if bad != [("ok",)]:
            raise RuntimeError(f"{name}: {bad[:3]}")


def downgrade() -> None:
    raise NotImplementedError("constraints are equivalent; nothing to undo")
