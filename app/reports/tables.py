"""Tables that run over many pages, each page starting with the column titles.

One reportlab Table of thousands of rows re-measures every remaining row at each
page break (DESIGN.md: a 10k-row table takes ~4x longer as one Table than in
chunks). Here each row is measured once, and each page gets a Table of just the rows
that fit it, so layout cost grows with the rows, not with rows times pages.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from reportlab.lib import colors
from reportlab.lib.styles import ParagraphStyle
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.platypus import Flowable, Paragraph, Table, TableStyle

from app.reports.document import Styles
from app.reports.text import markup, visual

PAD_H = 3.0
PAD_V = 2.0
HEADER_FILL = colors.HexColor("#E4E7EB")
RULE = colors.HexColor("#C8CCD2")
TOTAL_FILL = colors.HexColor("#F3F4F6")


@dataclass(frozen=True)
class Column:
    title: str
    width: float
    align: Literal["left", "right"] = "left"
    # Wrapped columns hold free text (descriptions, names); others stay on one line.
    wrap: bool = False


@dataclass(frozen=True)
class Row:
    cells: Sequence[str]
    # Opening, closing and total lines stand out from the postings between them.
    total: bool = False


class PagedTable(Flowable):  # type: ignore[misc]
    def __init__(self, columns: Sequence[Column], rows: Sequence[Row], styles: Styles,
                 *, header: bool = True,
                 _measured: tuple[list[list[Any]], list[float]] | None = None) -> None:
        super().__init__()
        self.show_header = header
        self.columns = list(columns)
        self.rows = list(rows)
        self.styles = styles
        self._cell_styles: dict[tuple[str, bool], ParagraphStyle] = {}
        self.cells, self.heights = _measured or self._measure()
        self.header_height = self._header_height()

    def _style(self, align: str, bold: bool) -> ParagraphStyle:
        key = (align, bold)
        if key not in self._cell_styles:
            base = self.styles.cell_bold if bold else self.styles.cell
            self._cell_styles[key] = ParagraphStyle(
                f"cell-{align}-{bold}", parent=base,
                alignment=self.styles.cell_right.alignment if align == "right" else 0)
        return self._cell_styles[key]

    def _measure(self) -> tuple[list[list[Any]], list[float]]:
        fonts, cell = self.styles.fonts, self.styles.cell
        size, leading = cell.fontSize, cell.leading
        cells: list[list[Any]] = []
        heights: list[float] = []
        for row in self.rows:
            font = fonts.bold if row.total else fonts.regular
            out: list[Any] = []
            tallest = leading
            for column, text in zip(self.columns, row.cells, strict=True):
                lines = [visual(line) for line in text.split("\n")]
                room = column.width - 2 * PAD_H
                # A Paragraph costs ~50 times a plain string to lay out and draw; most
                # cells fit their column as they are and need none.
                if not column.wrap or all(stringWidth(x, font, size) <= room for x in lines):
                    out.append("\n".join(lines))
                    tallest = max(tallest, len(lines) * leading)
                    continue
                p = Paragraph("<br/>".join(markup(line) for line in text.split("\n")),
                              self._style(column.align, row.total))
                tallest = max(tallest, p.wrap(room, 1e6)[1])
                out.append(p)
            cells.append(out)
            heights.append(tallest + 2 * PAD_V)
        return cells, heights

    def _header_height(self) -> float:
        if not self.show_header:
            return 0.0
        lines = max(c.title.count("\n") + 1 for c in self.columns)
        return float(lines * self.styles.cell.leading + 2 * PAD_V)

    def wrap(self, avail_width: float, avail_height: float) -> tuple[float, float]:
        self.width = sum(c.width for c in self.columns)
        self.height = self.header_height + sum(self.heights)
        return self.width, self.height

    def split(self, avail_width: float, avail_height: float) -> list[Flowable]:
        room = avail_height - self.header_height
        fit = 0
        while fit < len(self.rows) and self.heights[fit] <= room:
            room -= self.heights[fit]
            fit += 1
        if fit == 0:
            return []  # not even one row here: the frame moves on to the next page
        if fit == len(self.rows):
            return [self]
        rest = PagedTable(self.columns, self.rows[fit:], self.styles, header=self.show_header,
                          _measured=(self.cells[fit:], self.heights[fit:]))
        return [self._table(0, fit), rest]

    def draw(self) -> None:
        table = self._table(0, len(self.rows))
        table.wrapOn(self.canv, self.width, self.height)
        table.drawOn(self.canv, 0, 0)

    def _table(self, start: int, stop: int) -> Table:
        fonts = self.styles.fonts
        data = [[c.title for c in self.columns]] if self.show_header else []
        data += self.cells[start:stop]
        first = 1 if self.show_header else 0  # the row index of the first body row
        commands: list[tuple[Any, ...]] = [
            ("FONTNAME", (0, 0), (-1, -1), fonts.regular),
            ("FONTSIZE", (0, 0), (-1, -1), self.styles.cell.fontSize),
            ("LEADING", (0, 0), (-1, -1), self.styles.cell.leading),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("LEFTPADDING", (0, 0), (-1, -1), PAD_H),
            ("RIGHTPADDING", (0, 0), (-1, -1), PAD_H),
            ("TOPPADDING", (0, 0), (-1, -1), PAD_V),
            ("BOTTOMPADDING", (0, 0), (-1, -1), PAD_V),
            ("LINEBELOW", (0, 0), (-1, -1), 0.25, RULE),
        ]
        if self.show_header:
            commands += [("FONTNAME", (0, 0), (-1, 0), fonts.bold),
                         ("BACKGROUND", (0, 0), (-1, 0), HEADER_FILL)]
        for i, column in enumerate(self.columns):
            if column.align == "right":
                commands.append(("ALIGN", (i, 0), (i, -1), "RIGHT"))
        for n, row in enumerate(self.rows[start:stop], start=first):
            if row.total:
                commands += [("FONTNAME", (0, n), (-1, n), fonts.bold),
                             ("BACKGROUND", (0, n), (-1, n), TOTAL_FILL)]
        return Table(data, colWidths=[c.width for c in self.columns],
                     rowHeights=[self.header_height] * first + self.heights[start:stop],
                     style=TableStyle(commands), hAlign="LEFT")
