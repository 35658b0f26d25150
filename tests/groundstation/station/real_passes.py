"""Real ISS passes (CelesTrak elements of 2025-04-23) over stations placed for a chosen geometry.

The ISS reaches its northernmost latitude at `APEX` (2025-04-24 13:29 UTC); stations around the
point below it see passes through the zenith, across the north wrap point, and longer than a 90°
overlap. Geometry checked in `test_passtrack.py` against Skyfield.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import cache

import numpy as np

from groundstation.station.passtrack import pass_track, upcoming_passes
from groundstation.station.sky import SkyTrack
from tests.conftest import DATA
from tracking.element_io import read_elements
from tracking.elements import Elements
from tracking.geometry import GroundLocation
from tracking.look import subsatellite_points
from tracking.passes import Pass
from tracking.propagation import Propagator

ELEMENTS_FILE = DATA / "elements" / "celestrak-active-2025-04-23-sample.3le"
ISS_CATALOG_NUMBER = 25544
SEARCH_FROM = datetime(2025, 4, 24, 12, 0, tzinfo=UTC)


@cache
def iss() -> Elements:
    (found,) = [e for e in read_elements(ELEMENTS_FILE).elements if e.norad_id == ISS_CATALOG_NUMBER]
    return found


@cache
def apex() -> tuple[datetime, float, float]:
    """When and where (latitude, longitude) the ISS is farthest north after SEARCH_FROM (1 min steps)."""
    times = [SEARCH_FROM + timedelta(minutes=m) for m in range(95)]
    points = subsatellite_points(Propagator([iss()]).propagate(times))
    k = int(np.argmax(points.latitude_deg[0]))
    return times[k], float(points.latitude_deg[0, k]), float(points.longitude_deg[0, k])


def station_near_apex(name: str, north_deg: float, east_deg: float) -> GroundLocation:
    _, latitude, longitude = apex()
    return GroundLocation(name, latitude + north_deg, longitude + east_deg, 100.0)


@cache
def real_pass(north_deg: float, east_deg: float) -> tuple[GroundLocation, Pass, SkyTrack]:
    station = station_near_apex(f"apex{north_deg:+g}{east_deg:+g}", north_deg, east_deg)
    when, _, _ = apex()
    (found,) = upcoming_passes(iss(), station, when - timedelta(minutes=15), when + timedelta(minutes=15))
    return station, found, pass_track(iss(), station, found)


def zenith_pass() -> tuple[GroundLocation, Pass, SkyTrack]:
    """Max elevation 90.0°, 267° → 90° through the zenith."""
    return real_pass(0.0, 0.0)


def north_crossing_pass() -> tuple[GroundLocation, Pass, SkyTrack]:
    """Max elevation 33.6° at azimuth 358°: 281° → 76° across north (155° of azimuth)."""
    return real_pass(-5.0, 0.0)


def longer_than_overlap_pass() -> tuple[GroundLocation, Pass, SkyTrack]:
    """Max elevation 68.3°: 288° → 103° across north (174° of azimuth; a 0..450° rotator lacks 13°)."""
    return real_pass(-3.0, 20.0)
