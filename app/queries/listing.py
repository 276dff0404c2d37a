"""A listing: columns, search and sort expressed in SQL, paged by offset.

Views (Qt table models, CSV exports, the CLI) never load a whole table: they ask
for a count and for pages, and the database filters and sorts (DESIGN.md: a proxy
model over 1M rows takes minutes; the covering index takes milliseconds).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import Enum
from typing import Any

from sqlalchemy import ColumnElement, FromClause, Select, func, or_, select
from sqlalchemy.orm import QueryableAttribute, Session

from app.text import fold

Row = tuple[Any, ...]
# A mapped attribute (Client.email) or any SQL expression (a correlated count).
Expr = ColumnElement[Any] | QueryableAttribute[Any]


@dataclass(frozen=True)
class Column:
    label: str
    expr: Expr
    render: Callable[[Row], str] | None = None  # gets the whole row (e.g. money + currency)
    sortable: bool = True
    align_right: bool = False


@dataclass(frozen=True)
class Listing:
    name: str
    columns: Sequence[Column]
    source: FromClause
    key: Expr  # unique, stable tie-breaker and the row's identity
    search: Sequence[Expr] = ()
    folded_search: Sequence[Expr] = ()  # columns holding fold()ed text
    where: Sequence[ColumnElement[bool]] = ()
    default_sort: int = 0
    default_descending: bool = False
    extra: Sequence[Expr] = field(default_factory=tuple)  # hidden, for render
    # Replaces the LIKE search when set: the condition for a search text, None for none
    # (the client list searches its term index this way, see app.crm.search_index).
    matcher: Callable[[str], ColumnElement[bool] | None] | None = None

    def _filtered(self, stmt: Select[Any], text: str) -> Select[Any]:
        for cond in self.where:
            stmt = stmt.where(cond)
        text = text.strip()
        if text and self.matcher is not None:
            matched = self.matcher(text)
            if matched is not None:
                stmt = stmt.where(matched)
        elif text:
            pattern = f"%{_escape(text)}%"
            folded = f"%{_escape(fold(text))}%"
            conds = [c.ilike(pattern, escape="\\") for c in self.search]
            conds += [c.like(folded, escape="\\") for c in self.folded_search]
            stmt = stmt.where(or_(*conds))
        return stmt

    def count(self, session: Session, text: str = "") -> int:
        stmt = self._filtered(select(func.count()).select_from(self.source), text)
        return int(session.scalar(stmt) or 0)

    def page(self, session: Session, text: str, sort: int | None, descending: bool,
             offset: int, limit: int) -> list[Row]:
        sort = self.default_sort if sort is None else sort
        order = self.columns[sort].expr
        stmt: Select[Any] = select(*[c.expr for c in self.columns], *self.extra, self.key)
        stmt = self._filtered(stmt.select_from(self.source), text)
        stmt = stmt.order_by(order.desc() if descending else order.asc(),
                             self.key.desc() if descending else self.key.asc())
        return [tuple(r) for r in session.execute(stmt.offset(offset).limit(limit))]

    def cell(self, row: Row, column: int) -> str:
        col = self.columns[column]
        if col.render is not None:
            return col.render(row)
        value = row[column]
        if value is None:
            return ""
        if isinstance(value, Enum):
            return str(value.value).replace("_", " ")
        if isinstance(value, datetime):
            return value.strftime("%Y-%m-%d %H:%M")
        if isinstance(value, date):
            return value.isoformat()
        return str(value)

    def row_key(self, row: Row) -> Any:
        return row[-1]


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
