"""What a plan is worth: the one objective both planners are measured by.

objective = Σ over contacts of priority × useful seconds × (PREFERRED_STATION_FACTOR at a preferred
station, else 1) + Σ over nodes and days of priority × REQUIREMENT_BONUS_S × min(contacts that
day, contacts_per_day).

The bonus makes meeting a node's daily contact count worth as much as an hour of its contact
time, so the planner meets requirements where it can before it lengthens other contacts.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable
from datetime import datetime

from groundstation.planning.model import Contact, NodeRequest, PlanningProblem

PREFERRED_STATION_FACTOR = 1.25
REQUIREMENT_BONUS_S = 3600.0
# A final partial day asks for the share of contacts_per_day it covers, rounded down.
_PARTIAL_DAY_EPSILON = 1e-9


def contact_weight(node: NodeRequest, station_name: str) -> float:
    """Value of one second of contact between `node` and the station."""
    factor = PREFERRED_STATION_FACTOR if station_name in node.preferred_stations else 1.0
    return node.priority * factor


def day_targets(problem: PlanningProblem, node: NodeRequest) -> list[tuple[datetime, datetime, int]]:
    """(day_start, day_end, contacts wanted) for each 24-hour period of the plan."""
    out = []
    for day_start, day_end in problem.days():
        fraction = (day_end - day_start).total_seconds() / 86400.0
        wanted = math.floor(node.contacts_per_day * fraction + _PARTIAL_DAY_EPSILON)
        out.append((day_start, day_end, wanted))
    return out


def day_index(problem: PlanningProblem, moment: datetime) -> int:
    """Which 24-hour period of the plan `moment` falls in (contacts count on the day they start)."""
    return int((moment - problem.start).total_seconds() // 86400)


def evaluate(problem: PlanningProblem, contacts: Iterable[Contact]) -> float:
    """The objective of a set of contacts (assumed feasible)."""
    nodes = {node.norad_id: node for node in problem.nodes}
    total = 0.0
    per_day: Counter[tuple[int, int]] = Counter()
    for contact in contacts:
        node = nodes[contact.norad_id]
        total += contact_weight(node, contact.station) * contact.duration_s
        per_day[(contact.norad_id, day_index(problem, contact.start))] += 1
    for node in problem.nodes:
        for index, (_, _, wanted) in enumerate(day_targets(problem, node)):
            got = per_day[(node.norad_id, index)]
            total += node.priority * REQUIREMENT_BONUS_S * min(got, wanted)
    return total
