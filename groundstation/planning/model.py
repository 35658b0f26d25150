"""Domain values for pass planning: stations, node requests, contact opportunities, contacts, plans.

All times are timezone-aware UTC datetimes. Contacts start and end on whole seconds: the planner
works in integer seconds from the plan start, so constraints hold exactly, with no rounding slack.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from groundstation.clock import require_utc


def _aware(moment: datetime, what: str) -> datetime:
    return require_utc(moment, what)


@dataclass(frozen=True)
class TimeWindow:
    """A half-open span of time [start, end)."""

    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        object.__setattr__(self, "start", _aware(self.start, "start"))
        object.__setattr__(self, "end", _aware(self.end, "end"))
        if not self.end > self.start:
            raise ValueError(f"end {self.end.isoformat()} must be after start {self.start.isoformat()}")


@dataclass(frozen=True)
class Reservation:
    """Existing use of one antenna that the plan must keep (and keep setup time around)."""

    start: datetime
    end: datetime
    antenna: int = 0
    norad_id: int | None = None
    label: str = ""

    def __post_init__(self) -> None:
        TimeWindow(self.start, self.end)  # validates
        object.__setattr__(self, "start", _aware(self.start, "start"))
        object.__setattr__(self, "end", _aware(self.end, "end"))
        if self.antenna < 0:
            raise ValueError(f"antenna must be >= 0, got {self.antenna}")


@dataclass(frozen=True)
class Station:
    """A ground station: where it is, what it can do, and when it is not available.

    `horizon_mask` holds (azimuth_deg, elevation_deg) points; between points the mask is linear in
    azimuth, wrapping at 360°. A pass counts above max(mask, min_elevation_deg).
    """

    name: str
    latitude_deg: float
    longitude_deg: float
    altitude_m: float = 0.0
    antennas: int = 1
    min_elevation_deg: float = 0.0
    horizon_mask: tuple[tuple[float, float], ...] = ()
    setup_s: int = 0
    transmit: bool = False
    blackouts: tuple[TimeWindow, ...] = ()
    reservations: tuple[Reservation, ...] = ()

    def __post_init__(self) -> None:
        if not self.name:
            raise ValueError("station name must not be empty")
        if not -90.0 <= self.latitude_deg <= 90.0:
            raise ValueError(f"latitude_deg must be in [-90, 90], got {self.latitude_deg}")
        if not -180.0 <= self.longitude_deg <= 360.0:
            raise ValueError(f"longitude_deg must be in [-180, 360], got {self.longitude_deg}")
        if self.antennas < 1:
            raise ValueError(f"antennas must be >= 1, got {self.antennas}")
        if not -90.0 <= self.min_elevation_deg < 90.0:
            raise ValueError(f"min_elevation_deg must be in [-90, 90), got {self.min_elevation_deg}")
        if self.setup_s < 0:
            raise ValueError(f"setup_s must be >= 0, got {self.setup_s}")
        for azimuth_deg, elevation_deg in self.horizon_mask:
            if not 0.0 <= azimuth_deg <= 360.0 or not -90.0 <= elevation_deg < 90.0:
                raise ValueError(f"horizon_mask point ({azimuth_deg}, {elevation_deg}) is out of range")
        for reservation in self.reservations:
            if reservation.antenna >= self.antennas:
                raise ValueError(
                    f"reservation on antenna {reservation.antenna}, but the station has {self.antennas}"
                )

    def mask_elevation_deg(self, azimuth_deg: float) -> float:
        """The lowest useful elevation at `azimuth_deg`: the mask (linear between points) or the minimum."""
        if not self.horizon_mask:
            return self.min_elevation_deg
        points = sorted(self.horizon_mask)
        azimuth_deg %= 360.0
        # Wrap: the segment from the last point to the first one (plus 360°).
        extended = [(points[-1][0] - 360.0, points[-1][1]), *points, (points[0][0] + 360.0, points[0][1])]
        for (az0, el0), (az1, el1) in itertools.pairwise(extended):
            if az0 <= azimuth_deg <= az1:
                fraction = 0.0 if az1 == az0 else (azimuth_deg - az0) / (az1 - az0)
                return max(self.min_elevation_deg, el0 + fraction * (el1 - el0))
        return self.min_elevation_deg  # pragma: no cover - the extended list covers [0, 360]


@dataclass(frozen=True)
class NodeRequest:
    """What a node (spacecraft) needs from the network.

    `min_elevation_deg`, when set, makes only the part of a pass above it useful (e.g. for a
    high-rate downlink); otherwise the whole pass above the station's mask is.
    """

    norad_id: int
    priority: float = 1.0
    min_contact_s: int = 60
    contacts_per_day: int = 1
    needs_uplink: bool = False
    preferred_stations: tuple[str, ...] = ()
    min_elevation_deg: float | None = None
    name: str = ""

    def __post_init__(self) -> None:
        if self.norad_id < 0:
            raise ValueError(f"norad_id must be >= 0, got {self.norad_id}")
        if not (self.priority > 0 and math.isfinite(self.priority)):
            raise ValueError(f"priority must be a positive number, got {self.priority}")
        if self.min_contact_s < 1:
            raise ValueError(f"min_contact_s must be >= 1, got {self.min_contact_s}")
        if self.contacts_per_day < 0:
            raise ValueError(f"contacts_per_day must be >= 0, got {self.contacts_per_day}")
        if self.min_elevation_deg is not None and not -90.0 <= self.min_elevation_deg < 90.0:
            raise ValueError(f"min_elevation_deg must be in [-90, 90), got {self.min_elevation_deg}")

    @property
    def label(self) -> str:
        return self.name or f"NORAD {self.norad_id}"


@dataclass(frozen=True)
class Opportunity:
    """A chance to talk: one pass of one node over one station.

    [pass_start, pass_end] is the pass above the station's mask; [start, end] the useful part of
    it (above the node's own elevation threshold, if it has one). A contact may use any part of
    [start, end] at least `min_contact_s` long.
    """

    station: str
    norad_id: int
    start: datetime
    end: datetime
    pass_start: datetime
    pass_end: datetime
    max_elevation_deg: float

    def __post_init__(self) -> None:
        for name in ("start", "end", "pass_start", "pass_end"):
            object.__setattr__(self, name, _aware(getattr(self, name), name))
        if not self.pass_start <= self.start < self.end <= self.pass_end:
            raise ValueError(
                f"opportunity {self.station}/{self.norad_id}: need pass_start <= start < end <= pass_end"
            )

    @classmethod
    def whole_pass(
        cls, station: str, norad_id: int, start: datetime, end: datetime, max_elevation_deg: float = 90.0
    ) -> Opportunity:
        """An opportunity whose useful part is the whole pass."""
        return cls(station, norad_id, start, end, start, end, max_elevation_deg)


@dataclass(frozen=True)
class Contact:
    """One scheduled contact: `antenna` (from 0) of `station` tracks node `norad_id` over [start, end]."""

    station: str
    antenna: int
    norad_id: int
    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        object.__setattr__(self, "start", _aware(self.start, "start"))
        object.__setattr__(self, "end", _aware(self.end, "end"))
        if not self.end > self.start:
            raise ValueError(f"contact end {self.end.isoformat()} must be after start")

    @property
    def duration_s(self) -> float:
        return (self.end - self.start).total_seconds()


@dataclass(frozen=True)
class Unmet:
    """A requirement the plan does not meet, and why."""

    norad_id: int
    requirement: str  # "contacts_per_day" or "any_contact"
    day_start: datetime | None
    wanted: int
    got: int
    reason: str


@dataclass(frozen=True)
class Plan:
    """A schedule and how good it is.

    `objective` is what the planner maximises (see `groundstation.planning.objective`); `bound` is
    the best proven upper bound on it (None for the greedy planner) and `gap` = (bound −
    objective) / |objective|, 0 when proven optimal, None when unknown.
    """

    start: datetime
    end: datetime
    solver: str  # "optimal" or "greedy"
    status: str  # "optimal", "time_limit" or "heuristic"
    contacts: tuple[Contact, ...]
    objective: float
    bound: float | None
    gap: float | None
    unmet: tuple[Unmet, ...] = ()
    stats: tuple[tuple[str, float], ...] = field(default=())

    def contacts_of(self, norad_id: int) -> tuple[Contact, ...]:
        return tuple(c for c in self.contacts if c.norad_id == norad_id)


@dataclass(frozen=True)
class PlanningProblem:
    """Everything the planner needs: the period, the network, the requests and the opportunities."""

    start: datetime
    end: datetime
    stations: tuple[Station, ...]
    nodes: tuple[NodeRequest, ...]
    opportunities: tuple[Opportunity, ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "start", _aware(self.start, "start"))
        object.__setattr__(self, "end", _aware(self.end, "end"))
        if self.start.microsecond or self.end.microsecond:
            raise ValueError("plan start and end must be whole seconds")
        if not self.end > self.start:
            raise ValueError("plan end must be after its start")
        names = [s.name for s in self.stations]
        if len(set(names)) != len(names):
            raise ValueError(f"duplicate station names: {sorted({n for n in names if names.count(n) > 1})}")
        ids = [n.norad_id for n in self.nodes]
        if len(set(ids)) != len(ids):
            raise ValueError(f"duplicate node norad_ids: {sorted({i for i in ids if ids.count(i) > 1})}")
        station_names, node_ids = set(names), set(ids)
        for opp in self.opportunities:
            if opp.station not in station_names:
                raise ValueError(f"opportunity for unknown station {opp.station!r}")
            if opp.norad_id not in node_ids:
                raise ValueError(f"opportunity for unknown node {opp.norad_id}")
        for node in self.nodes:
            for name in node.preferred_stations:
                if name not in station_names:
                    raise ValueError(f"node {node.norad_id}: unknown preferred station {name!r}")

    @property
    def horizon_s(self) -> int:
        return int((self.end - self.start).total_seconds())

    def station(self, name: str) -> Station:
        for station in self.stations:
            if station.name == name:
                return station
        raise KeyError(name)

    def node(self, norad_id: int) -> NodeRequest:
        for node in self.nodes:
            if node.norad_id == norad_id:
                return node
        raise KeyError(norad_id)

    def days(self) -> list[tuple[datetime, datetime]]:
        """The 24-hour periods counted from the plan start (the last one may be shorter)."""
        out = []
        day_start = self.start
        while day_start < self.end:
            day_end = min(day_start + timedelta(days=1), self.end)
            out.append((day_start, day_end))
            day_start = day_end
        return out
