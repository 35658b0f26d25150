"""Re-check contacts against the tracking engine: each lies inside a pass `find_passes` reports, and
the node is above the station's mask and the node's own elevation at every second of it."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

import numpy as np

from groundstation.planning.model import NodeRequest, Plan, Station
from tracking.elements import Elements
from tracking.geometry import GroundLocation, HorizonMask
from tracking.look import look_angles
from tracking.passes import find_passes
from tracking.propagation import Propagator

# Contacts start and end on whole seconds inside engine-refined AOS/LOS: at a few tenths of a
# degree per second near the horizon, this is ample. The per-second elevation check is the exact one.
ELEVATION_TOLERANCE_DEG = 0.05
# The engine here gets the mask sampled every MASK_STEP_DEG (a chord above a kinked mask): its
# AOS/LOS can differ from the exact mask's by a fraction of a second.
PASS_TOLERANCE_S = 1.0
MASK_STEP_DEG = 0.5
SEARCH_MARGIN = timedelta(minutes=30)


def _mask(station: Station) -> HorizonMask:
    azimuths = np.arange(0.0, 360.0, MASK_STEP_DEG)
    return HorizonMask.from_points((float(az), station.mask_elevation_deg(float(az))) for az in azimuths)


def contact_problems(
    plan: Plan, stations: Sequence[Station], nodes: Sequence[NodeRequest], elements: Sequence[Elements]
) -> list[str]:
    out = []
    by_name = {s.name: s for s in stations}
    by_id = {n.norad_id: n for n in nodes}
    element_of = {e.norad_id: e for e in elements}
    for c in plan.contacts:
        station, node, element = by_name[c.station], by_id[c.norad_id], element_of[c.norad_id]
        where = GroundLocation(station.name, station.latitude_deg, station.longitude_deg, station.altitude_m)
        passes = find_passes(
            [element], [where], c.start - SEARCH_MARGIN, c.end + SEARCH_MARGIN, horizon_mask=_mask(station)
        ).passes
        inside = [
            p
            for p in passes
            if (c.start - p.aos).total_seconds() >= -PASS_TOLERANCE_S
            and (p.los - c.end).total_seconds() >= -PASS_TOLERANCE_S
        ]
        if not inside:
            out.append(f"{c}: not inside any pass the engine finds ({[(p.aos, p.los) for p in passes]})")
        seconds = np.arange(c.start.timestamp(), c.end.timestamp() + 0.5, 1.0)
        look = look_angles(Propagator([element]).propagate(seconds), where)
        azimuth, elevation = look.azimuth_deg[0], look.elevation_deg[0]
        needed = np.array([station.mask_elevation_deg(float(az)) for az in azimuth])
        if node.min_elevation_deg is not None:
            needed = np.maximum(needed, node.min_elevation_deg)
        worst = float(np.min(elevation - needed))
        if worst < -ELEVATION_TOLERANCE_DEG:
            out.append(f"{c}: {-worst:.3f}° below the mask or the node's elevation")
    return out
