"""The PySide6 6.12.0 / Python 3.11 trap (DESIGN.md): a void Qt call drops None's
refcount and the process aborts after ~5,000 calls. Run 20,000 of each in a child
process so an abort fails this test instead of killing the suite."""

from __future__ import annotations

import subprocess
import sys

import PySide6

CHILD = """
import os
os.environ["QT_QPA_PLATFORM"] = "offscreen"
from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtWidgets import QApplication, QWidget

class Emitter(QObject):
    fired = Signal(int)

app = QApplication([])
w = QWidget()
timer = QTimer()
got = []
e = Emitter()
e.fired.connect(got.append)
for i in range(20_000):
    w.setWindowTitle("t")
    w.update()
    timer.stop()
    app.processEvents()
for i in range(20_000):
    e.fired.emit(i)
assert len(got) == 20_000
print("survived")
"""


def test_installed_pyside_is_outside_the_broken_range() -> None:
    major, minor = (int(p) for p in PySide6.__version__.split(".")[:2])
    assert sys.version_info >= (3, 12) or (major, minor) < (6, 12), PySide6.__version__


def test_twenty_thousand_void_calls_and_emits_survive() -> None:
    r = subprocess.run([sys.executable, "-c", CHILD], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]
    assert "survived" in r.stdout
