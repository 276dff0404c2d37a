"""The store's bulk path: driver-level executemany inside one write transaction.

Hot paths (mirror ingest, demo data, benches) use this instead of the ORM unit of
work: SQLAlchemy Core runs ~4x and the ORM ~10-60x slower than the driver here
(DESIGN.md baselines). Rows are plain tuples in the table's column order given.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Connection, FromClause, Table
from sqlalchemy.orm import Session


def insert_sql(source: FromClause, columns: Sequence[str], *,
               upsert_on: Sequence[str] = ()) -> str:
    if not isinstance(source, Table):
        raise TypeError("bulk inserts go into a table")
    table = source
    for name in columns:
        if name not in table.c:
            raise KeyError(f"{table.name} has no column {name}")
    cols = ", ".join(f'"{c}"' for c in columns)
    marks = ", ".join("?" for _ in columns)
    sql = f'INSERT INTO "{table.name}" ({cols}) VALUES ({marks})'
    if upsert_on:
        # Mirrors: the newer server_version wins; older or equal versions change nothing.
        updates = ", ".join(f'"{c}" = excluded."{c}"' for c in columns if c not in upsert_on)
        conflict = ", ".join(f'"{c}"' for c in upsert_on)
        sql += (f" ON CONFLICT ({conflict}) DO UPDATE SET {updates}"
                f' WHERE excluded."server_version" > "{table.name}"."server_version"')
    return sql


def _dbapi(target: Session | Connection) -> Any:
    conn = target.connection() if isinstance(target, Session) else target
    return conn.connection.dbapi_connection


def insert_rows(target: Session | Connection, table: FromClause, columns: Sequence[str],
                rows: Iterable[Sequence[Any]], *, upsert_on: Sequence[str] = ()) -> int:
    """Insert many rows in the caller's transaction; returns the number of rows sent."""
    cursor = _dbapi(target).cursor()
    sql = insert_sql(table, columns, upsert_on=upsert_on)
    try:
        if isinstance(rows, Sequence):
            cursor.executemany(sql, rows)
            return len(rows)
        counted = _Counter(rows)
        cursor.executemany(sql, counted)
        return counted.n
    finally:
        cursor.close()


class _Counter:
    """Counts rows as the driver pulls them, so generators stream without a list."""

    def __init__(self, rows: Iterable[Sequence[Any]]) -> None:
        self._it = iter(rows)
        self.n = 0

    def __iter__(self) -> _Counter:
        return self

    def __next__(self) -> Sequence[Any]:
        row = next(self._it)
        self.n += 1
        return row
