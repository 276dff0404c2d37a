"""One database worker thread. Widgets submit jobs; results come back as queued signals.

Qt widgets stay on the main thread; every store access from the desktop runs here
(DESIGN.md: one writer, readers never block the UI thread).
"""

from __future__ import annotations

import logging
import queue
from collections.abc import Callable
from typing import Any

import shiboken6
from PySide6.QtCore import QObject, QThread, Signal

from app.errors import BackdeskError

log = logging.getLogger(__name__)

Job = Callable[[], Any]
_STOP = object()


class _Done(QObject):
    finished = Signal(object, object, object)  # callback pair, result, error


class DbWorker(QThread):
    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("backdesk-db")
        self._jobs: queue.Queue[Any] = queue.Queue()
        self._done = _Done()
        self._done.finished.connect(self._deliver)
        self.pending = 0

    def submit(self, job: Job, on_result: Callable[[Any], None] | None = None,
               on_error: Callable[[BaseException], None] | None = None, *,
               owner: QObject | None = None) -> None:
        """Run `job` here; call back on the main thread unless `owner` was deleted
        meanwhile (a view closed or a model replaced while its query ran)."""
        self.pending += 1
        self._jobs.put((job, (on_result, on_error, owner)))

    def run(self) -> None:
        while True:
            item = self._jobs.get()
            if item is _STOP:
                return
            job, callbacks = item
            try:
                result = job()
            except BackdeskError as exc:
                self._done.finished.emit(callbacks, None, exc)
            except Exception as exc:
                log.exception("database job failed")
                self._done.finished.emit(callbacks, None, exc)
            else:
                self._done.finished.emit(callbacks, result, None)

    def _deliver(self, callbacks: tuple[Any, Any, Any], result: Any, error: Any) -> None:
        self.pending -= 1
        on_result, on_error, owner = callbacks
        if owner is not None and not shiboken6.isValid(owner):
            return
        if error is None:
            if on_result is not None:
                on_result(result)
        elif on_error is not None:
            on_error(error)
        else:
            log.error("unhandled database error: %s", error)

    def stop(self) -> None:
        """Finish queued jobs, then end the thread (tests fail if threads are left running)."""
        if self.isRunning():
            self._jobs.put(_STOP)
            self.wait()
