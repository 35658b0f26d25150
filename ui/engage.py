"""Engage: a station's rotator (and rig) work the passes of one node, in a worker thread.

Wraps `groundstation.station.engage.EngagedSession` for the views: the session runs as one long job
on its own `Background` thread (so the views' pass searches and rotator readings never wait behind
it); its events come back to the GUI thread as `event(TrackerEvent)`. Jobs queued on the same
thread after the session (closing a rotator it used) run only once the session has parked and
returned.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable

from PySide6.QtCore import QObject, Signal

from groundstation.clock import Clock
from groundstation.station.doppler import FrequencySink
from groundstation.station.engage import EngagedSession, EngageSummary, EngageTarget
from groundstation.station.tracker import TrackerEvent, TrackerSettings
from radios.errors import DeviceConfigError
from radios.registry import open_rig
from radios.rig import Rig
from radios.rotator import Pointing, Rotator
from ui.background import Background

WARNING_KINDS = frozenset({"lost", "warning"})
ERROR_KINDS = frozenset({"error"})


def event_level(event: TrackerEvent) -> str:
    """The event log level of a tracker event."""
    if event.kind in ERROR_KINDS:
        return "error"
    return "warning" if event.kind in WARNING_KINDS else "info"


class EngageController(QObject):
    event = Signal(object)  # TrackerEvent, on the GUI thread
    engaged_changed = Signal(bool)
    _from_worker = Signal(object)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._session: EngagedSession | None = None
        self._jobs = itertools.count(1)
        self.background = Background("engage", self)
        self.background.done.connect(self._job_done)
        self.background.failed.connect(self._job_failed)
        self._from_worker.connect(self.event.emit)  # queued: emitted on the worker thread

    @property
    def engaged(self) -> bool:
        return self._session is not None

    @property
    def session(self) -> EngagedSession | None:
        return self._session

    @property
    def commanded(self) -> Pointing | None:
        return self._session.commanded if self._session is not None else None

    def engage(
        self,
        target: EngageTarget,
        *,
        clock: Clock,
        rate: Callable[[], float],
        rotator: Rotator | None,
        rig_uri: str = "",
        sink: FrequencySink | None = None,
        tracker_settings: TrackerSettings | None = None,
    ) -> bool:
        """Start working `target`'s passes; False (and an error event) when there is nothing to drive.
        Doppler goes to the rig at `rig_uri` or else to `sink` (the station's SDR)."""
        if self._session is not None:
            return True
        rig: Rig | None = None
        if rig_uri:
            try:
                rig = open_rig(rig_uri)
            except DeviceConfigError as exc:
                self.event.emit(TrackerEvent(clock.now(), "error", f"rig: {exc}"))
        sink = sink if rig is None else None
        if rotator is None and rig is None and sink is None:
            self.event.emit(TrackerEvent(clock.now(), "error", "nothing to engage: no rotator and no radio"))
            return False
        session = EngagedSession(
            target,
            clock=clock,
            rotator=rotator,
            rig=rig,
            sink=sink,
            rate=rate,
            on_event=self._from_worker.emit,
            tracker_settings=tracker_settings,
        )
        self._session = session

        def work() -> EngageSummary:
            try:
                return session.run()
            finally:
                if rig is not None:
                    rig.close()

        self.background.submit(("session", session), work)
        self.engaged_changed.emit(True)
        return True

    def disengage(self) -> None:
        """Park and stop; `engaged_changed(False)` follows once the session has returned."""
        if self._session is not None:
            self._session.disengage()

    def wake(self) -> None:
        """The clock jumped or changed pace."""
        if self._session is not None:
            self._session.wake()

    def after_session(self, job: Callable[[], object]) -> None:
        """Run `job` on the worker once the running session (if any) has returned."""
        self.background.submit(("after", next(self._jobs)), job)

    def _job_done(self, key: object, _result: object) -> None:
        if isinstance(key, tuple) and key[0] == "session" and key[1] is self._session:
            self._session = None
            self.engaged_changed.emit(False)

    def _job_failed(self, key: object, text: str) -> None:
        if isinstance(key, tuple) and key[0] == "session" and key[1] is self._session:
            session, self._session = self._session, None
            self.event.emit(TrackerEvent(session.clock.now(), "error", f"tracking stopped: {text}"))
            self.engaged_changed.emit(False)

    def shutdown(self) -> None:
        """Disengage (parking) and end the worker; returns once the session has."""
        self.disengage()
        self.background.stop()
        self._session = None
