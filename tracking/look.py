"""What a ground station sees: look angles, Doppler, sub-satellite points, sunlight.

Every function takes `StateVectors` (N satellites x T times) and returns (N, T) arrays; samples SGP4
could not compute are NaN there and reported by `StateVectors.errors()`.
"""

from __future__ import annotations

import functools
import importlib.resources
import threading
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
import numpy.typing as npt

from tracking.elements import Elements
from tracking.frames import FloatArray, skyfield_time, to_posix_s
from tracking.geometry import GroundLocation, ecef_to_geodetic
from tracking.propagation import Propagator, StateVectors

SPEED_OF_LIGHT_M_S = 299_792_458.0
# As Skyfield's `is_sunlit`: the line to the Sun's centre against a sphere of radius IERS ERAD.
_SHADOW_RADIUS_KM = 6378.1366


@dataclass(frozen=True, eq=False)
class LookAngles:
    """Topocentric view from one ground location, each array (N, T). Range rate > 0: moving away."""

    azimuth_deg: FloatArray
    elevation_deg: FloatArray
    range_km: FloatArray
    range_rate_m_s: FloatArray


def look_angles(states: StateVectors, location: GroundLocation) -> LookAngles:
    """Azimuth (from north through east), elevation, range and range rate of each sample."""
    position, velocity = states.ecef()
    rho = position - location.ecef_km()
    east, north, up = location.enu_basis()
    range_km = np.linalg.norm(rho, axis=-1)
    return LookAngles(
        azimuth_deg=np.degrees(np.arctan2(rho @ east, rho @ north)) % 360.0,
        elevation_deg=np.degrees(np.arcsin(np.clip((rho @ up) / range_km, -1.0, 1.0))),
        range_km=range_km,
        range_rate_m_s=np.sum(rho * velocity, axis=-1) / range_km * 1000.0,
    )


@dataclass(frozen=True, eq=False)
class GeodeticPoints:
    """Sub-satellite points (WGS84), each array (N, T); longitude in [-180, 180)."""

    latitude_deg: FloatArray
    longitude_deg: FloatArray
    altitude_km: FloatArray


def subsatellite_points(states: StateVectors) -> GeodeticPoints:
    """The point on the ellipsoid under each satellite (geodetic normal through it), and its height."""
    position, _ = states.ecef()
    lat, lon, alt = ecef_to_geodetic(position)
    return GeodeticPoints(lat, lon, alt)


def ground_track(elements: Elements, start: datetime, end: datetime, step_s: float = 60.0) -> GeodeticPoints:
    """Sub-satellite points of one satellite from `start` to `end` (inclusive) every `step_s`, arrays (T,).

    Samples SGP4 cannot compute are NaN (see `Propagator.propagate(...).errors()` for why).
    """
    if not step_s > 0.0:
        raise ValueError(f"step_s must be > 0, got {step_s}")
    start_s, end_s = to_posix_s(start), to_posix_s(end)
    if end_s < start_s:
        raise ValueError("end must not be before start")
    times = np.r_[np.arange(start_s, end_s, step_s), end_s]
    points = subsatellite_points(Propagator([elements]).propagate(times))
    return GeodeticPoints(points.latitude_deg[0], points.longitude_deg[0], points.altitude_km[0])


def downlink_frequency_hz(carrier_hz: float, range_rate_m_s: npt.ArrayLike) -> FloatArray:
    """Frequency heard on the ground from a transmitter at `carrier_hz`: f0 (1 - v/c)."""
    return carrier_hz * (1.0 - np.asarray(range_rate_m_s, dtype=np.float64) / SPEED_OF_LIGHT_M_S)


def uplink_frequency_hz(carrier_hz: float, range_rate_m_s: npt.ArrayLike) -> FloatArray:
    """Frequency to transmit so the satellite hears `carrier_hz`: f0 / (1 - v/c) (pre-compensation)."""
    return carrier_hz / (1.0 - np.asarray(range_rate_m_s, dtype=np.float64) / SPEED_OF_LIGHT_M_S)


_EPHEMERIS_LOCK = threading.Lock()


@functools.cache
def _ephemeris() -> Any:
    # functools.cache does not stop two threads computing it at once (the map's worker and the
    # simulation do at start): the loser's kernel would be dropped with its file still open.
    with _EPHEMERIS_LOCK:
        return _load_ephemeris()


@functools.cache
def _load_ephemeris() -> Any:
    from skyfield.api import Loader

    # skyfield-data's own path helper warns about its (unused here) IERS file expiring; DE421 runs to 2053.
    folder = importlib.resources.files("skyfield_data") / "data"
    return Loader(str(folder), verbose=False)("de421.bsp")


def sun_position_teme_km(times_s: FloatArray) -> FloatArray:
    """Geocentric apparent-direction Sun position in TEME, km, shape (T, 3) (JPL DE421 via Skyfield)."""
    from skyfield.sgp4lib import TEME

    t = skyfield_time(times_s)
    eph = _ephemeris()
    gcrs = (eph["sun"] - eph["earth"]).at(t).position.km  # (3, T)
    rotation = TEME.rotation_at(t)  # (3, 3, T)
    return np.asarray(np.einsum("ijt,jt->ti", rotation, gcrs), dtype=np.float64)


def sunlit(states: StateVectors) -> npt.NDArray[np.bool_]:
    """True where the satellite sees the Sun's centre above Earth's limb (NaN samples are False)."""
    sun = sun_position_teme_km(states.times_s)[np.newaxis, :, :]
    position = states.position_km
    to_sun = sun - position
    direction = to_sun / np.linalg.norm(to_sun, axis=-1, keepdims=True)
    # Closest approach of the ray sat -> Sun to Earth's centre; shadowed if it passes inside the
    # sphere ahead of the satellite.
    along = -np.sum(position * direction, axis=-1)
    closest = np.linalg.norm(position + along[..., np.newaxis] * direction, axis=-1)
    shadowed = (along > 0.0) & (closest < _SHADOW_RADIUS_KM)
    result: npt.NDArray[np.bool_] = ~shadowed & states.valid
    return result
