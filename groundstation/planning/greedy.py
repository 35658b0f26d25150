"""The greedy baseline, as SatNOGS' auto-scheduler does it: passes in priority order, each taken
whole if it still fits.

SatNOGS' `ordered_scheduler` walks passes sorted by priority and schedules every pass that does not
overlap one already scheduled (with a wait time between them). Here the same rule runs under the
same constraints as the exact planner: setup time per antenna, blackouts, reservations, uplink,
minimum contact length, one link per node at a time, one contact per pass.
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from datetime import timedelta

from groundstation.planning.candidates import Group, Window, build_groups, build_windows
from groundstation.planning.explain import explain_unmet
from groundstation.planning.model import Contact, Plan, PlanningProblem
from groundstation.planning.objective import evaluate


class _Timeline:
    """Disjoint half-open busy spans, sorted, with O(log n) fit tests."""

    def __init__(self) -> None:
        self.starts: list[int] = []
        self.ends: list[int] = []

    def fits(self, lo: int, hi: int) -> bool:
        i = bisect.bisect_left(self.starts, hi)  # spans starting before hi: indices < i
        return i == 0 or self.ends[i - 1] <= lo

    def add(self, lo: int, hi: int) -> None:
        i = bisect.bisect_left(self.starts, lo)
        self.starts.insert(i, lo)
        self.ends.insert(i, hi)


def greedy_windows(
    problem: PlanningProblem, groups: list[Group], windows: list[Window]
) -> list[tuple[int, int]]:
    """Chosen (window index, antenna) pairs, in the order the greedy rule takes them."""
    by_opportunity: dict[int, list[int]] = defaultdict(list)
    for w, window in enumerate(windows):
        by_opportunity[window.opportunity].append(w)
    opportunities = problem.opportunities
    nodes = {node.norad_id: node for node in problem.nodes}
    order = sorted(
        by_opportunity,
        key=lambda o: (
            -nodes[opportunities[o].norad_id].priority,
            opportunities[o].start,
            opportunities[o].station,
            opportunities[o].norad_id,
        ),
    )
    # Busy spans per (station, antenna): occupancy [start - setup, end); per node: [start, end).
    antenna_busy: dict[tuple[int, int], _Timeline] = defaultdict(_Timeline)
    node_busy: dict[int, _Timeline] = defaultdict(_Timeline)
    chosen = []
    for o in order:
        pieces = sorted(
            by_opportunity[o], key=lambda w: (-(windows[w].end_s - windows[w].start_s), windows[w].start_s, w)
        )
        for w in pieces:
            window = windows[w]
            group = groups[window.group]
            a, b = window.start_s, window.end_s
            if not node_busy[window.node].fits(a, b):
                continue
            begin = a - group.setup_s
            antenna = next(
                (k for k in group.antennas if antenna_busy[(group.station, k)].fits(begin, b)), None
            )
            if antenna is None:
                continue
            antenna_busy[(group.station, antenna)].add(begin, b)
            node_busy[window.node].add(a, b)
            chosen.append((w, antenna))
            break
    return chosen


def plan_greedy(problem: PlanningProblem) -> Plan:
    groups = build_groups(problem)
    windows, _ = build_windows(problem, groups)
    contacts = []
    for w, antenna in greedy_windows(problem, groups, windows):
        window = windows[w]
        contacts.append(
            Contact(
                station=problem.stations[groups[window.group].station].name,
                antenna=antenna,
                norad_id=problem.nodes[window.node].norad_id,
                start=problem.start + timedelta(seconds=window.start_s),
                end=problem.start + timedelta(seconds=window.end_s),
            )
        )
    contacts.sort(key=lambda c: (c.start, c.station, c.antenna, c.norad_id))
    return Plan(
        start=problem.start,
        end=problem.end,
        solver="greedy",
        status="heuristic",
        contacts=tuple(contacts),
        objective=evaluate(problem, contacts),
        bound=None,
        gap=None,
        unmet=tuple(explain_unmet(problem, contacts)),
    )
