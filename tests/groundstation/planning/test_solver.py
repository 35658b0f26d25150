"""The exact planner and the greedy baseline on synthetic opportunities, checked by the validator."""

import random
import time
from datetime import timedelta

import pytest

from groundstation.planning import solver
from groundstation.planning.greedy import plan_greedy
from groundstation.planning.model import (
    Contact,
    NodeRequest,
    Opportunity,
    PlanningProblem,
    Reservation,
    Station,
    TimeWindow,
)
from groundstation.planning.objective import REQUIREMENT_BONUS_S
from groundstation.planning.solver import plan_optimal
from tests.groundstation.planning.validator import T0, brute_force, random_problem, violations

GRID_S = 60
BRUTE_FORCE_SEEDS = range(40)
# Objectives are sums of integer seconds times small integers (and 1.25): exact in floats.
EXACT = 1e-6


def _at(seconds: int):
    return T0 + timedelta(seconds=seconds)


def _problem(stations, nodes, opps, hours=24):
    return PlanningProblem(T0, T0 + timedelta(hours=hours), tuple(stations), tuple(nodes), tuple(opps))


def test_optimal_matches_brute_force_on_small_instances():
    mismatches = []
    for seed in BRUTE_FORCE_SEEDS:
        problem = random_problem(seed, stations=2 + seed % 2, nodes=3, passes=5, antennas=(1, 2))
        optimal = plan_optimal(problem, time_limit_s=30)
        greedy = plan_greedy(problem)
        assert violations(problem, optimal) == [], seed
        assert violations(problem, greedy) == [], seed
        best = brute_force(problem, GRID_S)
        if optimal.status != "optimal" or abs(optimal.objective - best) > EXACT:
            mismatches.append((seed, optimal.status, optimal.objective, best))
        assert greedy.objective <= best + EXACT
    assert mismatches == []


def test_one_long_pass_is_shared_on_one_antenna():
    # Two equal nodes, one 20-minute pass each over the same single-antenna station at the same time.
    station = Station("A", 0, 0, antennas=1, setup_s=120)
    nodes = [NodeRequest(1, priority=1, min_contact_s=300), NodeRequest(2, priority=1, min_contact_s=300)]
    opps = [Opportunity.whole_pass("A", n, _at(0), _at(1200)) for n in (1, 2)]
    problem = _problem([station], nodes, opps)
    plan = plan_optimal(problem)
    assert violations(problem, plan) == []
    assert plan.status == "optimal"
    assert sorted(c.norad_id for c in plan.contacts) == [1, 2]
    # Both met (two bonuses), and the pass minus one setup is used.
    assert plan.objective == pytest.approx(2 * REQUIREMENT_BONUS_S + 1200 - 120, abs=EXACT)
    # Greedy takes the whole pass for the first node only.
    greedy = plan_greedy(problem)
    assert [c.norad_id for c in greedy.contacts] == [1]
    assert plan.objective > greedy.objective


def test_higher_priority_keeps_the_most_and_the_other_gets_its_minimum():
    station = Station("A", 0, 0, antennas=1, setup_s=60)
    nodes = [NodeRequest(1, priority=5, min_contact_s=120), NodeRequest(2, priority=1, min_contact_s=180)]
    opps = [
        Opportunity.whole_pass("A", 1, _at(0), _at(1200)),
        Opportunity.whole_pass("A", 2, _at(300), _at(1200)),
    ]
    problem = _problem([station], nodes, opps)
    plan = plan_optimal(problem)
    assert violations(problem, plan) == []
    by_node = {c.norad_id: c for c in plan.contacts}
    # Node 2 gets exactly 180 s at the end of its pass; node 1 runs until a setup before that.
    assert (by_node[2].start, by_node[2].end) == (_at(1020), _at(1200))
    assert (by_node[1].start, by_node[1].end) == (_at(0), _at(960))


def test_node_hands_over_between_stations_without_overlap():
    stations = [Station("A", 0, 0), Station("B", 0, 10)]
    nodes = [NodeRequest(1, priority=1, min_contact_s=60, contacts_per_day=2)]
    opps = [
        Opportunity.whole_pass("A", 1, _at(0), _at(600)),
        Opportunity.whole_pass("B", 1, _at(300), _at(900)),
    ]
    problem = _problem(stations, nodes, opps)
    plan = plan_optimal(problem)
    assert violations(problem, plan) == []
    assert len(plan.contacts) == 2
    # One link at a time: 900 s of contact in total, split at some hand-over time.
    assert sum(c.duration_s for c in plan.contacts) == 900


def test_reservations_and_blackouts_are_kept():
    station = Station(
        "A",
        0,
        0,
        antennas=2,
        setup_s=60,
        blackouts=(TimeWindow(_at(0), _at(300)),),
        reservations=(Reservation(_at(600), _at(900), antenna=0, label="kept"),),
    )
    nodes = [NodeRequest(n, min_contact_s=60) for n in (1, 2, 3)]
    opps = [Opportunity.whole_pass("A", n, _at(0), _at(1500)) for n in (1, 2, 3)]
    problem = _problem([station], nodes, opps)
    for plan in (plan_optimal(problem), plan_greedy(problem)):
        assert violations(problem, plan) == []
        assert plan.contacts
        assert all(c.start >= _at(360) for c in plan.contacts)


def test_preferred_station_wins_when_all_else_is_equal():
    stations = [Station("A", 0, 0), Station("B", 0, 10)]
    nodes = [NodeRequest(1, preferred_stations=("B",))]
    opps = [Opportunity.whole_pass(s, 1, _at(0), _at(600)) for s in ("A", "B")]
    problem = _problem(stations, nodes, opps)
    plan = plan_optimal(problem)
    assert [c.station for c in plan.contacts] == ["B"]


def _crowded_network(seed: int, stations: int = 6, nodes: int = 40, hours: int = 24) -> PlanningProblem:
    """Many nodes competing for few single-antenna stations, LEO-like pass lengths (2-12 min)."""
    rng = random.Random(seed)
    station_list = [
        Station(
            f"S{i}", 0, 0, antennas=rng.choice((1, 1, 2)), setup_s=rng.choice((60, 120)), transmit=i % 2 == 0
        )
        for i in range(stations)
    ]
    node_list = [
        NodeRequest(
            1000 + k,
            priority=rng.randint(1, 5),
            min_contact_s=rng.choice((60, 120, 180)),
            contacts_per_day=rng.randint(1, 4),
            needs_uplink=rng.random() < 0.15,
        )
        for k in range(nodes)
    ]
    opps = []
    for station in station_list:
        for node in node_list:
            t = rng.randrange(0, 5400)
            while t < hours * 3600 - 800:
                length = rng.randrange(120, 720)
                opps.append(Opportunity.whole_pass(station.name, node.norad_id, _at(t), _at(t + length)))
                t += rng.randrange(5000, 30000)
    return _problem(station_list, node_list, opps, hours=hours)


def test_optimal_beats_greedy_on_generated_networks():
    report = []
    for seed in range(3):
        problem = _crowded_network(seed)
        optimal = plan_optimal(problem, time_limit_s=60)
        greedy = plan_greedy(problem)
        assert violations(problem, optimal) == []
        assert violations(problem, greedy) == []
        report.append((seed, optimal.objective, greedy.objective, optimal.gap))
        assert optimal.objective > greedy.objective
        assert optimal.gap is not None
    print("seed, optimal, greedy, gap:", report)


def test_same_input_same_plan():
    problem = _crowded_network(7, stations=4, nodes=20)
    first = plan_optimal(problem, time_limit_s=60)
    second = plan_optimal(problem, time_limit_s=60)
    assert first.status == "optimal"
    assert first.contacts == second.contacts
    assert first.objective == second.objective


def test_time_limit_returns_best_plan_with_gap():
    problem = _crowded_network(3, stations=10, nodes=80, hours=48)
    limit_s = 3.0
    # Building the candidates is not interruptible; allow it on top of the limit on a busy machine.
    slack_s = 6.0
    began = time.monotonic()
    plan = plan_optimal(problem, time_limit_s=limit_s)
    elapsed = time.monotonic() - began
    assert elapsed < limit_s + slack_s
    assert violations(problem, plan) == []
    assert plan.objective >= plan_greedy(problem).objective
    assert plan.status == "time_limit"


def test_contacts_are_whole_seconds_inside_fractional_windows():
    station = Station("A", 0, 0)
    opp = Opportunity.whole_pass("A", 1, _at(0) + timedelta(seconds=10.4), _at(0) + timedelta(seconds=300.7))
    problem = _problem([station], [NodeRequest(1)], [opp])
    (contact,) = plan_optimal(problem).contacts
    assert contact == Contact("A", 0, 1, _at(11), _at(300))


def test_time_blocks_give_a_valid_plan_and_a_valid_bound(monkeypatch):
    problem = _crowded_network(11, stations=5, nodes=30)
    whole = plan_optimal(problem, time_limit_s=60)
    assert whole.status == "optimal"
    # The path big problems take: consecutive blocks of a few thousand candidates.
    monkeypatch.setattr(solver, "_WHOLE_MAX_CANDIDATES", 0)
    monkeypatch.setattr(solver, "_BLOCK_CANDIDATES", 1500)
    blocks = plan_optimal(problem, time_limit_s=60)
    assert dict(blocks.stats)["blocks"] > 3
    assert violations(problem, blocks) == []
    assert blocks.objective >= plan_greedy(problem).objective
    # The bound is an upper bound on every plan, the exact optimum included.
    assert blocks.bound is not None
    assert blocks.bound >= whole.objective - EXACT
    assert blocks.objective <= whole.objective + EXACT
    print(f"blocks {blocks.objective:.0f} (bound {blocks.bound:.0f}) vs whole optimum {whole.objective:.0f}")
