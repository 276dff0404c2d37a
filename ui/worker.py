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
Callbacks = tuple[Callable[[Any], None] | None, Callable[[BaseException], None] | None,
                  QObject | None]
_STOP = object()


class _Done(QObject):
    finished = Signal(int, object, object)  # job number, result, error


class DbWorker(QThread):
    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("backdesk-db")
        self._jobs: queue.Queue[Any] = queue.Queue()
        self._done = _Done()
        self._done.finished.connect(self._deliver)
        self.pending = 0
        self._number = 0
        # Jobs and their callbacks stay referenced here, on the main thread, until
        # delivered: the worker thread must never drop the last reference to a
        # callback, since that can free a widget from the wrong thread (a crash).
        self._waiting: dict[int, tuple[Job, Callbacks]] = {}

    def submit(self, job: Job, on_result: Callable[[Any], None] | None = None,
               on_error: Callable[[BaseException], None] | None = None, *,
               owner: QObject | None = None) -> None:
        """Run `job` here; call back on the main thread unless `owner` was deleted
        meanwhile (a view closed or a model replaced while its query ran)."""
        self.pending += 1
        self._number += 1
        self._waiting[self._number] = (job, (on_result, on_error, owner))
        self._jobs.put((self._number, job))

    def run(self) -> None:
        while True:
            item = self._jobs.get()
            if item is _STOP:
                return
            number, job = item
            del item
            result: Any = None
            error: BaseException | None = None
            try:
                result = job()
            except BackdeskError as exc:
                error = exc
            except Exception as exc:
                log.exception("database job failed")
                error = exc
            del job  # the main thread still holds it in _waiting
            if error is not None:  # its frames could hold what the job closed over
                error = error.with_traceback(None)
            self._done.finished.emit(number, result, error)
            del result, error

    def _deliver(self, number: int, result: Any, error: Any) -> None:
        self.pending -= 1
        _job, callbacks = self._waiting.pop(number)
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
