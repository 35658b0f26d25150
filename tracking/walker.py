"""Walker-delta constellations (i:T/P/F) as ordinary SGP4 mean elements."""

from __future__ import annotations

import math
from datetime import datetime

from sgp4.api import WGS72, Satrec
from sgp4.earth_gravity import wgs72

from tracking.elements import Elements

EARTH_RADIUS_KM = wgs72.radiusearthkm  # SGP4 works in WGS72 Earth radii
_MINUTES_PER_DAY = 1440.0
_SGP4_EPOCH_DAY = 20000.0  # any epoch: the Kozai/Brouwer relation does not depend on it
_CONVERGED = 1e-15


def mean_motion_for_altitude(altitude_km: float, inclination_deg: float, eccentricity: float = 0.0) -> float:
    """Kozai mean motion (rev/day, as TLE/OMM carry it) whose SGP4 mean semi-major axis is R + altitude.

    SGP4 turns the Kozai mean motion into Brouwer's and derives its mean semi-major axis from that
    with the WGS72 constants; this inverts that step with SGP4's own initialisation.
    """
    semi_major_axis_er = (EARTH_RADIUS_KM + altitude_km) / EARTH_RADIUS_KM
    target_rad_min = wgs72.xke / semi_major_axis_er**1.5  # Brouwer mean motion, rad/min
    kozai_rad_min = target_rad_min
    inclination_rad = math.radians(inclination_deg)
    for _ in range(20):
        sat = Satrec()
        sat.sgp4init(
            WGS72, "i", 0, _SGP4_EPOCH_DAY, 0.0, 0.0, 0.0, eccentricity, 0.0, inclination_rad, 0.0,
            kozai_rad_min, 0.0,
        )
        # sat.a is SGP4's mean semi-major axis (Earth radii), from its Brouwer mean motion.
        ratio = (float(sat.a) / semi_major_axis_er) ** 1.5
        kozai_rad_min *= ratio
        if abs(ratio - 1.0) < _CONVERGED:
            break
    return float(kozai_rad_min) * _MINUTES_PER_DAY / (2.0 * math.pi)


def walker_delta(
    total: int,
    planes: int,
    phasing: int,
    altitude_km: float,
    inclination_deg: float,
    epoch: datetime,
    *,
    first_norad_id: int = 900,
    name_prefix: str = "NODE",
) -> tuple[Elements, ...]:
    """A Walker delta i:T/P/F constellation of circular orbits, plane by plane.

    Plane p (0-based) has RAAN p·360/P; satellite s in it has argument of latitude
    s·360/(T/P) + p·F·360/T at `epoch`. Catalog numbers run from `first_norad_id`; names are
    `{name_prefix}-{plane:02d}-{slot:02d}` (1-based).
    """
    if total <= 0 or planes <= 0:
        raise ValueError(f"total and planes must be positive, got T={total}, P={planes}")
    if total % planes:
        raise ValueError(f"total {total} is not divisible by planes {planes}")
    if not 0 <= phasing < planes:
        raise ValueError(f"phasing F={phasing} must be in [0, P-1] = [0, {planes - 1}]")
    if not altitude_km > 0.0 or not math.isfinite(altitude_km):
        raise ValueError(f"altitude must be > 0 km, got {altitude_km}")
    if not 0.0 <= inclination_deg <= 180.0:
        raise ValueError(f"inclination must be in [0, 180] deg, got {inclination_deg}")
    if first_norad_id < 0:
        raise ValueError(f"first catalog number must be >= 0, got {first_norad_id}")
    if epoch.tzinfo is None:
        raise ValueError("epoch must be timezone-aware UTC")
    per_plane = total // planes
    mean_motion = mean_motion_for_altitude(altitude_km, inclination_deg)
    result: list[Elements] = []
    for plane in range(planes):
        raan_deg = plane * 360.0 / planes
        for slot in range(per_plane):
            anomaly_deg = (slot * 360.0 / per_plane + plane * phasing * 360.0 / total) % 360.0
            result.append(
                Elements(
                    norad_id=first_norad_id + len(result),
                    name=f"{name_prefix}-{plane + 1:02d}-{slot + 1:02d}",
                    epoch=epoch,
                    mean_motion_rev_per_day=mean_motion,
                    eccentricity=0.0,
                    inclination_deg=inclination_deg,
                    raan_deg=raan_deg,
                    arg_perigee_deg=0.0,
                    mean_anomaly_deg=anomaly_deg,
                    bstar_per_earth_radius=0.0,
                    element_set_no=1,
                )
            )
    return tuple(result)
