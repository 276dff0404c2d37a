"""Help > About and `backdesk --version`: one version, the licence, the library versions."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

import requests
import sqlalchemy
import sqlcipher3
import websocket
from PySide6 import __version__ as pyside_version
from PySide6.QtCore import QSettings, qVersion
from PySide6.QtGui import QGuiApplication, QIcon
from PySide6.QtWidgets import QApplication, QLabel
from reportlab import Version as reportlab_version

from app.about import ICON, LICENCE, NOT_FOUND, about, installed_version
from app.services.workspace import Desk, workspace_info
from app.version import __version__
from tests.ui.conftest import not_blank
from ui.dialogs.about import AboutDialog
from ui.main_window import MainWindow
from ui.worker import DbWorker

ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "screenshots"


def test_version_comes_from_one_place() -> None:
    """pyproject reads app/version.py; the console script prints it exactly."""
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert "version" not in pyproject["project"]
    assert pyproject["tool"]["setuptools"]["dynamic"]["version"] == {
        "attr": "app.version.__version__"}
    script = Path(sys.executable).with_name("backdesk")
    r = subprocess.run([str(script), "--version"], capture_output=True, text=True,
                       timeout=60, check=False)
    assert r.returncode == 0, r.stderr
    assert r.stdout == f"Backdesk {__version__}\n"


def test_licence_matches_pyproject() -> None:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert pyproject["project"]["license"] == f"LicenseRef-{LICENCE}"


def test_library_versions_are_the_ones_running() -> None:
    info = about([("Qt", "6.x")])
    versions = dict(info.libraries)
    assert list(versions) == ["Python", "Qt", "PySide6", "SQLCipher", "SQLite", "SQLAlchemy",
                              "reportlab", "requests", "websocket-client"]
    assert versions["Python"] == ".".join(map(str, sys.version_info[:3]))
    assert versions["Qt"] == "6.x"
    assert versions["PySide6"] == pyside_version
    assert versions["SQLCipher"].startswith("4.")  # DESIGN.md: SQLCipher 4
    assert versions["SQLite"] == sqlcipher3.sqlite_version
    assert versions["SQLAlchemy"] == sqlalchemy.__version__
    assert versions["reportlab"] == reportlab_version
    assert versions["requests"] == requests.__version__
    assert versions["websocket-client"] == websocket.__version__
    assert info.version == __version__ and info.licence == "Proprietary"
    text = info.text()
    assert text.splitlines()[0] == f"Backdesk {__version__}"
    assert f"SQLCipher: {versions['SQLCipher']}" in text
    assert installed_version("no-such-distribution-here") == NOT_FOUND


def test_about_dialog_shows_version_licence_and_libraries(qtbot) -> None:
    dialog = AboutDialog()
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    shown = [label.text() for label in dialog.findChildren(QLabel)]
    assert f"Version {__version__}" in shown
    assert "Licence: Proprietary" in shown
    for name, version in dialog.info.libraries:
        assert name in shown and version in shown, name
        assert version != NOT_FOUND, name
    assert ("Qt", qVersion()) in dialog.info.libraries
    icon = dialog.findChild(QLabel, "aboutIcon")
    assert icon is not None and not icon.pixmap().isNull()
    SHOTS.mkdir(exist_ok=True)
    dialog.grab().save(str(SHOTS / "about.png"))
    assert not_blank(SHOTS / "about.png") > 20
    dialog.copy_button.click()
    copied = QGuiApplication.clipboard().text()
    assert copied == dialog.info.text() and f"Backdesk {__version__}" in copied


def test_help_menu_opens_about(qtbot, desk: Desk, worker: DbWorker, tmp_path: Path) -> None:
    settings = QSettings(str(tmp_path / "backdesk.ini"), QSettings.Format.IniFormat)
    window = MainWindow(desk, workspace_info(desk.store), worker, settings)
    qtbot.addWidget(window)
    window.show()
    (help_menu,) = [a.menu() for a in window.menuBar().actions() if a.text() == "&Help"]
    assert [a.text() for a in help_menu.actions()] == ["&About Backdesk…"]
    window.about_action.trigger()
    dialogs = window.findChildren(AboutDialog)
    assert len(dialogs) == 1
    qtbot.waitExposed(dialogs[0])
    assert dialogs[0].isVisible() and dialogs[0].windowTitle() == "About Backdesk"
    dialogs[0].close()


def test_the_icon_is_an_svg_qt_draws(qapp: QApplication) -> None:
    assert ICON.is_file()
    icon = QIcon(str(ICON))
    assert not icon.isNull()
    assert not icon.pixmap(48, 48).toImage().isNull()
