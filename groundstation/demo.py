"""The built-in demo: a Walker-delta "drone constellation" and a handful of ground stations worldwide.

Shared by `groundstation demo`, the simulator and the desktop app, so they all show the same network.
"""

from __future__ import annotations

from datetime import UTC, datetime

from tracking.elements import Elements
from tracking.geometry import GroundLocation
from tracking.walker import walker_delta

# Walker delta 53°: 24/4/1 at 550 km, like one shell of today's broadband constellations, scaled down.
DEMO_TOTAL = 24
DEMO_PLANES = 4
DEMO_PHASING = 1
DEMO_ALTITUDE_KM = 550.0
DEMO_INCLINATION_DEG = 53.0
DEMO_FIRST_NORAD_ID = 900
DEMO_NAME_PREFIX = "NODE"

DEMO_STATIONS: tuple[GroundLocation, ...] = (
    GroundLocation("Delft", 51.9990, 4.3733, 0.0),
    GroundLocation("Kiruna", 67.8570, 20.9640, 400.0),
    GroundLocation("Fairbanks", 64.8594, -147.8498, 200.0),
    GroundLocation("Hartebeesthoek", -25.8900, 27.6853, 1540.0),
    GroundLocation("Santiago", -33.1511, -70.6664, 720.0),
    GroundLocation("Perth", -31.8023, 115.8875, 40.0),
    GroundLocation("Tokyo", 35.7100, 139.4900, 60.0),
)


def demo_epoch(now: datetime) -> datetime:
    """The demo's element epoch for a run at `now`: that UTC day's midnight (fresh, and the same all day)."""
    moment = now.astimezone(UTC)
    return moment.replace(hour=0, minute=0, second=0, microsecond=0)


def demo_constellation(epoch: datetime) -> tuple[Elements, ...]:
    """The demo's 24 nodes (catalog numbers 900-923, names NODE-pp-ss), elements at `epoch`."""
    return walker_delta(
        DEMO_TOTAL, DEMO_PLANES, DEMO_PHASING, DEMO_ALTITUDE_KM, DEMO_INCLINATION_DEG, epoch,
        first_norad_id=DEMO_FIRST_NORAD_ID, name_prefix=DEMO_NAME_PREFIX,
    )  # fmt: skip
