"""Printing a report held in memory: each page of the PDF rendered with QPdfDocument
and drawn onto the printer with QPainter, never through a temporary file.

One page is drawn per turn of the event loop, so a long report prints while the
window keeps answering (rendering must stay on the GUI thread with QPdfDocument).
"""

from __future__ import annotations

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QObject, QRect, QSize, QTimer, Signal
from PySide6.QtGui import QPageLayout, QPageSize, QPainter
from PySide6.QtPdf import QPdfDocument
from PySide6.QtPrintSupport import QPrinter

# Pages are rendered at the printer's resolution up to this: enough for 7.5 pt text,
# and an A4 page stays near 35 MB in memory instead of 550 MB at 1200 dpi.
MAX_DPI = 300


def match_paper(printer: QPrinter, data: bytes) -> None:
    """Set the printer to the report's own paper size (A4, portrait) before the print
    dialog shows, so the person only changes it on purpose."""
    doc = QPdfDocument()
    buffer = QBuffer()
    buffer.setData(QByteArray(data))
    buffer.open(QIODevice.OpenModeFlag.ReadOnly)
    doc.load(buffer)
    if doc.status() == QPdfDocument.Status.Ready and doc.pageCount():
        size = doc.pagePointSize(0)
        printer.setPageSize(QPageSize(size, QPageSize.Unit.Point, "",
                                      QPageSize.SizeMatchPolicy.FuzzyMatch))
        printer.setPageOrientation(QPageLayout.Orientation.Portrait)
    doc.close()
    buffer.close()


class PdfPrintJob(QObject):
    progress = Signal(int, int)  # pages drawn, of
    finished = Signal(int)  # pages printed
    failed = Signal(str)

    def __init__(self, data: bytes, printer: QPrinter, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.printer = printer
        self._buffer = QBuffer(self)
        self._buffer.setData(QByteArray(data))
        self._buffer.open(QIODevice.OpenModeFlag.ReadOnly)
        self._pdf = QPdfDocument(self)
        self._pdf.load(self._buffer)
        self._painter: QPainter | None = None
        self.page = 0
        self.pages = self._pdf.pageCount()

    def start(self) -> None:
        if self._pdf.status() != QPdfDocument.Status.Ready or self.pages < 1:
            self._fail("The report could not be read back for printing.")
            return
        painter = QPainter()
        if not painter.begin(self.printer):
            self._fail("The printer could not be started; check that it is connected.")
            return
        self._painter = painter
        QTimer.singleShot(0, self._draw_next)

    def _draw_next(self) -> None:
        painter = self._painter
        if painter is None:
            return
        if self.page and not self.printer.newPage():
            painter.end()
            self._fail("The printer stopped after page "
                       f"{self.page} of {self.pages}.")
            return
        dpi = min(self.printer.resolution(), MAX_DPI)
        points = self._pdf.pagePointSize(self.page)
        image = self._pdf.render(self.page, QSize(round(points.width() * dpi / 72),
                                                  round(points.height() * dpi / 72)))
        room = painter.viewport()
        scale = min(room.width() / image.width(), room.height() / image.height())
        width, height = round(image.width() * scale), round(image.height() * scale)
        painter.drawImage(QRect(room.x(), room.y(), width, height), image)
        self.page += 1
        self.progress.emit(self.page, self.pages)
        if self.page < self.pages:
            QTimer.singleShot(0, self._draw_next)
            return
        painter.end()
        self._painter = None
        self._release()
        self.finished.emit(self.pages)

    def _fail(self, message: str) -> None:
        self._painter = None
        self._release()
        self.failed.emit(message)

    def _release(self) -> None:
        self._pdf.close()
        self._buffer.close()
        self._buffer.setData(QByteArray())  # the report's bytes leave memory with the job
