"""Passes from the tracking engine, sampled for the pointing planner and the Doppler controller."""

from __future__ import annotations

import math
from datetime import datetime

import numpy as np

from groundstation.station.sky import SkyTrack
from tracking.elements import Elements
from tracking.geometry import GroundLocation, HorizonMask
from tracking.look import look_angles
from tracking.passes import Pass, find_passes
from tracking.propagation import Propagator

DEFAULT_STEP_S = 1.0


def sky_track(
    elements: Elements,
    location: GroundLocation,
    start: datetime,
    end: datetime,
    *,
    step_s: float = DEFAULT_STEP_S,
    propagator: Propagator | None = None,
) -> SkyTrack:
    """Look angles and range rate of one satellite from `start` to `end` (both included), every `step_s`.

    Raises ValueError when SGP4 cannot propagate the elements over that time (decayed, bad elements).
    """
    start_s, end_s = start.timestamp(), end.timestamp()
    if not end_s > start_s:
        raise ValueError(f"end ({end.isoformat()}) must be after start ({start.isoformat()})")
    count = max(2, math.ceil((end_s - start_s) / step_s) + 1)
    times_s = np.linspace(start_s, end_s, count)
    states = (propagator or Propagator([elements])).propagate(times_s)
    errors = states.errors()
    if errors:
        raise ValueError(f"{elements.name or elements.norad_id}: {errors[0]}")
    look = look_angles(states, location)
    return SkyTrack(
        elements.name or str(elements.norad_id),
        times_s,
        look.azimuth_deg[0],
        look.elevation_deg[0],
        look.range_rate_m_s[0],
    )


def pass_track(
    elements: Elements, location: GroundLocation, found: Pass, *, step_s: float = DEFAULT_STEP_S
) -> SkyTrack:
    """One pass from AOS to LOS."""
    return sky_track(elements, location, found.aos, found.los, step_s=step_s)


def upcoming_passes(
    elements: Elements,
    location: GroundLocation,
    start: datetime,
    end: datetime,
    *,
    min_elevation_deg: float = 0.0,
    horizon_deg: float = 0.0,
    horizon_mask: HorizonMask | None = None,
) -> tuple[Pass, ...]:
    """The satellite's passes over `location` between `start` and `end`, in time order (a pass in
    progress at `start` included): AOS/LOS where it clears `horizon_deg` and the station's
    azimuth-dependent `horizon_mask`, as `tracking.passes.find_passes` finds them. ValueError when
    SGP4 fails on the elements and finds none."""
    found = find_passes(
        [elements],
        [location],
        start,
        end,
        horizon_deg=horizon_deg,
        horizon_mask=horizon_mask,
        min_elevation_deg=min_elevation_deg,
    )
    if found.errors and not found.passes:
        raise ValueError(str(found.errors[0]))
    return tuple(sorted(found.passes, key=lambda item: item.aos))
