"""Time scales and the TEME → Earth-fixed rotation used by everything that looks at a satellite.

Times are carried as POSIX seconds (UTC, float64: ~0.2 µs resolution today), the form numpy likes.
SGP4 runs on UTC Julian dates; Earth's rotation runs on UT1, taken from the IERS table Skyfield
bundles (offline). TEME → Earth-fixed is a rotation by GMST 1982 about z with no polar motion
(AIAA 2006-6753 appendix C; Skyfield does the same when no polar-motion table is installed).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]

# What callers may pass as "times": one aware datetime, a sequence of them, or POSIX seconds.
Instants = datetime | Sequence[datetime] | npt.NDArray[np.float64] | float

SECONDS_PER_DAY = 86400.0
JD_POSIX_EPOCH = 2440587.5  # 1970-01-01T00:00Z as a Julian date
_JD_J2000 = 2451545.0
_SECONDS_PER_CENTURY_OF_GMST = 8640184.812866


def to_posix_s(moment: datetime) -> float:
    """POSIX seconds of an aware datetime; naive datetimes are refused (they hide time-zone bugs)."""
    if moment.tzinfo is None:
        raise ValueError(f"time must be timezone-aware UTC (got naive {moment.isoformat()})")
    return moment.timestamp()


def from_posix_s(seconds: float) -> datetime:
    """Aware UTC datetime of POSIX seconds (microsecond resolution, as datetime allows)."""
    return datetime.fromtimestamp(round(float(seconds), 6), UTC)


def posix_seconds(instants: Instants) -> FloatArray:
    """Times as a 1-D float64 array of POSIX seconds."""
    if isinstance(instants, datetime):
        return np.array([to_posix_s(instants)], dtype=np.float64)
    if isinstance(instants, float | int):
        return np.array([float(instants)], dtype=np.float64)
    if isinstance(instants, np.ndarray):
        return np.atleast_1d(np.asarray(instants, dtype=np.float64))
    return np.array([to_posix_s(moment) for moment in instants], dtype=np.float64)


def julian_date_split(posix_s: FloatArray) -> tuple[FloatArray, FloatArray]:
    """UTC Julian date as (whole, fraction): the pair SGP4 wants to keep full precision."""
    days = np.floor(posix_s / SECONDS_PER_DAY)
    fraction = (posix_s - days * SECONDS_PER_DAY) / SECONDS_PER_DAY
    return JD_POSIX_EPOCH + days, fraction


@functools.cache
def _timescale() -> Any:
    from skyfield.api import load

    return load.timescale(builtin=True)


def skyfield_time(posix_s: FloatArray) -> Any:
    """A Skyfield `Time` for POSIX seconds (split by UTC day: POSIX days have no leap seconds)."""
    days = np.floor(posix_s / SECONDS_PER_DAY)
    return _timescale().utc(1970, 1, 1 + days, 0, 0, posix_s - days * SECONDS_PER_DAY)


def ut1_minus_utc_s(posix_s: FloatArray) -> FloatArray:
    """UT1 − UTC in seconds from the IERS table bundled with Skyfield (predictions beyond it)."""
    return np.asarray(skyfield_time(posix_s).dut1, dtype=np.float64).reshape(posix_s.shape)


def gmst82_rad(posix_s: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Greenwich mean sidereal time (IAU 1982, at UT1) in radians, and Earth's rotation rate in rad/s."""
    ut1_s = posix_s + ut1_minus_utc_s(posix_s)
    days = np.floor(ut1_s / SECONDS_PER_DAY)
    day_fraction = (ut1_s - days * SECONDS_PER_DAY) / SECONDS_PER_DAY
    centuries = ((JD_POSIX_EPOCH - _JD_J2000) + days + day_fraction) / 36525.0
    gmst_s_at_0h = (
        67310.54841 + (_SECONDS_PER_CENTURY_OF_GMST + (0.093104 - 6.2e-6 * centuries) * centuries) * centuries
    )
    # JD of UT1 midnight ends in .5, so the day fraction since the JD epoch is (fraction + 0.5).
    turns = (day_fraction + 0.5 + gmst_s_at_0h / SECONDS_PER_DAY) % 1.0
    rate = (
        (
            1.0
            + (_SECONDS_PER_CENTURY_OF_GMST + (2 * 0.093104 - 3 * 6.2e-6 * centuries) * centuries)
            / (SECONDS_PER_DAY * 36525.0)
        )
        * (2.0 * math.pi)
        / SECONDS_PER_DAY
    )
    return turns * (2.0 * math.pi), rate


def teme_to_ecef(
    position_km: FloatArray, velocity_km_s: FloatArray, posix_s: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """Rotate TEME states (..., T, 3) at times (T,) into Earth-fixed position and Earth-relative velocity."""
    theta, rate = gmst82_rad(posix_s)
    cos_t, sin_t = np.cos(theta), np.sin(theta)
    x, y, z = position_km[..., 0], position_km[..., 1], position_km[..., 2]
    vx, vy, vz = velocity_km_s[..., 0], velocity_km_s[..., 1], velocity_km_s[..., 2]
    xe = cos_t * x + sin_t * y
    ye = -sin_t * x + cos_t * y
    vxe = cos_t * vx + sin_t * vy + rate * ye
    vye = -sin_t * vx + cos_t * vy - rate * xe
    return np.stack((xe, ye, z), axis=-1), np.stack((vxe, vye, vz), axis=-1)
