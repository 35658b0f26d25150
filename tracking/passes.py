"""Passes: AOS, TCA and LOS of many satellites over many ground locations within one window.

How (and why it is fast and does not miss passes):

1. SGP4 runs once per satellite on a coarse time grid shared by every location. The step comes from
   the satellite's largest angular rate (perigee plus Earth rotation): `_STEP_ANGLE_RAD` of arc per
   step keeps a 4-node degree-7 Hermite interpolant of the Earth-fixed states within ~10 m of SGP4
   (LEO: ~11 minutes), and at most an eighth of a period, so elevation has one hump per three steps.
2. Per location, the sign of elevation minus the horizon at the samples gives the crossings. A
   discrete local maximum of elevation that stays below the horizon may still hide a pass shorter than
   a step, so every such maximum whose orbit plane comes near enough to the location (a necessary
   geometric condition, with margins for Earth's rotation) is refined too.
3. Each interval to refine becomes polynomials in time (x, y, z relative to the location and the up
   component; one small matrix product for all rows). Crossings are roots of up - range x
   sin(threshold) (just the up polynomial at a 0° horizon), maxima roots of d(sin elevation)/dt,
   evaluated pointwise from the position and its derivatives. Each root is bracketed to a sixteenth
   of the interval by evaluating the polynomials at 17 points at once, then a safeguarded Newton
   iteration runs on all rows together with numpy: never an SGP4 call or a Python loop per pass,
   and every location's rows in the same arrays, so ten locations cost little more than one.
4. An azimuth-dependent horizon mask trims the passes found at its lowest elevation. Every masked
   pass is sampled at its ends and every `MASK_SAMPLE_S` in between (east, north and up of all of
   them from one matrix product per batch: polynomials of each pass interval times the powers of
   the sample offsets), and every change of elevation - mask(azimuth) sign is bisected together.

A pass already above the horizon at `start` begins at `start` with `starts_before_window`; one still
up at `end` ends there with `ends_after_window`. An object that never sets (GEO) is one pass spanning
the window with both flags; one that never rises gives none.
"""

from __future__ import annotations

import dataclasses
import functools
import itertools
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
import numpy.typing as npt

from tracking.elements import Elements
from tracking.frames import FloatArray, from_posix_s, teme_to_ecef, to_posix_s
from tracking.geometry import GroundLocation, HorizonMask
from tracking.propagation import PropagationError, Propagator, errors_from_codes

IntArray = npt.NDArray[np.intp]
BoolArray = npt.NDArray[np.bool_]

_EARTH_ROTATION_RAD_S = 7.2921158553e-5
# Radians of the fastest relative motion per grid step; the interpolation error grows as its 8th
# power (0.8 rad: < 10 m for LEO against SGP4, checked by the tests).
_STEP_ANGLE_RAD = 0.8
_MAX_STEP_S = 7200.0
_STEP_QUANTUM_S = 30.0  # similar orbits share one grid, hence one SGP4 call
_STEPS_PER_PERIOD_MIN = 8
# Satellites per SGP4 call and frame rotation; then satellite-stations per part of that chunk, which
# keeps the per-pass arrays cache-sized whatever the station count.
_CHUNK_SATELLITES = 1024
_PART_PAIRS = 1024
_MIN_PART_SATELLITES = 64
# Above this decay rate SGP4's own velocities would cost the interpolant more than a couple of metres.
_DECAY_RATE_LIMIT_KM_S = 1e-5
_DIFFERENCE_STEP_S = 0.5
ROOT_TOLERANCE_S = 1e-3
# Newton converges quadratically: once its step is this small the root is good to microseconds.
_NEWTON_STEP_S = 1e-2
_MAX_ITERATIONS = 60
_MAX_WALK_STEPS = 8
# Orbit-plane wobble (J2 precession, short-period terms) within two steps, on top of Earth's rotation.
_PLANE_MARGIN_RAD = math.radians(0.5)
# Azimuth-dependent masks are resolved by sampling each pass at this step (on the grid's clock).
MASK_SAMPLE_S = 1.0


@dataclass(frozen=True)
class Pass:
    """One satellite above one location's horizon. Times are aware UTC; azimuths from north via east."""

    norad_id: int
    name: str
    station: str
    aos: datetime
    tca: datetime
    los: datetime
    max_elevation_deg: float
    aos_azimuth_deg: float
    tca_azimuth_deg: float
    los_azimuth_deg: float
    starts_before_window: bool
    ends_after_window: bool

    @property
    def duration_s(self) -> float:
        return (self.los - self.aos).total_seconds()


@dataclass(frozen=True, eq=False)
class PassTable:
    """Passes as columns (numpy arrays, one entry per pass, sorted by AOS, station, catalog number).

    The fast form for bulk consumers; `PassSearchResult.passes` turns it into `Pass` values.
    """

    elements: tuple[Elements, ...]
    station_names: tuple[str, ...]
    satellite_index: IntArray  # into `elements`
    station_index: IntArray  # into `station_names`
    aos_s: FloatArray  # POSIX seconds UTC
    tca_s: FloatArray
    los_s: FloatArray
    max_elevation_deg: FloatArray
    aos_azimuth_deg: FloatArray
    tca_azimuth_deg: FloatArray
    los_azimuth_deg: FloatArray
    starts_before_window: BoolArray
    ends_after_window: BoolArray

    def __len__(self) -> int:
        return int(self.aos_s.size)

    def to_passes(self) -> tuple[Pass, ...]:
        return tuple(
            Pass(
                norad_id=self.elements[sat].norad_id,
                name=self.elements[sat].name,
                station=self.station_names[site],
                aos=from_posix_s(aos),
                tca=from_posix_s(tca),
                los=from_posix_s(los),
                max_elevation_deg=elevation,
                aos_azimuth_deg=aos_az,
                tca_azimuth_deg=tca_az,
                los_azimuth_deg=los_az,
                starts_before_window=before,
                ends_after_window=after,
            )
            for sat, site, aos, tca, los, elevation, aos_az, tca_az, los_az, before, after in zip(
                self.satellite_index.tolist(),
                self.station_index.tolist(),
                self.aos_s.tolist(),
                self.tca_s.tolist(),
                self.los_s.tolist(),
                self.max_elevation_deg.tolist(),
                self.aos_azimuth_deg.tolist(),
                self.tca_azimuth_deg.tolist(),
                self.los_azimuth_deg.tolist(),
                self.starts_before_window.tolist(),
                self.ends_after_window.tolist(),
                strict=True,
            )
        )


@dataclass(frozen=True, eq=False)
class PassSearchResult:
    """What `find_passes` found, and the satellites SGP4 failed on (their passes may be cut short)."""

    table: PassTable
    errors: tuple[PropagationError, ...]

    @functools.cached_property
    def passes(self) -> tuple[Pass, ...]:
        """Passes sorted by AOS (then station, then position in the element list)."""
        return self.table.to_passes()


def find_passes(
    elements: Sequence[Elements] | Propagator,
    locations: Sequence[GroundLocation],
    start: datetime,
    end: datetime,
    *,
    horizon_deg: float = 0.0,
    horizon_mask: HorizonMask | Mapping[str, HorizonMask] | None = None,
    min_elevation_deg: float = 0.0,
) -> PassSearchResult:
    """Every pass of every satellite over every location between `start` and `end`.

    `horizon_deg` is the elevation of AOS/LOS; `horizon_mask` (one for all locations, or one per
    location name) raises it by azimuth. `min_elevation_deg` drops passes culminating lower than it.
    Pass a `Propagator` instead of elements to reuse its SGP4 initialisation across calls.
    """
    start_s, end_s = to_posix_s(start), to_posix_s(end)
    if not end_s > start_s:
        raise ValueError(f"end ({end.isoformat()}) must be after start ({start.isoformat()})")
    if not (math.isfinite(horizon_deg) and -90.0 < horizon_deg < 90.0):
        raise ValueError(f"horizon_deg must be within (-90, 90), got {horizon_deg}")
    if not (math.isfinite(min_elevation_deg) and -90.0 <= min_elevation_deg <= 90.0):
        raise ValueError(f"min_elevation_deg must be within [-90, 90], got {min_elevation_deg}")
    names = tuple(location.name for location in locations)
    if len(set(names)) != len(names):
        raise ValueError(f"location names must be unique, got {list(names)}")
    masks = _masks_by_location(locations, horizon_mask)
    propagator = elements if isinstance(elements, Propagator) else Propagator(elements)
    sites = _Sites(locations, horizon_deg, masks)
    window = _Window(start_s, end_s)

    found: list[_Found] = []
    errors: list[PropagationError] = []
    if len(propagator) and len(sites):
        steps = _grid_steps_s(propagator)
        part_size = max(_MIN_PART_SATELLITES, _PART_PAIRS // len(sites))
        for step in np.unique(steps):
            members = np.flatnonzero(steps == step)
            for first in range(0, members.size, _CHUNK_SATELLITES):
                chunk = members[first : first + _CHUNK_SATELLITES]
                grid = _Grid.build(propagator, chunk, window, float(step))
                errors.extend(
                    errors_from_codes([propagator.elements[i] for i in chunk], grid.times_s, grid.codes)
                )
                # Equal parts, no small remainder (each part costs a fixed overhead).
                count = max(1, round(chunk.size / part_size))
                bounds = np.linspace(0, chunk.size, count + 1).astype(int).tolist()
                for part, stop in itertools.pairwise(bounds):
                    local = _passes_in_grid(grid.part(part, stop), sites, window)
                    found.append(local.with_satellites(chunk[part:stop]))
    combined = _Found.concatenate(found)
    found.clear()  # hold at most two copies of the columns
    table = combined.table(propagator.elements, names, min_elevation_deg)
    del combined
    errors.sort(key=lambda error: error.norad_id)
    return PassSearchResult(table, tuple(errors))


def _masks_by_location(
    locations: Sequence[GroundLocation], horizon_mask: HorizonMask | Mapping[str, HorizonMask] | None
) -> list[HorizonMask | None]:
    if horizon_mask is None or isinstance(horizon_mask, HorizonMask):
        return [horizon_mask] * len(locations)
    unknown = set(horizon_mask) - {location.name for location in locations}
    if unknown:
        raise ValueError(f"horizon masks given for unknown locations: {sorted(unknown)}")
    return [horizon_mask.get(location.name) for location in locations]



def _grid_steps_s(propagator: Propagator) -> FloatArray:
    period_s = propagator.period_s()
    eccentricity = np.array([element.eccentricity for element in propagator.elements])
    mean_motion = 2.0 * np.pi / period_s
    perigee_rate = mean_motion * (1.0 + eccentricity) ** 2 / (1.0 - eccentricity**2) ** 1.5
    step = np.minimum(
        _STEP_ANGLE_RAD / (perigee_rate + _EARTH_ROTATION_RAD_S), period_s / _STEPS_PER_PERIOD_MIN
    )
    step = np.floor(np.minimum(step, _MAX_STEP_S) / _STEP_QUANTUM_S) * _STEP_QUANTUM_S
    return np.maximum(step, 10.0)


@dataclass(frozen=True)
class _Window:
    start_s: float
    end_s: float


class _Sites:
    """Per-location vectors and thresholds, stacked for indexing by location number."""

    def __init__(
        self, locations: Sequence[GroundLocation], horizon_deg: float, masks: Sequence[HorizonMask | None]
    ) -> None:
        self.position_km = np.array([location.ecef_km() for location in locations]).reshape(-1, 3)
        basis = np.array([location.enu_basis() for location in locations]).reshape(-1, 3, 3)
        self.up = basis[:, 2, :]
        self.masks = list(masks)
        self.masked = np.array([mask is not None for mask in masks], dtype=bool)
        # The lowest elevation any azimuth asks for: the threshold of the main search; masks then
        # trim the passes found.
        low = [horizon_deg if mask is None else max(horizon_deg, mask.lowest_deg) for mask in masks]
        self.threshold_deg = np.array(low, dtype=np.float64)
        self.sin_threshold = np.sin(np.radians(self.threshold_deg))
        self.horizon_deg = horizon_deg
        self.up_offset_km = np.sum(self.position_km * self.up, axis=1)  # s . u
        self.radius_km = np.linalg.norm(self.position_km, axis=1)
        # (3, sites) copies: gathered per row as (3, rows) arrays.
        self.position_t = np.ascontiguousarray(self.position_km.T)
        self.east_t = np.ascontiguousarray(basis[:, 0, :].T)
        self.north_t = np.ascontiguousarray(basis[:, 1, :].T)
        self.up_t = np.ascontiguousarray(self.up.T)
        # One matrix product gives every sample's up and site components: rows u, then s.
        self.projections = np.vstack((self.up, self.position_km))

    def __len__(self) -> int:
        return int(self.up.shape[0])

    def visibility_cone_cos(self, site: IntArray, apogee_km: FloatArray) -> FloatArray:
        """cos of the largest angle between a satellite's position and the location's up vector at
        which it can reach the threshold (a necessary condition, valid on the ellipsoid)."""
        sin_e = self.sin_threshold[site]
        reach = self.up_offset_km[site] - self.radius_km[site] * np.abs(sin_e)
        return np.asarray(np.clip(sin_e + reach / apogee_km, -1.0, 1.0))


@dataclass(frozen=True, eq=False)
class _Grid:
    """Earth-fixed states of a chunk of satellites on their shared coarse grid."""

    times_s: FloatArray  # (T,)
    step_s: float
    position_km: FloatArray  # (n, T, 3) Earth-fixed
    valid: BoolArray  # (n, T)
    codes: npt.NDArray[np.uint8]
    apogee_km: FloatArray  # (n,)
    radius2_km2: FloatArray  # (n * T,): |position|²
    # (n * T, 6): each sample's position and Earth-relative velocity x step, the interpolation data.
    nodes: FloatArray
    window_valid: BoolArray  # (n * T,): samples i .. i + 3 all computed by SGP4

    @classmethod
    def build(cls, propagator: Propagator, chunk: IntArray, window: _Window, step_s: float) -> _Grid:
        # Two extra samples on each side: every interval in [start - step, end + step] then has the
        # four nodes its interpolant needs.
        count = math.ceil((window.end_s - window.start_s) / step_s) + 5
        times_s = window.start_s - 2.0 * step_s + step_s * np.arange(count, dtype=np.float64)
        states = propagator.propagate(times_s, chunk)
        velocity_teme = states.velocity_km_s
        # Where drag is strong, SGP4's velocity misses the orbit's decay (~1 m/s when re-entering),
        # which the interpolant would amplify: use central differences of positions there instead.
        decaying = np.flatnonzero(propagator.decay_rate_km_s()[chunk] > _DECAY_RATE_LIMIT_KM_S)
        if decaying.size:
            ahead = propagator.propagate(times_s + _DIFFERENCE_STEP_S, chunk[decaying]).position_km
            behind = propagator.propagate(times_s - _DIFFERENCE_STEP_S, chunk[decaying]).position_km
            derivative = (ahead - behind) / (2.0 * _DIFFERENCE_STEP_S)
            velocity_teme[decaying] = np.where(np.isfinite(derivative), derivative, velocity_teme[decaying])
        position, velocity = teme_to_ecef(states.position_km, velocity_teme, times_s)
        nodes = np.empty((*position.shape[:2], 6))
        nodes[..., :3] = position
        np.multiply(velocity, step_s, out=nodes[..., 3:])
        flat_valid = states.valid.ravel()
        window_valid = np.zeros(flat_valid.size, dtype=bool)
        window_valid[:-3] = flat_valid[:-3] & flat_valid[1:-2] & flat_valid[2:-1] & flat_valid[3:]
        flat = position.reshape(-1, 3)
        apogee = propagator.apogee_radius_km()[chunk] + 50.0  # margin for SGP4's short-period terms
        return cls(times_s, step_s, position, states.valid, states.error_code, apogee,
                   np.einsum("ij,ij->i", flat, flat), nodes.reshape(-1, 6), window_valid)  # fmt: skip

    @property
    def count(self) -> int:
        return int(self.valid.shape[0])

    def part(self, first: int, stop: int) -> _Grid:
        """Satellites first .. stop - 1 (views, no copies)."""
        samples = self.times_s.size
        flat = slice(first * samples, stop * samples)
        return _Grid(self.times_s, self.step_s, self.position_km[first:stop], self.valid[first:stop],
                     self.codes[first:stop], self.apogee_km[first:stop], self.radius2_km2[flat],
                     self.nodes[flat], self.window_valid[flat])  # fmt: skip

    def windows(self) -> FloatArray:
        """(24, n * T - 3) view: column i holds samples i .. i + 3 (position, velocity x step each),
        rows in the order `_HERMITE_INVERSE` takes them, times the three axes."""
        columns = self.nodes.shape[0] - 3
        item = self.nodes.itemsize
        return np.lib.stride_tricks.as_strided(
            self.nodes, shape=(24, columns), strides=(item, 6 * item), writeable=False
        )


def _hermite_inverse() -> FloatArray:
    """Maps (value, slope x step) at nodes -1, 0, 1, 2, interleaved per node, to the power coefficients
    of the degree-7 Hermite interpolant in s = (t - t_j) / step."""
    nodes = np.array([-1.0, 0.0, 1.0, 2.0])
    powers = np.arange(8)
    values = nodes[:, None] ** powers[None, :]
    slopes = powers[None, :] * nodes[:, None] ** np.maximum(powers - 1, 0)[None, :]
    inverse = np.linalg.inv(np.vstack((values, slopes)))
    return np.asarray(inverse[:, [0, 4, 1, 5, 2, 6, 3, 7]])


_HERMITE_INVERSE = _hermite_inverse()
_DEGREES = np.arange(8, dtype=np.float64)


class _Polys:
    """The satellite's position relative to the site over each row's grid interval [t_j, t_j + step]
    as degree-7 polynomials in s = (t - t_j) / step: `coef` (8, 4, rows), the coefficient of s**m in
    `coef[m]`, components x, y, z (Earth-fixed) and up (the projection on the site's up vector)."""

    def __init__(self, grid: _Grid, sites: _Sites, sat: IntArray, site: IntArray, interval: IntArray) -> None:
        count = sat.size
        first = sat * grid.times_s.size + interval - 1
        data = grid.windows()[:, first].reshape(8, 3 * count)
        coef = np.empty((8, 4, count))
        xyz = coef[:, :3].reshape(8, 3 * count)  # a view: axes 1 and 2 merge
        np.matmul(_HERMITE_INVERSE, data, out=xyz)
        runs = _site_runs(site)
        if runs is None:
            coef[0, :3] -= sites.position_t[:, site]
            _project(coef[:, :3], sites.up_t[:, site], coef[:, 3])
        else:  # rows come grouped by site: constants, no per-row gathers
            for index, first_row, stop in runs:
                rows = slice(first_row, stop)
                coef[0, :3, rows] -= sites.position_km[index][:, None]
                coef[:, 3, rows] = sites.up[index] @ coef[:, :3, rows]
        self.coef = coef
        self.valid = grid.window_valid[first]
        self.start_s = grid.times_s[interval]

    def replace(self, rows: IntArray, other: _Polys) -> None:
        self.coef[..., rows] = other.coef
        self.valid[rows] = other.valid
        self.start_s[rows] = other.start_s


# Runs of equal sites shorter than this on average: per-row gathers beat a Python loop over the runs.
_MIN_SITE_RUN = 256


def _site_runs(site: IntArray) -> list[tuple[int, int, int]] | None:
    """(site, first row, stop) of each run of equal sites, or None if the runs are too short."""
    if site.size < _MIN_SITE_RUN:
        return None
    change = np.flatnonzero(site[1:] != site[:-1]) + 1
    if (change.size + 1) * _MIN_SITE_RUN > site.size:
        return None
    bounds = [0, *change.tolist(), site.size]
    return [(int(site[a]), a, b) for a, b in itertools.pairwise(bounds)]


def _project(vectors: FloatArray, axis: FloatArray, out: FloatArray) -> None:
    """out = vectors . axis over the components: vectors (..., 3, rows), axis (3, rows)."""
    first, second, third = vectors[..., 0, :], vectors[..., 1, :], vectors[..., 2, :]
    np.multiply(first, axis[0], out=out)
    out += second * axis[1]
    out += third * axis[2]


# Polynomials are arrays (degree + 1, ..., rows): coefficient of s**m in [m], one column per problem.
def _horner(coef: FloatArray, s: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Value and first derivative."""
    value = coef[-1].copy()
    slope = np.zeros_like(value)
    for m in range(coef.shape[0] - 2, -1, -1):
        slope *= s
        slope += value
        value *= s
        value += coef[m]
    return value, slope


def _horner2(coef: FloatArray, s: FloatArray) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Value, first and half the second derivative."""
    value = coef[-1].copy()
    slope = np.zeros_like(value)
    half_curve = np.zeros_like(value)
    for m in range(coef.shape[0] - 2, -1, -1):
        half_curve *= s
        half_curve += slope
        slope *= s
        slope += value
        value *= s
        value += coef[m]
    return value, slope, half_curve


def _horner_value(coef: FloatArray, s: FloatArray) -> FloatArray:
    value: FloatArray = coef[-1].copy()
    for m in range(coef.shape[0] - 2, -1, -1):
        value *= s
        value += coef[m]
    return value


_ENDS = np.vstack((np.eye(8)[:2], np.ones(8), _DEGREES))  # value, slope at s = 0; value, slope at 1


def _ends(coef: FloatArray) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    """Value and derivative at s = 0 and at s = 1 of degree-7 polynomials (one matrix product)."""
    ends = (_ENDS @ coef.reshape(8, -1)).reshape(4, *coef.shape[1:])
    return ends[0], ends[1], ends[2], ends[3]


def _dot3(a: FloatArray, b: FloatArray) -> FloatArray:
    """Sum over the first axis of length 3 (or more: the first three) of a * b."""
    out: FloatArray = a[0] * b[0]
    out += a[1] * b[1]
    out += a[2] * b[2]
    return out


# Polynomials are first evaluated at these many equal subintervals of [0, 1] (one small matrix
# product): a sign change brackets each root to a subinterval, where false position lands within a
# fraction of a second and Newton needs a step or two.
_SUBINTERVALS = 16
_VANDERMONDE = np.linspace(0.0, 1.0, _SUBINTERVALS + 1)[:, None] ** _DEGREES[None, :]


def _bracket(values: FloatArray) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    """For values (subintervals + 1, rows) at s = 0, 1/K, ... 1: the first subinterval where the sign
    changes (the last one if none does), as (low, high, f_low, f_high)."""
    count = values.shape[1]
    positive = values > 0.0
    change = positive[1:] != positive[:-1]
    index = np.argmax(change, axis=0)
    index[~change[index, np.arange(count)]] = _SUBINTERVALS - 1
    columns = np.arange(count)
    low = index / _SUBINTERVALS
    return low, low + 1.0 / _SUBINTERVALS, values[index, columns], values[index + 1, columns]


def _poly_bracket(coef: FloatArray) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    """`_bracket` of polynomials (degree + 1, rows)."""
    return _bracket(_VANDERMONDE[:, : coef.shape[0]] @ coef)


# Functions whose roots are wanted: (arrays with rows on the last axis, s) -> (f, df/ds).
Evaluate = Callable[[tuple[FloatArray, ...], FloatArray], tuple[FloatArray, FloatArray]]


def _polynomial(arrays: tuple[FloatArray, ...], s: FloatArray) -> tuple[FloatArray, FloatArray]:
    return _horner(arrays[0], s)


def _crossing(arrays: tuple[FloatArray, ...], s: FloatArray) -> tuple[FloatArray, FloatArray]:
    """up - range x sin(threshold): zero where elevation equals the threshold (km, and km per step)."""
    coef, sin_e = arrays
    value, slope = _horner(coef, s)
    root = np.sqrt(_dot3(value, value))
    return value[3] - sin_e * root, slope[3] - sin_e * _dot3(value, slope) / root


def _elevation_slope(value: FloatArray, slope: FloatArray) -> FloatArray:
    """up' |r|² - up (r . r'): the sign of d(sin elevation)/dt."""
    return np.asarray(slope[3] * _dot3(value, value) - value[3] * _dot3(value, slope))


def _maximum(arrays: tuple[FloatArray, ...], s: FloatArray) -> tuple[FloatArray, FloatArray]:
    """`_elevation_slope` and its derivative, from the position and its first two derivatives."""
    value, slope, half_curve = _horner2(arrays[0], s)
    curve = half_curve
    curve *= 2.0
    range2 = _dot3(value, value)
    along = _dot3(value, slope)
    bend = _dot3(slope, slope)
    bend += _dot3(value, curve)
    return slope[3] * range2 - value[3] * along, curve[3] * range2 + slope[3] * along - value[3] * bend


def _maximum_ends(coef: FloatArray) -> tuple[FloatArray, FloatArray]:
    low, low_slope, high, high_slope = _ends(coef)
    return _elevation_slope(low, low_slope), _elevation_slope(high, high_slope)


def _solve(
    evaluate: Evaluate,
    arrays: tuple[FloatArray, ...],
    low: FloatArray,
    high: FloatArray,
    f_low: FloatArray,
    f_high: FloatArray,
    step_s: float,
    guess: FloatArray | None = None,
) -> FloatArray:
    """Roots in [low, high] (fractions of an interval) where f changes sign.

    Plain Newton steps first (`_newton`); rows they do not settle take Newton's step while it stays
    inside the shrinking bracket, bisection otherwise. A row stops when its Newton step is below
    _NEWTON_STEP_S: convergence is quadratic, so the root is then good to far better than
    ROOT_TOLERANCE_S. Finished rows are dropped from the arrays once they are a quarter of them
    (gathering costs about as much as an evaluation).
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        x = np.where(
            np.isfinite(f_low) & np.isfinite(f_high) & (f_low != f_high),
            low + (high - low) * f_low / (f_low - f_high),
            0.5 * (low + high),
        )
    if guess is not None:
        x = np.where(np.isfinite(guess) & (guess > low) & (guess < high), guess, x)
    x = np.clip(x, low, high)
    result, certified = _newton(evaluate, arrays, x, low, high, f_high - f_low, step_s)
    if np.all(certified):
        return result
    if np.any(certified):
        rows = np.flatnonzero(~certified)
        arrays = tuple(a[..., rows] for a in arrays)
        x, low, high, f_low, f_high = x[rows], low[rows], high[rows], f_low[rows], f_high[rows]
        result[rows] = _safeguarded(evaluate, arrays, x, low, high, np.sign(f_low), step_s)
        return result
    return _safeguarded(evaluate, arrays, x, low, high, np.sign(f_low), step_s)


# Plain Newton steps tried first: from a bracketed guess two steps usually converge.
_FAST_STEPS = 2


def _newton(
    evaluate: Evaluate,
    arrays: tuple[FloatArray, ...],
    x: FloatArray,
    low: FloatArray,
    high: FloatArray,
    rise: FloatArray,
    step_s: float,
) -> tuple[FloatArray, BoolArray]:
    """`_FAST_STEPS` plain Newton steps from x. A row is certified when its last step was below
    _NEWTON_STEP_S (quadratic convergence: the root is then far better than ROOT_TOLERANCE_S), every
    iterate stayed inside its bracket, and f crosses zero there the way it does across the bracket
    (`rise`: f(high) - f(low)); the others go to the safeguarded iteration."""
    certified = np.isfinite(x)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        for _ in range(_FAST_STEPS):
            value, slope = evaluate(arrays, x)
            step = value / slope
            x = x - step
            certified &= (x >= low) & (x <= high)
        certified &= slope * rise > 0.0
    np.abs(step, out=step)
    certified &= step < _NEWTON_STEP_S / step_s
    return x, certified


def _safeguarded(
    evaluate: Evaluate,
    arrays: tuple[FloatArray, ...],
    x: FloatArray,
    low: FloatArray,
    high: FloatArray,
    sign_low: FloatArray,
    step_s: float,
) -> FloatArray:
    """Newton's step while it stays inside the shrinking bracket, bisection otherwise."""
    low, high = low.copy(), high.copy()
    result = x.copy()
    rows = np.flatnonzero(np.isfinite(x))
    if rows.size < x.size:
        arrays = tuple(a[..., rows] for a in arrays)
        x, low, high, sign_low = x[rows], low[rows], high[rows], sign_low[rows]
    finished = np.zeros(rows.size, dtype=bool)
    step_tolerance = _NEWTON_STEP_S / step_s
    bracket_tolerance = ROOT_TOLERANCE_S / step_s
    with np.errstate(divide="ignore", invalid="ignore"):
        for _ in range(_MAX_ITERATIONS):
            if rows.size == 0:
                break
            value, slope = evaluate(arrays, x)
            same = np.sign(value) == sign_low
            low = np.where(same, x, low)
            high = np.where(same, high, x)
            newton = x - value / slope
            inside = np.isfinite(newton) & (newton > low) & (newton < high)
            following = np.where(inside, newton, 0.5 * (low + high))
            exact = value == 0.0
            done = exact | (inside & (np.abs(following - x) < step_tolerance))
            done |= high - low < bracket_tolerance
            done |= ~np.isfinite(value)
            x = np.where(exact | finished, x, following)
            done &= ~finished
            result[rows[done]] = x[done]
            finished |= done
            left = np.flatnonzero(~finished)
            if left.size == 0:
                return result
            if 4 * left.size <= 3 * rows.size:
                arrays = tuple(a[..., left] for a in arrays)
                rows, x, low, high, sign_low = rows[left], x[left], low[left], high[left], sign_low[left]
                finished = np.zeros(rows.size, dtype=bool)
    result[rows[~finished]] = x[~finished]
    return result


def _look(
    coef: FloatArray, s: FloatArray, site: IntArray, sites: _Sites, *, elevation: bool = True
) -> tuple[FloatArray, FloatArray]:
    """Azimuth and elevation (deg; the latter empty unless asked) at fraction s of each row's interval."""
    value = _horner_value(coef, s)
    east, north = np.empty(s.size), np.empty(s.size)
    runs = _site_runs(site)
    if runs is None:
        _project(value[:3], sites.east_t[:, site], east)
        _project(value[:3], sites.north_t[:, site], north)
    else:
        for index, first_row, stop in runs:
            rows = slice(first_row, stop)
            east[rows] = sites.east_t[:, index] @ value[:3, rows]
            north[rows] = sites.north_t[:, index] @ value[:3, rows]
    horizontal = np.hypot(east, north) if elevation else north[:0]
    azimuth = np.arctan2(east, north, out=east)
    azimuth *= 180.0 / np.pi
    azimuth[azimuth < 0.0] += 360.0
    if not elevation:
        return azimuth, horizontal
    angle = np.arctan2(value[3], horizontal, out=north)
    angle *= 180.0 / np.pi
    return azimuth, angle


@dataclass(frozen=True, eq=False)
class _Found:
    sat: IntArray  # global satellite index
    site: IntArray
    aos_s: FloatArray
    tca_s: FloatArray
    los_s: FloatArray
    max_elevation_deg: FloatArray
    aos_azimuth_deg: FloatArray
    tca_azimuth_deg: FloatArray
    los_azimuth_deg: FloatArray
    starts_before: BoolArray
    ends_after: BoolArray

    @classmethod
    def concatenate(cls, parts: Sequence[_Found]) -> _Found:
        names = list(cls.__dataclass_fields__)
        if not parts:
            empty: dict[str, npt.NDArray[np.generic]] = {name: np.zeros(0) for name in names}
            for name in ("sat", "site"):
                empty[name] = np.zeros(0, dtype=np.intp)
            for name in ("starts_before", "ends_after"):
                empty[name] = np.zeros(0, dtype=bool)
            return cls(**empty)  # type: ignore[arg-type]
        if len(parts) == 1:
            return parts[0]
        return cls(**{name: np.concatenate([getattr(p, name) for p in parts]) for name in names})

    def with_satellites(self, satellites: IntArray) -> _Found:
        """Local satellite numbers mapped through `satellites`."""
        return dataclasses.replace(self, sat=satellites[self.sat])

    def select(self, selection: IntArray | BoolArray) -> _Found:
        return _Found(**{name: getattr(self, name)[selection] for name in self.__dataclass_fields__})

    def table(
        self, elements: tuple[Elements, ...], names: tuple[str, ...], min_elevation_deg: float
    ) -> PassTable:
        kept = self.max_elevation_deg >= min_elevation_deg
        found = self if np.all(kept) else self.select(np.flatnonzero(kept))
        order = _order_by(found.aos_s, lambda rows: found.site[rows] * len(elements) + found.sat[rows])
        return PassTable(
            elements=elements,
            station_names=names,
            satellite_index=found.sat[order],
            station_index=found.site[order],
            aos_s=found.aos_s[order],
            tca_s=found.tca_s[order],
            los_s=found.los_s[order],
            max_elevation_deg=found.max_elevation_deg[order],
            aos_azimuth_deg=found.aos_azimuth_deg[order],
            tca_azimuth_deg=found.tca_azimuth_deg[order],
            los_azimuth_deg=found.los_azimuth_deg[order],
            starts_before_window=found.starts_before[order],
            ends_after_window=found.ends_after[order],
        )


def _order_by(primary: FloatArray, secondary: Callable[[IntArray], IntArray]) -> IntArray:
    """Indices sorting by `primary`, ties by `secondary(indices)`. Ties are few (passes cut at the
    window start), so one unstable sort and a small fix-up beat stable sorts by far."""
    order = np.argsort(primary)
    ordered = primary[order]
    tie = ordered[1:] == ordered[:-1]
    if not np.any(tie):
        return order
    member = np.zeros(order.size, dtype=bool)
    member[1:] |= tie
    member[:-1] |= tie
    place = np.flatnonzero(member)
    group = np.cumsum(~tie[place[1:] - 1]) if place.size > 1 else np.zeros(0, dtype=np.intp)
    group = np.r_[0, group]
    chosen = order[place]
    order[place] = chosen[np.lexsort((secondary(chosen), group))]
    return order


def _levels(grid: _Grid, sites: _Sites) -> FloatArray:
    """(sites, n, T): sin(elevation) - sin(threshold) at every sample, -inf where SGP4 failed.

    Elevation itself, not the height above the horizon plane: on eccentric orbits the two peak apart.
    """
    count, samples, _ = grid.position_km.shape
    n_sites = len(sites)
    products = sites.projections @ grid.position_km.reshape(-1, 3).T  # rows u . r, then s . r
    level = products[:n_sites]
    level -= sites.up_offset_km[:, None]
    distance = products[n_sites:]
    distance *= -2.0
    distance += grid.radius2_km2
    distance += (sites.radius_km**2)[:, None]
    np.sqrt(distance, out=distance)
    level /= distance
    level -= sites.sin_threshold[:, None]
    if not np.all(grid.valid):
        np.copyto(level, -np.inf, where=~grid.valid.reshape(1, -1))
    return level.reshape(n_sites, count, samples)


def _passes_in_grid(grid: _Grid, sites: _Sites, window: _Window) -> _Found:
    """All passes of one chunk's satellites over all sites (satellite numbers local to the chunk)."""
    count, samples = grid.valid.shape
    level = _levels(grid, sites)
    flat_level = level.reshape(-1)
    visible = level >= 0.0
    flat_visible = visible.reshape(-1)
    # Crossings: intervals [j, j+1] for j = 1 .. samples-3 (each has nodes j-1 .. j+2). np.nonzero
    # returns them sorted by (site, satellite, interval): chronological per pair.
    pair_c, j_c = np.divmod(np.flatnonzero(visible[:, :, 1 : samples - 2] != visible[:, :, 2 : samples - 1]),
                            samples - 3)  # fmt: skip
    j_c += 1
    site_c, sat_c = np.divmod(pair_c, count)
    rising = flat_visible[pair_c * samples + j_c + 1]
    # Discrete maxima at samples k = 2 .. samples-3; the true one lies within a step of them.
    middle = level[:, :, 2 : samples - 2]
    is_peak = middle >= level[:, :, 1 : samples - 3]
    is_peak &= middle > level[:, :, 3 : samples - 1]
    pair_p, k_p = np.divmod(np.flatnonzero(is_peak), samples - 4)
    k_p += 2
    site_p, sat_p = np.divmod(pair_p, count)
    flat_p = pair_p * samples + k_p
    hidden = flat_level[flat_p] < 0.0
    candidate = ~hidden
    candidate[hidden] = _may_hide_pass(grid, sites, sat_p[hidden], site_p[hidden], k_p[hidden])
    site_p, sat_p, k_p, flat_p, hidden = (a[candidate] for a in (site_p, sat_p, k_p, flat_p, hidden))
    j_p = np.where(flat_level[flat_p + 1] >= flat_level[flat_p - 1], k_p, k_p - 1)

    n_cross = sat_c.size
    polys = _Polys(grid, sites, sat_c, site_c, j_c)
    crossing_s = _refine_crossings(polys, sites, site_c, rising, grid.step_s)
    # A crossing's elevation is the threshold (NaN where SGP4 failed, as its azimuth).
    event_az = _look(polys.coef, crossing_s, site_c, sites, elevation=False)[0]
    crossing_time = polys.start_s + crossing_s * grid.step_s
    del polys  # crossings and peaks in turn: smaller working sets, memory reused while in cache
    peak_polys = _Polys(grid, sites, sat_p, site_p, j_p)
    bracketed, peak_low, peak_high = _walk_to_maximum(grid, sites, peak_polys, 0, sat_p, site_p, j_p)
    peak_coef = peak_polys.coef
    peak_s = _refine_maxima(peak_coef, bracketed, peak_low, peak_high, grid.step_s)
    peak_az, peak_el = _look(peak_coef, peak_s, site_p, sites)
    # A hidden maximum above the threshold is a pass shorter than a step: two more crossings.
    short = hidden & (peak_el >= sites.threshold_deg[site_p])
    flat_j = flat_p - k_p + j_p
    short &= ~flat_visible[flat_j] & ~flat_visible[flat_j + 1]
    short_order = np.flatnonzero(short)
    short_order = short_order[np.argsort(flat_j[short_order], kind="stable")]
    short_coef = peak_coef[..., short_order]
    short_site = site_p[short_order]
    rise_s, set_s = _refine_short_passes(short_coef, sites, short_site, peak_s[short_order], grid.step_s)

    # Events per (site, satellite) pair in time order: short passes go into their own interval, where
    # no other crossing is (both its ends are below the threshold).
    event_el = np.where(np.isfinite(event_az), sites.threshold_deg[site_c], np.nan)
    rise_az, rise_el = _look(short_coef, rise_s, short_site, sites)
    set_az, set_el = _look(short_coef, set_s, short_site, sites)
    short_pair = short_site * count + sat_p[short_order]
    merge = _Merge(n_cross, np.repeat(np.searchsorted(pair_c * samples + j_c, flat_j[short_order]), 2))
    short_start = peak_polys.start_s[short_order]
    short_time = _interleave(short_start + grid.step_s * rise_s, short_start + grid.step_s * set_s)
    event_time = merge(crossing_time, short_time)
    event_az = merge(event_az, _interleave(rise_az, set_az))
    event_el = merge(event_el, _interleave(rise_el, set_el))
    up = merge(rising, np.tile([True, False], short_order.size))
    event_pair = merge(pair_c, np.repeat(short_pair, 2))

    keep = np.flatnonzero(np.isfinite(peak_el) & (~hidden | short))
    peak_time = peak_polys.start_s[keep] + peak_s[keep] * grid.step_s
    maxima = ((site_p * count + sat_p)[keep], peak_time, peak_az[keep], peak_el[keep])
    events = (event_pair, event_time, up, event_az, event_el)
    found = _assemble(grid, sites, window, flat_visible[1::samples], events, maxima)
    return _apply_masks(grid, sites, found)


class _Merge:
    """np.insert(old, where, new) for several arrays with the same positions (sorted `where`),
    without np.insert's per-call overhead."""

    def __init__(self, count: int, where: IntArray) -> None:
        self.count = count
        self.new_position = where + np.arange(where.size)
        shift = np.cumsum(np.bincount(where, minlength=count + 1))[:count]
        self.old_position = np.arange(count) + shift

    def __call__(self, old: npt.NDArray[Any], new: npt.NDArray[Any] | float) -> npt.NDArray[Any]:
        if self.new_position.size == 0:
            return old
        out = np.empty(self.count + self.new_position.size, dtype=old.dtype)
        out[self.old_position] = old
        out[self.new_position] = new
        return out


def _interleave(a: npt.NDArray[Any], b: npt.NDArray[Any]) -> npt.NDArray[Any]:
    return np.ravel(np.column_stack((a, b)))


def _may_hide_pass(grid: _Grid, sites: _Sites, sat: IntArray, site: IntArray, k: IntArray) -> BoolArray:
    """Necessary condition for a pass within a step of sample k: the location's up vector lies near
    enough to the orbit plane (the angle to the plane bounds the angle to any point of the orbit)."""
    if sat.size == 0:
        return np.zeros(0, dtype=bool)
    state = np.take(grid.nodes, sat * grid.times_s.size + k, axis=0)  # position, velocity x step
    position = state[:, :3]
    # Back to inertial velocity (x step), in Earth-fixed axes: the orbit plane is inertial.
    velocity = state[:, 3:]
    spin = _EARTH_ROTATION_RAD_S * grid.step_s
    velocity[:, 0] -= spin * position[:, 1]
    velocity[:, 1] += spin * position[:, 0]
    normal = np.cross(position, velocity)
    along = np.empty(sat.size)
    runs = _site_runs(site)
    if runs is None:
        along[:] = np.einsum("ij,ji->i", normal, sites.up_t[:, site])
    else:
        for index, first_row, stop in runs:
            along[first_row:stop] = normal[first_row:stop] @ sites.up[index]
    # Angle to the plane <= cone + margin, compared as sines (the angle to the plane is at most 90°).
    limit = _plane_limit_sin(grid, sites).reshape(-1)[site * grid.count + sat]
    along *= along
    limit *= limit
    limit *= np.einsum("ij,ij->i", normal, normal)
    return np.asarray(along <= limit)


def _plane_limit_sin(grid: _Grid, sites: _Sites) -> FloatArray:
    """(sites, n): sin(visibility cone + margins), capped at 1."""
    n_sites = len(sites)
    site = np.repeat(np.arange(n_sites), grid.count)
    apogee = np.tile(grid.apogee_km, n_sites)
    cone = np.arccos(sites.visibility_cone_cos(site, apogee))
    margin = _EARTH_ROTATION_RAD_S * grid.step_s + _PLANE_MARGIN_RAD
    return np.sin(np.minimum(cone + margin, 0.5 * np.pi)).reshape(n_sites, grid.count)


def _walk_to_maximum(
    grid: _Grid,
    sites: _Sites,
    polys: _Polys,
    first_row: int,
    sat: IntArray,
    site: IntArray,
    interval: IntArray,
) -> tuple[BoolArray, FloatArray, FloatArray]:
    """Move each peak row's interval towards rising elevation until elevation turns down inside it;
    the rows' polynomials follow. Returns which turned, and d(elevation) signs at both ends.

    Usually the first guess holds; eccentric orbits, whose elevation and up-distance peak apart, walk.
    """
    slope_start, slope_end = _maximum_ends(polys.coef[:, :, first_row:])
    bracketed = (slope_start > 0.0) & (slope_end <= 0.0)
    todo = np.flatnonzero(~bracketed)
    last = grid.times_s.size - 3
    for _ in range(_MAX_WALK_STEPS):
        if todo.size == 0:
            break
        move = np.where(slope_end[todo] > 0.0, 1, np.where(slope_start[todo] <= 0.0, -1, 0))
        moved = interval[todo] + move
        can = (move != 0) & (moved >= 1) & (moved <= last)
        todo = todo[can]
        interval[todo] = moved[can]
        part = _Polys(grid, sites, sat[todo], site[todo], interval[todo])
        polys.replace(first_row + todo, part)
        start, end = _maximum_ends(part.coef)
        slope_start[todo], slope_end[todo] = start, end
        turned = (start > 0.0) & (end <= 0.0)
        bracketed[todo[turned]] = True
        todo = todo[~turned]
    return bracketed, slope_start, slope_end


def _refine_crossings(
    polys: _Polys, sites: _Sites, site: IntArray, rising: BoolArray, step_s: float
) -> FloatArray:
    n = site.size
    coef = polys.coef[:, :, :n]
    sin_e = sites.sin_threshold[site]
    if np.any(sin_e):
        points = (_VANDERMONDE @ coef.reshape(8, 4 * n)).reshape(-1, 4, n)
        values = points[:, 3] - sin_e * np.sqrt(np.sum(points[:, :3] ** 2, axis=1))
        s = _solve(_crossing, (coef, sin_e), *_bracket(values), step_s)
    else:
        up = coef[:, 3]
        s = _solve(_polynomial, (up,), *_poly_bracket(up), step_s)
    # Where SGP4 failed near the crossing the interpolant is NaN: keep the visible sample.
    return np.where(polys.valid[:n], s, np.where(rising, 1.0, 0.0))


def _refine_maxima(
    coef: FloatArray,
    bracketed: BoolArray,
    f_low: FloatArray,
    f_high: FloatArray,
    step_s: float,
) -> FloatArray:
    """Fraction s of maximum elevation in each row's interval.

    The first guess is the maximum of the up-distance (where its degree-6 derivative turns, located
    to a subinterval, then by false position): on near-circular orbits it is within a second or so
    of the elevation maximum, which Newton then reaches in a step or two.
    """
    n = bracketed.size
    # Elevation curves that do not turn down inside (irregular, or cut by SGP4 failures) keep the
    # higher end of the interval.
    s = np.where(f_low > 0.0, 1.0, 0.0)
    rows = np.flatnonzero(bracketed)
    if rows.size < n:
        coef, f_low, f_high = coef[..., rows], f_low[rows], f_high[rows]
    up_slope = coef[1:, 3] * _DEGREES[1:, None]
    low, high, slope_low, slope_high = _poly_bracket(up_slope)
    with np.errstate(divide="ignore", invalid="ignore"):
        guess = low + (high - low) * slope_low / (slope_low - slope_high)
    guess[~((slope_low > 0.0) & (slope_high <= 0.0))] = np.nan
    zeros, ones = np.zeros(rows.size), np.ones(rows.size)
    s[rows] = _solve(_maximum, (coef,), zeros, ones, f_low, f_high, step_s, guess)
    return s


def _refine_short_passes(
    coef: FloatArray, sites: _Sites, site: IntArray, peak_s: FloatArray, step_s: float
) -> tuple[FloatArray, FloatArray]:
    """Rise and set of passes shorter than a step, on either side of their peak (fraction peak_s).

    First guesses: where the parabola through the peak (value and curvature of up - range x
    sin(threshold), the range's curvature left out) meets zero."""
    n = site.size
    both = np.concatenate((coef, coef), axis=-1)
    sin_e = np.r_[sites.sin_threshold[site], sites.sin_threshold[site]]
    low = np.r_[np.zeros(n), peak_s]
    high = np.r_[peak_s, np.ones(n)]
    _, _, half_curve = _horner2(coef[:, 3], peak_s)
    if np.any(sin_e):
        evaluate: Evaluate = _crossing
        arrays: tuple[FloatArray, ...] = (both, sin_e)
    else:
        evaluate, arrays = _polynomial, (both[:, 3],)
    f_low, _ = evaluate(arrays, low)
    f_high, _ = evaluate(arrays, high)
    with np.errstate(divide="ignore", invalid="ignore"):
        half_width = np.sqrt(np.r_[f_high[:n], f_low[n:]] / -np.r_[half_curve, half_curve])
    guess = np.r_[peak_s - half_width[:n], peak_s + half_width[n:]]
    s = _solve(evaluate, arrays, low, high, f_low, f_high, step_s, guess)
    return s[:n], s[n:]


def _assemble(
    grid: _Grid,
    sites: _Sites,
    window: _Window,
    visible_first: BoolArray,
    events: tuple[IntArray, FloatArray, BoolArray, FloatArray, FloatArray],
    maxima: tuple[IntArray, FloatArray, FloatArray, FloatArray],
) -> _Found:
    """Pair rises and sets (they alternate per site and satellite, in time order) into passes, clip
    them to the window, and take each pass's highest maximum (or cut end) as its TCA.

    Pairs are numbered site x n + satellite; `visible_first` says which are up at the first searched
    sample."""
    count = grid.count
    pair, time_s, up, azimuth, elevation = events
    initial = visible_first
    # Events come sorted by (pair, time). Drop any that would not alternate (a crossing found twice),
    # so a pair's events go rise, set, rise... after its state at the first searched sample.
    first = _run_starts(pair)
    previous_up = np.zeros(up.size, dtype=bool)
    previous_up[1:] = up[:-1]
    keep = np.where(first, up != initial[pair], up != previous_up)
    if not np.all(keep):
        pair, time_s, up = pair[keep], time_s[keep], up[keep]
        azimuth, elevation = azimuth[keep], elevation[keep]
    # A pair up at the first searched sample opens at -inf; one still up after its last event at +inf.
    last = _run_starts(pair[::-1])[::-1]
    opened = np.flatnonzero(initial)
    has_events = np.zeros(initial.size, dtype=bool)
    has_events[pair] = True
    silent = opened[~has_events[opened]]
    closed = np.union1d(pair[last & up], silent)
    rises, sets = np.flatnonzero(up), np.flatnonzero(~up)
    merge = _Merge(rises.size, np.searchsorted(pair[rises], opened, side="left"))
    start_pair = merge(pair[rises], opened)
    aos_s = merge(time_s[rises], -np.inf)
    aos_az = merge(azimuth[rises], np.nan)
    aos_el = merge(elevation[rises], np.nan)
    merge = _Merge(sets.size, np.searchsorted(pair[sets], closed, side="right"))
    stop_pair = merge(pair[sets], closed)
    los_s = merge(time_s[sets], np.inf)
    los_az = merge(azimuth[sets], np.nan)
    los_el = merge(elevation[sets], np.nan)
    if stop_pair.size != start_pair.size or np.any(stop_pair != start_pair):
        raise AssertionError("internal: rises and sets do not pair up")

    inside = np.flatnonzero((los_s > window.start_s) & (aos_s < window.end_s))
    if inside.size == 0:
        return _Found.concatenate([])
    if inside.size < start_pair.size:
        start_pair, aos_s, aos_az, aos_el = start_pair[inside], aos_s[inside], aos_az[inside], aos_el[inside]
        los_s, los_az, los_el = los_s[inside], los_az[inside], los_el[inside]
    pass_pair = start_pair
    starts_before = aos_s <= window.start_s
    ends_after = los_s >= window.end_s
    np.maximum(aos_s, window.start_s, out=aos_s)
    np.minimum(los_s, window.end_s, out=los_s)
    cut_start, cut_end = np.flatnonzero(starts_before), np.flatnonzero(ends_after)
    if cut_start.size or cut_end.size:
        cut_pair = pass_pair[np.r_[cut_start, cut_end]]
        cut_az, cut_el = _look_at(grid, sites, cut_pair % count, cut_pair // count,
                                  np.r_[aos_s[cut_start], los_s[cut_end]])  # fmt: skip
        aos_az[cut_start], aos_el[cut_start] = cut_az[: cut_start.size], cut_el[: cut_start.size]
        los_az[cut_end], los_el[cut_end] = cut_az[cut_start.size :], cut_el[cut_start.size :]

    # TCA: the highest maximum inside the pass, else the higher end (passes cut by the window).
    peak_pair, peak_time, peak_az, peak_el = maxima
    base = grid.times_s[0]
    span = grid.times_s[-1] - base + 1.0  # one float key orders by (pair, time)
    aos_key = pass_pair * span + (aos_s - base)
    peak_key = peak_pair * span + (peak_time - base)
    if np.any(peak_key[1:] < peak_key[:-1]):
        order = np.argsort(peak_key, kind="stable")
        peak_key, peak_time = peak_key[order], peak_time[order]
        peak_az, peak_el = peak_az[order], peak_el[order]
    owner = np.searchsorted(aos_key, peak_key, side="right") - 1
    clamped = np.maximum(owner, 0)
    owned = (owner >= 0) & (peak_key <= pass_pair[clamped] * span + (los_s[clamped] - base))
    owned &= np.isfinite(peak_el)
    owned_index = np.flatnonzero(owned)
    higher_start = aos_el >= los_el
    best_el = np.where(higher_start, aos_el, los_el)
    best_time = np.where(higher_start, aos_s, los_s)
    best_az = np.where(higher_start, aos_az, los_az)
    if owned_index.size:
        # Owned maxima come grouped by owner (both sorted by key): the first highest of each group.
        owners = owner[owned_index]
        starts = np.flatnonzero(_run_starts(owners))
        group_max = np.maximum.reduceat(peak_el[owned_index], starts)
        if starts.size == owners.size:  # one maximum per pass: the usual case
            chosen = owned_index
        else:
            group = np.repeat(np.arange(starts.size), np.diff(np.r_[starts, owners.size]))
            is_max = peak_el[owned_index] == group_max[group]
            first_max = np.full(starts.size, owners.size)
            np.minimum.at(first_max, group[is_max], np.flatnonzero(is_max))
            chosen = owned_index[first_max]
        target = owners[starts]
        better = group_max > np.nan_to_num(best_el[target], nan=-np.inf)
        target, chosen = target[better], chosen[better]
        best_el[target], best_time[target] = peak_el[chosen], peak_time[chosen]
        best_az[target] = peak_az[chosen]
    good = np.isfinite(best_el) & np.isfinite(aos_az) & np.isfinite(los_az)  # SGP4 failures
    keep_index = slice(None) if np.all(good) else np.flatnonzero(good)
    return _Found(
        sat=pass_pair[keep_index] % count,
        site=pass_pair[keep_index] // count,
        aos_s=aos_s[keep_index],
        tca_s=best_time[keep_index],
        los_s=los_s[keep_index],
        max_elevation_deg=best_el[keep_index],
        aos_azimuth_deg=aos_az[keep_index],
        tca_azimuth_deg=best_az[keep_index],
        los_azimuth_deg=los_az[keep_index],
        starts_before=starts_before[keep_index],
        ends_after=ends_after[keep_index],
    )


def _run_starts(values: IntArray) -> BoolArray:
    """True where a run of equal values begins."""
    starts = np.ones(values.size, dtype=bool)
    np.not_equal(values[1:], values[:-1], out=starts[1:])
    return starts


def _look_at(
    grid: _Grid, sites: _Sites, sat: IntArray, site: IntArray, time_s: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """Azimuth and elevation at arbitrary times within the searched span (chunk-local satellites)."""
    if sat.size == 0:
        return np.zeros(0), np.zeros(0)
    interval = np.clip(
        np.floor((time_s - grid.times_s[0]) / grid.step_s).astype(np.intp), 1, grid.times_s.size - 3
    )
    polys = _Polys(grid, sites, sat, site, interval)
    return _look(polys.coef, (time_s - polys.start_s) / grid.step_s, site, sites)


def _apply_masks(grid: _Grid, sites: _Sites, found: _Found) -> _Found:
    """Trim passes found at each site's lowest mask elevation to where the mask is really cleared."""
    if not np.any(sites.masked):
        return found
    masked = sites.masked[found.site]
    if not np.any(masked):
        return found
    return _Found.concatenate([found.select(~masked), _mask_passes(grid, sites, found.select(masked))])


# Masked passes are sampled in batches of about this many samples (bounded memory).
_MASK_BATCH_SAMPLES = 1 << 17


def _mask_passes(grid: _Grid, sites: _Sites, found: _Found) -> _Found:
    """Sample every pass at its ends and every MASK_SAMPLE_S of the grid's intervals in between, all
    at once; find where elevation - mask(azimuth) changes sign, and bisect all the changes together
    on the interpolant."""
    origin, last = grid.times_s[0], grid.times_s.size - 3
    first_interval = np.clip(np.floor((found.aos_s - origin) / grid.step_s).astype(np.intp), 1, last)
    last_interval = np.clip(np.floor((found.los_s - origin) / grid.step_s).astype(np.intp), 1, last)
    intervals = last_interval - first_interval + 1
    per_interval = math.ceil(grid.step_s / MASK_SAMPLE_S)
    # Batches of passes of about _MASK_BATCH_SAMPLES samples each (at least one pass).
    cumulative = np.cumsum(intervals) * per_interval
    parts: list[_Found] = []
    first = 0
    while first < intervals.size:
        stop = max(first + 1, int(np.searchsorted(cumulative, cumulative[first] + _MASK_BATCH_SAMPLES)))
        batch = np.arange(first, stop)
        parts.append(_mask_batch(grid, sites, found.select(batch), first_interval[batch], intervals[batch]))
        first = stop
    return _Found.concatenate(parts)


def _interval_samples(
    grid: _Grid, sites: _Sites, found: _Found, first_interval: IntArray, intervals: IntArray
) -> tuple[FloatArray, FloatArray, FloatArray, IntArray]:
    """Times, azimuths and elevations at every MASK_SAMPLE_S of each pass's grid intervals strictly
    inside the pass, in time order per pass, and how many each pass has."""
    per_interval = math.ceil(grid.step_s / MASK_SAMPLE_S)
    owner = np.repeat(np.arange(intervals.size), intervals)  # pass of each interval row
    rows = np.arange(owner.size) - np.repeat(np.cumsum(intervals) - intervals, intervals)
    interval = first_interval[owner] + rows
    site = found.site[owner]
    polys = _Polys(grid, sites, found.sat[owner], site, interval)
    # East, north and up polynomials of each row, then all of them at the sample points at once.
    enu = np.empty((8, 3, owner.size))
    _project(polys.coef[:, :3], sites.east_t[:, site], enu[:, 0])
    _project(polys.coef[:, :3], sites.north_t[:, site], enu[:, 1])
    enu[:, 2] = polys.coef[:, 3]
    offset_s = MASK_SAMPLE_S * np.arange(per_interval)
    points = np.minimum(offset_s / grid.step_s, 1.0)[:, None] ** _DEGREES[None, :]
    values = (points @ enu.reshape(8, -1)).reshape(per_interval, 3, owner.size)
    east, north, up = values[:, 0].T, values[:, 1].T, values[:, 2].T  # (rows, per_interval)
    time_s = polys.start_s[:, None] + offset_s[None, :]
    inside = (time_s > found.aos_s[owner][:, None]) & (time_s < found.los_s[owner][:, None])
    inside &= offset_s[None, :] < grid.step_s
    east, north, up, time_s = east[inside], north[inside], up[inside], time_s[inside]
    azimuth = np.degrees(np.arctan2(east, north))
    azimuth[azimuth < 0.0] += 360.0
    elevation = np.degrees(np.arctan2(up, np.hypot(east, north)))
    counts = np.bincount(owner, weights=np.count_nonzero(inside, axis=1), minlength=intervals.size)
    return time_s, azimuth, elevation, counts.astype(np.intp)


def _mask_batch(
    grid: _Grid, sites: _Sites, found: _Found, first_interval: IntArray, intervals: IntArray
) -> _Found:
    inner_s, inner_az, inner_el, inner = _interval_samples(grid, sites, found, first_interval, intervals)
    passes = intervals.size
    # Each pass: its AOS, the samples inside, its LOS.
    ends_az, ends_el = _look_at(grid, sites, np.r_[found.sat, found.sat], np.r_[found.site, found.site],
                                np.r_[found.aos_s, found.los_s])  # fmt: skip
    merge = _Merge(inner_s.size, _interleave(np.cumsum(inner) - inner, np.cumsum(inner)))
    time_s = merge(inner_s, _interleave(found.aos_s, found.los_s))
    azimuth = merge(inner_az, _interleave(ends_az[:passes], ends_az[passes:]))
    elevation = merge(inner_el, _interleave(ends_el[:passes], ends_el[passes:]))
    counts = inner + 2
    total = int(counts.sum())
    ends = np.cumsum(counts)
    starts = ends - counts
    owner = np.repeat(np.arange(passes), counts)  # pass of each sample
    sat, site = found.sat[owner], found.site[owner]
    clear = elevation >= _mask_threshold(sites, site, azimuth)
    # Runs of clear samples within a pass are the passes above the mask.
    first_sample = np.zeros(total, dtype=bool)
    first_sample[starts] = True
    last_sample = np.zeros(total, dtype=bool)
    last_sample[ends - 1] = True
    opens = clear & (first_sample | ~np.r_[False, clear[:-1]])
    closes = clear & (last_sample | ~np.r_[clear[1:], False])
    run_first, run_last = np.flatnonzero(opens), np.flatnonzero(closes)
    if run_first.size == 0:
        return _Found.concatenate([])
    # Edges between samples: a rise between run_first - 1 and run_first, a set after run_last.
    rise_cut = np.flatnonzero(~first_sample[run_first])
    set_cut = np.flatnonzero(~last_sample[run_last])
    low = np.r_[time_s[run_first[rise_cut] - 1], time_s[run_last[set_cut]]]
    high = np.r_[time_s[run_first[rise_cut]], time_s[run_last[set_cut] + 1]]
    edge_sample = np.r_[run_first[rise_cut], run_last[set_cut]]
    clear_low = np.r_[np.zeros(rise_cut.size, dtype=bool), np.ones(set_cut.size, dtype=bool)]
    edge_sat, edge_site = sat[edge_sample], site[edge_sample]
    for _ in range(math.ceil(math.log2(MASK_SAMPLE_S / ROOT_TOLERANCE_S)) + 1):
        middle = 0.5 * (low + high)
        az, el = _look_at(grid, sites, edge_sat, edge_site, middle)
        same = (el >= _mask_threshold(sites, edge_site, az)) == clear_low
        low, high = np.where(same, middle, low), np.where(same, high, middle)
    edge_s = 0.5 * (low + high)
    edge_az, edge_el = _look_at(grid, sites, edge_sat, edge_site, edge_s)

    rise_s, rise_az, rise_el = time_s[run_first], azimuth[run_first], elevation[run_first]
    set_s, set_az, set_el = time_s[run_last], azimuth[run_last], elevation[run_last]
    n_rise = rise_cut.size
    for values, edges in ((rise_s, edge_s), (rise_az, edge_az), (rise_el, edge_el)):
        values[rise_cut] = edges[:n_rise]
    for values, edges in ((set_s, edge_s), (set_az, edge_az), (set_el, edge_el)):
        values[set_cut] = edges[n_rise:]

    # Highest of: the rise, the samples inside, the set, and the pass's TCA when inside.
    runs = run_first.size
    bounds = np.ravel(np.column_stack((run_first, run_last + 1)))
    inside_max = np.maximum.reduceat(np.r_[elevation, -np.inf], bounds)[::2]
    label = np.repeat(np.arange(runs), run_last + 1 - run_first)
    members = _ranges(run_first, run_last + 1)
    is_top = elevation[members] == inside_max[label]
    _, top_first = np.unique(label[is_top], return_index=True)
    top_sample = members[np.flatnonzero(is_top)[top_first]]
    pass_of_run = owner[run_first]
    best_el, best_time, best_az = rise_el.copy(), rise_s.copy(), rise_az.copy()
    for candidate_el, candidate_time, candidate_az, allowed in (
        (inside_max, time_s[top_sample], azimuth[top_sample], np.ones(runs, dtype=bool)),
        (set_el, set_s, set_az, np.ones(runs, dtype=bool)),
        (found.max_elevation_deg[pass_of_run], found.tca_s[pass_of_run], found.tca_azimuth_deg[pass_of_run],
         (found.tca_s[pass_of_run] > rise_s) & (found.tca_s[pass_of_run] < set_s)),
    ):  # fmt: skip
        better = allowed & (candidate_el > best_el)
        best_el = np.where(better, candidate_el, best_el)
        best_time = np.where(better, candidate_time, best_time)
        best_az = np.where(better, candidate_az, best_az)
    return _Found(
        sat=found.sat[pass_of_run],
        site=found.site[pass_of_run],
        aos_s=rise_s,
        tca_s=best_time,
        los_s=set_s,
        max_elevation_deg=best_el,
        aos_azimuth_deg=rise_az,
        tca_azimuth_deg=best_az,
        los_azimuth_deg=set_az,
        starts_before=found.starts_before[pass_of_run] & (rise_s == found.aos_s[pass_of_run]),
        ends_after=found.ends_after[pass_of_run] & (set_s == found.los_s[pass_of_run]),
    )


def _ranges(starts: IntArray, stops: IntArray) -> IntArray:
    """Concatenated aranges starts[i] .. stops[i] - 1."""
    lengths = stops - starts
    offsets = np.cumsum(lengths) - lengths
    return np.asarray(np.arange(int(lengths.sum())) - np.repeat(offsets - starts, lengths))


def _mask_threshold(sites: _Sites, site: IntArray, azimuth_deg: FloatArray) -> FloatArray:
    """max(mask(azimuth), horizon) of each sample's site."""
    threshold = np.full(azimuth_deg.size, sites.horizon_deg)
    for index in np.unique(site).tolist():
        mask = sites.masks[index]
        assert mask is not None
        rows = np.flatnonzero(site == index)
        threshold[rows] = np.maximum(mask.elevation_deg(azimuth_deg[rows]), sites.horizon_deg)
    return threshold
