"""The exact planner: a mixed-integer program over the candidate contacts, solved by HiGHS.

Formulation (all times integer seconds; see `candidates` for why the candidate set suffices):
- x_c ∈ {0,1} per candidate contact c, worth weight × duration.
- Antennas: per antenna group, a flow of `capacity` units through time. Contact c is an arc from
  (start − setup) to end, so an antenna does setup then the contact; idle arcs join consecutive
  times. Flow conservation means at most `capacity` contacts (with their setup) at any moment, and
  the flow decomposes into one path per antenna, which gives the antenna assignment.
- One contact per pass: Σ x over an opportunity's candidates ≤ 1.
- One link per node at a time: where a node's windows at different stations overlap, clique rows
  Σ x over candidates covering each start time ≤ 1.
- Daily counts: m_{n,d} ≤ Σ x over node n's candidates starting on day d, 0 ≤ m ≤ wanted, with the
  requirement bonus on m.
The greedy plan is the starting incumbent, so the result is never worse than greedy; when the time
limit stops HiGHS, the best plan found comes back with HiGHS's bound and gap.
Deterministic: the model is built in a fixed order and HiGHS runs single-threaded with a fixed seed.
"""

from __future__ import annotations

import logging
import math
import os
import time
from collections import defaultdict
from dataclasses import dataclass
from datetime import timedelta

import highspy
import numpy as np
import numpy.typing as npt
from scipy import sparse

from groundstation.planning import candidates as cand
from groundstation.planning.explain import explain_unmet
from groundstation.planning.greedy import greedy_windows
from groundstation.planning.model import Contact, Plan, PlanningProblem
from groundstation.planning.objective import REQUIREMENT_BONUS_S, day_targets, evaluate

DEFAULT_TIME_LIMIT_S = 60.0
_log = logging.getLogger(__name__)
# Time kept back from the limit for extracting and explaining the plan.
_FINISH_RESERVE_S = 0.5
_SEED = 0
# LP values this close to 0 or 1 count as integral.
_INTEGRAL_TOL = 1e-6
# Relative safety margin on reduced-cost fixing (float noise in reduced costs is far smaller).
_FIXING_TOL = 1e-7
# The LP relaxation solves at roughly 10k candidates per second here; leave room for the rest.
_CANDIDATES_PER_SECOND = 3000
_MIN_CANDIDATES = 20_000
# Free binary columns HiGHS' MIP (presolve included) gets through per second here.
_FREE_PER_SECOND = 500


class _Builder:
    """Columns and COO entries of the model, added in a fixed order."""

    def __init__(self) -> None:
        self.cost: list[npt.NDArray[np.float64]] = []
        self.lower: list[npt.NDArray[np.float64]] = []
        self.upper: list[npt.NDArray[np.float64]] = []
        self.integer: list[npt.NDArray[np.bool_]] = []
        self.num_col = 0
        self.rows: list[npt.NDArray[np.int64]] = []
        self.cols: list[npt.NDArray[np.int64]] = []
        self.vals: list[npt.NDArray[np.float64]] = []
        self.row_lower: list[float] = []
        self.row_upper: list[float] = []

    def add_cols(self, cost: npt.ArrayLike, lower: npt.ArrayLike, upper: npt.ArrayLike, integer: bool) -> int:
        cost_a = np.asarray(cost, dtype=np.float64)
        n = len(cost_a)
        self.cost.append(cost_a)
        self.lower.append(np.broadcast_to(np.asarray(lower, dtype=np.float64), (n,)).copy())
        self.upper.append(np.broadcast_to(np.asarray(upper, dtype=np.float64), (n,)).copy())
        self.integer.append(np.full(n, integer))
        first = self.num_col
        self.num_col += n
        return first

    def add_rows(self, lower: list[float], upper: list[float]) -> int:
        first = len(self.row_lower)
        self.row_lower.extend(lower)
        self.row_upper.extend(upper)
        return first

    def add_entries(self, rows: npt.ArrayLike, cols: npt.ArrayLike, vals: npt.ArrayLike) -> None:
        r = np.asarray(rows, dtype=np.int64)
        self.rows.append(r)
        self.cols.append(np.asarray(cols, dtype=np.int64))
        self.vals.append(np.broadcast_to(np.asarray(vals, dtype=np.float64), r.shape).copy())

    def objective_vector(self) -> npt.NDArray[np.float64]:
        return np.concatenate(self.cost)

    def lp(self) -> highspy.HighsLp:
        lp = highspy.HighsLp()
        lp.num_col_ = self.num_col
        lp.num_row_ = len(self.row_lower)
        lp.col_cost_ = np.concatenate(self.cost)
        lp.col_lower_ = np.concatenate(self.lower)
        lp.col_upper_ = np.concatenate(self.upper)
        lp.row_lower_ = np.asarray(self.row_lower, dtype=np.float64)
        lp.row_upper_ = np.asarray(self.row_upper, dtype=np.float64)
        lp.sense_ = highspy.ObjSense.kMaximize
        matrix = sparse.csc_matrix(
            (np.concatenate(self.vals), (np.concatenate(self.rows), np.concatenate(self.cols))),
            shape=(lp.num_row_, lp.num_col_),
        )
        matrix.sort_indices()
        lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
        lp.a_matrix_.start_ = matrix.indptr.astype(np.int32)
        lp.a_matrix_.index_ = matrix.indices.astype(np.int32)
        lp.a_matrix_.value_ = matrix.data
        lp.a_matrix_.num_col_ = lp.num_col_
        lp.a_matrix_.num_row_ = lp.num_row_
        integer = np.concatenate(self.integer)
        lp.integrality_ = [
            highspy.HighsVarType.kInteger if flag else highspy.HighsVarType.kContinuous for flag in integer
        ]
        return lp


@dataclass(frozen=True)
class _GroupFlow:
    first_idle: int
    num_idle: int
    capacity: int
    candidates: npt.NDArray[np.int64]
    point_from: npt.NDArray[np.int64]
    point_to: npt.NDArray[np.int64]


class _Model:
    """The MIP for one candidate set, with the maps needed to read a solution back."""

    def __init__(self, problem: PlanningProblem, cs: cand.CandidateSet) -> None:
        self.problem = problem
        self.cs = cs
        b = _Builder()
        windows = cs.windows
        n = len(cs)
        win = cs.window_of
        self.group_of = np.fromiter((windows[w].group for w in win), dtype=np.int64, count=n)
        self.opp_of = np.fromiter((windows[w].opportunity for w in win), dtype=np.int64, count=n)
        self.node_of = np.fromiter((windows[w].node for w in win), dtype=np.int64, count=n)
        weight = np.fromiter((windows[w].weight for w in win), dtype=np.float64, count=n)
        duration = (cs.end_s - cs.start_s).astype(np.float64)
        self.x0 = b.add_cols(weight * duration, 0.0, 1.0, integer=True)

        # Antenna groups: flow conservation at each distinct time of the group.
        self.flow: list[_GroupFlow] = []
        order = np.argsort(self.group_of, kind="stable")
        bounds = np.searchsorted(self.group_of[order], np.arange(len(cs.groups) + 1))
        for g, group in enumerate(cs.groups):
            idx = order[bounds[g] : bounds[g + 1]]
            if len(idx) == 0:
                continue
            capacity = len(group.antennas)
            occupied_from = cs.start_s[idx] - group.setup_s
            points = np.unique(np.concatenate([occupied_from, cs.end_s[idx]]))
            p_from = np.searchsorted(points, occupied_from)
            p_to = np.searchsorted(points, cs.end_s[idx])
            num_rows = len(points) - 1
            first_row = b.add_rows(
                [float(capacity)] + [0.0] * (num_rows - 1), [float(capacity)] + [0.0] * (num_rows - 1)
            )
            first_idle = b.add_cols(np.zeros(num_rows), 0.0, float(capacity), integer=False)
            b.add_entries(first_row + p_from, self.x0 + idx, 1.0)
            inner = p_to < num_rows
            b.add_entries(first_row + p_to[inner], self.x0 + idx[inner], -1.0)
            arcs = np.arange(num_rows)
            b.add_entries(first_row + arcs, first_idle + arcs, 1.0)
            b.add_entries(first_row + arcs[1:], first_idle + arcs[:-1], -1.0)
            self.flow.append(_GroupFlow(first_idle, num_rows, capacity, idx, p_from, p_to))

        # One contact per pass.
        opp_order = np.argsort(self.opp_of, kind="stable")
        opp_sorted = self.opp_of[opp_order]
        _, starts, counts = np.unique(opp_sorted, return_index=True, return_counts=True)
        multi = counts > 1
        if multi.any():
            first = b.add_rows([-math.inf] * int(multi.sum()), [1.0] * int(multi.sum()))
            row_ids = np.repeat(np.arange(int(multi.sum())), counts[multi])
            members = np.concatenate(
                [opp_order[s : s + c] for s, c in zip(starts[multi], counts[multi], strict=True)]
            )
            b.add_entries(first + row_ids, self.x0 + members, 1.0)

        # One link per node at a time, where a node's windows at different stations overlap.
        self._node_cliques(b)

        # Daily contact counts.
        self.day_cols: list[tuple[int, int, int, int]] = []  # (column, node index, day, wanted)
        day_of = cs.start_s // 86400
        by_node_day: dict[tuple[int, int], list[int]] = defaultdict(list)
        for c in range(n):
            by_node_day[(int(self.node_of[c]), int(day_of[c]))].append(c)
        for k, node in enumerate(problem.nodes):
            for d, (_, _, wanted) in enumerate(day_targets(problem, node)):
                members_nd = by_node_day.get((k, d))
                if wanted <= 0 or not members_nd:
                    continue
                col = b.add_cols([node.priority * REQUIREMENT_BONUS_S], 0.0, float(wanted), integer=False)
                row = b.add_rows([-math.inf], [0.0])
                b.add_entries([row], [col], 1.0)
                b.add_entries(np.full(len(members_nd), row), self.x0 + np.asarray(members_nd), -1.0)
                self.day_cols.append((col, k, d, wanted))
        self.builder = b

    def _node_cliques(self, b: _Builder) -> None:
        cs = self.cs
        windows = cs.windows
        by_node: dict[int, list[int]] = defaultdict(list)
        for w, window in enumerate(windows):
            by_node[window.node].append(w)
        cands_of_window: dict[int, list[int]] = defaultdict(list)
        for c, w in enumerate(cs.window_of):
            cands_of_window[int(w)].append(c)
        station_of = [g.station for g in cs.groups]
        rows: list[tuple[int, ...]] = []
        seen: set[tuple[int, ...]] = set()
        for k in sorted(by_node):
            ws = sorted(by_node[k], key=lambda w: (windows[w].start_s, windows[w].end_s, w))
            cluster: list[int] = []
            cluster_end = -1
            for w in [*ws, -1]:
                if w != -1 and windows[w].start_s < cluster_end:
                    cluster.append(w)
                    cluster_end = max(cluster_end, windows[w].end_s)
                    continue
                if len({station_of[windows[x].group] for x in cluster}) > 1:
                    members = [c for x in cluster for c in cands_of_window[x]]
                    for t in sorted({int(cs.start_s[c]) for c in members}):
                        row = tuple(c for c in members if cs.start_s[c] <= t < cs.end_s[c])
                        if len({int(self.opp_of[c]) for c in row}) > 1 and row not in seen:
                            seen.add(row)
                            rows.append(row)
                if w != -1:
                    cluster = [w]
                    cluster_end = windows[w].end_s
        if rows:
            first = b.add_rows([-math.inf] * len(rows), [1.0] * len(rows))
            b.add_entries(
                np.concatenate([np.full(len(r), first + i) for i, r in enumerate(rows)]),
                self.x0 + np.concatenate([np.asarray(r) for r in rows]),
                1.0,
            )

    def full_solution(self, chosen: npt.NDArray[np.bool_]) -> npt.NDArray[np.float64]:
        """Values of every column for a choice of candidates (for a starting incumbent)."""
        values = np.zeros(self.builder.num_col)
        values[self.x0 : self.x0 + len(chosen)] = chosen
        for flow in self.flow:
            busy = np.zeros(flow.num_idle + 1)
            sel = chosen[flow.candidates]
            np.add.at(busy, flow.point_from[sel], 1.0)
            np.add.at(busy, flow.point_to[sel], -1.0)
            values[flow.first_idle : flow.first_idle + flow.num_idle] = flow.capacity - np.cumsum(busy)[:-1]
        day_of = self.cs.start_s // 86400
        for col, k, d, wanted in self.day_cols:
            values[col] = min(wanted, int(np.sum(chosen & (self.node_of == k) & (day_of == d))))
        return values

    def contacts(self, chosen: npt.NDArray[np.bool_]) -> list[Contact]:
        """The chosen candidates as contacts, with antennas assigned within each group."""
        problem, cs = self.problem, self.cs
        out = []
        for g, group in enumerate(cs.groups):
            picked = np.flatnonzero(chosen & (self.group_of == g))
            if len(picked) == 0:
                continue
            station = problem.stations[group.station]
            # Interval colouring in order of occupancy start: the flow bound makes it fit.
            in_order = sorted(picked.tolist(), key=lambda c: (int(cs.start_s[c]), int(cs.end_s[c]), c))
            free_at = {k: -math.inf for k in group.antennas}
            for c in in_order:
                begin = int(cs.start_s[c]) - group.setup_s
                antenna = min((k for k in group.antennas if free_at[k] <= begin), default=None)
                if antenna is None:
                    raise RuntimeError(f"no free antenna at {station.name} for candidate {c}")
                free_at[antenna] = int(cs.end_s[c])
                out.append(
                    Contact(
                        station=station.name,
                        antenna=antenna,
                        norad_id=problem.nodes[int(self.node_of[c])].norad_id,
                        start=problem.start + timedelta(seconds=int(cs.start_s[c])),
                        end=problem.start + timedelta(seconds=int(cs.end_s[c])),
                    )
                )
        out.sort(key=lambda c: (c.start, c.station, c.antenna, c.norad_id))
        return out


def _greedy_choice(problem: PlanningProblem, cs: cand.CandidateSet) -> npt.NDArray[np.bool_]:
    """The greedy plan as a choice of candidates (every window's full span is a candidate)."""
    index = {
        (int(w), int(s), int(e)): c
        for c, (w, s, e) in enumerate(zip(cs.window_of, cs.start_s, cs.end_s, strict=True))
    }
    chosen = np.zeros(len(cs), dtype=bool)
    for w, _ in greedy_windows(problem, cs.groups, cs.windows):
        window = cs.windows[w]
        chosen[index[(w, window.start_s, window.end_s)]] = True
    return chosen


class _Highs:
    """One HiGHS instance over the model: the LP relaxation first, then MIPs on restricted bounds."""

    def __init__(self, model: _Model, deadline: float) -> None:
        self.model = model
        self.deadline = deadline
        self.highs = highspy.Highs()  # type: ignore[no-untyped-call]
        self.highs.setOptionValue("output_flag", bool(os.environ.get("GROUNDSTATION_PLAN_DEBUG")))
        self.highs.setOptionValue("threads", 1)
        self.highs.setOptionValue("random_seed", _SEED)
        self.highs.setOptionValue("mip_rel_gap", 0.0)
        lp = model.builder.lp()
        self.integer_cols = np.flatnonzero(np.concatenate(model.builder.integer)).astype(np.int32)
        lp.integrality_ = []
        self.lower = np.asarray(lp.col_lower_, dtype=np.float64).copy()
        self.upper = np.asarray(lp.col_upper_, dtype=np.float64).copy()
        self.highs.passModel(lp)

    def _run(self) -> bool:
        remaining = self.deadline - time.monotonic()
        if remaining <= 0:
            return False
        self.highs.setOptionValue("time_limit", remaining)
        self.highs.run()
        return True

    def relaxation(self) -> tuple[float, npt.NDArray[np.float64], npt.NDArray[np.float64]] | None:
        """LP bound, values and reduced costs; None if the deadline came first."""
        # Simplex without presolve: the relaxation is close to a network flow and nearly integral.
        self.highs.setOptionValue("presolve", "off")
        self.highs.setOptionValue("solver", "simplex")
        if not self._run() or self.highs.getModelStatus() != highspy.HighsModelStatus.kOptimal:
            return None
        solution = self.highs.getSolution()
        return (
            float(self.highs.getInfo().objective_function_value),
            np.asarray(solution.col_value),
            np.asarray(solution.col_dual),
        )

    def mip(
        self,
        fix_lower: npt.NDArray[np.int32],
        fix_upper: npt.NDArray[np.int32],
        start: npt.NDArray[np.float64],
    ) -> tuple[str, npt.NDArray[np.float64] | None, float]:
        """Solve with the given columns fixed to 0 (`fix_upper`) or 1 (`fix_lower`), from `start`."""
        highs = self.highs
        highs.setOptionValue("presolve", "on")
        highs.setOptionValue("solver", "choose")
        lower, upper = self.lower.copy(), self.upper.copy()
        upper[fix_upper] = 0.0
        lower[fix_lower] = 1.0
        cols = np.arange(len(lower), dtype=np.int32)
        highs.changeColsBounds(len(cols), cols, lower, upper)
        highs.changeColsIntegrality(
            len(self.integer_cols),
            self.integer_cols,
            np.full(len(self.integer_cols), highspy.HighsVarType.kInteger),
        )
        incumbent = highspy.HighsSolution()
        incumbent.col_value = start
        incumbent.value_valid = True
        highs.setSolution(incumbent)
        if not self._run():
            return "time_limit", None, math.inf
        info = highs.getInfo()
        values = None
        if info.primal_solution_status == highspy.kSolutionStatusFeasible:
            values = np.asarray(highs.getSolution().col_value)
        status = "optimal" if highs.getModelStatus() == highspy.HighsModelStatus.kOptimal else "time_limit"
        bound = float(info.mip_dual_bound)
        return status, values, bound if math.isfinite(bound) else math.inf


def plan_optimal(
    problem: PlanningProblem,
    *,
    time_limit_s: float = DEFAULT_TIME_LIMIT_S,
    candidate_budget: int | None = None,
    max_depth: int = cand.DEFAULT_MAX_DEPTH,
) -> Plan:
    """The best plan found within `time_limit_s` (wall time, model building included).

    Steps: the LP relaxation (an upper bound); an incumbent from the better of greedy and the LP
    solution with its fractional part re-solved as a small MIP; reduced-cost fixing (columns whose
    reduced cost shows they cannot be in any better plan); the exact MIP on what is left. With time
    to finish, the result is optimal over the candidate set; otherwise it carries the proven gap.
    """
    began = time.monotonic()
    deadline = began + time_limit_s - _FINISH_RESERVE_S
    budget = candidate_budget if candidate_budget is not None else candidate_budget_for(time_limit_s)
    cs = cand.build(problem, budget=budget, max_depth=max_depth)
    _log.debug("candidates: %d (depth %d) in %.1f s", len(cs), cs.depth, time.monotonic() - began)
    model = _Model(problem, cs)
    greedy = _greedy_choice(problem, cs)
    _log.debug("model and greedy at %.1f s", time.monotonic() - began)
    x0, n = model.x0, len(cs)
    objective_of = model.builder.objective_vector()
    best = model.full_solution(greedy)
    status, bound = "time_limit", math.inf
    if n and time.monotonic() < deadline:
        solver = _Highs(model, deadline)
        relaxed = solver.relaxation()
        if relaxed is not None:
            lp_bound, values, reduced = relaxed
            _log.debug("LP bound %.1f at %.1f s", relaxed[0], time.monotonic() - began)
            bound = lp_bound
            x = values[x0 : x0 + n]
            ones = np.flatnonzero(x >= 1.0 - _INTEGRAL_TOL).astype(np.int32) + x0
            zeros = np.flatnonzero(x <= _INTEGRAL_TOL).astype(np.int32) + x0
            fractional = n - len(ones) - len(zeros)
            # Dive: keep the LP's integral part and solve for the fractional rest (HiGHS presolve
            # removes the fixed columns in about a second). Rounding the rest down is feasible too.
            rounded = model.full_solution(x >= 1.0 - _INTEGRAL_TOL)
            if objective_of @ rounded > objective_of @ best:
                best = rounded
            if fractional <= _FREE_PER_SECOND * (deadline - time.monotonic()):
                _, dived, _ = solver.mip(ones, zeros, best)
                if dived is not None and objective_of @ dived > objective_of @ best:
                    best = dived
            incumbent = float(objective_of @ best)
            _log.debug("dive %.1f (%d fractional) at %.1f s", incumbent, fractional, time.monotonic() - began)
            # Reduced-cost fixing (maximising): a column at 0 with reduced cost d caps any plan using
            # it at bound + d; at 1, any plan without it at bound - d.
            margin = _FIXING_TOL * max(1.0, abs(incumbent))
            d = reduced[x0 : x0 + n]
            at_zero = x <= _INTEGRAL_TOL
            at_one = x >= 1.0 - _INTEGRAL_TOL
            fix_zero = np.flatnonzero(at_zero & (lp_bound + d < incumbent - margin)).astype(np.int32)
            fix_one = np.flatnonzero(at_one & (lp_bound - d < incumbent - margin)).astype(np.int32)
            free = n - len(fix_zero) - len(fix_one)
            _log.debug("fixed %d of %d columns", n - free, n)
            # HiGHS' presolve does not stop at the time limit on big models: only start the exact
            # search when its size fits the time left.
            if lp_bound - incumbent <= margin:
                mip_status, solved, mip_bound = "optimal", None, incumbent
            elif free <= _FREE_PER_SECOND * (deadline - time.monotonic()):
                mip_status, solved, mip_bound = solver.mip(fix_one + x0, fix_zero + x0, best)
            else:
                mip_status, solved, mip_bound = "time_limit", None, math.inf
            _log.debug("MIP %s at %.1f s", mip_status, time.monotonic() - began)
            if solved is not None and objective_of @ solved > objective_of @ best:
                best = solved
            incumbent = float(objective_of @ best)
            # Plans better than the incumbent all lie in the restricted model.
            bound = max(incumbent, min(bound, mip_bound))
            status = mip_status
    chosen = best[x0 : x0 + n] > 0.5
    contacts = model.contacts(chosen)
    objective = evaluate(problem, contacts)
    unmet = explain_unmet(problem, contacts)
    _log.debug("plan extracted at %.1f s", time.monotonic() - began)
    if status == "optimal":
        bound = objective
    gap = None if not math.isfinite(bound) else max(0.0, bound - objective) / max(abs(objective), 1e-9)
    stats = (
        ("candidates", float(n)),
        ("candidate_depth", float(cs.depth)),
        ("candidates_complete", 1.0 if cs.complete else 0.0),
        ("greedy_objective", float(objective_of @ model.full_solution(greedy))),
        ("elapsed_s", round(time.monotonic() - began, 3)),
    )
    return Plan(
        start=problem.start,
        end=problem.end,
        solver="optimal",
        status=status,
        contacts=tuple(contacts),
        objective=objective,
        bound=bound if math.isfinite(bound) else None,
        gap=gap,
        unmet=tuple(unmet),
        stats=stats,
    )


def candidate_budget_for(time_limit_s: float) -> int:
    """How many candidates to build for a time limit (a function of the inputs only: deterministic)."""
    return max(_MIN_CANDIDATES, int(_CANDIDATES_PER_SECOND * time_limit_s))
