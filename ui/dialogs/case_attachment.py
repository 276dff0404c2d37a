"""A case's attached file in the viewer. The bytes arrive from the encrypted store and
stay in memory: nothing is written to disk to show them."""

from __future__ import annotations

from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QVBoxLayout, QWidget

from app.compliance.attachments import AttachmentFile
from ui.widgets.document_viewer import DocumentViewer


class AttachmentDialog(QDialog):
    def __init__(self, file: AttachmentFile, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(file.file_name)
        self.resize(900, 700)
        heading = QLabel(f"{file.file_name} · {len(file.data) / 1024:,.0f} KB")
        heading.setObjectName("detailTitle")
        self.viewer = DocumentViewer()
        self.shown = self.viewer.show_document(file.data, file.mime_type)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(heading)
        layout.addWidget(self.viewer, 1)
        layout.addWidget(buttons)
        self.finished.connect(lambda _r: self.viewer.clear())

    def closeEvent(self, event: QCloseEvent) -> None:
        self.viewer.clear()  # the document's bytes leave memory with the window
        super().closeEvent(event)
