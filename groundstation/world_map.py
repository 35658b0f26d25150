"""What the live world map shows, computed without Qt: sub-satellite points of a whole catalog at
once, one object's ground track, footprint and visibility circles, and where the Sun is.

The map's worker thread calls this; the functions take explicit times (never the wall clock).
Sub-satellite points use sgp4's vectorised `SatrecArray` (TEME), rotated to the Earth-fixed frame
by GMST (IAU 1982, UT1 taken as UTC: under 0.01 degrees of longitude) and converted to WGS84
geodetic coordinates.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np
from numpy.typing import NDArray
from sgp4.api import SatrecArray

from groundstation.clock import require_utc
from tracking.elements import Elements

FloatArray = NDArray[np.float64]

EARTH_RADIUS_KM = 6378.137  # WGS84 equatorial radius
_WGS84_F = 1.0 / 298.257223563
_WGS84_E2 = _WGS84_F * (2.0 - _WGS84_F)
_JD_UNIX_EPOCH = 2440587.5
_J2000_JD = 2451545.0
_SECONDS_PER_DAY = 86400.0
_TWO_PI = 2.0 * math.pi


@dataclass(frozen=True, eq=False)
class GroundPoints:
    """Geodetic positions, one per object or per time; NaN where SGP4 failed (e.g. decayed)."""

    latitude_deg: FloatArray
    longitude_deg: FloatArray  # in [-180, 180)
    altitude_km: FloatArray

    def __len__(self) -> int:
        return len(self.latitude_deg)


def julian_date(moment: datetime) -> tuple[float, float]:
    """(whole, fraction) Julian date of an aware UTC time, split as sgp4 wants for precision."""
    seconds = (require_utc(moment) - datetime(1970, 1, 1, tzinfo=UTC)).total_seconds()
    days = seconds / _SECONDS_PER_DAY
    whole = math.floor(days)
    return _JD_UNIX_EPOCH + whole, days - whole


def gmst_rad(jd_whole: FloatArray | float, jd_fraction: FloatArray | float) -> FloatArray:
    """Greenwich mean sidereal time, IAU 1982 (the rotation SGP4's TEME frame is defined with)."""
    t = ((np.asarray(jd_whole) - _J2000_JD) + np.asarray(jd_fraction)) / 36525.0
    seconds = 67310.54841 + (876600.0 * 3600.0 + 8640184.812866) * t + 0.093104 * t**2 - 6.2e-6 * t**3
    return np.asarray(np.mod(seconds * (_TWO_PI / _SECONDS_PER_DAY), _TWO_PI), dtype=np.float64)


def teme_to_geodetic(position_km: FloatArray, gmst: FloatArray | float) -> GroundPoints:
    """TEME positions (..., 3) at sidereal angle(s) `gmst` to WGS84 latitude, longitude, altitude."""
    x, y, z = position_km[..., 0], position_km[..., 1], position_km[..., 2]
    cos_g, sin_g = np.cos(gmst), np.sin(gmst)
    x_ecef = cos_g * x + sin_g * y
    y_ecef = -sin_g * x + cos_g * y
    p = np.hypot(x_ecef, y_ecef)
    latitude = np.arctan2(z, p * (1.0 - _WGS84_E2))
    for _ in range(4):  # fixed-point iteration; converges far below a metre for any Earth orbit
        sin_lat = np.sin(latitude)
        n = EARTH_RADIUS_KM / np.sqrt(1.0 - _WGS84_E2 * sin_lat**2)
        latitude = np.arctan2(z + _WGS84_E2 * n * sin_lat, p)
    sin_lat = np.sin(latitude)
    n = EARTH_RADIUS_KM / np.sqrt(1.0 - _WGS84_E2 * sin_lat**2)
    cos_lat = np.cos(latitude)
    # Near the poles p/cos(lat) is ill-conditioned; use the z form there.
    with np.errstate(divide="ignore", invalid="ignore"):
        altitude = np.where(np.abs(cos_lat) > 0.1, p / cos_lat - n, z / sin_lat - n * (1.0 - _WGS84_E2))
    longitude = np.mod(np.degrees(np.arctan2(y_ecef, x_ecef)) + 180.0, 360.0) - 180.0
    return GroundPoints(np.degrees(latitude), longitude, np.asarray(altitude, dtype=np.float64))


class CatalogPositions:
    """Sub-satellite points of a whole catalog, vectorised; build once, ask at any time."""

    def __init__(self, elements: Sequence[Elements]) -> None:
        self.elements = tuple(elements)
        self._satrecs = [e.to_satrec() for e in self.elements]
        self._array = SatrecArray(self._satrecs) if self._satrecs else None

    def __len__(self) -> int:
        return len(self.elements)

    def at(self, moment: datetime) -> GroundPoints:
        if self._array is None:
            empty = np.empty(0)
            return GroundPoints(empty, empty, empty)
        jd, fr = julian_date(moment)
        error, position, _velocity = self._array.sgp4(np.array([jd]), np.array([fr]))
        points = teme_to_geodetic(position[:, 0, :], gmst_rad(jd, fr))
        return _mask_failed(points, error[:, 0] != 0)

    def track(self, index: int, times: Sequence[datetime]) -> GroundPoints:
        """Ground track of one object at `times`."""
        pairs = [julian_date(t) for t in times]
        jd = np.array([p[0] for p in pairs])
        fr = np.array([p[1] for p in pairs])
        error, position, _velocity = self._satrecs[index].sgp4_array(jd, fr)
        points = teme_to_geodetic(np.asarray(position), gmst_rad(jd, fr))
        return _mask_failed(points, np.asarray(error) != 0)


def _mask_failed(points: GroundPoints, failed: NDArray[np.bool_]) -> GroundPoints:
    if not failed.any():
        return points
    return GroundPoints(
        np.where(failed, np.nan, points.latitude_deg),
        np.where(failed, np.nan, points.longitude_deg),
        np.where(failed, np.nan, points.altitude_km),
    )


def subsolar_point(moment: datetime) -> tuple[float, float]:
    """(latitude_deg, longitude_deg) where the Sun is at the zenith; Astronomical Almanac low-precision
    solar coordinates (about 0.01 degrees), enough to draw day and night."""
    jd, fr = julian_date(moment)
    n = (jd - _J2000_JD) + fr
    mean_longitude = math.radians(280.460 + 0.9856474 * n)
    anomaly = math.radians(357.528 + 0.9856003 * n)
    ecliptic_longitude = mean_longitude + math.radians(
        1.915 * math.sin(anomaly) + 0.020 * math.sin(2 * anomaly)
    )
    obliquity = math.radians(23.439 - 0.0000004 * n)
    right_ascension = math.atan2(
        math.cos(obliquity) * math.sin(ecliptic_longitude), math.cos(ecliptic_longitude)
    )
    declination = math.asin(math.sin(obliquity) * math.sin(ecliptic_longitude))
    longitude = math.degrees(right_ascension - float(gmst_rad(jd, fr)))
    return math.degrees(declination), (longitude + 180.0) % 360.0 - 180.0


def sun_elevation_deg(
    subsolar: tuple[float, float], latitude_deg: FloatArray, longitude_deg: FloatArray
) -> FloatArray:
    """Geometric elevation of the Sun's centre (degrees) at the given places (broadcast)."""
    sun_lat, sun_lon = (math.radians(v) for v in subsolar)
    lat = np.radians(latitude_deg)
    cos_zenith = math.sin(sun_lat) * np.sin(lat) + math.cos(sun_lat) * np.cos(lat) * np.cos(
        np.radians(longitude_deg) - sun_lon
    )
    return np.asarray(np.degrees(np.arcsin(np.clip(cos_zenith, -1.0, 1.0))), dtype=np.float64)


def coverage_radius_deg(altitude_km: float, min_elevation_deg: float = 0.0) -> float:
    """Earth-central angle from the sub-satellite point to where the object is at `min_elevation_deg`
    (spherical Earth)."""
    if not altitude_km > 0.0:
        return 0.0
    elevation = math.radians(min_elevation_deg)
    ratio = EARTH_RADIUS_KM / (EARTH_RADIUS_KM + altitude_km) * math.cos(elevation)
    return math.degrees(math.acos(min(1.0, ratio)) - elevation)


def circle_on_map(
    latitude_deg: float, longitude_deg: float, radius_deg: float, points: int = 181
) -> tuple[FloatArray, FloatArray]:
    """A small circle of angular radius `radius_deg`, as (lat, lon) polyline on a plate carrée map,
    broken with NaN where it crosses the antimeridian."""
    lat0, lon0 = math.radians(latitude_deg), math.radians(longitude_deg)
    distance = math.radians(radius_deg)
    bearing = np.linspace(0.0, _TWO_PI, points)
    lat = np.arcsin(
        math.sin(lat0) * math.cos(distance) + math.cos(lat0) * math.sin(distance) * np.cos(bearing)
    )
    lon = lon0 + np.arctan2(
        np.sin(bearing) * math.sin(distance) * math.cos(lat0),
        math.cos(distance) - math.sin(lat0) * np.sin(lat),
    )
    lon_deg = np.mod(np.degrees(lon) + 180.0, 360.0) - 180.0
    return break_at_antimeridian(np.degrees(lat), lon_deg)


def break_at_antimeridian(
    latitude_deg: FloatArray, longitude_deg: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """Insert a NaN point wherever consecutive longitudes jump by more than 180 degrees, so a line
    drawn on a plate carrée map does not streak across it."""
    if len(longitude_deg) < 2:
        return latitude_deg, longitude_deg
    jumps = np.nonzero(np.abs(np.diff(longitude_deg)) > 180.0)[0] + 1
    return np.insert(latitude_deg, jumps, np.nan), np.insert(longitude_deg, jumps, np.nan)
