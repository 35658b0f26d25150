"""What the pass timeline shows, without Qt: the upcoming passes of our nodes over every station and
the planned contacts per station and antenna, as bars on rows, filtered by node, station and
minimum elevation; and the plan exported in the planning formats.

Planning is `groundstation.planning`: opportunities from the tracking engine, then the exact HiGHS
planner (or the greedy one). `plan_network` is the slow part: a worker runs it.

One row per station: the contacts planned on each of its antennas in the upper part (a lane per
antenna), and under them the passes of every node, packed into lanes so that overlapping passes
stay readable.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import numpy as np
import numpy.typing as npt

from groundstation.app_settings import AppSettings
from groundstation.planning import export
from groundstation.planning.greedy import plan_greedy
from groundstation.planning.model import Contact, NodeRequest, Opportunity, Plan, PlanningProblem, Station
from groundstation.planning.passes import opportunities
from groundstation.planning.solver import plan_optimal
from groundstation.scene import Scene

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.intp]

PLAN_HOURS = 24.0
PLAN_TIME_LIMIT_S = 20.0
SOLVERS = ("optimal", "greedy")
# What each of our nodes asks for when no request file says otherwise: a few useful contacts a day.
DEFAULT_CONTACTS_PER_DAY = 4
DEFAULT_MIN_CONTACT_S = 120
EXPORT_FORMATS: dict[str, str] = {"csv": ".csv", "json": ".json", "ics": ".ics", "ccsds-ssf": ".xml"}
ROW_HEIGHT = 1.0
CONTACT_SHARE = 0.55  # of a row, for the contacts (split between the antennas)
PASS_SHARE = 0.35  # for the passes (split into lanes); the rest is the gap between rows
BAR_FILL = 0.85  # a bar covers this much of its lane


def planning_stations(settings: AppSettings) -> tuple[Station, ...]:
    return tuple(
        Station(
            s.name,
            s.latitude_deg,
            s.longitude_deg,
            s.altitude_m,
            antennas=s.antennas,
            min_elevation_deg=s.min_elevation_deg,
            horizon_mask=s.horizon_mask,
            transmit=bool(s.radio),
        )
        for s in settings.stations
    )


def node_requests(scene: Scene) -> tuple[NodeRequest, ...]:
    """One request per node of ours, in catalog order."""
    return tuple(
        NodeRequest(
            e.norad_id,
            contacts_per_day=DEFAULT_CONTACTS_PER_DAY,
            min_contact_s=DEFAULT_MIN_CONTACT_S,
            name=e.name,
        )
        for e in scene.elements
        if e.norad_id in scene.own_norad_ids
    )


@dataclass(frozen=True, eq=False)
class NetworkPlan:
    """A planning problem and its plan, as the timeline shows them."""

    problem: PlanningProblem
    plan: Plan
    elapsed_s: float

    @property
    def names(self) -> dict[int, str]:
        return {n.norad_id: n.label for n in self.problem.nodes}


def plan_network(
    scene: Scene,
    settings: AppSettings,
    start: datetime,
    hours: float = PLAN_HOURS,
    solver: str = "optimal",
    time_limit_s: float = PLAN_TIME_LIMIT_S,
) -> NetworkPlan:
    """Passes of our nodes over our stations from `start` (to the second) for `hours`, and the plan."""
    if solver not in SOLVERS:
        raise ValueError(f"solver must be one of {', '.join(SOLVERS)}, got {solver!r}")
    began = time.monotonic()
    start = start.replace(microsecond=0)
    end = start + timedelta(seconds=round(hours * 3600.0))
    stations = planning_stations(settings)
    nodes = node_requests(scene)
    own = [e for e in scene.elements if e.norad_id in scene.own_norad_ids]
    problem = PlanningProblem(start, end, stations, nodes, opportunities(own, stations, nodes, start, end))
    plan = plan_optimal(problem, time_limit_s=time_limit_s) if solver == "optimal" else plan_greedy(problem)
    return NetworkPlan(problem, plan, time.monotonic() - began)


# One bar: start_s, end_s, y0, height, norad_id, station, max_elevation_deg.
_Part = tuple[float, float, float, float, int, str, float]


@dataclass(frozen=True)
class TimelineFilter:
    """Which bars to show: one node (None: all), one station ("" : all), passes culminating at least
    `min_elevation_deg` (a contact counts with the pass it is in)."""

    node: int | None = None
    station: str = ""
    min_elevation_deg: float = 0.0


@dataclass(frozen=True)
class Row:
    station: str
    antennas: int
    y0: float  # top of the row in plot units (rows run downwards from 0)
    height: float

    @property
    def label(self) -> str:
        return self.station if self.antennas == 1 else f"{self.station} ×{self.antennas}"


@dataclass(frozen=True, eq=False)
class Bars:
    """Bars in plot units: x from `start_s` to `end_s` (POSIX seconds), y from `y0` for `height`."""

    start_s: FloatArray
    end_s: FloatArray
    y0: FloatArray
    height: FloatArray
    norad_id: IntArray
    station: tuple[str, ...]
    max_elevation_deg: FloatArray

    def __len__(self) -> int:
        return int(self.start_s.size)

    @classmethod
    def empty(cls) -> Bars:
        nothing = np.empty(0)
        return cls(nothing, nothing, nothing, nothing, np.empty(0, dtype=np.intp), (), nothing)

    def at(self, x_s: float, y: float) -> int | None:
        """Index of the bar under a plot point (the last drawn, if several)."""
        hit = np.flatnonzero(
            (self.start_s <= x_s) & (x_s <= self.end_s) & (self.y0 <= y) & (y <= self.y0 + self.height)
        )
        return int(hit[-1]) if hit.size else None


@dataclass(frozen=True, eq=False)
class Timeline:
    rows: tuple[Row, ...]
    passes: Bars
    contacts: Bars
    contact_list: tuple[Contact, ...] = field(default=())  # in the order of `contacts`

    @property
    def height(self) -> float:
        return sum(r.height for r in self.rows)


def _lanes(starts: Sequence[float], ends: Sequence[float]) -> list[int]:
    """Greedy interval partitioning (by start): the fewest lanes with no overlap inside a lane."""
    lane_end: list[float] = []
    lanes = [0] * len(starts)
    for index in sorted(range(len(starts)), key=lambda i: starts[i]):
        free = next((k for k, end in enumerate(lane_end) if end <= starts[index]), None)
        if free is None:
            free = len(lane_end)
            lane_end.append(-math.inf)
        lane_end[free] = ends[index]
        lanes[index] = free
    return lanes


def contact_elevation(contact: Contact, passes: Sequence[Opportunity]) -> float:
    """Culmination of the pass a contact is planned in (NaN if none holds it)."""
    for p in passes:
        if (
            p.station == contact.station
            and p.norad_id == contact.norad_id
            and p.start <= contact.start < p.end
        ):
            return p.max_elevation_deg
    return math.nan


def build_timeline(network: NetworkPlan, chosen: TimelineFilter) -> Timeline:
    problem, plan = network.problem, network.plan
    stations = [s for s in problem.stations if not chosen.station or s.name == chosen.station]
    shown = [
        p
        for p in problem.opportunities
        if (chosen.node is None or p.norad_id == chosen.node)
        and p.max_elevation_deg >= chosen.min_elevation_deg
    ]
    rows: list[Row] = []
    pass_parts: list[_Part] = []
    contact_parts: list[_Part] = []
    contact_list: list[Contact] = []
    for number, station in enumerate(stations):
        top = number * ROW_HEIGHT
        rows.append(Row(station.name, station.antennas, top, ROW_HEIGHT))
        antenna_height = CONTACT_SHARE * ROW_HEIGHT / station.antennas
        for c in plan.contacts:
            if c.station != station.name or (chosen.node is not None and c.norad_id != chosen.node):
                continue
            elevation = contact_elevation(c, problem.opportunities)
            if not elevation >= chosen.min_elevation_deg:
                continue
            y0 = top + (c.antenna + (1 - BAR_FILL) / 2) * antenna_height
            contact_parts.append(
                (
                    c.start.timestamp(),
                    c.end.timestamp(),
                    y0,
                    antenna_height * BAR_FILL,
                    c.norad_id,
                    c.station,
                    elevation,
                )
            )
            contact_list.append(c)
        mine = [p for p in shown if p.station == station.name]
        lanes = _lanes([p.pass_start.timestamp() for p in mine], [p.pass_end.timestamp() for p in mine])
        lane_height = PASS_SHARE * ROW_HEIGHT / (max(lanes, default=0) + 1)
        passes_top = top + CONTACT_SHARE * ROW_HEIGHT
        for p, lane in zip(mine, lanes, strict=True):
            y0 = passes_top + (lane + (1 - BAR_FILL) / 2) * lane_height
            pass_parts.append(
                (
                    p.pass_start.timestamp(),
                    p.pass_end.timestamp(),
                    y0,
                    lane_height * BAR_FILL,
                    p.norad_id,
                    p.station,
                    p.max_elevation_deg,
                )
            )
    return Timeline(tuple(rows), _bars(pass_parts), _bars(contact_parts), tuple(contact_list))


def _bars(parts: list[_Part]) -> Bars:
    if not parts:
        return Bars.empty()
    start, end, y0, height, norad, station, elevation = zip(*parts, strict=True)
    return Bars(
        np.array(start),
        np.array(end),
        np.array(y0),
        np.array(height),
        np.array(norad, dtype=np.intp),
        tuple(station),
        np.array(elevation),
    )


def export_plan(network: NetworkPlan, fmt: str, generated: datetime) -> str:
    """The plan as text in one of EXPORT_FORMATS (the `groundstation plan` formats)."""
    plan, problem = network.plan, network.problem
    if fmt == "csv":
        return export.to_csv(plan)
    if fmt == "json":
        return export.to_json(plan)
    if fmt == "ics":
        return export.to_ics(plan, problem, generated=generated.replace(microsecond=0))
    if fmt == "ccsds-ssf":
        return export.to_ccsds_ssf(plan, problem, generated=generated.replace(microsecond=0))
    raise ValueError(f"unknown export format {fmt!r} (known: {', '.join(EXPORT_FORMATS)})")


def summary(network: NetworkPlan) -> str:
    plan = network.plan
    gap = "unknown" if plan.gap is None else f"{plan.gap:.2%}"
    return (
        f"{len(plan.contacts)} contacts from {len(network.problem.opportunities)} passes "
        f"({plan.solver}, {plan.status}, gap {gap}, {len(plan.unmet)} unmet) in {network.elapsed_s:.1f} s"
    )
