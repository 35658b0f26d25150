"""Opportunities from the tracking engine, and plans on generated Walker networks re-checked by it."""

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from groundstation.planning.greedy import plan_greedy
from groundstation.planning.model import NodeRequest, PlanningProblem, Station
from groundstation.planning.passes import clamped_mask_points, location, opportunities
from groundstation.planning.solver import plan_optimal
from tests.groundstation.planning.tracking_check import contact_problems
from tests.groundstation.planning.validator import violations
from tracking.geometry import HorizonMask
from tracking.look import look_angles
from tracking.propagation import Propagator
from tracking.walker import walker_delta

START = datetime(2026, 11, 22, tzinfo=UTC)
# Elevation right at a useful window's edge: the engine's crossing, sampled a second inside/outside.
EDGE_TOLERANCE_DEG = 0.05
# The exact search proves this network to within this relative gap in its time limit, at worst.
PROVEN_GAP = 1e-3

STATIONS = (
    Station("Delft", 52.0, 4.37, antennas=1, min_elevation_deg=5, setup_s=120, transmit=True),
    Station(
        "Kiruna",
        67.86,
        20.96,
        antennas=2,
        min_elevation_deg=5,
        horizon_mask=((0, 3), (90, 15), (180, 8), (270, 2)),
        setup_s=60,
    ),
    Station("Awarua", -46.5, 168.38, antennas=1, min_elevation_deg=10, setup_s=90, transmit=True),
    Station("Svalbard", 78.23, 15.4, antennas=1, min_elevation_deg=5, setup_s=60),
)


def test_clamped_mask_is_the_exact_maximum():
    points = [(0.0, 0.0), (90.0, 20.0), (180.0, 2.0), (270.0, 12.0)]
    clamped = HorizonMask.from_points(clamped_mask_points(points, 8.0))
    raw = HorizonMask.from_points(points)
    azimuths = np.linspace(0.0, 359.9, 3600)
    assert np.allclose(clamped.elevation_deg(azimuths), np.maximum(raw.elevation_deg(azimuths), 8.0))
    assert clamped_mask_points([], 5.0) == [(0.0, 5.0)]


def test_useful_part_is_above_the_nodes_elevation():
    elements = walker_delta(6, 2, 1, 550.0, 97.6, START)
    nodes = [NodeRequest(e.norad_id, min_elevation_deg=30.0) for e in elements[:3]] + [
        NodeRequest(e.norad_id) for e in elements[3:]
    ]
    end = START + timedelta(hours=24)
    opps = opportunities(elements, STATIONS, nodes, START, end)
    assert opps
    by_id = {e.norad_id: e for e in elements}
    stations = {s.name: s for s in STATIONS}
    leveled = 0
    for opp in opps:
        node = next(n for n in nodes if n.norad_id == opp.norad_id)
        if node.min_elevation_deg is None:
            assert (opp.start, opp.end) == (opp.pass_start, opp.pass_end)
            continue
        leveled += 1
        assert opp.pass_start <= opp.start < opp.end <= opp.pass_end
        assert opp.max_elevation_deg >= node.min_elevation_deg
        times = np.array([opp.start.timestamp(), opp.end.timestamp()])
        look = look_angles(
            Propagator([by_id[opp.norad_id]]).propagate(times), location(stations[opp.station])
        )
        assert look.elevation_deg[0] == pytest.approx([30.0, 30.0], abs=EDGE_TOLERANCE_DEG)
    assert leveled > 0


def _network(total: int, stations=STATIONS, hours: float = 24.0):
    elements = walker_delta(total, total // 4, 1, 550.0, 97.6, START)
    rng = np.random.default_rng(5)
    nodes = tuple(
        NodeRequest(
            e.norad_id,
            priority=int(rng.integers(1, 6)),
            min_contact_s=int(rng.choice([60, 120, 180])),
            contacts_per_day=int(rng.integers(1, 5)),
            needs_uplink=bool(rng.random() < 0.2),
            min_elevation_deg=20.0 if rng.random() < 0.2 else None,
            preferred_stations=("Kiruna",) if rng.random() < 0.2 else (),
        )
        for e in elements
    )
    end = START + timedelta(hours=hours)
    problem = PlanningProblem(
        START, end, stations, nodes, opportunities(elements, stations, nodes, START, end)
    )
    return elements, problem


def test_optimal_beats_greedy_on_a_walker_network_and_the_engine_agrees():
    elements, problem = _network(24)
    optimal = plan_optimal(problem, time_limit_s=60)
    greedy = plan_greedy(problem)
    print(
        f"walker 24 sats / 4 stations / 24 h: optimal {optimal.objective:.0f} ({optimal.status}, gap "
        f"{optimal.gap:.2e}), greedy {greedy.objective:.0f}"
    )
    assert optimal.objective > greedy.objective
    assert optimal.gap is not None
    assert optimal.gap <= PROVEN_GAP
    for plan in (optimal, greedy):
        assert violations(problem, plan) == []
        assert contact_problems(plan, problem.stations, problem.nodes, elements) == []
