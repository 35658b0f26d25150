"""Contact opportunities from the tracking engine's passes.

A station's horizon is max(its azimuth mask, its minimum elevation), exactly (piecewise linear, with
the crossing azimuths inserted). Passes above it are the opportunities; when a node asks for a
higher elevation, the part of each pass above max(horizon, that elevation) is the useful part,
found by the same engine with the raised horizon.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime

from groundstation.planning.model import NodeRequest, Opportunity, Station
from tracking.elements import Elements
from tracking.geometry import GroundLocation, HorizonMask
from tracking.passes import Pass, find_passes


def clamped_mask_points(points: Sequence[tuple[float, float]], level_deg: float) -> list[tuple[float, float]]:
    """Points of max(mask, level): the mask's points raised to the level, plus the azimuths where a
    mask segment crosses the level (so linear interpolation gives the exact maximum)."""
    if not points:
        return [(0.0, level_deg)]
    pts = sorted((az % 360.0, el) for az, el in points)
    ring = [*pts, (pts[0][0] + 360.0, pts[0][1])]
    out = []
    for (az0, el0), (az1, el1) in itertools.pairwise(ring):
        out.append((az0, max(el0, level_deg)))
        if (el0 - level_deg) * (el1 - level_deg) < 0 and az1 > az0:
            crossing = az0 + (level_deg - el0) / (el1 - el0) * (az1 - az0)
            out.append((crossing % 360.0, level_deg))
    unique: dict[float, float] = {}
    for az, el in out:
        unique.setdefault(round(az, 9), el)
    return sorted(unique.items())


def station_horizon(station: Station, level_deg: float | None = None) -> HorizonMask:
    """The station's horizon, raised to `level_deg` when given."""
    level = station.min_elevation_deg if level_deg is None else max(station.min_elevation_deg, level_deg)
    return HorizonMask.from_points(clamped_mask_points(station.horizon_mask, level))


def location(station: Station) -> GroundLocation:
    return GroundLocation(station.name, station.latitude_deg, station.longitude_deg, station.altitude_m)


def _passes(
    elements: Sequence[Elements],
    stations: Sequence[Station],
    start: datetime,
    end: datetime,
    level_deg: float | None,
) -> list[Pass]:
    """Passes above each station's horizon (raised to `level_deg`). Stations without an azimuth mask
    share one engine call per horizon elevation (the engine's fast path); masked ones get their masks."""
    flat: dict[float, list[Station]] = defaultdict(list)
    masked: list[Station] = []
    for station in stations:
        if station.horizon_mask:
            masked.append(station)
        else:
            level = (
                station.min_elevation_deg if level_deg is None else max(station.min_elevation_deg, level_deg)
            )
            flat[level].append(station)
    out: list[Pass] = []
    for level, group in sorted(flat.items()):
        out.extend(find_passes(elements, [location(s) for s in group], start, end, horizon_deg=level).passes)
    if masked:
        masks = {s.name: station_horizon(s, level_deg) for s in masked}
        lowest = min(mask.lowest_deg for mask in masks.values())
        found = find_passes(
            elements, [location(s) for s in masked], start, end, horizon_deg=lowest, horizon_mask=masks
        )
        out.extend(found.passes)
    return out


def opportunities(
    elements: Sequence[Elements],
    stations: Sequence[Station],
    nodes: Sequence[NodeRequest],
    start: datetime,
    end: datetime,
) -> tuple[Opportunity, ...]:
    """Every pass of every requested node over every station, with its useful part."""
    wanted = {node.norad_id: node for node in nodes}
    tracked = [e for e in elements if e.norad_id in wanted]
    if not tracked or not stations:
        return ()
    passes = _passes(tracked, stations, start, end, None)
    # Nodes that only use the part of a pass above their own elevation, grouped by that elevation.
    by_level: dict[float, list[Elements]] = defaultdict(list)
    for e in tracked:
        level = wanted[e.norad_id].min_elevation_deg
        if level is not None:
            by_level[level].append(e)
    leveled = {e.norad_id for group in by_level.values() for e in group}
    useful: dict[tuple[str, int], list[Pass]] = defaultdict(list)
    for level, group in sorted(by_level.items()):
        for p in _passes(group, stations, start, end, level):
            useful[(p.station, p.norad_id)].append(p)
    out = []
    for p in passes:
        if p.norad_id not in leveled:
            out.append(Opportunity.whole_pass(p.station, p.norad_id, p.aos, p.los, p.max_elevation_deg))
            continue
        for q in useful[(p.station, p.norad_id)]:
            if q.los <= p.aos or q.aos >= p.los:
                continue
            # The raised pass lies inside this one (to the engine's precision): clip to be exact.
            start_q, end_q = max(q.aos, p.aos), min(q.los, p.los)
            if end_q > start_q:
                out.append(
                    Opportunity(p.station, p.norad_id, start_q, end_q, p.aos, p.los, p.max_elevation_deg)
                )
    out.sort(key=lambda o: (o.start, o.station, o.norad_id))
    return tuple(out)
