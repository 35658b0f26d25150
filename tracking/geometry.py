"""Places on the WGS84 ellipsoid: ground locations, horizon masks, geodetic conversions, footprints."""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]

WGS84_EQUATORIAL_RADIUS_KM = 6378.137
WGS84_FLATTENING = 1.0 / 298.257223563
_E2 = WGS84_FLATTENING * (2.0 - WGS84_FLATTENING)  # first eccentricity squared


@dataclass(frozen=True)
class GroundLocation:
    """A named place on Earth: WGS84 geodetic latitude and longitude (deg), height above the ellipsoid."""

    name: str
    latitude_deg: float
    longitude_deg: float
    altitude_m: float = 0.0

    def __post_init__(self) -> None:
        if not self.name.strip():
            raise ValueError("location name must not be empty")
        for field, value in (
            ("latitude_deg", self.latitude_deg),
            ("longitude_deg", self.longitude_deg),
            ("altitude_m", self.altitude_m),
        ):
            if not math.isfinite(value):
                raise ValueError(f"{self.name}: {field} must be a finite number, got {value!r}")
        if not -90.0 <= self.latitude_deg <= 90.0:
            raise ValueError(f"{self.name}: latitude_deg must be within [-90, 90], got {self.latitude_deg}")
        if not -180.0 <= self.longitude_deg <= 360.0:
            raise ValueError(
                f"{self.name}: longitude_deg must be within [-180, 360], got {self.longitude_deg}"
            )
        if not -12_000.0 <= self.altitude_m <= 100_000.0:
            raise ValueError(
                f"{self.name}: altitude_m must be within [-12000, 100000], got {self.altitude_m}"
            )

    def ecef_km(self) -> FloatArray:
        """Earth-fixed position (3,) in km."""
        return geodetic_to_ecef_km(
            np.float64(self.latitude_deg),
            np.float64(self.longitude_deg),
            np.float64(self.altitude_m / 1000.0),
        )

    def enu_basis(self) -> FloatArray:
        """Rows: unit east, north and up (geodetic normal) vectors in the Earth-fixed frame, shape (3, 3)."""
        return enu_basis(np.float64(self.latitude_deg), np.float64(self.longitude_deg))


def geodetic_to_ecef_km(
    latitude_deg: npt.ArrayLike, longitude_deg: npt.ArrayLike, altitude_km: npt.ArrayLike
) -> FloatArray:
    """WGS84 geodetic coordinates to Earth-fixed Cartesian km, shape (..., 3)."""
    lat = np.radians(np.asarray(latitude_deg, dtype=np.float64))
    lon = np.radians(np.asarray(longitude_deg, dtype=np.float64))
    alt = np.asarray(altitude_km, dtype=np.float64)
    sin_lat, cos_lat = np.sin(lat), np.cos(lat)
    radius_n = WGS84_EQUATORIAL_RADIUS_KM / np.sqrt(1.0 - _E2 * sin_lat**2)
    return np.stack(
        (
            (radius_n + alt) * cos_lat * np.cos(lon),
            (radius_n + alt) * cos_lat * np.sin(lon),
            (radius_n * (1.0 - _E2) + alt) * sin_lat,
        ),
        axis=-1,
    )


def ecef_to_geodetic(position_km: FloatArray) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Earth-fixed km (..., 3) to WGS84 (latitude_deg, longitude_deg in [-180, 180), altitude_km)."""
    x, y, z = position_km[..., 0], position_km[..., 1], position_km[..., 2]
    p = np.hypot(x, y)
    lat = np.arctan2(z, p * (1.0 - _E2))
    for _ in range(6):  # fixed-point iteration: converges to < 1e-12 rad within a few steps above ground
        sin_lat = np.sin(lat)
        radius_n = WGS84_EQUATORIAL_RADIUS_KM / np.sqrt(1.0 - _E2 * sin_lat**2)
        lat = np.arctan2(z + _E2 * radius_n * sin_lat, p)
    sin_lat, cos_lat = np.sin(lat), np.cos(lat)
    radius_n = WGS84_EQUATORIAL_RADIUS_KM / np.sqrt(1.0 - _E2 * sin_lat**2)
    # Valid at the poles too (no division by cos(lat)).
    altitude = p * cos_lat + z * sin_lat - radius_n * (1.0 - _E2 * sin_lat**2)
    lon = (np.degrees(np.arctan2(y, x)) + 180.0) % 360.0 - 180.0
    return np.degrees(lat), lon, altitude


def enu_basis(latitude_deg: npt.ArrayLike, longitude_deg: npt.ArrayLike) -> FloatArray:
    """East, north, up unit vectors (..., 3, 3) in the Earth-fixed frame at geodetic coordinates."""
    lat = np.radians(np.asarray(latitude_deg, dtype=np.float64))
    lon = np.radians(np.asarray(longitude_deg, dtype=np.float64))
    sin_lat, cos_lat, sin_lon, cos_lon = np.sin(lat), np.cos(lat), np.sin(lon), np.cos(lon)
    zero = np.zeros_like(lat)
    east = np.stack((-sin_lon, cos_lon, zero), axis=-1)
    north = np.stack((-sin_lat * cos_lon, -sin_lat * sin_lon, cos_lat), axis=-1)
    up = np.stack((cos_lat * cos_lon, cos_lat * sin_lon, sin_lat), axis=-1)
    return np.stack((east, north, up), axis=-2)


@dataclass(frozen=True)
class HorizonMask:
    """Azimuth-dependent minimum elevation (buildings, hills), linearly interpolated around 360°.

    Build it with `HorizonMask.from_points([(azimuth_deg, elevation_deg), ...])`.
    """

    azimuths_deg: tuple[float, ...]
    elevations_deg: tuple[float, ...]

    def __post_init__(self) -> None:
        if not self.azimuths_deg or len(self.azimuths_deg) != len(self.elevations_deg):
            raise ValueError("a horizon mask needs one or more (azimuth, elevation) points")
        if list(self.azimuths_deg) != sorted(set(self.azimuths_deg)):
            raise ValueError("horizon mask azimuths must be strictly increasing")
        for az, el in zip(self.azimuths_deg, self.elevations_deg, strict=True):
            if not (math.isfinite(az) and 0.0 <= az < 360.0):
                raise ValueError(f"horizon mask azimuth {az!r} is not within [0, 360)")
            if not (math.isfinite(el) and -90.0 <= el < 90.0):
                raise ValueError(f"horizon mask elevation {el!r} at azimuth {az} is not within [-90, 90)")

    @classmethod
    def from_points(cls, points: Iterable[tuple[float, float]]) -> HorizonMask:
        """Points in any order, azimuths normalised into [0, 360); repeated azimuths are refused."""
        pairs = sorted((float(az) % 360.0, float(el)) for az, el in points)
        for (az1, _), (az2, _) in itertools.pairwise(pairs):
            if az1 == az2:
                raise ValueError(f"horizon mask has two points at azimuth {az1}")
        return cls(tuple(az for az, _ in pairs), tuple(el for _, el in pairs))

    @property
    def lowest_deg(self) -> float:
        return min(self.elevations_deg)

    def elevation_deg(self, azimuth_deg: npt.ArrayLike) -> FloatArray:
        """Minimum elevation at each azimuth (periodic linear interpolation between the points)."""
        az = np.asarray(azimuth_deg, dtype=np.float64) % 360.0
        xs = np.asarray(self.azimuths_deg)
        ys = np.asarray(self.elevations_deg)
        return np.asarray(np.interp(az, xs, ys, period=360.0), dtype=np.float64)


def elevation_from_ground_deg(ground_km: FloatArray, enu: FloatArray, target_km: FloatArray) -> FloatArray:
    """Elevation (deg) of Earth-fixed `target_km` seen from `ground_km` with basis `enu` (broadcasting)."""
    rho = target_km - ground_km
    up = enu[..., 2, :]
    return np.asarray(np.degrees(np.arcsin(np.sum(rho * up, axis=-1) / np.linalg.norm(rho, axis=-1))))


def footprint_circle(
    latitude_deg: float,
    longitude_deg: float,
    altitude_km: float,
    *,
    min_elevation_deg: float = 0.0,
    points: int = 72,
) -> tuple[FloatArray, FloatArray]:
    """Ground points (latitude_deg, longitude_deg) from which a satellite above the given geodetic
    point is seen at exactly `min_elevation_deg`, at `points` evenly spaced bearings.

    Solved on the ellipsoid (bisection along each bearing), not a spherical approximation.
    """
    if altitude_km <= 0.0:
        raise ValueError(f"altitude_km must be > 0, got {altitude_km}")
    if points < 3:
        raise ValueError(f"points must be >= 3, got {points}")
    if not 0.0 <= min_elevation_deg < 90.0:
        raise ValueError(f"min_elevation_deg must be within [0, 90), got {min_elevation_deg}")
    sat = geodetic_to_ecef_km(latitude_deg, longitude_deg, altitude_km)
    bearing = np.linspace(0.0, 2.0 * math.pi, points, endpoint=False)
    lat0, lon0 = math.radians(latitude_deg), math.radians(longitude_deg)

    def ground_point(distance_rad: FloatArray) -> tuple[FloatArray, FloatArray]:
        lat = np.arcsin(
            math.sin(lat0) * np.cos(distance_rad) + math.cos(lat0) * np.sin(distance_rad) * np.cos(bearing)
        )
        lon = lon0 + np.arctan2(
            np.sin(bearing) * np.sin(distance_rad) * math.cos(lat0),
            np.cos(distance_rad) - math.sin(lat0) * np.sin(lat),
        )
        return np.degrees(lat), np.degrees(lon)

    def elevation(distance_rad: FloatArray) -> FloatArray:
        lat, lon = ground_point(distance_rad)
        return elevation_from_ground_deg(geodetic_to_ecef_km(lat, lon, 0.0), enu_basis(lat, lon), sat)

    # Elevation falls monotonically with distance from the sub-satellite point; the spherical
    # horizon distance plus a margin for the ellipsoid brackets the answer.
    low = np.zeros(points)
    radius = WGS84_EQUATORIAL_RADIUS_KM
    high = np.full(
        points, min(math.acos(radius * (1 - WGS84_FLATTENING) / (radius + altitude_km)) + 0.05, math.pi)
    )
    for _ in range(48):  # 48 halvings of < pi rad: well below a millimetre on the ground
        mid = 0.5 * (low + high)
        above = elevation(mid) >= min_elevation_deg
        low = np.where(above, mid, low)
        high = np.where(above, high, mid)
    lat, lon = ground_point(0.5 * (low + high))
    return lat, (lon + 180.0) % 360.0 - 180.0
