"""A KYC document inside the app: images and PDFs, zoom, rotate, page by page.

The bytes come from the encrypted store and stay in memory: a PDF is read from a
QBuffer, never from a temporary file, so no plaintext copy reaches the disk.
"""

from __future__ import annotations

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QSize, Qt, Signal
from PySide6.QtGui import (
    QImage,
    QKeySequence,
    QPainter,
    QPixmap,
    QResizeEvent,
    QShortcut,
    QTransform,
)
from PySide6.QtPdf import QPdfDocument
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QScrollArea,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

ZOOM_STEPS = (0.25, 0.33, 0.5, 0.67, 0.75, 1.0, 1.25, 1.5, 2.0, 3.0, 4.0)
PDF_DPI = 110  # sharp enough to read an ID number at 100 %, cheap to render


class DocumentViewer(QWidget):
    """Shows one document. `show_document(data, mime)`; the toolbar does the rest."""

    page_changed = Signal(int, int)  # page index, page count

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._pdf: QPdfDocument | None = None
        self._buffer: QBuffer | None = None
        self._image: QImage | None = None
        self.page = 0
        self.pages = 0
        self.zoom = 1.0
        self.rotation = 0
        self.fit = True
        self.canvas = QLabel()
        self.canvas.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.scroller = QScrollArea()
        self.scroller.setWidget(self.canvas)
        self.scroller.setWidgetResizable(True)
        self.scroller.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setObjectName("viewerMessage")
        self.message.hide()
        self.page_label = QLabel()
        self.page_label.setMinimumWidth(self.fontMetrics().horizontalAdvance("Page 888 of 888"))
        bar = QHBoxLayout()
        self.buttons: dict[str, QToolButton] = {}
        for name, text, tip, slot in (
                ("previous", "◀", "Previous page (Page Up)", self.previous_page),
                ("next", "▶", "Next page (Page Down)", self.next_page),
                ("zoom_out", "−", "Zoom out (Ctrl+-)", self.zoom_out),
                ("zoom_in", "+", "Zoom in (Ctrl++)", self.zoom_in),
                ("fit", "Fit", "Fit to the window (Ctrl+0)", self.fit_to_window),
                ("rotate_left", "⟲", "Rotate left ([)", self.rotate_left),
                ("rotate_right", "⟳", "Rotate right (])", self.rotate_right)):
            button = QToolButton()
            button.setText(text)
            button.setToolTip(tip)
            button.clicked.connect(slot)
            self.buttons[name] = button
            bar.addWidget(button)
            if name == "next":
                bar.addWidget(self.page_label)
                bar.addSpacing(12)
        bar.addStretch(1)
        self.zoom_label = QLabel()
        self.zoom_label.setMinimumWidth(self.fontMetrics().horizontalAdvance("888 %"))
        self.zoom_label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        bar.addWidget(self.zoom_label)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(bar)
        layout.addWidget(self.message)
        layout.addWidget(self.scroller, 1)
        for keys, slot in ((QKeySequence.StandardKey.MoveToPreviousPage, self.previous_page),
                           (QKeySequence.StandardKey.MoveToNextPage, self.next_page),
                           (QKeySequence.StandardKey.ZoomIn, self.zoom_in),
                           (QKeySequence.StandardKey.ZoomOut, self.zoom_out),
                           (QKeySequence("Ctrl+0"), self.fit_to_window),
                           (QKeySequence("["), self.rotate_left),
                           (QKeySequence("]"), self.rotate_right)):
            QShortcut(QKeySequence(keys), self, slot)
        self._set_enabled(False)

    # -- loading ------------------------------------------------------------------------

    def show_document(self, data: bytes, mime: str) -> bool:
        """Show `data`; False (and a message saying why) when it cannot be shown."""
        self.clear()
        if mime == "application/pdf":
            self._buffer = QBuffer(self)
            self._buffer.setData(QByteArray(data))
            self._buffer.open(QIODevice.OpenModeFlag.ReadOnly)
            self._pdf = QPdfDocument(self)
            self._pdf.load(self._buffer)
            if self._pdf.status() != QPdfDocument.Status.Ready or self._pdf.pageCount() < 1:
                return self._refuse("This PDF cannot be opened: the file is damaged or "
                                    "password-protected.")
            self.pages = self._pdf.pageCount()
        else:
            image = QImage.fromData(QByteArray(data))
            if image.isNull():
                return self._refuse("This image cannot be shown: the file is damaged or in "
                                    "a format the viewer does not read.")
            self._image, self.pages = image, 1
        self._set_enabled(True)
        self._render()
        return True

    def clear(self) -> None:
        if self._pdf is not None:
            self._pdf.close()
            self._pdf.deleteLater()
        if self._buffer is not None:
            self._buffer.close()
            self._buffer.setData(QByteArray())  # the document's bytes leave memory with it
            self._buffer.deleteLater()
        self._pdf, self._buffer, self._image = None, None, None
        self.page, self.pages, self.rotation, self.fit = 0, 0, 0, True
        self.canvas.clear()
        self.message.hide()
        self._set_enabled(False)
        self.page_label.setText("")
        self.zoom_label.setText("")

    def _refuse(self, text: str) -> bool:
        self.message.setText(text)
        self.message.show()
        return False

    def _set_enabled(self, on: bool) -> None:
        for button in self.buttons.values():
            button.setEnabled(on)

    # -- actions ------------------------------------------------------------------------

    def next_page(self) -> None:
        self.go_to(self.page + 1)

    def previous_page(self) -> None:
        self.go_to(self.page - 1)

    def go_to(self, page: int) -> None:
        if self.pages and 0 <= page < self.pages and page != self.page:
            self.page = page
            self._render()

    def zoom_in(self) -> None:
        self._zoom_to(next((z for z in ZOOM_STEPS if z > self.zoom + 1e-6), ZOOM_STEPS[-1]))

    def zoom_out(self) -> None:
        smaller = [z for z in ZOOM_STEPS if z < self.zoom - 1e-6]
        self._zoom_to(smaller[-1] if smaller else ZOOM_STEPS[0])

    def fit_to_window(self) -> None:
        self.fit = True
        self._render()

    def rotate_left(self) -> None:
        self.rotation = (self.rotation - 90) % 360
        self._render()

    def rotate_right(self) -> None:
        self.rotation = (self.rotation + 90) % 360
        self._render()

    def _zoom_to(self, zoom: float) -> None:
        if self.pages:
            self.fit, self.zoom = False, zoom
            self._render()

    # -- drawing ------------------------------------------------------------------------

    def page_image(self) -> QImage | None:
        """The current page at 100 %, unrotated."""
        if self._image is not None:
            return self._image
        if self._pdf is None:
            return None
        points = self._pdf.pagePointSize(self.page)
        size = QSize(round(points.width() * PDF_DPI / 72), round(points.height() * PDF_DPI / 72))
        page = QImage(size, QImage.Format.Format_RGB32)
        page.fill(Qt.GlobalColor.white)  # PDF pages render onto transparency
        painter = QPainter(page)
        painter.drawImage(0, 0, self._pdf.render(self.page, size))
        painter.end()
        return page

    def _render(self) -> None:
        image = self.page_image()
        if image is None:
            return
        if self.rotation:
            image = image.transformed(QTransform().rotate(self.rotation))
        if self.fit:
            room = self.scroller.viewport().size()
            if room.width() > 20 and room.height() > 20:
                self.zoom = min(room.width() / image.width(), room.height() / image.height(),
                                2.0)
        pixmap = QPixmap.fromImage(image)
        if abs(self.zoom - 1.0) > 1e-6:
            pixmap = pixmap.scaled(round(image.width() * self.zoom),
                                   round(image.height() * self.zoom),
                                   Qt.AspectRatioMode.KeepAspectRatio,
                                   Qt.TransformationMode.SmoothTransformation)
        self.canvas.setPixmap(pixmap)
        self.page_label.setText(f"Page {self.page + 1} of {self.pages}")
        self.zoom_label.setText(f"{round(self.zoom * 100)} %")
        self.buttons["previous"].setEnabled(self.page > 0)
        self.buttons["next"].setEnabled(self.page < self.pages - 1)
        self.page_changed.emit(self.page, self.pages)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        if self.fit and self.pages:
            self._render()
