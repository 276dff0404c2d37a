"""The document viewer: images and PDFs from memory, pages, zoom, rotation."""

from __future__ import annotations

import io
from pathlib import Path

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, Qt
from PySide6.QtGui import QColor, QImage, QPainter
from pytestqt.qtbot import QtBot

from tests.ui.conftest import not_blank
from ui.widgets.document_viewer import DocumentViewer


def passport_png(width: int = 600, height: int = 400) -> bytes:
    image = QImage(width, height, QImage.Format.Format_RGB32)
    image.fill(QColor("#e8eef7"))
    painter = QPainter(image)
    painter.fillRect(30, 60, 150, 190, QColor("#8899aa"))
    painter.drawText(220, 100, "PASSPORT  No. X1234567")
    painter.drawText(220, 140, "Surname: PAPADOPOULOU")
    painter.end()
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")  # type: ignore[call-overload]  # QIODevice overload missing in stubs
    return bytes(data.data())


def statement_pdf(pages: int) -> bytes:
    from reportlab.pdfgen import canvas

    out = io.BytesIO()
    c = canvas.Canvas(out)
    for n in range(pages):
        c.setFont("Helvetica", 28)
        c.drawString(72, 700, f"Bank statement page {n + 1}")
        c.showPage()
    c.save()
    return out.getvalue()


def test_image_zoom_and_rotation(qtbot: QtBot, tmp_path: Path) -> None:
    viewer = DocumentViewer()
    qtbot.addWidget(viewer)
    viewer.resize(700, 500)
    viewer.show()
    assert viewer.show_document(passport_png(), "image/png")
    assert (viewer.page, viewer.pages) == (0, 1)
    assert viewer.page_label.text() == "Page 1 of 1"
    viewer.zoom_out()  # leaves "fit": a fixed step
    viewer.zoom = 1.0
    viewer.zoom_in()
    assert viewer.zoom == 1.25 and viewer.zoom_label.text() == "125 %"
    wide = viewer.canvas.pixmap().size()
    assert (wide.width(), wide.height()) == (750, 500)
    viewer.rotate_right()
    tall = viewer.canvas.pixmap().size()
    assert (tall.width(), tall.height()) == (500, 750)  # a scan made sideways, set upright
    viewer.rotate_left()
    viewer.rotate_left()
    assert viewer.rotation == 270
    shot = tmp_path / "viewer-image.png"
    viewer.grab().save(str(shot))
    assert not_blank(shot) > 3


def test_pdf_pages_from_memory(qtbot: QtBot, tmp_path: Path) -> None:
    viewer = DocumentViewer()
    qtbot.addWidget(viewer)
    viewer.resize(600, 700)
    viewer.show()
    assert viewer.show_document(statement_pdf(3), "application/pdf")
    assert viewer.pages == 3
    assert not viewer.buttons["previous"].isEnabled()
    with qtbot.waitSignal(viewer.page_changed) as changed:
        viewer.next_page()
    assert changed.args == [1, 3]
    viewer.next_page()
    viewer.next_page()  # already on the last page: stays
    assert viewer.page == 2 and not viewer.buttons["next"].isEnabled()
    assert viewer.page_label.text() == "Page 3 of 3"
    viewer.activateWindow()
    qtbot.waitUntil(viewer.isActiveWindow)
    qtbot.keyClick(viewer.scroller, Qt.Key.Key_PageUp)  # type: ignore[no-untyped-call]
    assert viewer.page == 1
    page = viewer.page_image()
    assert page is not None and page.height() > page.width()  # A4 portrait
    shot = tmp_path / "viewer-pdf.png"
    viewer.grab().save(str(shot))
    assert not_blank(shot) > 3


def test_damaged_files_say_so(qtbot: QtBot) -> None:
    viewer = DocumentViewer()
    qtbot.addWidget(viewer)
    assert not viewer.show_document(b"%PDF-1.4 truncated", "application/pdf")
    assert "cannot be opened" in viewer.message.text()
    assert not viewer.buttons["next"].isEnabled()
    assert not viewer.show_document(b"\x89PNG\r\n\x1a\n garbage", "image/png")
    assert "cannot be shown" in viewer.message.text()
    assert viewer.show_document(passport_png(), "image/png")
    assert viewer.message.isHidden()
