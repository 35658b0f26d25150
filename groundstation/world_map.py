"""What the live world map shows, computed without Qt: sub-satellite points of a whole catalog at
once, one object's ground track, footprint and visibility circles, where the Sun is, and the
background catalog as a ready-to-blit raster.

The map's worker thread calls this; the functions take explicit times (never the wall clock).
Propagation, frames and geodesy are `tracking`'s (SGP4 via `Propagator`, TEME -> Earth-fixed at
UT1, WGS84); this module adds only what a map needs on top: interpolation between propagated
anchors, circles on a plate carrée map and the raster.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np
from numpy.typing import NDArray

from tracking.elements import Elements
from tracking.frames import posix_seconds, teme_to_ecef, to_posix_s
from tracking.geometry import WGS84_EQUATORIAL_RADIUS_KM, ecef_to_geodetic
from tracking.look import subsatellite_points, sun_position_teme_km
from tracking.propagation import Propagator

FloatArray = NDArray[np.float64]

EARTH_RADIUS_KM = WGS84_EQUATORIAL_RADIUS_KM
# Anchors for interpolation lie on a fixed grid of this step. Cubic Hermite on position and
# velocity over 60 s errs by well under 10 m in LEO (the error grows as step^4), far below a pixel.
ANCHOR_STEP_S = 60.0
_TWO_PI = 2.0 * math.pi


@dataclass(frozen=True, eq=False)
class GroundPoints:
    """Geodetic positions, one per object or per time; NaN where SGP4 failed (e.g. decayed)."""

    latitude_deg: FloatArray
    longitude_deg: FloatArray  # in [-180, 180)
    altitude_km: FloatArray

    def __len__(self) -> int:
        return len(self.latitude_deg)


@dataclass(frozen=True, eq=False)
class _Anchor:
    time_s: float
    position_km: FloatArray  # Earth-fixed (N, 3)
    velocity_km_s: FloatArray  # Earth-relative (N, 3): the time derivative of position_km


class CatalogPositions:
    """Sub-satellite points of a whole catalog, vectorised; build once, ask at any time.

    `at` runs SGP4 for every object; `interpolated_at` runs it only once per ANCHOR_STEP_S of
    catalog time and interpolates in between, which is what a map stepping through time wants.
    """

    def __init__(self, elements: Sequence[Elements]) -> None:
        self.elements = tuple(elements)
        self._propagator = Propagator(self.elements)
        self._anchors: dict[int, _Anchor] = {}

    def __len__(self) -> int:
        return len(self.elements)

    def at(self, moment: datetime) -> GroundPoints:
        if not self.elements:
            return _empty()
        points = subsatellite_points(self._propagator.propagate(moment))
        return GroundPoints(points.latitude_deg[:, 0], points.longitude_deg[:, 0], points.altitude_km[:, 0])

    def interpolated_at(self, moment: datetime) -> GroundPoints:
        """As `at`, by cubic Hermite interpolation between Earth-fixed states on the anchor grid."""
        if not self.elements:
            return _empty()
        seconds = to_posix_s(moment)
        slot = math.floor(seconds / ANCHOR_STEP_S)
        first, second = self._anchor(slot), self._anchor(slot + 1)
        self._anchors = {slot: first, slot + 1: second}  # keep just the pair in use
        step = second.time_s - first.time_s
        s = (seconds - first.time_s) / step
        s2, s3 = s * s, s * s * s
        position = (
            (2 * s3 - 3 * s2 + 1) * first.position_km
            + ((s3 - 2 * s2 + s) * step) * first.velocity_km_s
            + (-2 * s3 + 3 * s2) * second.position_km
            + ((s3 - s2) * step) * second.velocity_km_s
        )
        latitude, longitude, altitude = ecef_to_geodetic(position)
        return GroundPoints(latitude, longitude, altitude)

    def _anchor(self, slot: int) -> _Anchor:
        anchor = self._anchors.get(slot)
        if anchor is None:
            time_s = slot * ANCHOR_STEP_S
            states = self._propagator.propagate(np.array([time_s]))
            position, velocity = states.ecef()
            anchor = _Anchor(time_s, position[:, 0, :], velocity[:, 0, :])
        return anchor

    def track(self, index: int, times: Sequence[datetime]) -> GroundPoints:
        """Ground track of one object at `times`."""
        states = self._propagator.propagate(posix_seconds(times), np.array([index]))
        points = subsatellite_points(states)
        return GroundPoints(points.latitude_deg[0], points.longitude_deg[0], points.altitude_km[0])


def _empty() -> GroundPoints:
    empty = np.empty(0)
    return GroundPoints(empty, empty, empty)


def subsolar_point(moment: datetime) -> tuple[float, float]:
    """(latitude_deg, longitude_deg) where the Sun is at the zenith (JPL DE421 via tracking.look)."""
    seconds = posix_seconds(moment)
    sun_teme = sun_position_teme_km(seconds)[np.newaxis, :, :]
    sun, _ = teme_to_ecef(sun_teme, np.zeros_like(sun_teme), seconds)
    x, y, z = (float(v) for v in sun[0, 0])
    # Where the ellipsoid's normal points at the Sun: its geodetic latitude is the direction's.
    latitude = math.degrees(math.atan2(z, math.hypot(x, y)))
    longitude = (math.degrees(math.atan2(y, x)) + 180.0) % 360.0 - 180.0
    return latitude, longitude


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
    (spherical Earth): the radius of a station's visibility circle on the map."""
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


@dataclass(frozen=True)
class RasterView:
    """The part of the map a raster covers (degrees) and its size in device pixels."""

    west_deg: float
    east_deg: float
    south_deg: float
    north_deg: float
    width_px: int
    height_px: int

    @property
    def usable(self) -> bool:
        return (
            self.width_px > 0
            and self.height_px > 0
            and self.east_deg > self.west_deg
            and (self.north_deg > self.south_deg)
        )


def rasterize_dots(
    longitude_deg: FloatArray, latitude_deg: FloatArray, view: RasterView, dot_px: int, argb: int
) -> NDArray[np.uint32]:
    """Square dots of `dot_px` device pixels, one per point inside `view`, on a transparent image of
    premultiplied 32-bit ARGB pixels (`argb`), row 0 at the north edge: a whole catalog in one blit
    instead of a path of thousands of shapes. Points outside the view are culled."""
    image = np.zeros((view.height_px, view.width_px), dtype=np.uint32)
    if not view.usable or len(longitude_deg) == 0:
        return image
    col = (longitude_deg - view.west_deg) * (view.width_px / (view.east_deg - view.west_deg))
    row = (view.north_deg - latitude_deg) * (view.height_px / (view.north_deg - view.south_deg))
    inside = (col >= 0) & (col < view.width_px) & (row >= 0) & (row < view.height_px)  # NaN is outside
    col_i = col[inside].astype(np.intp)
    row_i = row[inside].astype(np.intp)
    low = -(dot_px // 2)
    for dr in range(low, low + dot_px):
        r = np.clip(row_i + dr, 0, view.height_px - 1)
        for dc in range(low, low + dot_px):
            image[r, np.clip(col_i + dc, 0, view.width_px - 1)] = argb
    return image
