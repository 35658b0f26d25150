"""What the desktop app shows: the objects to track and the stations, from the settings.

Qt-free so the headless CLI and the tests build the same scene the window draws.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

from groundstation.app_settings import AppSettings, StationSettings
from groundstation.clock import require_utc
from tracking.elements import Elements

_EARTH_MU_KM3_S2 = 398600.4418
_EARTH_RADIUS_KM = 6378.137
_SECONDS_PER_DAY = 86400.0


@dataclass(frozen=True)
class Scene:
    title: str
    elements: tuple[Elements, ...]
    stations: tuple[StationSettings, ...]
    own_norad_ids: frozenset[int]  # our constellation's nodes (the rest is background catalog)

    def index_of(self, norad_id: int) -> int | None:
        for index, element in enumerate(self.elements):
            if element.norad_id == norad_id:
                return index
        return None


def load_scene(settings: AppSettings, at: datetime) -> Scene:
    """Elements from every configured source (the demo source generates the demo constellation with
    its epoch at `at`), and the configured stations."""
    at = require_utc(at, "scene time")
    elements: list[Elements] = []
    own: set[int] = set()
    for source in settings.element_sources:
        if source.kind == "demo":
            demo = demo_constellation(at)
            elements.extend(demo)
            own.update(e.norad_id for e in demo)
    titles = ", ".join(s.name for s in settings.element_sources) or "no element sources"
    return Scene(titles, tuple(elements), settings.stations, frozenset(own))


def demo_constellation(epoch: datetime, planes: int = 4, per_plane: int = 6) -> tuple[Elements, ...]:
    """A Walker-delta 24/4/1 constellation of nodes at 550 km, 53 degrees (provisional: replaced by
    `groundstation.demo` when it lands)."""
    semi_major_axis_km = _EARTH_RADIUS_KM + 550.0
    mean_motion = math.sqrt(_EARTH_MU_KM3_S2 / semi_major_axis_km**3) * _SECONDS_PER_DAY / (2.0 * math.pi)
    total = planes * per_plane
    nodes = []
    for plane in range(planes):
        for slot in range(per_plane):
            number = plane * per_plane + slot
            nodes.append(
                Elements(
                    norad_id=99001 + number,
                    name=f"NODE-{number + 1:02d}",
                    epoch=epoch,
                    mean_motion_rev_per_day=mean_motion,
                    eccentricity=0.0001,
                    inclination_deg=53.0,
                    raan_deg=360.0 * plane / planes,
                    arg_perigee_deg=0.0,
                    mean_anomaly_deg=(360.0 * slot / per_plane + 360.0 * plane / total) % 360.0,
                    bstar_per_earth_radius=0.0,
                )
            )
    return tuple(nodes)
