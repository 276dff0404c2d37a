from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings

from ui.worker import DbWorker


@pytest.fixture
def settings(tmp_path: Path) -> QSettings:
    return QSettings(str(tmp_path / "backdesk.ini"), QSettings.Format.IniFormat)


@pytest.fixture
def worker(qapp: object) -> Iterator[DbWorker]:
    w = DbWorker()
    w.start()
    yield w
    w.stop()
    assert not w.isRunning()


def not_blank(image_path: Path) -> int:
    """Distinct colours in a screenshot: a blank or unrendered window has one or two."""
    from PySide6.QtGui import QImage

    img = QImage(str(image_path))
    assert not img.isNull(), image_path
    colours = set()
    for y in range(0, img.height(), 4):
        for x in range(0, img.width(), 4):
            colours.add(img.pixel(x, y))
    return len(colours)
