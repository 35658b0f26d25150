"""Orbit-driven inputs of the simulation, from the tracking engine: sunlight per node, and the
geometry of each contact (elevation, range, range rate and its derivative) on a 1 s grid."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from tracking.frames import FloatArray
from tracking.geometry import GroundLocation
from tracking.look import look_angles, sunlit
from tracking.propagation import Propagator

SUNLIT_STEP_S = 30.0
GEOMETRY_STEP_S = 1.0


class SunlitTable:
    """Whether each satellite is in sunlight, sampled every SUNLIT_STEP_S, extended on demand."""

    def __init__(self, propagator: Propagator, start_s: float) -> None:
        self.propagator = propagator
        self.start_s = math.floor(start_s / SUNLIT_STEP_S) * SUNLIT_STEP_S
        self._table = np.zeros((len(propagator), 0), dtype=bool)

    @property
    def end_s(self) -> float:
        return self.start_s + self._table.shape[1] * SUNLIT_STEP_S

    def extend(self, until_s: float) -> None:
        if until_s < self.end_s:
            return
        count = math.ceil((until_s - self.end_s) / SUNLIT_STEP_S) + 1
        times_s = self.end_s + np.arange(count, dtype=np.float64) * SUNLIT_STEP_S
        states = self.propagator.propagate(times_s)
        self._table = np.concatenate((self._table, sunlit(states)), axis=1)

    def sunlit_at(self, index: int, time_s: float) -> bool:
        """Sunlight at the sample containing `time_s` (extends the table when needed)."""
        if time_s >= self.end_s:
            self.extend(time_s + 6 * 3600.0)
        column = int((time_s - self.start_s) // SUNLIT_STEP_S)
        return bool(self._table[index, max(0, column)])


@dataclass(frozen=True)
class LinkGeometry:
    elevation_deg: float
    azimuth_deg: float
    range_m: float
    range_rate_m_s: float  # > 0: receding
    range_accel_m_s2: float


@dataclass(frozen=True, eq=False)
class ContactGeometry:
    """One satellite seen from one station over a time span, sampled every GEOMETRY_STEP_S."""

    times_s: FloatArray
    azimuth_deg: FloatArray
    elevation_deg: FloatArray
    range_km: FloatArray
    range_rate_m_s: FloatArray

    @classmethod
    def compute(
        cls, propagator: Propagator, index: int, location: GroundLocation, start_s: float, end_s: float
    ) -> ContactGeometry:
        count = max(2, math.ceil((end_s - start_s) / GEOMETRY_STEP_S) + 1)
        times_s = np.linspace(start_s, end_s, count)
        states = propagator.propagate(times_s, np.array([index]))
        look = look_angles(states, location)
        return cls(
            times_s, look.azimuth_deg[0], look.elevation_deg[0], look.range_km[0], look.range_rate_m_s[0]
        )

    def at(self, time_s: float) -> LinkGeometry | None:
        """Interpolated geometry at `time_s`; None outside the sampled span."""
        if not self.times_s[0] <= time_s <= self.times_s[-1]:
            return None
        i = int(np.clip(np.searchsorted(self.times_s, time_s, side="right") - 1, 0, self.times_s.size - 2))
        t0, t1 = self.times_s[i], self.times_s[i + 1]
        w = (time_s - t0) / (t1 - t0)

        def mix(values: FloatArray) -> float:
            return float(values[i] * (1.0 - w) + values[i + 1] * w)

        azimuth = float(
            np.degrees(np.angle(np.exp(1j * np.radians(self.azimuth_deg[i : i + 2])) @ [1 - w, w]))
        )
        return LinkGeometry(
            elevation_deg=mix(self.elevation_deg),
            azimuth_deg=azimuth % 360.0,
            range_m=mix(self.range_km) * 1000.0,
            range_rate_m_s=mix(self.range_rate_m_s),
            range_accel_m_s2=float((self.range_rate_m_s[i + 1] - self.range_rate_m_s[i]) / (t1 - t0)),
        )
