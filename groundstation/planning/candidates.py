"""Candidate contacts: the finite set of (start, end) choices the exact planner picks from.

Time is integer seconds from the plan start. Each opportunity becomes one or more *windows*: the
parts of its useful span on one antenna group that avoid blackouts and reservations (with setup
time around them). A contact may use any part of a window at least `min_contact_s` long.

Which parts matter? For a fixed choice and order of contacts, the best start and end times are a
vertex of a linear program, where every start and end is pinned by a tight constraint: a window
edge, the end of the previous contact on the antenna plus setup time, the same node's contact at
another station, or the contact's own minimum length. So the useful times are the window edges
closed under the operations "+/- setup to a neighbouring window of the group", "+/- minimum length
within a window" and "hand-over to the same node at another station". `build` applies them in
rounds (depth); when a round adds nothing, the set is closed and the candidate set is complete:
the exact planner's optimum is then the optimum over all start and end times. On big problems a
candidate budget stops the rounds earlier (the last round taken for as many windows as fit), and
the plan says so.

Antenna groups: a station without reservations is one group of identical antennas (capacity =
antenna count; antennas are assigned after solving). A station with reservations, which name an
antenna, becomes one group per antenna.
"""

from __future__ import annotations

import bisect
import math
from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from groundstation.planning.model import PlanningProblem
from groundstation.planning.objective import contact_weight

DEFAULT_CANDIDATE_BUDGET = 250_000
DEFAULT_MAX_DEPTH = 8


@dataclass(frozen=True)
class Group:
    """Antennas of one station that share one capacity (identical, or a single reserved antenna)."""

    station: int
    antennas: tuple[int, ...]
    setup_s: int
    # Busy spans of this group a contact's span may not enter: open intervals (lo, hi) in seconds.
    forbidden: tuple[tuple[int, int], ...]


@dataclass(frozen=True)
class Window:
    """A usable part of one opportunity on one group, in seconds from the plan start."""

    opportunity: int
    group: int
    node: int
    start_s: int
    end_s: int
    min_len_s: int
    weight: float


@dataclass
class CandidateSet:
    groups: list[Group]
    windows: list[Window]
    window_of: npt.NDArray[np.int64]  # per candidate: its window
    start_s: npt.NDArray[np.int64]
    end_s: npt.NDArray[np.int64]
    depth: int
    complete: bool
    # Opportunities that gave no window, with the reason (for explanations).
    excluded: dict[int, str] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.start_s)


def _floor_s(seconds: float) -> int:
    return math.floor(seconds + 1e-9)


def _ceil_s(seconds: float) -> int:
    return math.ceil(seconds - 1e-9)


def _subtract(start_s: int, end_s: int, forbidden: tuple[tuple[int, int], ...]) -> list[tuple[int, int]]:
    """[start, end] minus open intervals: the parts a contact may use."""
    pieces = []
    cursor = start_s
    for lo, hi in forbidden:
        if hi <= cursor or lo >= end_s:
            continue
        if lo >= cursor:
            pieces.append((cursor, lo))
        cursor = max(cursor, hi)
        if cursor >= end_s:
            break
    if cursor < end_s:
        pieces.append((cursor, end_s))
    return pieces


def build_groups(problem: PlanningProblem) -> list[Group]:
    groups = []
    for index, station in enumerate(problem.stations):
        setup = station.setup_s
        blackouts = []
        for blackout in station.blackouts:
            lo = _floor_s((blackout.start - problem.start).total_seconds())
            hi = _ceil_s((blackout.end - problem.start).total_seconds()) + setup
            blackouts.append((lo, hi))
        if not station.reservations:
            groups.append(Group(index, tuple(range(station.antennas)), setup, tuple(sorted(blackouts))))
            continue
        for antenna in range(station.antennas):
            busy = list(blackouts)
            for reservation in station.reservations:
                if reservation.antenna != antenna:
                    continue
                lo = _floor_s((reservation.start - problem.start).total_seconds()) - setup
                hi = _ceil_s((reservation.end - problem.start).total_seconds()) + setup
                busy.append((lo, hi))
            groups.append(Group(index, (antenna,), setup, tuple(sorted(busy))))
    return groups


def build_windows(problem: PlanningProblem, groups: list[Group]) -> tuple[list[Window], dict[int, str]]:
    station_index = {s.name: i for i, s in enumerate(problem.stations)}
    node_index = {n.norad_id: i for i, n in enumerate(problem.nodes)}
    groups_of: dict[int, list[int]] = defaultdict(list)
    for g, group in enumerate(groups):
        groups_of[group.station].append(g)
    horizon = problem.horizon_s
    windows: list[Window] = []
    excluded: dict[int, str] = {}
    for o, opp in enumerate(problem.opportunities):
        s = station_index[opp.station]
        station = problem.stations[s]
        node = problem.nodes[node_index[opp.norad_id]]
        if node.needs_uplink and not station.transmit:
            excluded[o] = "receive_only"
            continue
        a = max(0, _ceil_s((opp.start - problem.start).total_seconds()))
        b = min(horizon, _floor_s((opp.end - problem.start).total_seconds()))
        if b - a < node.min_contact_s:
            excluded[o] = "too_short" if b > a else "outside"
            continue
        weight = contact_weight(node, station.name)
        made = 0
        for g in groups_of[s]:
            for lo, hi in _subtract(a, b, groups[g].forbidden):
                if hi - lo >= node.min_contact_s:
                    windows.append(Window(o, g, node_index[opp.norad_id], lo, hi, node.min_contact_s, weight))
                    made += 1
        if not made:
            excluded[o] = "blocked"
    windows.sort(key=lambda w: (w.group, w.start_s, w.end_s, w.node, w.opportunity))
    return windows, excluded


class _Index:
    """Windows sorted by start, to find those containing a time."""

    def __init__(self, members: list[int], windows: list[Window]) -> None:
        self.members = sorted(members, key=lambda w: windows[w].start_s)
        self.starts = [windows[w].start_s for w in self.members]
        self.max_len = max((windows[w].end_s - windows[w].start_s for w in members), default=0)

    def containing(self, t: int, windows: list[Window]) -> list[int]:
        hi = bisect.bisect_right(self.starts, t)
        lo = bisect.bisect_left(self.starts, t - self.max_len)
        return [self.members[i] for i in range(lo, hi) if windows[self.members[i]].end_s >= t]


def _pair_count(starts: list[int], ends: list[int], min_len: int) -> int:
    ends_sorted = sorted(ends)
    total = 0
    for s in starts:
        total += len(ends_sorted) - bisect.bisect_left(ends_sorted, s + min_len)
    return total


def build(
    problem: PlanningProblem,
    *,
    budget: int = DEFAULT_CANDIDATE_BUDGET,
    max_depth: int = DEFAULT_MAX_DEPTH,
) -> CandidateSet:
    """Candidate contacts: window edges closed under the rules above, as deep as the budget allows."""
    groups = build_groups(problem)
    windows, excluded = build_windows(problem, groups)
    n = len(windows)
    by_group: dict[int, list[int]] = defaultdict(list)
    by_node: dict[int, list[int]] = defaultdict(list)
    for w, window in enumerate(windows):
        by_group[window.group].append(w)
        by_node[window.node].append(w)
    group_index = {g: _Index(m, windows) for g, m in by_group.items()}
    node_index = {k: _Index(m, windows) for k, m in by_node.items()}
    station_of_group = [group.station for group in groups]

    starts: list[dict[int, int]] = [{w.start_s: 0} for w in windows]  # time -> depth found
    ends: list[dict[int, int]] = [{w.end_s: 0} for w in windows]
    frontier_starts = [(w, windows[w].start_s) for w in range(n)]
    frontier_ends = [(w, windows[w].end_s) for w in range(n)]
    counts = [_pair_count(list(starts[w]), list(ends[w]), windows[w].min_len_s) for w in range(n)]
    total = sum(counts)
    depth = 0
    complete = False
    while True:
        if not frontier_starts and not frontier_ends:
            complete = True
            break
        if depth >= max_depth:
            break
        new_starts: dict[int, set[int]] = defaultdict(set)
        new_ends: dict[int, set[int]] = defaultdict(set)
        for w, s in frontier_starts:
            win = windows[w]
            if s + win.min_len_s <= win.end_s:
                new_ends[w].add(s + win.min_len_s)
            # The contact before this one on the same antenna group ends a setup earlier.
            t = s - groups[win.group].setup_s
            for w2 in group_index[win.group].containing(t, windows):
                other = windows[w2]
                if other.opportunity != win.opportunity and t >= other.start_s + other.min_len_s:
                    new_ends[w2].add(t)
            # The same node at another station hands over when this contact starts.
            for w2 in node_index[win.node].containing(s, windows):
                other = windows[w2]
                if (
                    station_of_group[other.group] != station_of_group[win.group]
                    and s >= other.start_s + other.min_len_s
                ):
                    new_ends[w2].add(s)
        for w, e in frontier_ends:
            win = windows[w]
            if e - win.min_len_s >= win.start_s:
                new_starts[w].add(e - win.min_len_s)
            t = e + groups[win.group].setup_s
            for w2 in group_index[win.group].containing(t, windows):
                other = windows[w2]
                if other.opportunity != win.opportunity and t <= other.end_s - other.min_len_s:
                    new_starts[w2].add(t)
            for w2 in node_index[win.node].containing(e, windows):
                other = windows[w2]
                if (
                    station_of_group[other.group] != station_of_group[win.group]
                    and e <= other.end_s - other.min_len_s
                ):
                    new_starts[w2].add(e)
        # Only times not seen before continue the closure.
        added_starts = [
            (w, t) for w, ts in sorted(new_starts.items()) for t in sorted(ts) if t not in starts[w]
        ]
        added_ends = [(w, t) for w, ts in sorted(new_ends.items()) for t in sorted(ts) if t not in ends[w]]
        more_starts: dict[int, list[int]] = defaultdict(list)
        more_ends: dict[int, list[int]] = defaultdict(list)
        for w, t in added_starts:
            more_starts[w].append(t)
        for w, t in added_ends:
            more_ends[w].append(t)
        trial_total = total
        trial_counts = {}
        for w in set(more_starts) | set(more_ends):
            s_all = [*starts[w], *more_starts.get(w, ())]
            e_all = [*ends[w], *more_ends.get(w, ())]
            trial_counts[w] = _pair_count(s_all, e_all, windows[w].min_len_s)
            trial_total += trial_counts[w] - counts[w]
        if not added_starts and not added_ends:
            complete = True
            break
        if trial_total > budget:
            # Take this round's times for as many windows as the budget allows, spread over the
            # whole period (a fixed pseudo-random order of windows), then stop.
            depth += 1
            spread = sorted(trial_counts, key=lambda w: ((w * 2654435761) % 4294967296, w))
            for w in spread:
                if total + trial_counts[w] - counts[w] > budget:
                    continue
                for t in more_starts.get(w, ()):
                    starts[w][t] = depth
                for t in more_ends.get(w, ()):
                    ends[w][t] = depth
                total += trial_counts[w] - counts[w]
                counts[w] = trial_counts[w]
            break
        depth += 1
        for w, t in added_starts:
            starts[w][t] = depth
        for w, t in added_ends:
            ends[w][t] = depth
        for w, c in trial_counts.items():
            counts[w] = c
        total = trial_total
        frontier_starts, frontier_ends = added_starts, added_ends

    window_of: list[int] = []
    start_s: list[int] = []
    end_s: list[int] = []
    for w in range(n):
        ends_sorted = sorted(ends[w])
        for s in sorted(starts[w]):
            first = bisect.bisect_left(ends_sorted, s + windows[w].min_len_s)
            for e in ends_sorted[first:]:
                window_of.append(w)
                start_s.append(s)
                end_s.append(e)
    return CandidateSet(
        groups=groups,
        windows=windows,
        window_of=np.asarray(window_of, dtype=np.int64),
        start_s=np.asarray(start_s, dtype=np.int64),
        end_s=np.asarray(end_s, dtype=np.int64),
        depth=depth,
        complete=complete,
        excluded=excluded,
    )
