"""The objective's numbers by hand, and why requirements go unmet."""

from datetime import timedelta

import pytest

from groundstation.planning.greedy import plan_greedy
from groundstation.planning.model import (
    Contact,
    NodeRequest,
    Opportunity,
    PlanningProblem,
    Station,
    TimeWindow,
)
from groundstation.planning.objective import (
    PREFERRED_STATION_FACTOR,
    REQUIREMENT_BONUS_S,
    day_targets,
    evaluate,
)
from groundstation.planning.solver import plan_optimal
from tests.groundstation.planning.validator import T0

EXACT = 1e-9


def _at(seconds: float):
    return T0 + timedelta(seconds=seconds)


def test_objective_by_hand():
    stations = (Station("A", 0, 0), Station("B", 0, 0))
    nodes = (
        NodeRequest(1, priority=2, contacts_per_day=2, preferred_stations=("B",)),
        NodeRequest(2, priority=3, contacts_per_day=1),
    )
    problem = PlanningProblem(T0, T0 + timedelta(hours=36), stations, nodes, ())
    contacts = [
        Contact("A", 0, 1, _at(0), _at(100)),  # 2 × 100
        Contact("B", 0, 1, _at(1000), _at(1200)),  # 2 × 1.25 × 200, second contact of day 1: both count
        Contact("A", 0, 1, _at(5000), _at(5100)),  # 2 × 100, a third contact on day 1: no more bonus
        Contact("A", 0, 2, _at(90000), _at(90300)),  # 3 × 300 on day 2 (12 h long: wants floor(1 × 0.5) = 0)
    ]
    expected = (
        2 * 100
        + 2 * PREFERRED_STATION_FACTOR * 200
        + 2 * 100
        + 3 * 300
        + 2 * REQUIREMENT_BONUS_S * 2  # node 1, day 1: 2 of 2
        + 0  # node 2, day 1: 0 of 1
        + 2 * REQUIREMENT_BONUS_S * 0  # node 1, day 2: 12 h asks floor(2 × 0.5) = 1, got 0
    )
    assert evaluate(problem, contacts) == pytest.approx(expected, abs=EXACT)
    assert [w for _, _, w in day_targets(problem, nodes[0])] == [2, 1]
    assert [w for _, _, w in day_targets(problem, nodes[1])] == [1, 0]


def _reasons(plan, norad_id):
    return [u.reason for u in plan.unmet if u.norad_id == norad_id]


def test_unmet_requirements_say_why():
    stations = (
        Station("RX", 0, 0, transmit=False),
        Station("TX", 0, 0, transmit=True, setup_s=60, blackouts=(TimeWindow(_at(20000), _at(22000)),)),
    )
    nodes = (
        NodeRequest(1, needs_uplink=True),  # only passes over the receive-only station
        NodeRequest(2, min_contact_s=300),  # passes too short
        NodeRequest(3, priority=5),  # wins the contested pass
        NodeRequest(4, priority=1, min_contact_s=600),  # loses it
        NodeRequest(5),  # no pass at all
        NodeRequest(6),  # its only pass is in a blackout
    )
    opps = (
        Opportunity.whole_pass("RX", 1, _at(0), _at(600)),
        Opportunity.whole_pass("TX", 2, _at(1000), _at(1200)),
        Opportunity.whole_pass("TX", 3, _at(5000), _at(5600)),
        Opportunity.whole_pass("TX", 4, _at(5000), _at(5600)),
        Opportunity.whole_pass("TX", 6, _at(20500), _at(21000)),
    )
    problem = PlanningProblem(T0, T0 + timedelta(hours=24), stations, nodes, opps)
    for plan in (plan_optimal(problem), plan_greedy(problem)):
        assert {c.norad_id for c in plan.contacts} == {3}
        assert "RX 00:00:00 cannot transmit (node needs an uplink)" in _reasons(plan, 1)[0]
        assert "only 200 s usable, under min_contact_s 300" in _reasons(plan, 2)[0]
        assert "antennas busy with NORAD 3 (priority 5)" in _reasons(plan, 4)[0]
        assert _reasons(plan, 5) == ["no pass above any station's mask in the plan period"]
        assert "in a blackout" in _reasons(plan, 6)[0]
        assert _reasons(plan, 3) == []
        (unmet,) = [u for u in plan.unmet if u.norad_id == 4]
        assert (unmet.requirement, unmet.day_start, unmet.wanted, unmet.got) == ("contacts_per_day", T0, 1, 0)
