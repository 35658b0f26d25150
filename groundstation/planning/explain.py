"""Why a requirement is not met: for each short day, what happened to each pass the node had."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime, timedelta

from groundstation.planning.model import Contact, Opportunity, PlanningProblem, Station, Unmet
from groundstation.planning.objective import day_index, day_targets

# Passes listed per unmet day before "and N more".
MAX_LISTED = 6


def _hhmm(moment: datetime) -> str:
    return moment.strftime("%H:%M:%S")


def _overlaps(start: datetime, end: datetime, other_start: datetime, other_end: datetime) -> bool:
    return start < other_end and other_start < end


def _why_unused(
    problem: PlanningProblem,
    opp: Opportunity,
    station: Station,
    station_contacts: Sequence[Contact],
    node_contacts: Sequence[Contact],
) -> str:
    node = problem.node(opp.norad_id)
    where = f"{station.name} {_hhmm(opp.start)}"
    if node.needs_uplink and not station.transmit:
        return f"{where} cannot transmit (node needs an uplink)"
    start, end = max(opp.start, problem.start), min(opp.end, problem.end)
    usable_s = (end - start).total_seconds()
    if usable_s < node.min_contact_s:
        return f"{where} only {usable_s:.0f} s usable, under min_contact_s {node.min_contact_s}"
    setup = timedelta(seconds=station.setup_s)
    if any(_overlaps(start, end, b.start, b.end + setup) for b in station.blackouts):
        return f"{where} in a blackout"
    if all(
        any(
            _overlaps(start, end, r.start - setup, r.end + setup)
            for r in station.reservations
            if r.antenna == k
        )
        for k in range(station.antennas)
    ):
        return f"{where} reserved"
    elsewhere = [
        c for c in node_contacts if c.station != station.name and _overlaps(start, end, c.start, c.end)
    ]
    if elsewhere:
        return f"{where} node in contact via {elsewhere[0].station} then"
    busy = sorted(
        {c.norad_id for c in station_contacts if _overlaps(start - setup, end + setup, c.start, c.end)}
    )
    if busy:
        names = ", ".join(
            f"{problem.node(n).label} (priority {problem.node(n).priority:g})" for n in busy[:3]
        )
        return f"{where} antennas busy with {names}"
    return f"{where} left unused"


def explain_unmet(problem: PlanningProblem, contacts: Sequence[Contact]) -> list[Unmet]:
    by_node: dict[int, list[Contact]] = defaultdict(list)
    by_station: dict[str, list[Contact]] = defaultdict(list)
    for contact in contacts:
        by_node[contact.norad_id].append(contact)
        by_station[contact.station].append(contact)
    opps_of: dict[int, list[Opportunity]] = defaultdict(list)
    for opp in problem.opportunities:
        opps_of[opp.norad_id].append(opp)
    stations = {s.name: s for s in problem.stations}
    out: list[Unmet] = []
    for node in problem.nodes:
        targets = day_targets(problem, node)
        if not any(wanted for _, _, wanted in targets):
            continue
        if not opps_of[node.norad_id]:
            out.append(
                Unmet(
                    node.norad_id,
                    "any_contact",
                    None,
                    max(wanted for _, _, wanted in targets),
                    0,
                    "no pass above any station's mask"
                    + (f" and {node.min_elevation_deg:g}°" if node.min_elevation_deg is not None else "")
                    + " in the plan period",
                )
            )
            continue
        got_per_day: dict[int, int] = defaultdict(int)
        for contact in by_node[node.norad_id]:
            got_per_day[day_index(problem, contact.start)] += 1
        for index, (day_start, day_end, wanted) in enumerate(targets):
            got = got_per_day[index]
            if got >= wanted:
                continue
            day_opps = sorted(
                (o for o in opps_of[node.norad_id] if day_start <= max(o.start, problem.start) < day_end),
                key=lambda o: (o.start, o.station),
            )
            unused = [
                o
                for o in day_opps
                if not any(
                    c.station == o.station and _overlaps(o.start, o.end, c.start, c.end)
                    for c in by_node[node.norad_id]
                )
            ]
            if not day_opps:
                detail = "no pass that day"
            elif not unused:
                detail = "every pass that day is used"
            else:
                parts = [
                    _why_unused(
                        problem, o, stations[o.station], by_station[o.station], by_node[node.norad_id]
                    )
                    for o in unused
                ]
                detail = "; ".join(parts[:MAX_LISTED])
                if len(parts) > MAX_LISTED:
                    detail += f"; and {len(parts) - MAX_LISTED} more"
            out.append(
                Unmet(
                    node.norad_id,
                    "contacts_per_day",
                    day_start,
                    wanted,
                    got,
                    f"{got} of {wanted} contacts: {detail}",
                )
            )
    return out
