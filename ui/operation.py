"""A long operation (screening every client, an import) on its own thread, with
progress and a Cancel that the operation honours between batches.

The database worker stays free for the screens meanwhile: the store has one writer
at a time, but the operation writes in short batches, so views keep reading.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QThread, Signal

log = logging.getLogger(__name__)

Progress = Callable[[int, int], None]
Cancelled = Callable[[], bool]


class Operation(QThread):
    progressed = Signal(int, int)   # done, total
    succeeded = Signal(object)
    failed = Signal(object)         # the exception; its message is for the user

    def __init__(self, job: Callable[[Progress, Cancelled], Any],
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("backdesk-operation")
        self._job = job
        self._cancel = threading.Event()

    def cancel(self) -> None:
        self._cancel.set()

    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()

    def run(self) -> None:
        try:
            result = self._job(self.progressed.emit, self._cancel.is_set)
        except Exception as exc:
            log.info("operation stopped: %s", type(exc).__name__)
            self.failed.emit(exc)
        else:
            self.succeeded.emit(result)
