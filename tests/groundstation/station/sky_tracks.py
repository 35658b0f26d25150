"""Synthetic passes with exactly known geometry: arcs of circles on the sky, above the horizon.

A circle of angular radius `radius_deg` around a pole at (`pole_azimuth_deg`, `pole_elevation_deg`)
(a pole below the horizon gives a low pass centred on its azimuth; `radius_deg=90` is a great
circle, tilted `90 - max elevation` from the vertical). The satellite moves along it at
`rate_deg_s` of arc, clockwise seen from above (west to east through the south for a northern pole).
"""

from __future__ import annotations

import numpy as np

from groundstation.station.sky import SkyTrack, to_azimuth_elevation, unit_vectors

EPOCH_S = 1_795_000_000.0  # 2026-11-19, any instant works


def circle_track(
    pole_azimuth_deg: float,
    pole_elevation_deg: float,
    radius_deg: float,
    *,
    rate_deg_s: float = 0.8,
    step_s: float = 1.0,
    reverse: bool = False,
    start_s: float = EPOCH_S,
) -> SkyTrack:
    pole = unit_vectors(pole_azimuth_deg, pole_elevation_deg)
    helper = np.array([0.0, 0.0, 1.0]) if abs(pole[2]) < 0.9 else np.array([1.0, 0.0, 0.0])
    e1 = np.cross(pole, helper)
    e1 /= np.linalg.norm(e1)
    e2 = np.cross(pole, e1)
    rho = np.radians(radius_deg)
    phi = np.radians(np.arange(0.0, 360.0, 0.01))
    points = np.cos(rho) * pole + np.sin(rho) * (np.cos(phi)[:, None] * e1 + np.sin(phi)[:, None] * e2)
    up = points[:, 2] >= 0
    # Rotate the parameter so the arc above the horizon is contiguous.
    first_down = int(np.argmin(up))
    points, up = np.roll(points, -first_down, axis=0), np.roll(up, -first_down)
    arc = points[up]
    if reverse:
        arc = arc[::-1]
    seg = np.degrees(np.arccos(np.clip(np.sum(arc[1:] * arc[:-1], axis=1), -1, 1)))
    along = np.concatenate([[0.0], np.cumsum(seg)])
    times = np.arange(0.0, along[-1] / rate_deg_s, step_s)
    index = np.interp(times * rate_deg_s, along, np.arange(along.size))
    sample = arc[np.round(index).astype(int)]
    azimuth, elevation = to_azimuth_elevation(sample)
    # Range rate of a satellite receding on the second half: enough to drive Doppler tests.
    range_rate = np.linspace(-6000.0, 6000.0, times.size)
    return SkyTrack("synthetic", start_s + times, azimuth, np.maximum(elevation, 0.0), range_rate)


def zenith_pass(offset_deg: float, *, heading_deg: float = 30.0, rate_deg_s: float = 0.8) -> SkyTrack:
    """A great circle between the horizon at `heading_deg` and at `heading_deg + 180`, over the
    zenith (missing it by `offset_deg`)."""
    return circle_track(heading_deg + 90.0, offset_deg, 90.0, rate_deg_s=rate_deg_s)
