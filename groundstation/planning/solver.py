"""The exact planner: a mixed-integer program over the candidate contacts, solved by HiGHS.

Formulation (all times integer seconds; see `candidates` for why the candidate set suffices):
- x_c ∈ {0,1} per candidate contact c, worth weight × duration.
- Antennas: per antenna group, a flow of `capacity` units through time. Contact c is an arc from
  (start − setup) to end, so an antenna does setup then the contact; idle arcs join consecutive
  times. Flow conservation means at most `capacity` contacts (with their setup) at any moment.
- One contact per pass: Σ x over an opportunity's candidates ≤ 1.
- One link per node at a time: where a node's windows at different stations overlap, clique rows
  Σ x over candidates covering each start time ≤ 1.
- Daily counts: m_{n,d} ≤ Σ x over node n's candidates starting on day d, 0 ≤ m ≤ wanted, with the
  requirement bonus on m.

Solving. Small problems go whole: the LP relaxation (an upper bound), an incumbent from the better
of greedy and the LP solution with its fractional part re-solved as a small MIP, reduced-cost
fixing, then the exact MIP on what is left; with time to finish, the plan is optimal over the
candidates. Big problems (a week of a large network) go in consecutive time blocks, because the
relaxation's cost grows much faster than its size: each block is solved the same way with the
contacts already chosen before it held fixed, and the bound is the sum of each block's LP dual
bound (weak duality, with constraints across blocks and the requirement bonus relaxed) plus the
most requirement bonus any plan could earn. The greedy plan is the fallback, so a plan is never
worse than greedy. Deterministic: fixed model order, single-threaded HiGHS, fixed seed.
"""

from __future__ import annotations

import logging
import math
import time
from collections import defaultdict
from collections.abc import Sequence
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
_FINISH_RESERVE_S = 1.0
_SEED = 0
# LP values this close to 0 or 1 count as integral.
_INTEGRAL_TOL = 1e-6
# Relative safety margin on reduced-cost fixing (float noise in reduced costs is far smaller).
_FIXING_TOL = 1e-7
# Candidates to build per second of time limit, and at least.
_CANDIDATES_PER_SECOND = 8000
_MIN_CANDIDATES = 20_000
# Blocks of _BLOCK_CANDIDATES should span a couple of hours: boundaries cost a little optimality.
_CANDIDATES_PER_HOUR = 4_000
# Up to this many candidates the problem is solved whole; beyond, in blocks of about this many.
_WHOLE_MAX_CANDIDATES = 200_000
# Share of the time the whole problem's relaxation may take before the blocks take over.
_WHOLE_LP_SHARE = 0.35
_BLOCK_CANDIDATES = 4000
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

    def matrix(self) -> sparse.csc_matrix:
        matrix = sparse.csc_matrix(
            (np.concatenate(self.vals), (np.concatenate(self.rows), np.concatenate(self.cols))),
            shape=(len(self.row_lower), self.num_col),
        )
        matrix.sum_duplicates()
        matrix.sort_indices()
        return matrix

    def lp(self, matrix: sparse.csc_matrix) -> highspy.HighsLp:
        """The relaxation (all columns continuous); integrality is set on the solver when needed."""
        lp = highspy.HighsLp()
        lp.num_col_ = self.num_col
        lp.num_row_ = len(self.row_lower)
        lp.col_cost_ = np.concatenate(self.cost)
        lp.col_lower_ = np.concatenate(self.lower)
        lp.col_upper_ = np.concatenate(self.upper)
        lp.row_lower_ = np.asarray(self.row_lower, dtype=np.float64)
        lp.row_upper_ = np.asarray(self.row_upper, dtype=np.float64)
        lp.sense_ = highspy.ObjSense.kMaximize
        lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
        lp.a_matrix_.start_ = matrix.indptr.astype(np.int32)
        lp.a_matrix_.index_ = matrix.indices.astype(np.int32)
        lp.a_matrix_.value_ = matrix.data
        lp.a_matrix_.num_col_ = lp.num_col_
        lp.a_matrix_.num_row_ = lp.num_row_
        return lp


@dataclass(frozen=True)
class _GroupFlow:
    first_idle: int
    num_idle: int
    capacity: int
    candidates: npt.NDArray[np.int64]  # local indices
    point_from: npt.NDArray[np.int64]
    point_to: npt.NDArray[np.int64]


class _Model:
    """The MIP over some of the candidates (`members`, global indices), with `wanted` daily counts."""

    def __init__(
        self,
        problem: PlanningProblem,
        cs: cand.CandidateSet,
        members: npt.NDArray[np.int64],
        wanted: dict[tuple[int, int], int],
    ) -> None:
        self.problem = problem
        self.cs = cs
        self.members = members
        # Local columns no plan may use here (they clash with contacts chosen in earlier blocks).
        self.clashes = np.zeros(len(members), dtype=bool)
        b = _Builder()
        windows = cs.windows
        n = len(members)
        win = cs.window_of[members]
        self.start_s = cs.start_s[members]
        self.end_s = cs.end_s[members]
        self.group_of = np.fromiter((windows[w].group for w in win), dtype=np.int64, count=n)
        self.opp_of = np.fromiter((windows[w].opportunity for w in win), dtype=np.int64, count=n)
        self.node_of = np.fromiter((windows[w].node for w in win), dtype=np.int64, count=n)
        weight = np.fromiter((windows[w].weight for w in win), dtype=np.float64, count=n)
        self.x0 = b.add_cols(weight * (self.end_s - self.start_s), 0.0, 1.0, integer=True)

        # Antenna groups: flow conservation at each distinct time of the group.
        self.flow: list[_GroupFlow] = []
        order = np.argsort(self.group_of, kind="stable")
        bounds = np.searchsorted(self.group_of[order], np.arange(len(cs.groups) + 1))
        for g, group in enumerate(cs.groups):
            idx = order[bounds[g] : bounds[g + 1]]
            if len(idx) == 0:
                continue
            capacity = len(group.antennas)
            occupied_from = self.start_s[idx] - group.setup_s
            points = np.unique(np.concatenate([occupied_from, self.end_s[idx]]))
            p_from = np.searchsorted(points, occupied_from)
            p_to = np.searchsorted(points, self.end_s[idx])
            num_rows = len(points) - 1
            rhs = [float(capacity)] + [0.0] * (num_rows - 1)
            first_row = b.add_rows(rhs, rhs)
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
        _, starts, counts = np.unique(self.opp_of[opp_order], return_index=True, return_counts=True)
        multi = counts > 1
        if multi.any():
            k = int(multi.sum())
            first = b.add_rows([-math.inf] * k, [1.0] * k)
            row_ids = np.repeat(np.arange(k), counts[multi])
            members_opp = np.concatenate(
                [opp_order[s : s + c] for s, c in zip(starts[multi], counts[multi], strict=True)]
            )
            b.add_entries(first + row_ids, self.x0 + members_opp, 1.0)

        # One link per node at a time, where a node's windows at different stations overlap.
        self._node_cliques(b, win)

        # Daily contact counts.
        self.day_cols: list[tuple[int, int, int, int]] = []  # (column, node index, day, wanted)
        self.bonus_rows: list[int] = []
        self.day_of = self.start_s // 86400
        by_node_day: dict[tuple[int, int], list[int]] = defaultdict(list)
        for c in range(n):
            by_node_day[(int(self.node_of[c]), int(self.day_of[c]))].append(c)
        for (k, d), local in sorted(by_node_day.items()):
            want = wanted.get((k, d), 0)
            if want <= 0:
                continue
            col = b.add_cols(
                [problem.nodes[k].priority * REQUIREMENT_BONUS_S], 0.0, float(want), integer=False
            )
            row = b.add_rows([-math.inf], [0.0])
            b.add_entries([row], [col], 1.0)
            b.add_entries(np.full(len(local), row), self.x0 + np.asarray(local), -1.0)
            self.day_cols.append((col, k, d, want))
            self.bonus_rows.append(row)
        self.builder = b

    def _node_cliques(self, b: _Builder, win: npt.NDArray[np.int64]) -> None:
        windows = self.cs.windows
        local_of_window: dict[int, list[int]] = defaultdict(list)
        for c, w in enumerate(win.tolist()):
            local_of_window[w].append(c)
        by_node: dict[int, list[int]] = defaultdict(list)
        for w in local_of_window:
            by_node[windows[w].node].append(w)
        station_of = [g.station for g in self.cs.groups]
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
                    local = [c for x in cluster for c in local_of_window[x]]
                    for t in sorted({int(self.start_s[c]) for c in local}):
                        row = tuple(c for c in local if self.start_s[c] <= t < self.end_s[c])
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
        """Values of every column for a choice of (local) candidates."""
        values = np.zeros(self.builder.num_col)
        values[self.x0 : self.x0 + len(chosen)] = chosen
        for flow in self.flow:
            busy = np.zeros(flow.num_idle + 1)
            sel = chosen[flow.candidates]
            np.add.at(busy, flow.point_from[sel], 1.0)
            np.add.at(busy, flow.point_to[sel], -1.0)
            values[flow.first_idle : flow.first_idle + flow.num_idle] = flow.capacity - np.cumsum(busy)[:-1]
        for col, k, d, want in self.day_cols:
            values[col] = min(want, int(np.sum(chosen & (self.node_of == k) & (self.day_of == d))))
        return values


class _Solver:
    """HiGHS over one model: the LP relaxation first, then MIPs with some columns fixed."""

    def __init__(self, model: _Model, deadline: float) -> None:
        self.model = model
        self.deadline = deadline
        self.highs = highspy.Highs()  # type: ignore[no-untyped-call]
        self.highs.setOptionValue("output_flag", _log.isEnabledFor(logging.DEBUG - 5))
        self.highs.setOptionValue("threads", 1)
        self.highs.setOptionValue("random_seed", _SEED)
        self.highs.setOptionValue("mip_rel_gap", 0.0)
        self.matrix = model.builder.matrix()
        lp = model.builder.lp(self.matrix)
        self.cost = np.asarray(lp.col_cost_, dtype=np.float64).copy()
        self.lower = np.asarray(lp.col_lower_, dtype=np.float64).copy()
        self.upper = np.asarray(lp.col_upper_, dtype=np.float64).copy()
        self.row_lower = np.asarray(lp.row_lower_, dtype=np.float64).copy()
        self.row_upper = np.asarray(lp.row_upper_, dtype=np.float64).copy()
        self.integer_cols = np.flatnonzero(np.concatenate(model.builder.integer)).astype(np.int32)
        self.highs.passModel(lp)
        self.forced_zero = np.zeros(0, dtype=np.int32)

    def _run(self) -> bool:
        remaining = self.deadline - time.monotonic()
        if remaining <= 0:
            return False
        self.highs.setOptionValue("time_limit", remaining)
        self.highs.run()
        return True

    def _set_bounds(self, fix_one: npt.NDArray[np.int32], fix_zero: npt.NDArray[np.int32]) -> None:
        lower, upper = self.lower.copy(), self.upper.copy()
        upper[self.forced_zero] = 0.0
        upper[fix_zero] = 0.0
        lower[fix_one] = 1.0
        cols = np.arange(len(lower), dtype=np.int32)
        self.highs.changeColsBounds(len(cols), cols, lower, upper)

    def force_zero(self, local: npt.NDArray[np.int64]) -> None:
        """Columns no plan may use here (they clash with contacts already chosen)."""
        self.forced_zero = (np.asarray(local, dtype=np.int32) + self.model.x0).astype(np.int32)
        self._set_bounds(np.zeros(0, dtype=np.int32), np.zeros(0, dtype=np.int32))

    def relaxation(
        self,
    ) -> tuple[float, npt.NDArray[np.float64], npt.NDArray[np.float64], npt.NDArray[np.float64]] | None:
        """LP bound, values, reduced costs and row duals; None if the deadline came first."""
        # Simplex without presolve: the relaxation is close to a network flow.
        self.highs.setOptionValue("presolve", "off")
        self.highs.setOptionValue("solver", "simplex")
        if not self._run() or self.highs.getModelStatus() != highspy.HighsModelStatus.kOptimal:
            return None
        solution = self.highs.getSolution()
        return (
            float(self.highs.getInfo().objective_function_value),
            np.asarray(solution.col_value),
            np.asarray(solution.col_dual),
            np.asarray(solution.row_dual),
        )

    def relaxed_time_bound(self) -> float:
        """The LP optimum of this block on its own without the requirement bonus (columns forced to
        zero by earlier blocks freed again): re-solved from the current basis. inf if out of time."""
        upper = self.upper.copy()
        for col, _, _, _ in self.model.day_cols:
            upper[col] = 0.0
        cols = np.arange(len(upper), dtype=np.int32)
        self.highs.changeColsBounds(len(cols), cols, self.lower, upper)
        solved = self._run() and self.highs.getModelStatus() == highspy.HighsModelStatus.kOptimal
        bound = float(self.highs.getInfo().objective_function_value) if solved else math.inf
        self._set_bounds(np.zeros(0, dtype=np.int32), np.zeros(0, dtype=np.int32))
        return bound

    def mip(
        self, fix_one: npt.NDArray[np.int32], fix_zero: npt.NDArray[np.int32], start: npt.NDArray[np.float64]
    ) -> tuple[str, npt.NDArray[np.float64] | None, float]:
        """Solve with the given columns fixed to 1 or 0, from `start`."""
        highs = self.highs
        highs.setOptionValue("presolve", "on")
        highs.setOptionValue("solver", "choose")
        self._set_bounds(fix_one, fix_zero)
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


@dataclass
class _Outcome:
    chosen: npt.NDArray[np.bool_]  # local
    status: str
    bound: float  # for the model as solved (not relaxed); inf when unknown
    relaxed_bound: float  # for the block on its own, without bonus (blocks only)


def _solve_model(
    model: _Model,
    greedy: npt.NDArray[np.bool_],
    deadline: float,
    *,
    exact: bool,
    lp_deadline: float | None = None,
) -> _Outcome:
    """LP (by `lp_deadline`, if given), dive, reduced-cost fixing and (if `exact` and there is time)
    the exact MIP. Status "lp_timeout" when the LP did not finish."""
    n = len(model.members)
    x0 = model.x0
    objective_of = np.concatenate(model.builder.cost)
    best = model.full_solution(greedy)
    outcome = _Outcome(greedy, "time_limit", math.inf, math.inf)
    if n == 0:
        outcome.status, outcome.bound, outcome.relaxed_bound = "optimal", 0.0, 0.0
        return outcome
    if time.monotonic() >= deadline:
        return outcome
    solver = _Solver(model, deadline if lp_deadline is None else min(deadline, lp_deadline))
    forced = np.flatnonzero(model.clashes)
    if len(forced):
        solver.force_zero(forced)
    relaxed = solver.relaxation()
    solver.deadline = deadline
    if relaxed is None:
        outcome.status = "lp_timeout"
        return outcome
    lp_bound, values, reduced, _ = relaxed
    if not exact:
        outcome.relaxed_bound = solver.relaxed_time_bound()
    bound = lp_bound
    x = values[x0 : x0 + n]
    ones = np.flatnonzero(x >= 1.0 - _INTEGRAL_TOL).astype(np.int32) + x0
    zeros = np.flatnonzero(x <= _INTEGRAL_TOL).astype(np.int32) + x0
    fractional = n - len(ones) - len(zeros)
    # Dive: keep the LP's integral part and solve for the fractional rest (HiGHS presolve removes
    # the fixed columns quickly). Rounding the rest down is feasible too.
    rounded = model.full_solution(x >= 1.0 - _INTEGRAL_TOL)
    if objective_of @ rounded > objective_of @ best:
        best = rounded
    if fractional and fractional <= _FREE_PER_SECOND * (deadline - time.monotonic()):
        _, dived, _ = solver.mip(ones, zeros, best)
        if dived is not None and objective_of @ dived > objective_of @ best:
            best = dived
    incumbent = float(objective_of @ best)
    margin = _FIXING_TOL * max(1.0, abs(incumbent))
    status, mip_bound = "time_limit", math.inf
    if lp_bound - incumbent <= margin:
        status, mip_bound = "optimal", incumbent
    elif exact:
        # Reduced-cost fixing (maximising): a column at 0 with reduced cost d caps any plan using
        # it at bound + d; at 1, any plan without it at bound - d.
        d = reduced[x0 : x0 + n]
        fix_zero = np.flatnonzero((x <= _INTEGRAL_TOL) & (lp_bound + d < incumbent - margin)).astype(np.int32)
        fix_one = np.flatnonzero((x >= 1.0 - _INTEGRAL_TOL) & (lp_bound - d < incumbent - margin)).astype(
            np.int32
        )
        free = n - len(fix_zero) - len(fix_one)
        _log.debug("fixed %d of %d columns", n - free, n)
        # HiGHS' presolve does not stop at the time limit on big models: only start the exact
        # search when its size fits the time left.
        if free <= _FREE_PER_SECOND * (deadline - time.monotonic()):
            status, solved, mip_bound = solver.mip(fix_one + x0, fix_zero + x0, best)
            if solved is not None and objective_of @ solved > objective_of @ best:
                best = solved
    incumbent = float(objective_of @ best)
    # Plans better than the incumbent all lie in the restricted model.
    outcome.bound = max(incumbent, min(bound, mip_bound))
    outcome.status = status
    outcome.chosen = best[x0 : x0 + n] > 0.5
    return outcome


def _clashes(
    cs: cand.CandidateSet,
    members: npt.NDArray[np.int64],
    carried: Sequence[int],
    opp_of: npt.NDArray[np.int64],
    group_of: npt.NDArray[np.int64],
    node_of: npt.NDArray[np.int64],
) -> npt.NDArray[np.bool_]:
    """Candidates of a block that clash with contacts chosen before it (antenna with setup, node
    link, or the same pass). On a multi-antenna group any overlap counts: safe, if cautious."""
    out = np.zeros(len(members), dtype=bool)
    start, end = cs.start_s[members], cs.end_s[members]
    setup = np.array([g.setup_s for g in cs.groups])
    window_of = cs.windows
    for c in carried:
        w = window_of[int(cs.window_of[c])]
        s, e = int(cs.start_s[c]), int(cs.end_s[c])
        same_group = (group_of == w.group) & (start - setup[w.group] < e) & (s - setup[w.group] < end)
        same_node = (node_of == w.node) & (start < e) & (s < end)
        out |= same_group | same_node | (opp_of == w.opportunity)
    return out


def _contacts(
    problem: PlanningProblem, cs: cand.CandidateSet, chosen: npt.NDArray[np.bool_]
) -> list[Contact]:
    """Chosen (global) candidates as contacts, with antennas assigned within each group."""
    picked_by_group: dict[int, list[int]] = defaultdict(list)
    for c in np.flatnonzero(chosen).tolist():
        picked_by_group[cs.windows[int(cs.window_of[c])].group].append(c)
    out = []
    for g, picked in sorted(picked_by_group.items()):
        group = cs.groups[g]
        station = problem.stations[group.station]
        # Interval colouring in order of start: the capacity constraints make it fit.
        in_order = sorted(picked, key=lambda c: (int(cs.start_s[c]), int(cs.end_s[c]), c))
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
                    norad_id=problem.nodes[cs.windows[int(cs.window_of[c])].node].norad_id,
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


def _wanted(problem: PlanningProblem) -> dict[tuple[int, int], int]:
    return {
        (k, d): want
        for k, node in enumerate(problem.nodes)
        for d, (_, _, want) in enumerate(day_targets(problem, node))
        if want > 0
    }


def _bonus_ceiling(problem: PlanningProblem, cs: cand.CandidateSet) -> float:
    """The most requirement bonus any plan could earn: each node-day capped by its usable passes."""
    passes: dict[tuple[int, int], set[int]] = defaultdict(set)
    for w in cs.windows:
        passes[(w.node, w.start_s // 86400)].add(w.opportunity)
    total = 0.0
    for (k, d), want in _wanted(problem).items():
        total += problem.nodes[k].priority * REQUIREMENT_BONUS_S * min(want, len(passes.get((k, d), ())))
    return total


def _blocks(cs: cand.CandidateSet) -> list[npt.NDArray[np.int64]]:
    """Candidates in consecutive blocks of about _BLOCK_CANDIDATES, whole windows at a time (by
    window start), so a pass's choices are never split between blocks."""
    counts = np.bincount(cs.window_of, minlength=len(cs.windows))
    starts = np.array([w.start_s for w in cs.windows], dtype=np.int64)
    order = np.lexsort((np.arange(len(starts)), starts))
    block_of_window = np.empty(len(starts), dtype=np.int64)
    block, size = 0, 0
    for i, w in enumerate(order.tolist()):
        if size >= _BLOCK_CANDIDATES and starts[w] != starts[order[i - 1]]:
            block, size = block + 1, 0
        block_of_window[w] = block
        size += int(counts[w])
    block_of_candidate = block_of_window[cs.window_of]
    order_c = np.argsort(block_of_candidate, kind="stable")
    edges = np.searchsorted(block_of_candidate[order_c], np.arange(block + 2))
    return [order_c[edges[k] : edges[k + 1]] for k in range(block + 1) if edges[k + 1] > edges[k]]


def _solve_blocks(
    problem: PlanningProblem, cs: cand.CandidateSet, greedy: npt.NDArray[np.bool_], deadline: float
) -> tuple[npt.NDArray[np.bool_], str, float]:
    wanted = _wanted(problem)
    chosen = np.zeros(len(cs), dtype=bool)
    got: dict[tuple[int, int], int] = defaultdict(int)
    bound = _bonus_ceiling(problem, cs)
    status = "time_limit"
    blocks = _blocks(cs)
    max_setup = max((g.setup_s for g in cs.groups), default=0)
    for i, members in enumerate(blocks):
        block_start = int(cs.start_s[members].min())
        earlier = np.flatnonzero(chosen)
        carried = [int(c) for c in earlier if cs.end_s[c] + max_setup > block_start]
        remaining = {key: want - got[key] for key, want in wanted.items() if want > got[key]}
        model = _Model(problem, cs, members, remaining)
        model.clashes = _clashes(cs, members, carried, model.opp_of, model.group_of, model.node_of)
        # Greedy's contacts of this block, less those clashing with what is already chosen.
        start_choice = greedy[members] & ~model.clashes
        outcome = _solve_model(model, start_choice, deadline, exact=False)
        block_chosen = outcome.chosen & ~model.clashes
        chosen[members[block_chosen]] = True
        for c in members[block_chosen].tolist():
            w = cs.windows[int(cs.window_of[c])]
            got[(w.node, int(cs.start_s[c]) // 86400)] += 1
        bound += outcome.relaxed_bound
        _log.debug(
            "block %d/%d: %d candidates, bound %.0f, at %.1f s to deadline",
            i + 1,
            len(blocks),
            len(members),
            outcome.relaxed_bound,
            deadline - time.monotonic(),
        )
    if math.isfinite(bound):
        status = "time_limit"  # a bound from relaxations; optimality is not proven in blocks
    return chosen, status, bound


def plan_optimal(
    problem: PlanningProblem,
    *,
    time_limit_s: float = DEFAULT_TIME_LIMIT_S,
    candidate_budget: int | None = None,
    max_depth: int = cand.DEFAULT_MAX_DEPTH,
) -> Plan:
    """The best plan found within `time_limit_s` (wall time, model building included)."""
    began = time.monotonic()
    deadline = began + time_limit_s - _FINISH_RESERVE_S
    budget = (
        candidate_budget
        if candidate_budget is not None
        else candidate_budget_for(time_limit_s, problem.horizon_s)
    )
    cs = cand.build(problem, budget=budget, max_depth=max_depth)
    greedy = _greedy_choice(problem, cs)
    _log.debug("%d candidates (depth %d) and greedy in %.1f s", len(cs), cs.depth, time.monotonic() - began)
    mode = "blocks"
    if len(cs) <= _WHOLE_MAX_CANDIDATES:
        # Whole, if its relaxation solves in a share of the time; else in blocks with the rest.
        model = _Model(problem, cs, np.arange(len(cs)), _wanted(problem))
        lp_deadline = time.monotonic() + _WHOLE_LP_SHARE * (deadline - time.monotonic())
        outcome = _solve_model(model, greedy, deadline, exact=True, lp_deadline=lp_deadline)
        if outcome.status != "lp_timeout":
            chosen, status, bound = outcome.chosen, outcome.status, outcome.bound
            mode = "whole"
        _log.debug("whole: %s at %.1f s", outcome.status, time.monotonic() - began)
    if mode == "blocks":
        chosen, status, bound = _solve_blocks(problem, cs, greedy, deadline)
    greedy_contacts = _contacts(problem, cs, greedy)
    greedy_objective = evaluate(problem, greedy_contacts)
    contacts = _contacts(problem, cs, chosen)
    objective = evaluate(problem, contacts)
    if objective < greedy_objective:
        contacts, objective = greedy_contacts, greedy_objective
    unmet = explain_unmet(problem, contacts)
    if status == "optimal":
        bound = objective
    gap = None if not math.isfinite(bound) else max(0.0, bound - objective) / max(abs(objective), 1e-9)
    stats = (
        ("candidates", float(len(cs))),
        ("candidate_depth", float(cs.depth)),
        ("candidates_complete", 1.0 if cs.complete else 0.0),
        ("blocks", float(len(_blocks(cs))) if mode == "blocks" else 1.0),
        ("greedy_objective", greedy_objective),
        ("elapsed_s", round(time.monotonic() - began, 3)),
    )
    _log.debug("plan ready at %.1f s", time.monotonic() - began)
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


def candidate_budget_for(time_limit_s: float, horizon_s: float) -> int:
    """How many candidates to build: what the time limit can solve, and no denser in time than
    blocks of a couple of hours allow (a function of the inputs only: deterministic)."""
    by_time = _CANDIDATES_PER_SECOND * time_limit_s
    by_horizon = _CANDIDATES_PER_HOUR * horizon_s / 3600.0
    return max(_MIN_CANDIDATES, int(min(by_time, by_horizon)))
