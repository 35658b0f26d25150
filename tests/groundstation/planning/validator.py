"""An independent plan validator and brute-force optimum for the planning tests.

Written from the issue's rules, not from the planner's code: it shares only the domain types and
the objective's definition (whose own test pins it to hand-computed numbers).
"""

from __future__ import annotations

import itertools
import random
from collections import defaultdict
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

from groundstation.planning.model import (
    Contact,
    NodeRequest,
    Opportunity,
    Plan,
    PlanningProblem,
    Reservation,
    Station,
    TimeWindow,
)
from groundstation.planning.objective import REQUIREMENT_BONUS_S, contact_weight, day_targets, evaluate

T0 = datetime(2026, 11, 22, tzinfo=UTC)
# Objective values are sums of integer seconds times small priorities: compare to this.
OBJECTIVE_TOLERANCE = 1e-6


def _overlap(a0: datetime, a1: datetime, b0: datetime, b1: datetime) -> bool:
    return a0 < b1 and b0 < a1


def violations(problem: PlanningProblem, plan: Plan) -> list[str]:
    """Every rule a plan breaks (empty when the plan is valid)."""
    out = []
    stations = {s.name: s for s in problem.stations}
    nodes = {n.norad_id: n for n in problem.nodes}
    per_antenna: dict[tuple[str, int], list[Contact]] = defaultdict(list)
    per_node: dict[int, list[Contact]] = defaultdict(list)
    opps_of: dict[tuple[str, int], list[Opportunity]] = defaultdict(list)
    for o in problem.opportunities:
        opps_of[(o.station, o.norad_id)].append(o)
    for c in plan.contacts:
        station, node = stations.get(c.station), nodes.get(c.norad_id)
        if station is None or node is None:
            out.append(f"{c}: unknown station or node")
            continue
        if not 0 <= c.antenna < station.antennas:
            out.append(f"{c}: antenna out of range")
        if c.duration_s < node.min_contact_s:
            out.append(f"{c}: shorter than min_contact_s {node.min_contact_s}")
        if c.start < problem.start or c.end > problem.end:
            out.append(f"{c}: outside the plan period")
        if node.needs_uplink and not station.transmit:
            out.append(f"{c}: node needs an uplink, station cannot transmit")
        if c.start.microsecond or c.end.microsecond:
            out.append(f"{c}: not on whole seconds")
        inside = [o for o in opps_of[(c.station, c.norad_id)] if o.start <= c.start and c.end <= o.end]
        if not inside:
            out.append(f"{c}: not inside a useful part of a pass")
        setup = timedelta(seconds=station.setup_s)
        for b in station.blackouts:
            if _overlap(c.start - setup, c.end, b.start, b.end):
                out.append(f"{c}: overlaps blackout {b} (setup included)")
        for r in station.reservations:
            if r.antenna == c.antenna and _overlap(c.start - setup, c.end + setup, r.start, r.end):
                out.append(f"{c}: within setup time of reservation {r}")
        per_antenna[(c.station, c.antenna)].append(c)
        per_node[c.norad_id].append(c)
    for (name, _), contacts in per_antenna.items():
        setup = timedelta(seconds=stations[name].setup_s)
        contacts.sort(key=lambda c: c.start)
        for a, b in itertools.pairwise(contacts):
            if a.end + setup > b.start:
                out.append(f"double booking: {a} and {b} closer than setup {setup}")
    for contacts in per_node.values():
        contacts.sort(key=lambda c: c.start)
        for a, b in itertools.pairwise(contacts):
            if a.end > b.start:
                out.append(f"node on two links at once: {a} and {b}")
        for a, b in itertools.combinations(contacts, 2):
            if a.station != b.station:
                continue
            for o in opps_of[(a.station, a.norad_id)]:
                if o.start <= a.start and a.end <= o.end and o.start <= b.start and b.end <= o.end:
                    out.append(f"two contacts in one pass: {a} and {b}")
    objective = evaluate(problem, plan.contacts)
    if abs(objective - plan.objective) > OBJECTIVE_TOLERANCE * max(1.0, abs(objective)):
        out.append(f"objective {plan.objective} but the contacts are worth {objective}")
    return out


# ---------------------------------------------------------------------------------- brute force


def _choices(problem: PlanningProblem, opp: Opportunity, grid_s: int) -> list[Contact | None]:
    """Every grid-aligned contact the opportunity allows on every antenna, and no contact."""
    station = problem.station(opp.station)
    node = problem.node(opp.norad_id)
    out: list[Contact | None] = [None]
    if node.needs_uplink and not station.transmit:
        return out
    start = max(opp.start, problem.start)
    end = min(opp.end, problem.end)
    steps = int((end - start).total_seconds()) // grid_s
    times = [start + timedelta(seconds=i * grid_s) for i in range(steps + 1)]
    for s, e in itertools.combinations(times, 2):
        if (e - s).total_seconds() >= node.min_contact_s:
            for antenna in range(station.antennas):
                out.append(Contact(opp.station, antenna, opp.norad_id, s, e))
    return out


def _fits(problem: PlanningProblem, chosen: list[Contact], new: Contact) -> bool:
    station = problem.station(new.station)
    setup = timedelta(seconds=station.setup_s)
    for b in station.blackouts:
        if _overlap(new.start - setup, new.end, b.start, b.end):
            return False
    for r in station.reservations:
        if r.antenna == new.antenna and _overlap(new.start - setup, new.end + setup, r.start, r.end):
            return False
    for c in chosen:
        same_antenna = c.station == new.station and c.antenna == new.antenna
        if same_antenna and _overlap(c.start - setup, c.end + setup, new.start, new.end):
            return False
        if c.norad_id == new.norad_id and _overlap(c.start, c.end, new.start, new.end):
            return False
    return True


def brute_force(problem: PlanningProblem, grid_s: int) -> float:
    """The best objective over every grid-aligned plan (exhaustive search with an admissible bound).

    When every time in the problem (window edges, blackouts, reservations, setup and minimum
    lengths, plan start) is a multiple of `grid_s`, this is the optimum over all plans: the best
    start and end times sit at vertices of a difference-constraint polytope, whose coordinates are
    sums of those numbers.
    """
    opps = sorted(problem.opportunities, key=lambda o: (o.start, o.station, o.norad_id))
    options = [_choices(problem, o, grid_s) for o in opps]
    # Optimistic value of what is left from opportunity i on: the longest contact of each, plus the
    # daily bonus every node could still collect (one day: brute-force instances are short).
    assert len(problem.days()) == 1, "brute force expects a single-day problem"
    optimistic = []
    for o, opts in zip(opps, options, strict=True):
        node = problem.node(o.norad_id)
        optimistic.append(
            max((c.duration_s * contact_weight(node, o.station) for c in opts if c), default=0.0)
        )
    tail = []
    for i in range(len(opps) + 1):
        bonus = 0.0
        for node in problem.nodes:
            wanted = day_targets(problem, node)[0][2]
            left = sum(1 for o in opps[i:] if o.norad_id == node.norad_id)
            bonus += node.priority * REQUIREMENT_BONUS_S * min(wanted, left)
        tail.append(sum(optimistic[i:]) + bonus)
    # Longest contacts first, so good plans come early and the bound prunes more.
    options = [sorted(opts, key=lambda c: -c.duration_s if c else 0.0) for opts in options]
    best_value = evaluate(problem, [])

    def search(i: int, chosen: list[Contact]) -> None:
        nonlocal best_value
        value = evaluate(problem, chosen)
        best_value = max(best_value, value)
        if i == len(opps) or value + tail[i] <= best_value:
            return
        for option in options[i]:
            if option is None:
                search(i + 1, chosen)
            elif _fits(problem, chosen, option):
                chosen.append(option)
                search(i + 1, chosen)
                chosen.pop()

    search(0, [])
    return best_value


# ------------------------------------------------------------------------------ random instances


def random_problem(
    seed: int,
    *,
    stations: int = 2,
    nodes: int = 3,
    passes: int = 4,
    grid_s: int = 60,
    max_steps: int = 7,
    horizon_s: int = 86400,
    antennas: tuple[int, ...] = (1,),
    with_blocks: bool = True,
) -> PlanningProblem:
    """A small network whose every time is on `grid_s`, so brute force finds the true optimum."""
    rng = random.Random(seed)
    station_list = []
    for i in range(stations):
        blackouts: tuple[TimeWindow, ...] = ()
        reservations: tuple[Reservation, ...] = ()
        if with_blocks and rng.random() < 0.4:
            b0 = rng.randrange(0, horizon_s // grid_s - 2) * grid_s
            blackouts = (TimeWindow(T0 + timedelta(seconds=b0), T0 + timedelta(seconds=b0 + 2 * grid_s)),)
        count = rng.choice(antennas)
        if with_blocks and rng.random() < 0.3:
            r0 = rng.randrange(0, horizon_s // grid_s - 2) * grid_s
            reservations = (
                Reservation(
                    T0 + timedelta(seconds=r0), T0 + timedelta(seconds=r0 + grid_s), antenna=count - 1
                ),
            )
        station_list.append(
            Station(
                f"ST{i}",
                0.0,
                0.0,
                antennas=count,
                setup_s=rng.choice((0, 1, 2)) * grid_s,
                transmit=rng.random() < 0.7,
                blackouts=blackouts,
                reservations=reservations,
            )
        )
    node_list = [
        NodeRequest(
            100 + k,
            priority=rng.choice((1, 2, 3)),
            min_contact_s=rng.choice((1, 2, 3)) * grid_s,
            contacts_per_day=rng.choice((0, 1, 2)),
            needs_uplink=rng.random() < 0.2,
            preferred_stations=(station_list[0].name,) if rng.random() < 0.3 else (),
        )
        for k in range(nodes)
    ]
    opps = []
    taken: dict[tuple[str, int], list[tuple[int, int]]] = defaultdict(list)
    # Windows crowd a short period so they overlap and compete.
    span = min(horizon_s, max_steps * grid_s * 3)
    attempts = 0
    while len(opps) < passes and attempts < 1000:
        attempts += 1
        station = rng.choice(station_list)
        node = rng.choice(node_list)
        steps = rng.randint(2, max_steps)
        a = rng.randrange(0, (span - steps * grid_s) // grid_s + 1) * grid_s
        b = a + steps * grid_s
        # A node's passes over one station never overlap.
        if any(a < e and s < b for s, e in taken[(station.name, node.norad_id)]):
            continue
        taken[(station.name, node.norad_id)].append((a, b))
        opps.append(
            Opportunity.whole_pass(
                station.name, node.norad_id, T0 + timedelta(seconds=a), T0 + timedelta(seconds=b)
            )
        )
    return PlanningProblem(
        T0, T0 + timedelta(seconds=horizon_s), tuple(station_list), tuple(node_list), tuple(opps)
    )


def seeds(count: int, base: int = 0) -> Iterator[int]:
    return iter(range(base, base + count))
