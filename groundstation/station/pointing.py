"""The pointing plan for one pass, made before AOS: which logical rotator path follows it.

Candidates, in the rotator's logical axes (azimuth never wrapped):
  normal        the satellite's own azimuth/elevation, unwrapped and shifted by a whole turn so the
                path stays between the end stops (the overlap range is used when there is one);
  flipped       (azimuth + 180°, 180° - elevation) for the whole pass: the same directions with the
                antenna looking back over the top (rotators with elevation to 180°); a pass crossing
                the end stops in normal mode often sits well inside them flipped;
  over-the-top  azimuth held on the vertical plane that best fits the pass, elevation sweeping
                0..180° through the zenith: no fast azimuth swing near the zenith.
Each candidate is run through a rate-limited follower (the rotator's slew rates) to predict its
pointing error; the plan takes the best, and says what is wrong when even the best cannot follow
(an unwind mid-pass, or an error beyond the tolerance).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import Enum

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from groundstation.station.sky import FloatArray, SkyTrack, clock_text, separation_deg, unit_vectors
from radios.rotator import FULL_TURN_DEG, Pointing, RotatorLimits

DEFAULT_TOLERANCE_DEG = 5.0
# Plans are made on an even grid of this step (s).
PLAN_STEP_S = 1.0
# The follower the planner simulates steps this often (s); fine enough for 6°/s rotators.
FOLLOW_STEP_S = 0.25
_ANGLE_SLACK_DEG = 1e-6
# An exact path whose predicted error is below this needs no optimisation.
_EXACT_GOOD_DEG = 0.5
# Optimised paths: azimuth grid cell, price of moving one cell, price per second of pre-positioning
# (deg² of error): both only break ties between equally good paths.
_DP_CELL_DEG = 1.0
_DP_MOVE_COST = 1e-3
_DP_PREPOSITION_COST = 1e-2
# Over-the-top axis search: coarse grid, then a finer one around the best.
_AXIS_COARSE_DEG = 1.0
_AXIS_FINE_DEG = 0.02


class PointingMode(Enum):
    NORMAL = "normal"
    FLIPPED = "flipped"
    OVER_THE_TOP = "over-the-top"


# Degrees of predicted error a flip must save to be preferred to the plainer mode.
_MODE_PENALTY_DEG = 1.0
_MODE_RANK = {PointingMode.NORMAL: 0, PointingMode.FLIPPED: 1, PointingMode.OVER_THE_TOP: 2}


@dataclass(frozen=True, eq=False)
class PointingPlan:
    """Where the rotator points along one pass, in its logical axes, sampled at `track.times_s`.

    `predicted_error_deg` is the error of a rotator following this path at its configured slew
    rates; `problems` is empty when the rotator can follow the pass (one line per problem).
    """

    track: SkyTrack
    limits: RotatorLimits
    mode: PointingMode
    azimuth_deg: FloatArray
    elevation_deg: FloatArray
    predicted_error_deg: FloatArray
    peak_azimuth_rate_deg_s: float
    problems: tuple[str, ...]
    tolerance_deg: float

    @property
    def feasible(self) -> bool:
        return not self.problems

    @property
    def preposition(self) -> Pointing:
        """Where to wait before AOS: the first point of the path."""
        return Pointing(float(self.azimuth_deg[0]), float(self.elevation_deg[0]))

    @property
    def park(self) -> Pointing:
        return self.limits.park

    @property
    def start_s(self) -> float:
        return self.track.start_s

    @property
    def end_s(self) -> float:
        return self.track.end_s

    @property
    def peak_predicted_error_deg(self) -> float:
        return float(np.max(self.predicted_error_deg))

    def pointing_at(self, time_s: float) -> Pointing:
        """The path's rotator position at `time_s` (clamped to the pass)."""
        return Pointing(
            float(np.interp(time_s, self.track.times_s, self.azimuth_deg)),
            float(np.interp(time_s, self.track.times_s, self.elevation_deg)),
        )

    def describe(self) -> str:
        """One line: mode, azimuth span, elevation span and the predicted error."""
        return (
            f"{self.mode.value}: azimuth {self.azimuth_deg[0]:.1f}° → {self.azimuth_deg[-1]:.1f}° "
            f"(path {np.min(self.azimuth_deg):.1f}..{np.max(self.azimuth_deg):.1f}°), "
            f"elevation up to {np.max(self.elevation_deg):.1f}°, "
            f"peak azimuth rate {self.peak_azimuth_rate_deg_s:.1f}°/s, "
            f"predicted error ≤ {self.peak_predicted_error_deg:.1f}°"
        )


@dataclass(frozen=True, eq=False)
class _Candidate:
    mode: PointingMode
    azimuth_deg: FloatArray
    elevation_deg: FloatArray
    error_deg: FloatArray
    slew_s: float
    margin_deg: float

    @property
    def peak_error_deg(self) -> float:
        return float(np.max(self.error_deg))


def _unwrap_deg(azimuth_deg: FloatArray) -> FloatArray:
    return np.asarray(np.degrees(np.unwrap(np.radians(azimuth_deg))), dtype=np.float64)


def _whole_turn_shifts(path_deg: FloatArray, limits: RotatorLimits) -> list[int]:
    """Every k with path + k·360° inside the azimuth range."""
    low = math.ceil((limits.azimuth_min_deg - float(np.min(path_deg)) - _ANGLE_SLACK_DEG) / FULL_TURN_DEG)
    high = math.floor((limits.azimuth_max_deg - float(np.max(path_deg)) + _ANGLE_SLACK_DEG) / FULL_TURN_DEG)
    return list(range(low, high + 1))


def follow_errors_deg(
    times_s: FloatArray,
    azimuth_deg: FloatArray,
    elevation_deg: FloatArray,
    track: SkyTrack,
    limits: RotatorLimits,
) -> FloatArray:
    """Pointing error, at `times_s`, of a rotator that starts on the path and chases it at its slew
    rates (each axis on its own, one step ahead); elevation is held inside the rotator's range."""
    steps = max(1, math.ceil((times_s[-1] - times_s[0]) / FOLLOW_STEP_S))
    grid_s = np.linspace(times_s[0], times_s[-1], steps + 1)
    aim_az = np.interp(grid_s, times_s, azimuth_deg)
    aim_el = np.clip(
        np.interp(grid_s, times_s, elevation_deg), limits.elevation_min_deg, limits.elevation_max_deg
    )
    step_s = float(grid_s[1] - grid_s[0])
    az_step = limits.azimuth_slew_deg_s * step_s
    el_step = limits.elevation_slew_deg_s * step_s
    held_az = np.empty_like(aim_az)
    held_el = np.empty_like(aim_el)
    az, el = float(aim_az[0]), float(aim_el[0])
    for i in range(grid_s.size):
        az += min(max(float(aim_az[i]) - az, -az_step), az_step)
        el += min(max(float(aim_el[i]) - el, -el_step), el_step)
        held_az[i], held_el[i] = az, el
    errors = separation_deg(unit_vectors(held_az, held_el), track.vectors_at(grid_s))
    # At each of `times_s`, the worst error until the next one.
    starts = np.unique(np.searchsorted(grid_s, times_s, side="right") - 1)
    worst = np.maximum.reduceat(errors, starts)
    return np.asarray(np.interp(times_s, grid_s[starts], worst), dtype=np.float64)


def _best_azimuth_path(
    times_s: FloatArray,
    sky: FloatArray,
    elevation_deg: FloatArray,
    limits: RotatorLimits,
    start: Pointing,
) -> FloatArray:
    """The azimuth path (inside the limits, at most the slew rate) that minimises the summed squared
    pointing error for a given elevation profile, by dynamic programming over a grid of azimuths.

    This is what finds the way round near the zenith (which side to swing, starting early) and the
    least bad path when the pass crosses the end stops.
    """
    step_s = float(np.min(np.diff(times_s)))
    cell_deg = min(_DP_CELL_DEG, limits.azimuth_slew_deg_s * step_s / 4.0)
    grid = np.arange(limits.azimuth_min_deg, limits.azimuth_max_deg + cell_deg / 2, cell_deg)
    reach = max(1, math.floor(limits.azimuth_slew_deg_s * step_s / cell_deg + 1e-9))
    sin_a, cos_a = np.sin(np.radians(grid)), np.cos(np.radians(grid))
    el = np.radians(elevation_deg)
    # A tiny price on moving keeps the path still where every choice is equally good.
    move_cost = np.abs(np.arange(-reach, reach + 1)) * _DP_MOVE_COST
    rows = np.arange(grid.size)

    def cost(k: int) -> FloatArray:
        dot = math.cos(el[k]) * (sin_a * sky[k, 0] + cos_a * sky[k, 1]) + math.sin(el[k]) * sky[k, 2]
        return np.asarray(np.degrees(np.arccos(np.clip(dot, -1.0, 1.0))) ** 2, dtype=np.float64)

    total = cost(0) + _DP_PREPOSITION_COST * np.abs(grid - start.azimuth_deg) / limits.azimuth_slew_deg_s
    back = np.empty((times_s.size, grid.size), dtype=np.int16)
    for k in range(1, times_s.size):
        windows = sliding_window_view(np.pad(total, reach, constant_values=np.inf), 2 * reach + 1) + move_cost
        choice = np.argmin(windows, axis=1)
        total = windows[rows, choice] + cost(k)
        back[k] = choice - reach
    state = np.empty(times_s.size, dtype=np.int64)
    state[-1] = int(np.argmin(total))
    for k in range(times_s.size - 1, 0, -1):
        state[k - 1] = state[k] + back[k, state[k]]
    return np.asarray(grid[state], dtype=np.float64)


def _snap_to_exact(
    path_deg: FloatArray, exact_deg: FloatArray, cell_deg: float, limits: RotatorLimits
) -> FloatArray:
    """Where a grid path follows the satellite, replace it by the exact azimuth (same turn)."""
    turns = np.round((path_deg - exact_deg) / FULL_TURN_DEG)
    exact = exact_deg + turns * FULL_TURN_DEG
    use = (
        (np.abs(exact - path_deg) <= cell_deg)
        & (exact >= limits.azimuth_min_deg)
        & (exact <= limits.azimuth_max_deg)
    )
    return np.asarray(np.where(use, exact, path_deg), dtype=np.float64)


def _over_the_top_axis_deg(track: SkyTrack) -> float:
    """Azimuth of the vertical plane that keeps the pass closest (least worst off-plane angle)."""
    vectors = track.vectors

    def worst_off_plane(axes_deg: FloatArray) -> FloatArray:
        axes = np.radians(axes_deg)
        normals = np.stack([np.cos(axes), -np.sin(axes), np.zeros_like(axes)], axis=-1)
        return np.asarray(np.max(np.abs(vectors @ normals.T), axis=0), dtype=np.float64)

    coarse = np.arange(0.0, 180.0, _AXIS_COARSE_DEG)
    best = float(coarse[np.argmin(worst_off_plane(coarse))])
    fine = np.arange(best - _AXIS_COARSE_DEG, best + _AXIS_COARSE_DEG, _AXIS_FINE_DEG)
    axis = float(fine[np.argmin(worst_off_plane(fine))]) % 180.0
    # Orient it so the pass starts at low in-plane elevation (near the AOS side).
    horizontal = np.array([math.sin(math.radians(axis)), math.cos(math.radians(axis)), 0.0])
    return axis if float(vectors[0] @ horizontal) >= 0 else axis + 180.0


def _in_plane_elevation_deg(track: SkyTrack, axis_deg: float) -> FloatArray:
    horizontal = np.array([math.sin(math.radians(axis_deg)), math.cos(math.radians(axis_deg)), 0.0])
    along = track.vectors @ horizontal
    # AOS/LOS samples may sit a hair below the horizon: keep them at 0° / 180°, not -0° / -180°.
    up = np.maximum(track.vectors[:, 2], 0.0)
    return np.asarray(np.degrees(np.arctan2(up, along)), dtype=np.float64)


def _margin_deg(azimuth_deg: FloatArray, limits: RotatorLimits) -> float:
    return min(
        float(np.min(azimuth_deg)) - limits.azimuth_min_deg,
        limits.azimuth_max_deg - float(np.max(azimuth_deg)),
    )


class _Builder:
    def __init__(self, track: SkyTrack, limits: RotatorLimits, start: Pointing) -> None:
        self.track = track
        self.limits = limits
        self.start = start

    def candidate(self, mode: PointingMode, azimuth_deg: FloatArray, elevation_deg: FloatArray) -> _Candidate:
        elevation = np.clip(elevation_deg, self.limits.elevation_min_deg, self.limits.elevation_max_deg)
        return _Candidate(
            mode,
            azimuth_deg,
            elevation,
            follow_errors_deg(self.track.times_s, azimuth_deg, elevation, self.track, self.limits),
            self.limits.slew_time_s(self.start, Pointing(float(azimuth_deg[0]), float(elevation[0]))),
            _margin_deg(azimuth_deg, self.limits),
        )

    def following(
        self, mode: PointingMode, sky_azimuth_deg: FloatArray, elevation_deg: FloatArray
    ) -> list[_Candidate]:
        """Paths that follow the satellite's own azimuth (or its flip) whole turns apart; the
        optimised path when none of them is good enough."""
        exact = _unwrap_deg(sky_azimuth_deg)
        found = [
            self.candidate(mode, exact + k * FULL_TURN_DEG, elevation_deg)
            for k in _whole_turn_shifts(exact, self.limits)
        ]
        if not any(c.peak_error_deg <= _EXACT_GOOD_DEG for c in found):
            elevation = np.clip(elevation_deg, self.limits.elevation_min_deg, self.limits.elevation_max_deg)
            path = _best_azimuth_path(
                self.track.times_s, self.track.vectors, elevation, self.limits, self.start
            )
            found.append(
                self.candidate(mode, _snap_to_exact(path, exact, _DP_CELL_DEG, self.limits), elevation)
            )
        return found

    def over_the_top(self) -> list[_Candidate]:
        axis_deg = _over_the_top_axis_deg(self.track)
        in_plane_deg = _in_plane_elevation_deg(self.track, axis_deg)
        found = []
        for axis, elevation in ((axis_deg, in_plane_deg), (axis_deg + 180.0, 180.0 - in_plane_deg)):
            azimuth = np.full(self.track.times_s.size, axis % FULL_TURN_DEG)
            found += [
                self.candidate(PointingMode.OVER_THE_TOP, azimuth + k * FULL_TURN_DEG, elevation)
                for k in _whole_turn_shifts(azimuth, self.limits)
            ]
        return found


def _peak_rate_deg_s(times_s: FloatArray, azimuth_deg: FloatArray) -> tuple[float, float]:
    """Largest azimuth rate along a path (deg/s) and when."""
    rates = np.abs(np.diff(azimuth_deg) / np.diff(times_s))
    index = int(np.argmax(rates))
    return float(rates[index]), float(times_s[index])


def _problems(
    best: _Candidate, track: SkyTrack, limits: RotatorLimits, tolerance_deg: float
) -> tuple[str, ...]:
    peak_error = best.peak_error_deg
    if peak_error <= tolerance_deg:
        return ()
    worst_s = float(track.times_s[int(np.argmax(best.error_deg))])
    flip_note = "" if limits.can_flip else "; the rotator cannot flip (elevation ≤ 90°)"
    sweep = _unwrap_deg(track.azimuth_deg)
    # Would the same rotator without end stops have followed? Then the cable wrap is the cause.
    free = follow_errors_deg(track.times_s, sweep, track.elevation_deg, track, limits)
    rate, rate_at_s = _peak_rate_deg_s(track.times_s, sweep)
    azimuth_range = f"{limits.azimuth_min_deg:g}..{limits.azimuth_max_deg:g}°"
    elevation_range = f"{limits.elevation_min_deg:g}..{limits.elevation_max_deg:g}°"
    if float(np.max(free)) <= tolerance_deg:
        first, last = sweep[0] % FULL_TURN_DEG, sweep[-1] % FULL_TURN_DEG
        cause = (
            f"no path within the azimuth range {azimuth_range} follows the pass (it sweeps "
            f"{first:.0f}° → {last:.0f}°, {np.ptp(sweep):.0f}° of azimuth{flip_note})"
        )
    elif rate > limits.azimuth_slew_deg_s:
        cause = (
            f"the pass needs {rate:.1f}°/s of azimuth at {clock_text(rate_at_s)} (rotator slews "
            f"{limits.azimuth_slew_deg_s:g}°/s){flip_note}"
        )
    else:
        cause = (
            f"the rotator's ranges or rates (azimuth {azimuth_range}, elevation {elevation_range}) "
            "do not fit the pass"
        )
    error = f"pointing error up to {peak_error:.1f}° at {clock_text(worst_s)} (tolerance {tolerance_deg:g}°)"
    return (f"{cause}: {error}",)


def plan_pointing(
    track: SkyTrack,
    limits: RotatorLimits,
    *,
    start: Pointing | None = None,
    tolerance_deg: float = DEFAULT_TOLERANCE_DEG,
) -> PointingPlan:
    """Plan the rotator's path for one pass.

    `start` is where the rotator will be when pre-positioning begins (default: its park position);
    among equally good paths the one with the shortest pre-positioning move wins. `tolerance_deg` is
    the pointing error beyond which the pass is flagged as one the rotator cannot follow.
    """
    if not (math.isfinite(tolerance_deg) and tolerance_deg > 0):
        raise ValueError(f"tolerance_deg must be > 0, got {tolerance_deg!r}")
    start = start if start is not None else limits.park
    track = track.resampled(PLAN_STEP_S)
    builder = _Builder(track, limits, start)
    candidates = builder.following(PointingMode.NORMAL, track.azimuth_deg, track.elevation_deg)
    if limits.can_flip:
        candidates += builder.following(
            PointingMode.FLIPPED, track.azimuth_deg + 180.0, 180.0 - track.elevation_deg
        )
        candidates += builder.over_the_top()

    def rank(candidate: _Candidate) -> tuple[float, ...]:
        peak = candidate.peak_error_deg
        over = peak > tolerance_deg
        # Within the tolerance, a flip has to win by more than its mode penalty.
        score = peak if over else peak + _MODE_PENALTY_DEG * _MODE_RANK[candidate.mode]
        return (float(over), round(score, 3), round(candidate.slew_s, 3), -candidate.margin_deg)

    best = min(candidates, key=rank)
    peak_rate, _ = _peak_rate_deg_s(track.times_s, best.azimuth_deg)
    return PointingPlan(
        track=track,
        limits=limits,
        mode=best.mode,
        azimuth_deg=best.azimuth_deg,
        elevation_deg=best.elevation_deg,
        predicted_error_deg=best.error_deg,
        peak_azimuth_rate_deg_s=peak_rate,
        problems=_problems(best, track, limits, tolerance_deg),
        tolerance_deg=tolerance_deg,
    )
