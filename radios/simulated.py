"""Working fakes chosen by configuration (`sim:`): a rotator that slews in (injected) time, a rig."""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable

from radios.rig import RigMode, check_frequency, check_mode
from radios.rotator import Pointing, RotatorLimits


def _approach(start: float, target: float, rate_per_s: float, elapsed_s: float) -> float:
    step = rate_per_s * elapsed_s
    if abs(target - start) <= step:
        return target
    return start + math.copysign(step, target - start)


class SimulatedRotator:
    """Slews each axis at the configured rate toward the last target, along the logical azimuth axis
    (no wrap), as a cable-wrapped rotator does. Time comes from `monotonic` (seconds)."""

    def __init__(
        self,
        limits: RotatorLimits,
        *,
        monotonic: Callable[[], float] = time.monotonic,
        start: Pointing | None = None,
    ) -> None:
        self._limits = limits
        self._monotonic = monotonic
        self._lock = threading.Lock()
        self._origin = start if start is not None else limits.park
        self._target = self._origin
        self._since_s = monotonic()
        self.commands_sent = 0

    @property
    def limits(self) -> RotatorLimits:
        return self._limits

    @property
    def name(self) -> str:
        return "sim:"

    def _now_position(self) -> Pointing:
        elapsed_s = max(0.0, self._monotonic() - self._since_s)
        return Pointing(
            _approach(
                self._origin.azimuth_deg, self._target.azimuth_deg, self._limits.azimuth_slew_deg_s, elapsed_s
            ),
            _approach(
                self._origin.elevation_deg,
                self._target.elevation_deg,
                self._limits.elevation_slew_deg_s,
                elapsed_s,
            ),
        )

    def _retarget(self, target: Pointing) -> None:
        with self._lock:
            self._origin = self._now_position()
            self._since_s = self._monotonic()
            self._target = target
            self.commands_sent += 1

    def move_to(self, azimuth_deg: float, elevation_deg: float) -> None:
        self._limits.check(azimuth_deg, elevation_deg)
        self._retarget(Pointing(azimuth_deg, elevation_deg))

    def position(self) -> Pointing:
        with self._lock:
            return self._now_position()

    def stop(self) -> None:
        with self._lock:
            here = self._now_position()
        self._retarget(here)

    def park(self) -> None:
        self.move_to(self._limits.park_azimuth_deg, self._limits.park_elevation_deg)

    def close(self) -> None:
        """Nothing to release."""


class SimulatedRig:
    """A transceiver that remembers what it was told, validating like `RigctldRig`."""

    def __init__(self, *, frequency_hz: float = 145_000_000.0) -> None:
        self._frequency_hz = frequency_hz
        self._tx_frequency_hz = frequency_hz
        self._mode = RigMode("FM", 15_000)
        self._split = False
        self._ptt = False
        self.commands_sent = 0

    @property
    def name(self) -> str:
        return "sim:"

    def set_frequency(self, frequency_hz: float) -> None:
        self._frequency_hz = float(check_frequency(frequency_hz))
        self.commands_sent += 1

    def frequency(self) -> float:
        return self._frequency_hz

    def set_mode(self, mode: str, passband_hz: int = 0) -> None:
        check_mode(mode, passband_hz)
        self._mode = RigMode(mode, passband_hz)
        self.commands_sent += 1

    def mode(self) -> RigMode:
        return self._mode

    def set_split(self, enabled: bool, tx_vfo: str = "VFOB") -> None:
        self._split = enabled
        self.commands_sent += 1

    def split(self) -> bool:
        return self._split

    def set_tx_frequency(self, frequency_hz: float) -> None:
        self._tx_frequency_hz = float(check_frequency(frequency_hz, "TX frequency"))
        self.commands_sent += 1

    def tx_frequency(self) -> float:
        return self._tx_frequency_hz

    def set_ptt(self, on: bool) -> None:
        self._ptt = on
        self.commands_sent += 1

    def ptt(self) -> bool:
        return self._ptt

    def close(self) -> None:
        """Nothing to release."""
