"""What a station's polar sky plot shows, without Qt: the selected node's current and next pass over
the station (tracks of azimuth and elevation), where the node is now, and the horizon mask.

Passes come from `tracking.passes.find_passes` (the station's minimum elevation and mask applied);
tracks and the node's position from `tracking.look`. `SkyPlan` is the slow part (a pass search),
made in a worker and reused for as long as it covers the clock; `SkyPlan.at(moment)` is cheap
enough for every tick.

Polar coordinates: the zenith at the centre, the horizon at radius 90, north up, east to the
right (as Gpredict and SatNOGS draw it, seen from below looking up with east on the right).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np

from groundstation.app_settings import StationSettings
from groundstation.clock import require_utc
from tracking.elements import Elements
from tracking.frames import FloatArray, to_posix_s
from tracking.geometry import GroundLocation, HorizonMask
from tracking.look import look_angles
from tracking.passes import Pass, find_passes
from tracking.propagation import Propagator

# A pass search looks this far back (a pass in progress is found whole) and ahead.
LOOK_BACK = timedelta(hours=1)
LOOK_AHEAD = timedelta(hours=36)
# ...and is redone once the clock is this close to its end.
REFRESH_MARGIN = timedelta(hours=12)
TRACK_STEP_S = 5.0
HORIZON_SAMPLES = 361


def polar_xy(
    azimuth_deg: FloatArray | float, elevation_deg: FloatArray | float
) -> tuple[FloatArray, FloatArray]:
    """Plot coordinates of sky directions: radius 90 - elevation, north up, east right."""
    radius = 90.0 - np.asarray(elevation_deg, dtype=np.float64)
    azimuth = np.radians(np.asarray(azimuth_deg, dtype=np.float64))
    return radius * np.sin(azimuth), radius * np.cos(azimuth)


def station_location(station: StationSettings) -> GroundLocation:
    return GroundLocation(station.name, station.latitude_deg, station.longitude_deg, station.altitude_m)


def station_mask(station: StationSettings) -> HorizonMask | None:
    return HorizonMask.from_points(station.horizon_mask) if station.horizon_mask else None


def horizon_line(station: StationSettings) -> tuple[FloatArray, FloatArray]:
    """(azimuth_deg, elevation_deg) of the lowest visible elevation all around: the mask, and never
    below the station's minimum elevation."""
    azimuth = np.linspace(0.0, 360.0, HORIZON_SAMPLES)
    mask = station_mask(station)
    floor = np.full_like(azimuth, station.min_elevation_deg)
    return azimuth, floor if mask is None else np.maximum(floor, mask.elevation_deg(azimuth))


@dataclass(frozen=True, eq=False)
class SkyTrack:
    """One pass as the station sees it, sampled every TRACK_STEP_S from AOS to LOS."""

    pass_: Pass
    times_s: FloatArray  # POSIX seconds
    azimuth_deg: FloatArray
    elevation_deg: FloatArray


@dataclass(frozen=True, eq=False)
class SkyView:
    """The sky plot at one instant."""

    moment: datetime
    current: SkyTrack | None  # the pass in progress
    next: SkyTrack | None  # the first pass after it (or after now)
    azimuth_deg: float  # the node now (NaN when SGP4 fails)
    elevation_deg: float
    range_km: float
    range_rate_m_s: float


@dataclass(frozen=True, eq=False)
class SkyPlan:
    """The passes of one node over one station within [start, end], with their tracks."""

    station: StationSettings
    element: Elements
    start: datetime
    end: datetime
    tracks: tuple[SkyTrack, ...]

    def covers(self, moment: datetime) -> bool:
        return self.start + LOOK_BACK <= moment <= self.end - REFRESH_MARGIN

    def at(self, moment: datetime) -> SkyView:
        require_utc(moment, "sky plot time")
        now_s = to_posix_s(moment)
        current = next((t for t in self.tracks if t.times_s[0] <= now_s <= t.times_s[-1]), None)
        upcoming = next((t for t in self.tracks if t.times_s[0] > now_s), None)
        look = look_angles(Propagator([self.element]).propagate(moment), station_location(self.station))
        return SkyView(
            moment=moment,
            current=current,
            next=upcoming,
            azimuth_deg=float(look.azimuth_deg[0, 0]),
            elevation_deg=float(look.elevation_deg[0, 0]),
            range_km=float(look.range_km[0, 0]),
            range_rate_m_s=float(look.range_rate_m_s[0, 0]),
        )


def plan_sky(station: StationSettings, element: Elements, moment: datetime) -> SkyPlan:
    """Search the node's passes over the station around `moment` (the slow part: run it in a worker)."""
    start = require_utc(moment, "sky plot time") - LOOK_BACK
    end = moment + LOOK_AHEAD
    propagator = Propagator([element])
    location = station_location(station)
    result = find_passes(
        propagator,
        [location],
        start,
        end,
        horizon_deg=station.min_elevation_deg,
        horizon_mask=station_mask(station),
    )
    tracks = []
    for found in result.passes:
        aos_s, los_s = to_posix_s(found.aos), to_posix_s(found.los)
        count = max(2, math.ceil((los_s - aos_s) / TRACK_STEP_S) + 1)
        times = np.linspace(aos_s, los_s, count)
        look = look_angles(propagator.propagate(times), location)
        tracks.append(SkyTrack(found, times, look.azimuth_deg[0], look.elevation_deg[0]))
    return SkyPlan(station, element, start, end, tuple(tracks))
