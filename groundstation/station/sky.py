"""A pass as the station sees it, sampled over time, and the direction arithmetic the planner needs.

Directions are unit vectors in the station's east/north/up frame, so interpolation and error
measures never trip over the 0/360° azimuth seam or the zenith.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]


def unit_vectors(azimuth_deg: npt.ArrayLike, elevation_deg: npt.ArrayLike) -> FloatArray:
    """East/north/up unit vectors; elevation may run past 90° (a flipped antenna looks backwards)."""
    az = np.radians(np.asarray(azimuth_deg, dtype=np.float64))
    el = np.radians(np.asarray(elevation_deg, dtype=np.float64))
    return np.stack([np.cos(el) * np.sin(az), np.cos(el) * np.cos(az), np.sin(el)], axis=-1)


def separation_deg(a: FloatArray, b: FloatArray) -> FloatArray:
    """Angle between unit vectors (stable for tiny angles, unlike acos of the dot product)."""
    cross = np.linalg.norm(np.cross(a, b), axis=-1)
    dot = np.sum(a * b, axis=-1)
    return np.asarray(np.degrees(np.arctan2(cross, dot)), dtype=np.float64)


def pointing_error_deg(
    azimuth_deg: float, elevation_deg: float, target_azimuth_deg: float, target_elevation_deg: float
) -> float:
    """Angle between where an antenna points (rotator axes, elevation up to 180°) and a target."""
    return float(
        separation_deg(
            unit_vectors(azimuth_deg, elevation_deg), unit_vectors(target_azimuth_deg, target_elevation_deg)
        )
    )


def to_azimuth_elevation(vectors: FloatArray) -> tuple[FloatArray, FloatArray]:
    east, north, up = vectors[..., 0], vectors[..., 1], vectors[..., 2]
    azimuth_deg = np.degrees(np.arctan2(east, north)) % 360.0
    elevation_deg = np.degrees(np.arctan2(up, np.hypot(east, north)))
    return np.asarray(azimuth_deg, dtype=np.float64), np.asarray(elevation_deg, dtype=np.float64)


def utc_from_posix(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


def clock_text(seconds: float) -> str:
    """`HH:MM:SS` UTC, for messages."""
    return utc_from_posix(seconds).strftime("%H:%M:%S")


@dataclass(frozen=True, eq=False)
class SkyTrack:
    """One pass sampled from the station: POSIX seconds, azimuth (0..360° from north via east),
    elevation, and range rate (m/s, positive when the satellite moves away)."""

    name: str
    times_s: FloatArray
    azimuth_deg: FloatArray
    elevation_deg: FloatArray
    range_rate_m_s: FloatArray

    def __post_init__(self) -> None:
        arrays = {
            field: np.asarray(getattr(self, field), dtype=np.float64)
            for field in ("times_s", "azimuth_deg", "elevation_deg", "range_rate_m_s")
        }
        size = arrays["times_s"].shape
        for field, values in arrays.items():
            if values.ndim != 1 or values.shape != size:
                raise ValueError(f"sky track {self.name!r}: {field} must be 1-D with {size[0]} samples")
            if not np.all(np.isfinite(values)):
                raise ValueError(f"sky track {self.name!r}: {field} has a non-finite sample")
            object.__setattr__(self, field, values)
        if size[0] < 2:
            raise ValueError(f"sky track {self.name!r}: needs at least 2 samples")
        if not np.all(np.diff(arrays["times_s"]) > 0):
            raise ValueError(f"sky track {self.name!r}: times_s must increase strictly")
        object.__setattr__(self, "_vectors", unit_vectors(self.azimuth_deg, self.elevation_deg))

    @property
    def start_s(self) -> float:
        return float(self.times_s[0])

    @property
    def end_s(self) -> float:
        return float(self.times_s[-1])

    @property
    def vectors(self) -> FloatArray:
        """East/north/up unit vectors of the samples, shape (N, 3)."""
        vectors: FloatArray = object.__getattribute__(self, "_vectors")
        return vectors

    def vectors_at(self, times_s: npt.ArrayLike) -> FloatArray:
        """Directions at any times (clamped to the track), interpolated on the unit sphere."""
        t = np.clip(np.asarray(times_s, dtype=np.float64), self.start_s, self.end_s)
        index = np.clip(np.searchsorted(self.times_s, t, side="right") - 1, 0, self.times_s.size - 2)
        t0, t1 = self.times_s[index], self.times_s[index + 1]
        weight = ((t - t0) / (t1 - t0))[..., np.newaxis]
        mixed = (1.0 - weight) * self.vectors[index] + weight * self.vectors[index + 1]
        result: FloatArray = mixed / np.linalg.norm(mixed, axis=-1, keepdims=True)
        return result

    def direction_at(self, time_s: float) -> tuple[float, float]:
        """(azimuth_deg, elevation_deg) at one time."""
        azimuth_deg, elevation_deg = to_azimuth_elevation(self.vectors_at(time_s))
        return float(azimuth_deg), float(elevation_deg)

    def range_rate_at(self, time_s: float) -> float:
        return float(np.interp(time_s, self.times_s, self.range_rate_m_s))

    def resampled(self, step_s: float) -> SkyTrack:
        """The same pass on an even grid of about `step_s` from start to end."""
        count = max(2, math.ceil((self.end_s - self.start_s) / step_s) + 1)
        times_s = np.linspace(self.start_s, self.end_s, count)
        azimuth_deg, elevation_deg = to_azimuth_elevation(self.vectors_at(times_s))
        range_rate = np.interp(times_s, self.times_s, self.range_rate_m_s)
        return SkyTrack(self.name, times_s, azimuth_deg, elevation_deg, range_rate)

    def angular_rate_deg_s(self) -> FloatArray:
        """How fast the satellite moves across the sky at each sample (deg/s)."""
        steps_deg = separation_deg(self.vectors[:-1], self.vectors[1:]) / np.diff(self.times_s)
        return np.asarray(
            np.concatenate([steps_deg[:1], np.maximum(steps_deg[:-1], steps_deg[1:]), steps_deg[-1:]])
        )
