"""Help > About Backdesk: version, licence and the library versions a support ticket
asks for, with a button that copies all of it as text."""

from __future__ import annotations

from PySide6.QtCore import Qt, qVersion
from PySide6.QtGui import QGuiApplication, QIcon
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QVBoxLayout,
    QWidget,
)

from app.about import ICON, About, about


def about_this_copy() -> About:
    """What app.about knows, plus the Qt this process actually runs (app/ has no Qt)."""
    return about([("Qt", qVersion())])


def _plain(text: str) -> QLabel:
    label = QLabel(text)
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return label


class AboutDialog(QDialog):
    def __init__(self, parent: QWidget | None = None, info: About | None = None) -> None:
        super().__init__(parent)
        self.info = info or about_this_copy()
        self.setWindowTitle(f"About {self.info.product}")
        self.setMinimumWidth(420)

        icon = QLabel()
        icon.setObjectName("aboutIcon")
        icon.setPixmap(QIcon(str(ICON)).pixmap(64, 64))
        title = _plain(self.info.product)
        title.setObjectName("pageTitle")
        self.version = _plain(f"Version {self.info.version}")
        self.version.setObjectName("aboutVersion")
        heading = QVBoxLayout()
        heading.addWidget(title)
        heading.addWidget(self.version)
        heading.addWidget(_plain(f"Licence: {self.info.licence}"))
        heading.addWidget(_plain(self.info.copyright))
        top = QHBoxLayout()
        top.addWidget(icon, 0, Qt.AlignmentFlag.AlignTop)
        top.addSpacing(12)
        top.addLayout(heading, 1)

        self.libraries = QGroupBox("Libraries")
        form = QFormLayout(self.libraries)
        for name, version in self.info.libraries:
            form.addRow(_plain(name), _plain(version))

        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.copy_button = self.buttons.addButton("Copy details",
                                                  QDialogButtonBox.ButtonRole.ActionRole)
        self.copy_button.setToolTip("Copy the version and library details, e.g. for a "
                                    "support request")
        self.copy_button.clicked.connect(self.copy_details)
        self.buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.libraries)
        layout.addWidget(self.buttons)

    def copy_details(self) -> None:
        QGuiApplication.clipboard().setText(self.info.text())
