"""The settings dialog's "Test" buttons: open a rotator or rig off the GUI thread, read it once, close
it, and report its position / frequency or the one-line error."""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal

from groundstation.clock import Clock, SystemClock
from groundstation.station.engage import open_station_rotator
from radios.errors import DeviceError
from radios.registry import open_rig
from ui.background import Background

TEST_TIMEOUT_S = 3.0


def read_rotator(uri: str, clock: Clock, timeout_s: float = TEST_TIMEOUT_S) -> str:
    """One line: where the rotator at `uri` points (and its limits, and why they are assumed)."""
    opened = open_station_rotator(uri, clock, timeout_s=timeout_s)
    try:
        position = opened.rotator.position()
        limits = opened.rotator.limits
    finally:
        opened.rotator.close()
    text = (
        f"az {position.azimuth_deg:.1f}°  el {position.elevation_deg:.1f}°  "
        f"(az {limits.azimuth_min_deg:g}..{limits.azimuth_max_deg:g}°, "
        f"el {limits.elevation_min_deg:g}..{limits.elevation_max_deg:g}°)"
    )
    return f"{text}; {opened.note}" if opened.note else text


def read_rig(uri: str, timeout_s: float = TEST_TIMEOUT_S) -> str:
    """One line: the rig at `uri`'s frequency and mode."""
    rig = open_rig(uri, timeout_s=timeout_s)
    try:
        frequency_hz = rig.frequency()
        mode = rig.mode()
    finally:
        rig.close()
    return f"{frequency_hz / 1e6:.6f} MHz  {mode.mode}"


class DeviceTester(QObject):
    """`test_rotator(uri)` / `test_rig(uri)`; the answer comes as `result(kind, ok, text)`."""

    result = Signal(str, bool, str)  # "rotator" or "rig", reached, position/frequency or the error

    def __init__(self, clock: Clock | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._clock = clock if clock is not None else SystemClock()
        self._worker = Background("device-test", self)
        self._worker.done.connect(lambda kind, text: self.result.emit(kind, True, text))
        self._worker.failed.connect(lambda kind, text: self.result.emit(kind, False, text))

    def test_rotator(self, uri: str) -> None:
        clock = self._clock
        self._worker.submit("rotator", lambda: _one_line(lambda: read_rotator(uri, clock)))

    def test_rig(self, uri: str) -> None:
        self._worker.submit("rig", lambda: _one_line(lambda: read_rig(uri)))

    def busy(self, kind: str) -> bool:
        return self._worker.busy(kind)

    def shutdown(self) -> None:
        self._worker.stop()


def _one_line(read: object) -> str:
    assert callable(read)
    try:
        return str(read())
    except (DeviceError, OSError, ValueError) as exc:  # reported as a failure, on one line
        raise RuntimeError(" ".join(str(exc).split()) or type(exc).__name__) from None
