"""One background thread per view for slow work (pass searches, planning, signing, archive queries).

`submit(key, job)` runs `job()` in the thread; its result comes back on the GUI thread through
`done(key, result)` (or `failed(key, text)`). Jobs under one key are latest-wins: a job that is
still waiting when a newer one with the same key is submitted is dropped unrun, so a view that
asks again and again (every selection change, every tick) never builds a backlog.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QThread, Signal, Slot


class _Runner(QObject):
    finished = Signal(object, int, object)  # key, ticket, result
    crashed = Signal(object, int, str)  # key, ticket, message

    def __init__(self, latest: dict[object, int], lock: threading.Lock) -> None:
        super().__init__()
        self._latest = latest
        self._lock = lock

    @Slot(object, int, object)
    def run(self, key: object, ticket: int, job: Callable[[], Any]) -> None:
        with self._lock:
            if self._latest.get(key) != ticket:
                return  # a newer job with this key is queued behind this one
        try:
            result = job()
        except Exception as exc:  # reported to the view; the thread keeps serving
            self.crashed.emit(key, ticket, str(exc) or type(exc).__name__)
            return
        self.finished.emit(key, ticket, result)


class Background(QObject):
    done = Signal(object, object)  # key, result (only the newest job of each key reports)
    failed = Signal(object, str)  # key, one-line message
    _start = Signal(object, int, object)

    def __init__(self, name: str, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._tickets = itertools.count(1)
        self._latest: dict[object, int] = {}
        self._lock = threading.Lock()
        self._pending: set[object] = set()
        self._thread = QThread(self)
        self._thread.setObjectName(name)
        self._runner = _Runner(self._latest, self._lock)
        self._runner.moveToThread(self._thread)
        self._start.connect(self._runner.run)
        self._runner.finished.connect(self._finished)
        self._runner.crashed.connect(self._crashed)
        self._thread.finished.connect(self._runner.deleteLater)
        self._thread.start()
        self._stopped = False

    def submit(self, key: object, job: Callable[[], Any]) -> None:
        if self._stopped:
            return
        ticket = next(self._tickets)
        with self._lock:
            self._latest[key] = ticket
        self._pending.add(key)
        self._start.emit(key, ticket, job)

    def busy(self, key: object | None = None) -> bool:
        """Whether a job (under `key`, or any) has not reported yet."""
        return bool(self._pending) if key is None else key in self._pending

    def _current(self, key: object, ticket: int) -> bool:
        with self._lock:
            return self._latest.get(key) == ticket

    def _finished(self, key: object, ticket: int, result: object) -> None:
        if self._current(key, ticket) and not self._stopped:
            self._pending.discard(key)
            self.done.emit(key, result)

    def _crashed(self, key: object, ticket: int, message: str) -> None:
        if self._current(key, ticket) and not self._stopped:
            self._pending.discard(key)
            self.failed.emit(key, message)

    def stop(self) -> None:
        """Finish the running job, drop the queued ones and end the thread."""
        if not self._stopped:
            self._stopped = True
            with self._lock:
                self._latest.clear()
            self._thread.quit()
            self._thread.wait()
