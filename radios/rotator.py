"""Antenna rotators: configured limits, a pointing value and the one `Rotator` protocol.

Azimuth is a *logical* angle that may run past 360° (cable wrap with overlap, e.g. 0..450) or
below 0° (e.g. -180..540): the planner chooses which of the equivalent angles to send, the rotator
moves along that axis without wrapping. Elevation may run to 180° on flip-capable rotators.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Protocol

from radios.errors import DeviceConfigError, LimitError

FULL_TURN_DEG = 360.0


@dataclass(frozen=True)
class Pointing:
    """An antenna direction in the rotator's logical axes (degrees)."""

    azimuth_deg: float
    elevation_deg: float


@dataclass(frozen=True)
class RotatorLimits:
    """What the configured rotator can do: axis ranges, slew rates and where it parks."""

    azimuth_min_deg: float = 0.0
    azimuth_max_deg: float = 360.0
    elevation_min_deg: float = 0.0
    elevation_max_deg: float = 90.0
    azimuth_slew_deg_s: float = 6.0
    elevation_slew_deg_s: float = 6.0
    park_azimuth_deg: float = 0.0
    park_elevation_deg: float = 90.0

    def __post_init__(self) -> None:
        for name in self.__dataclass_fields__:
            if not math.isfinite(getattr(self, name)):
                raise DeviceConfigError(f"rotator limits: {name} must be a finite number")
        span_deg = self.azimuth_max_deg - self.azimuth_min_deg
        if not FULL_TURN_DEG <= span_deg <= 2 * FULL_TURN_DEG:
            raise DeviceConfigError(
                "rotator limits: azimuth_min_deg..azimuth_max_deg must span 360..720 degrees "
                f"(got {self.azimuth_min_deg:g}..{self.azimuth_max_deg:g})"
            )
        if not 0.0 <= self.elevation_min_deg < self.elevation_max_deg <= 180.0:
            raise DeviceConfigError(
                "rotator limits: need 0 <= elevation_min_deg < elevation_max_deg <= 180 "
                f"(got {self.elevation_min_deg:g}..{self.elevation_max_deg:g})"
            )
        for name in ("azimuth_slew_deg_s", "elevation_slew_deg_s"):
            if getattr(self, name) <= 0:
                raise DeviceConfigError(f"rotator limits: {name} must be > 0")
        if not self.contains(self.park_azimuth_deg, self.park_elevation_deg):
            raise DeviceConfigError(
                f"rotator limits: park position {self.park_azimuth_deg:g}/{self.park_elevation_deg:g} "
                "is outside the azimuth/elevation ranges"
            )

    @property
    def overlap_deg(self) -> float:
        """Azimuth range beyond one full turn (0 for a plain 0..360 rotator)."""
        return self.azimuth_max_deg - self.azimuth_min_deg - FULL_TURN_DEG

    @property
    def can_flip(self) -> bool:
        """True when elevation runs past 90° (flip mode for passes near the zenith)."""
        return self.elevation_max_deg > 90.0

    @property
    def park(self) -> Pointing:
        return Pointing(self.park_azimuth_deg, self.park_elevation_deg)

    def contains(self, azimuth_deg: float, elevation_deg: float) -> bool:
        return (
            self.azimuth_min_deg <= azimuth_deg <= self.azimuth_max_deg
            and self.elevation_min_deg <= elevation_deg <= self.elevation_max_deg
        )

    def check(self, azimuth_deg: float, elevation_deg: float) -> None:
        """Raise `LimitError` for a target the rotator must not be sent to."""
        if not (math.isfinite(azimuth_deg) and math.isfinite(elevation_deg)):
            raise LimitError(f"rotator target {azimuth_deg}/{elevation_deg} is not a finite angle")
        if not self.contains(azimuth_deg, elevation_deg):
            raise LimitError(
                f"rotator target az {azimuth_deg:g}° el {elevation_deg:g}° is outside the limits "
                f"az {self.azimuth_min_deg:g}..{self.azimuth_max_deg:g}° "
                f"el {self.elevation_min_deg:g}..{self.elevation_max_deg:g}°"
            )

    def slew_time_s(self, start: Pointing, end: Pointing) -> float:
        """Time to move between two positions, both axes moving at once (no acceleration)."""
        return max(
            abs(end.azimuth_deg - start.azimuth_deg) / self.azimuth_slew_deg_s,
            abs(end.elevation_deg - start.elevation_deg) / self.elevation_slew_deg_s,
        )


class Rotator(Protocol):
    """One antenna rotator. Calls return within the driver's timeout or raise `DeviceError`."""

    @property
    def limits(self) -> RotatorLimits: ...

    @property
    def name(self) -> str:
        """Where the rotator is (its URI), for messages and logs."""
        ...

    def move_to(self, azimuth_deg: float, elevation_deg: float) -> None:
        """Command a move (returns once sent; the rotator slews at its own rate).

        Raises `LimitError` (nothing sent) outside the configured limits.
        """
        ...

    def position(self) -> Pointing:
        """The position the controller reports now."""
        ...

    def stop(self) -> None: ...

    def park(self) -> None:
        """Move to the configured park position."""
        ...

    def close(self) -> None: ...
