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
3. In the location's east-north-up frame the interpolant is three polynomials, so the crossings are
   roots of a scalar polynomial (up component = range x sin(threshold)) and the maxima roots of
   d(sin elevation)/dt's numerator (degree 20): a safeguarded Newton iteration on all of them at once
   with numpy, never an SGP4 call per pass, so ten locations cost little more than one.

A pass already above the horizon at `start` begins at `start` with `starts_before_window`; one still
up at `end` ends there with `ends_after_window`. An object that never sets (GEO) is one pass spanning
the window with both flags; one that never rises gives none.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

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
# Satellite-stations per chunk: keeps the per-pass arrays cache-sized whatever the station count.
_CHUNK_PAIRS = 1024
_MIN_CHUNK_SATELLITES = 64
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
# Azimuth-dependent masks are resolved by sampling each pass at this step.
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
        for step in np.unique(steps):
            members = np.flatnonzero(steps == step)
            size = max(_MIN_CHUNK_SATELLITES, _CHUNK_PAIRS // len(sites))
            for first in range(0, members.size, size):
                chunk = members[first : first + size]
                grid = _Grid.build(propagator, chunk, window, float(step))
                errors.extend(
                    errors_from_codes([propagator.elements[i] for i in chunk], grid.times_s, grid.codes)
                )
                found.append(_passes_in_grid(grid, sites, window, chunk))
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
        self.basis = np.array([location.enu_basis() for location in locations]).reshape(-1, 3, 3)
        self.up = self.basis[:, 2, :]
        self.masks = list(masks)
        # The lowest elevation any azimuth asks for: the threshold of the main search; masks then
        # trim the passes found.
        low = [horizon_deg if mask is None else max(horizon_deg, mask.lowest_deg) for mask in masks]
        self.sin_threshold = np.sin(np.radians(np.array(low, dtype=np.float64)))
        self.horizon_deg = horizon_deg
        self.up_offset_km = np.sum(self.position_km * self.up, axis=1)  # s . u
        self.radius_km = np.linalg.norm(self.position_km, axis=1)

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
    velocity_km_s: FloatArray  # (n, T, 3) Earth-relative
    valid: BoolArray
    codes: npt.NDArray[np.uint8]
    apogee_km: FloatArray  # (n,)
    flat_position_km: FloatArray  # (n * T, 3): the interpolation data, gathered by flat sample index
    flat_velocity_step_km: FloatArray  # (n * T, 3): velocity x step

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
        apogee = propagator.apogee_radius_km()[chunk] + 50.0  # margin for SGP4's short-period terms
        return cls(times_s, step_s, position, velocity, states.valid, states.error_code, apogee,
                   position.reshape(-1, 3), (velocity * step_s).reshape(-1, 3))  # fmt: skip

    def inertial_velocity(self, sat: IntArray, k: IntArray) -> FloatArray:
        """TEME velocity expressed in Earth-fixed axes (adds back Earth's rotation)."""
        position = self.position_km[sat, k]
        spin = np.stack((-position[:, 1], position[:, 0], np.zeros(sat.size)), axis=1)
        return np.asarray(self.velocity_km_s[sat, k] + _EARTH_ROTATION_RAD_S * spin)


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


# Polynomials are arrays (degree + 1, rows): coefficient of s**m in row m, one column per problem.
def _poly_eval(coefficients: FloatArray, s: FloatArray) -> tuple[FloatArray, FloatArray]:
    value = coefficients[-1].copy()
    slope = np.zeros_like(value)
    for m in range(coefficients.shape[0] - 2, -1, -1):
        slope *= s
        slope += value
        value *= s
        value += coefficients[m]
    return value, slope


def _poly_mul(a: FloatArray, b: FloatArray) -> FloatArray:
    out = np.zeros((a.shape[0] + b.shape[0] - 1, *a.shape[1:]))
    for i in range(a.shape[0]):
        out[i : i + b.shape[0]] += a[i] * b
    return out


def _poly_derivative(coefficients: FloatArray) -> FloatArray:
    return np.asarray(coefficients[1:] * np.arange(1, coefficients.shape[0])[:, None])


def _dot(a: FloatArray, b: FloatArray) -> FloatArray:
    return np.asarray(np.einsum("...d,...d->...", a, b))


class _Interpolant:
    """The satellite's position relative to the site over each row's grid interval [t_j, t_j + step],
    as polynomials in s = (t - t_j) / step (s in [0, 1]): `vector` (8, r, 3) Earth-fixed, `up` (8, r)."""

    def __init__(self, grid: _Grid, sites: _Sites, sat: IntArray, site: IntArray, interval: IntArray) -> None:
        count = sat.size
        first = sat * grid.times_s.size + interval - 1
        data = np.empty((8, count, 3))  # node k's position in row 2k, its velocity x step in 2k + 1
        valid = np.ones(count, dtype=bool)
        flat_valid = grid.valid.ravel()
        for k in range(4):
            np.take(grid.flat_position_km, first + k, axis=0, out=data[2 * k])
            np.take(grid.flat_velocity_step_km, first + k, axis=0, out=data[2 * k + 1])
            valid &= flat_valid[first + k]
        self.vector = (_HERMITE_INVERSE @ data.reshape(8, 3 * count)).reshape(8, count, 3)
        self.vector[0] -= sites.position_km[site]
        self.site = site
        self.up = np.einsum("mrd,rd->mr", self.vector, sites.up[site])
        self.valid = valid
        self.step_s = grid.step_s
        self.start_s = grid.times_s[interval]
        self.sin_threshold = sites.sin_threshold[site]
        self._sites = sites

    def range_squared(self, rows: IntArray) -> FloatArray:
        """|position - site|² as a polynomial of degree 14: sums of dot products of coefficient vectors."""
        vector = self.vector[:, rows]
        out = np.zeros((15, rows.size))
        for i in range(8):
            products = np.einsum("rd,jrd->jr", vector[i], vector[i:])
            products[1:] *= 2.0
            out[2 * i : i + 8] += products
        return out

    def sine_elevation(self, s: FloatArray, rows: IntArray) -> FloatArray:
        position = self.position(s, rows)
        return np.asarray(_dot(position, self._sites.up[self.site[rows]]) / np.sqrt(_dot(position, position)))

    def position(self, s: FloatArray, rows: IntArray) -> FloatArray:
        """Satellite position relative to the site, Earth-fixed (r, 3)."""
        vector = self.vector[:, rows]
        position: FloatArray = vector[7].copy()
        for m in range(6, -1, -1):
            position *= s[:, None]
            position += vector[m]
        return position

    def look(self, s: FloatArray, rows: IntArray) -> tuple[FloatArray, FloatArray]:
        """Azimuth and elevation (deg) at fraction s of each row's interval."""
        position = self.position(s, rows)
        basis = self._sites.basis[self.site[rows]]
        east, north, up = (
            _dot(position, basis[:, 0]),
            _dot(position, basis[:, 1]),
            _dot(position, basis[:, 2]),
        )
        return np.degrees(np.arctan2(east, north)) % 360.0, np.degrees(np.arctan2(up, np.hypot(east, north)))


Evaluate = Callable[[FloatArray, IntArray | None], tuple[FloatArray, FloatArray]]


def _crossing_function(interpolant: _Interpolant, rows: IntArray) -> Evaluate:
    """up - range x sin(threshold): zero where elevation equals the threshold (km, and km per s)."""
    up = interpolant.up[:, rows]
    sin_e = interpolant.sin_threshold[rows]
    if not np.any(sin_e):
        return lambda s, active: _poly_eval(up if active is None else up[:, active], s)
    range2 = interpolant.range_squared(rows)

    def evaluate(s: FloatArray, active: IntArray | None) -> tuple[FloatArray, FloatArray]:
        which = slice(None) if active is None else active
        u, du = _poly_eval(up[:, which], s)
        q, dq = _poly_eval(range2[:, which], s)
        root = np.sqrt(q)
        return u - sin_e[which] * root, du - sin_e[which] * dq / (2.0 * root)

    return evaluate


def _poly_eval2(coefficients: FloatArray, s: FloatArray) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Value, first and second derivative (Horner)."""
    value = coefficients[-1].copy()
    slope = np.zeros_like(value)
    curve = np.zeros_like(value)
    for m in range(coefficients.shape[0] - 2, -1, -1):
        curve *= s
        curve += 2.0 * slope
        slope *= s
        slope += value
        value *= s
        value += coefficients[m]
    return value, slope, curve


def _maximum_function(interpolant: _Interpolant, rows: IntArray) -> tuple[Evaluate, FloatArray, FloatArray]:
    """2 up' |r|² - up (|r|²)': the sign of d(sin elevation)/dt, zero at a maximum; and its value at
    s = 0 and s = 1 (straight from the coefficients)."""
    up = interpolant.up[:, rows]
    range2 = interpolant.range_squared(rows)

    def evaluate(s: FloatArray, active: IntArray | None) -> tuple[FloatArray, FloatArray]:
        u, du, ddu = _poly_eval2(up if active is None else up[:, active], s)
        q, dq, ddq = _poly_eval2(range2 if active is None else range2[:, active], s)
        return 2.0 * du * q - u * dq, 2.0 * ddu * q + du * dq - u * ddq

    powers_up = np.arange(up.shape[0])[:, None]
    powers_range = np.arange(range2.shape[0])[:, None]
    at_start = 2.0 * up[1] * range2[0] - up[0] * range2[1]
    at_end = 2.0 * np.sum(powers_up * up, axis=0) * np.sum(range2, axis=0) - np.sum(up, axis=0) * np.sum(
        powers_range * range2, axis=0
    )
    return evaluate, at_start, at_end


def _solve(
    evaluate: Evaluate,
    low: FloatArray,
    high: FloatArray,
    f_low: FloatArray,
    f_high: FloatArray,
    step_s: float,
    guess: FloatArray | None = None,
) -> FloatArray:
    """Roots in [low, high] (fractions of an interval) where f changes sign.

    Newton's step while it stays inside the shrinking bracket, bisection otherwise. A row stops when its
    Newton step is below _NEWTON_STEP_S: convergence is quadratic, so the root is then good to far
    better than ROOT_TOLERANCE_S.
    """
    low, high = low.copy(), high.copy()
    sign_low = np.sign(f_low)
    with np.errstate(divide="ignore", invalid="ignore"):
        x = np.where(
            np.isfinite(f_low) & np.isfinite(f_high) & (f_low != f_high),
            low + (high - low) * f_low / (f_low - f_high),
            0.5 * (low + high),
        )
    if guess is not None:
        x = np.where(np.isfinite(guess) & (guess > low) & (guess < high), guess, x)
    x = np.clip(x, low, high)
    active = np.flatnonzero(np.isfinite(x))
    step_tolerance = _NEWTON_STEP_S / step_s
    bracket_tolerance = ROOT_TOLERANCE_S / step_s
    for _ in range(_MAX_ITERATIONS):
        if active.size == 0:
            break
        everything = active.size == x.size
        xa = x if everything else x[active]
        value, slope = evaluate(xa, None if everything else active)
        lo = low if everything else low[active]
        hi = high if everything else high[active]
        same = np.sign(value) == (sign_low if everything else sign_low[active])
        lo = np.where(same, xa, lo)
        hi = np.where(same, hi, xa)
        with np.errstate(divide="ignore", invalid="ignore"):
            newton = xa - value / slope
        inside = np.isfinite(newton) & (newton > lo) & (newton < hi)
        nxt = np.where(inside, newton, 0.5 * (lo + hi))
        exact = value == 0.0
        done = exact | (inside & (np.abs(nxt - xa) < step_tolerance)) | (hi - lo < bracket_tolerance)
        done |= ~np.isfinite(value)
        low[active], high[active] = lo, hi
        x[active] = np.where(exact, xa, nxt)
        active = active[~done]
    return x


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
        return cls(**{name: np.concatenate([getattr(p, name) for p in parts]) for name in names})

    def table(
        self, elements: tuple[Elements, ...], names: tuple[str, ...], min_elevation_deg: float
    ) -> PassTable:
        keep = np.flatnonzero(self.max_elevation_deg >= min_elevation_deg)
        # By AOS, then station, then satellite: two stable sorts beat a lexsort here.
        by_pair = keep[np.argsort(self.site[keep] * len(elements) + self.sat[keep], kind="stable")]
        order = by_pair[np.argsort(self.aos_s[by_pair], kind="stable")]
        return PassTable(
            elements=elements,
            station_names=names,
            satellite_index=self.sat[order],
            station_index=self.site[order],
            aos_s=self.aos_s[order],
            tca_s=self.tca_s[order],
            los_s=self.los_s[order],
            max_elevation_deg=self.max_elevation_deg[order],
            aos_azimuth_deg=self.aos_azimuth_deg[order],
            tca_azimuth_deg=self.tca_azimuth_deg[order],
            los_azimuth_deg=self.los_azimuth_deg[order],
            starts_before_window=self.starts_before[order],
            ends_after_window=self.ends_after[order],
        )


def _levels(grid: _Grid, sites: _Sites) -> FloatArray:
    """(n, sites, T): sin(elevation) - sin(threshold) at every sample, -inf where SGP4 failed.

    Elevation itself, not the height above the horizon plane: on eccentric orbits the two peak apart.
    """
    count, samples, _ = grid.position_km.shape
    flat = grid.position_km.reshape(-1, 3)
    radius2 = np.einsum("ij,ij->i", flat, flat)[:, None]
    distance = np.sqrt(radius2 - 2.0 * (flat @ sites.position_km.T) + sites.radius_km**2)
    level = (flat @ sites.up.T - sites.up_offset_km) / distance - sites.sin_threshold
    level[~grid.valid.ravel()] = -np.inf
    return np.ascontiguousarray(level.reshape(count, samples, -1).transpose(0, 2, 1))


def _passes_in_grid(grid: _Grid, sites: _Sites, window: _Window, chunk: IntArray) -> _Found:
    """All passes of one chunk's satellites over all sites."""
    samples = grid.times_s.size
    n_sites = len(sites)
    level = _levels(grid, sites)
    visible = level >= 0.0
    # Crossings: intervals [j, j+1] for j = 1 .. samples-3 (each has nodes j-1 .. j+2). np.nonzero
    # returns them sorted by (satellite, site, interval): chronological per pair.
    sat_c, site_c, j_c = np.nonzero(visible[:, :, 1 : samples - 2] != visible[:, :, 2 : samples - 1])
    j_c += 1
    rising = visible[sat_c, site_c, j_c + 1]
    # Discrete maxima at samples k = 2 .. samples-3; the true one lies within a step of them.
    middle = level[:, :, 2 : samples - 2]
    is_peak = (middle >= level[:, :, 1 : samples - 3]) & (middle > level[:, :, 3 : samples - 1])
    is_peak &= np.isfinite(middle)
    sat_p, site_p, k_p = np.nonzero(is_peak)
    k_p += 2
    hidden = level[sat_p, site_p, k_p] < 0.0
    candidate = ~hidden
    candidate[hidden] = _may_hide_pass(grid, sites, sat_p[hidden], site_p[hidden], k_p[hidden])
    sat_p, site_p, k_p, hidden = sat_p[candidate], site_p[candidate], k_p[candidate], hidden[candidate]
    before = level[sat_p, site_p, k_p - 1]
    after = level[sat_p, site_p, k_p + 1]
    j_p, bracketed = _walk_to_maximum(grid, sites, sat_p, site_p, np.where(after >= before, k_p, k_p - 1))

    n_cross = sat_c.size
    interpolant = _Interpolant(grid, sites, np.r_[sat_c, sat_p], np.r_[site_c, site_p], np.r_[j_c, j_p])
    crossing_s = _refine_crossings(interpolant, np.arange(n_cross), rising)
    peak_rows = n_cross + np.arange(sat_p.size)
    peak_s, peak_sine = _refine_maxima(interpolant, peak_rows, bracketed)
    # A hidden maximum above the threshold is a pass shorter than a step: two more crossings.
    short = hidden & (peak_sine >= sites.sin_threshold[site_p])
    short &= ~visible[sat_p, site_p, j_p] & ~visible[sat_p, site_p, j_p + 1]
    short_order = np.flatnonzero(short)
    short_order = short_order[
        np.argsort((sat_p * n_sites + site_p)[short_order] * samples + j_p[short_order], kind="stable")
    ]
    short_rows = peak_rows[short_order]
    rise_s, set_s = _refine_short_passes(interpolant, short_rows, peak_s[short_order])

    # Events per (satellite, site) pair in time order: short passes go into their own interval, where
    # no other crossing is (both its ends are below the threshold).
    pair = sat_c * n_sites + site_c
    short_pair = sat_p[short_order] * n_sites + site_p[short_order]
    where = np.searchsorted(pair * samples + j_c, short_pair * samples + j_p[short_order])
    rows = np.insert(
        np.arange(n_cross), np.repeat(where, 2), np.ravel(np.column_stack((short_rows, short_rows)))
    )
    s = np.insert(crossing_s, np.repeat(where, 2), np.ravel(np.column_stack((rise_s, set_s))))
    up = np.insert(rising, np.repeat(where, 2), np.tile([True, False], short_rows.size))
    event_pair = np.insert(pair, np.repeat(where, 2), np.repeat(short_pair, 2))
    event_az, event_el = interpolant.look(s, rows)
    event_time = interpolant.start_s[rows] + s * grid.step_s

    keep = np.flatnonzero(np.isfinite(peak_sine) & (~hidden | short))
    peak_az, peak_el = interpolant.look(peak_s[keep], peak_rows[keep])
    peak_time = interpolant.start_s[peak_rows[keep]] + peak_s[keep] * grid.step_s
    maxima = (sat_p[keep] * n_sites + site_p[keep], peak_time, peak_az, peak_el)
    found = _assemble(
        grid, sites, window, visible[:, :, 1], (event_pair, event_time, up, event_az, event_el), maxima
    )
    found = _apply_masks(grid, sites, window, found)
    return _Found(
        sat=chunk[found.sat], site=found.site, aos_s=found.aos_s, tca_s=found.tca_s, los_s=found.los_s,
        max_elevation_deg=found.max_elevation_deg, aos_azimuth_deg=found.aos_azimuth_deg,
        tca_azimuth_deg=found.tca_azimuth_deg, los_azimuth_deg=found.los_azimuth_deg,
        starts_before=found.starts_before, ends_after=found.ends_after,
    )  # fmt: skip


def _may_hide_pass(grid: _Grid, sites: _Sites, sat: IntArray, site: IntArray, k: IntArray) -> BoolArray:
    """Necessary condition for a pass within a step of sample k: the location's up vector lies near
    enough to the orbit plane (the angle to the plane bounds the angle to any point of the orbit)."""
    if sat.size == 0:
        return np.zeros(0, dtype=bool)
    normal = np.cross(grid.position_km[sat, k], grid.inertial_velocity(sat, k))
    plane_sine = np.abs(_dot(normal, sites.up[site])) / np.sqrt(_dot(normal, normal))
    plane_angle = np.arcsin(np.clip(plane_sine, 0.0, 1.0))
    cone = np.arccos(sites.visibility_cone_cos(site, grid.apogee_km[sat]))
    margin = _EARTH_ROTATION_RAD_S * grid.step_s + _PLANE_MARGIN_RAD
    return np.asarray(plane_angle - margin <= cone)


def _elevation_slope(grid: _Grid, sites: _Sites, sat: IntArray, site: IntArray, k: IntArray) -> FloatArray:
    """The sign of d(elevation)/dt at grid samples (exact SGP4 states): (v.u)|r|² - (r.u)(r.v)."""
    rho = grid.position_km[sat, k] - sites.position_km[site]
    velocity = grid.velocity_km_s[sat, k]
    return np.asarray(
        _dot(velocity, sites.up[site]) * _dot(rho, rho) - _dot(rho, sites.up[site]) * _dot(rho, velocity)
    )


def _walk_to_maximum(
    grid: _Grid, sites: _Sites, sat: IntArray, site: IntArray, interval: IntArray
) -> tuple[IntArray, BoolArray]:
    """Move each interval towards rising elevation until elevation turns down inside it.

    Usually the first guess holds; eccentric orbits, whose elevation and up-distance peak apart, walk.
    """
    interval = interval.copy()
    bracketed = np.zeros(sat.size, dtype=bool)
    todo = np.arange(sat.size)
    last = grid.times_s.size - 3
    for _ in range(_MAX_WALK_STEPS):
        if todo.size == 0:
            break
        j = interval[todo]
        slope_start = _elevation_slope(grid, sites, sat[todo], site[todo], j)
        slope_end = _elevation_slope(grid, sites, sat[todo], site[todo], j + 1)
        turned = (slope_start > 0.0) & (slope_end <= 0.0)
        bracketed[todo[turned]] = True
        move = np.where(slope_end > 0.0, 1, np.where(slope_start <= 0.0, -1, 0))
        moved = j + move
        can = ~turned & (move != 0) & (moved >= 1) & (moved <= last)
        interval[todo[can]] = moved[can]
        todo = todo[can]
    return interval, bracketed


def _refine_crossings(interpolant: _Interpolant, rows: IntArray, rising: BoolArray) -> FloatArray:
    n = rows.size
    evaluate = _crossing_function(interpolant, rows)
    f_low, _ = evaluate(np.zeros(n), None)
    f_high, _ = evaluate(np.ones(n), None)
    s = _solve(evaluate, np.zeros(n), np.ones(n), f_low, f_high, interpolant.step_s)
    # Where SGP4 failed near the crossing the interpolant is NaN: keep the visible sample.
    return np.where(interpolant.valid[rows], s, np.where(rising, 1.0, 0.0))


def _refine_maxima(
    interpolant: _Interpolant, rows: IntArray, bracketed: BoolArray
) -> tuple[FloatArray, FloatArray]:
    """Time (fraction s) of maximum elevation in each row's interval, and sin(elevation) there.

    The first guess is the maximum of the up-distance (a root of a degree-6 polynomial, cheap): on
    near-circular orbits it is within a second or so of the elevation maximum, which Newton then
    reaches in a step or two.
    """
    n = rows.size
    evaluate, f_low, f_high = _maximum_function(interpolant, rows)
    up = interpolant.up[:, rows]
    up_slope = _poly_derivative(up)
    slope_start, slope_end = up_slope[0], np.sum(up_slope, axis=0)
    turns = (slope_start > 0.0) & (slope_end <= 0.0)
    guess = np.full(n, np.nan)
    index = np.flatnonzero(turns)
    if index.size:
        slope_of = up_slope[:, index]
        guess[index] = _solve(
            lambda s, active: _poly_eval(slope_of if active is None else slope_of[:, active], s),
            np.zeros(index.size), np.ones(index.size), slope_start[index], slope_end[index],
            interpolant.step_s / 10.0,  # a coarse guess is all Newton on the real function needs
        )  # fmt: skip
    s = _solve(evaluate, np.zeros(n), np.ones(n), f_low, f_high, interpolant.step_s, guess)
    # Elevation curves that do not turn down inside (irregular, or cut by SGP4 failures) keep the
    # higher end of the interval.
    s = np.where(bracketed & (f_low > 0.0) & (f_high <= 0.0), s, np.where(f_low > 0.0, 1.0, 0.0))
    return s, interpolant.sine_elevation(s, rows)


def _refine_short_passes(
    interpolant: _Interpolant, rows: IntArray, peak_s: FloatArray
) -> tuple[FloatArray, FloatArray]:
    n = rows.size
    evaluate = _crossing_function(interpolant, np.r_[rows, rows])
    low = np.r_[np.zeros(n), peak_s]
    high = np.r_[peak_s, np.ones(n)]
    f_low, _ = evaluate(low, None)
    f_high, _ = evaluate(high, None)
    s = _solve(evaluate, low, high, f_low, f_high, interpolant.step_s)
    return s[:n], s[n:]


def _assemble(
    grid: _Grid,
    sites: _Sites,
    window: _Window,
    visible_first: BoolArray,
    events: tuple[IntArray, FloatArray, BoolArray, FloatArray, FloatArray],
    maxima: tuple[IntArray, FloatArray, FloatArray, FloatArray],
) -> _Found:
    """Pair rises and sets (they alternate per satellite and site, in time order) into passes, clip
    them to the window, and take each pass's highest maximum (or cut end) as its TCA."""
    n_sites = len(sites)
    pair, time_s, up, azimuth, elevation = events
    initial = visible_first.ravel()
    # Events come sorted by (pair, time). Drop any that would not alternate (a crossing found twice),
    # so a pair's events go rise, set, rise... after its state at the first searched sample.
    first = _run_starts(pair)
    previous_up = np.zeros(up.size, dtype=bool)
    previous_up[1:] = up[:-1]
    keep = np.where(first, up != initial[pair], up != previous_up)
    pair, time_s, up, azimuth, elevation = pair[keep], time_s[keep], up[keep], azimuth[keep], elevation[keep]
    # A pair up at the first searched sample opens at -inf; one still up after its last event at +inf.
    last = _run_starts(pair[::-1])[::-1]
    silent = np.setdiff1d(np.flatnonzero(initial), pair, assume_unique=False)
    opened = np.flatnonzero(initial)
    closed = np.union1d(pair[last & up], silent)
    rises, sets = np.flatnonzero(up), np.flatnonzero(~up)
    at = np.searchsorted(pair[rises], opened, side="left")
    start_pair = np.insert(pair[rises], at, opened)
    aos_s = np.insert(time_s[rises], at, -np.inf)
    aos_az = np.insert(azimuth[rises], at, np.nan)
    aos_el = np.insert(elevation[rises], at, np.nan)
    at = np.searchsorted(pair[sets], closed, side="right")
    stop_pair = np.insert(pair[sets], at, closed)
    los_s = np.insert(time_s[sets], at, np.inf)
    los_az = np.insert(azimuth[sets], at, np.nan)
    los_el = np.insert(elevation[sets], at, np.nan)
    if stop_pair.size != start_pair.size or np.any(stop_pair != start_pair):
        raise AssertionError("internal: rises and sets do not pair up")

    inside = (los_s > window.start_s) & (aos_s < window.end_s)
    pass_pair, aos_s, aos_az, aos_el = start_pair[inside], aos_s[inside], aos_az[inside], aos_el[inside]
    los_s, los_az, los_el = los_s[inside], los_az[inside], los_el[inside]
    if pass_pair.size == 0:
        return _Found.concatenate([])
    starts_before = aos_s <= window.start_s
    ends_after = los_s >= window.end_s
    aos_s = np.maximum(aos_s, window.start_s)
    los_s = np.minimum(los_s, window.end_s)
    for clipped, times, az, el in (
        (starts_before, aos_s, aos_az, aos_el),
        (ends_after, los_s, los_az, los_el),
    ):
        index = np.flatnonzero(clipped)
        az[index], el[index] = _look_at(grid, sites, pass_pair[index] // n_sites, pass_pair[index] % n_sites,
                                        times[index])  # fmt: skip

    # TCA: the highest maximum inside the pass, else the higher end (passes cut by the window).
    peak_pair, peak_time, peak_az, peak_el = maxima
    base = grid.times_s[0]
    span = grid.times_s[-1] - base + 1.0  # one float key orders by (pair, time)
    aos_key = pass_pair * span + (aos_s - base)
    peak_key = peak_pair * span + (peak_time - base)
    order = np.argsort(peak_key, kind="stable")
    peak_key, peak_time, peak_az, peak_el = peak_key[order], peak_time[order], peak_az[order], peak_el[order]
    owner = np.searchsorted(aos_key, peak_key, side="right") - 1
    owned = (owner >= 0) & (
        peak_key <= pass_pair[np.maximum(owner, 0)] * span + (los_s[np.maximum(owner, 0)] - base)
    )
    owned &= np.isfinite(peak_el)
    owned_index = np.flatnonzero(owned)
    best_el = np.where(aos_el >= los_el, aos_el, los_el)
    best_time = np.where(aos_el >= los_el, aos_s, los_s)
    best_az = np.where(aos_el >= los_el, aos_az, los_az)
    if owned_index.size:
        # Owned maxima come grouped by owner (both sorted by key): the first highest of each group.
        owners = owner[owned_index]
        starts = np.flatnonzero(np.r_[True, owners[1:] != owners[:-1]])
        group_max = np.maximum.reduceat(peak_el[owned_index], starts)
        group = np.repeat(np.arange(starts.size), np.diff(np.r_[starts, owners.size]))
        is_max = peak_el[owned_index] == group_max[group]
        first = np.full(starts.size, owners.size)
        np.minimum.at(first, group[is_max], np.flatnonzero(is_max))
        chosen = owned_index[first]
        target = owners[starts]
        better = group_max > np.nan_to_num(best_el[target], nan=-np.inf)
        target, chosen = target[better], chosen[better]
        best_el[target], best_time[target], best_az[target] = (
            peak_el[chosen],
            peak_time[chosen],
            peak_az[chosen],
        )
    keep = np.flatnonzero(np.isfinite(best_el) & np.isfinite(aos_az) & np.isfinite(los_az))  # SGP4 failures
    return _Found(
        sat=pass_pair[keep] // n_sites,
        site=pass_pair[keep] % n_sites,
        aos_s=aos_s[keep],
        tca_s=best_time[keep],
        los_s=los_s[keep],
        max_elevation_deg=best_el[keep],
        aos_azimuth_deg=aos_az[keep],
        tca_azimuth_deg=best_az[keep],
        los_azimuth_deg=los_az[keep],
        starts_before=starts_before[keep],
        ends_after=ends_after[keep],
    )


def _run_starts(values: IntArray) -> BoolArray:
    """True where a run of equal values begins."""
    starts = np.ones(values.size, dtype=bool)
    starts[1:] = values[1:] != values[:-1]
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
    interpolant = _Interpolant(grid, sites, sat, site, interval)
    return interpolant.look((time_s - interpolant.start_s) / grid.step_s, np.arange(sat.size))


def _apply_masks(grid: _Grid, sites: _Sites, window: _Window, found: _Found) -> _Found:
    """Trim passes found at each site's lowest mask elevation to where the mask is really cleared."""
    masked = np.array([sites.masks[site] is not None for site in found.site.tolist()], dtype=bool)
    if not np.any(masked):
        return found
    return _Found.concatenate(
        [_keep(found, ~masked), _mask_passes(grid, sites, window, _keep(found, masked))]
    )


def _keep(found: _Found, selection: BoolArray) -> _Found:
    return _Found(**{name: getattr(found, name)[selection] for name in found.__dataclass_fields__})


def _mask_passes(grid: _Grid, sites: _Sites, window: _Window, found: _Found) -> _Found:
    """Sample each pass every MASK_SAMPLE_S, find where elevation - mask(azimuth) changes sign, and
    bisect each change on the interpolant."""
    parts: list[_Found] = []
    for index in range(found.sat.size):
        site = int(found.site[index])
        mask = sites.masks[site]
        assert mask is not None
        threshold = _mask_threshold(mask, sites.horizon_deg)
        sat = np.array([found.sat[index]])
        site_a = np.array([site])
        aos, los = float(found.aos_s[index]), float(found.los_s[index])
        times = np.r_[np.arange(aos, los, MASK_SAMPLE_S), los]
        azimuth, elevation = _look_at(
            grid, sites, np.repeat(sat, times.size), np.repeat(site_a, times.size), times
        )
        clear = elevation - threshold(azimuth) >= 0.0
        if not np.any(clear):
            continue
        change = np.flatnonzero(clear[1:] != clear[:-1])
        low, high = times[change], times[change + 1]
        for _ in range(math.ceil(math.log2(MASK_SAMPLE_S / ROOT_TOLERANCE_S)) + 1):
            mid = 0.5 * (low + high)
            az, el = _look_at(grid, sites, np.repeat(sat, mid.size), np.repeat(site_a, mid.size), mid)
            same = (el - threshold(az) >= 0.0) == clear[change]
            low, high = np.where(same, mid, low), np.where(same, high, mid)
        edges = 0.5 * (low + high)
        rises = np.r_[times[0] if clear[0] else np.array([]), edges[~clear[change]]]
        sets = np.r_[edges[clear[change]], times[-1] if clear[-1] else np.array([])]
        for rise, set_ in zip(rises.tolist(), sets.tolist(), strict=True):
            inside = (times >= rise) & (times <= set_)
            candidates = np.r_[rise, times[inside], set_]
            if found.tca_s[index] > rise and found.tca_s[index] < set_:
                candidates = np.r_[candidates, found.tca_s[index]]
            az, el = _look_at(
                grid, sites, np.repeat(sat, candidates.size), np.repeat(site_a, candidates.size), candidates
            )
            best = int(np.argmax(el))
            parts.append(
                _Found(
                    sat=sat,
                    site=site_a,
                    aos_s=np.array([rise]),
                    tca_s=candidates[best : best + 1],
                    los_s=np.array([set_]),
                    max_elevation_deg=el[best : best + 1],
                    aos_azimuth_deg=az[:1],
                    tca_azimuth_deg=az[best : best + 1],
                    los_azimuth_deg=az[1 + int(inside.sum()) :][:1],
                    starts_before=np.array([bool(found.starts_before[index]) and rise == aos]),
                    ends_after=np.array([bool(found.ends_after[index]) and set_ == los]),
                )
            )
    return _Found.concatenate(parts)


def _mask_threshold(mask: HorizonMask, horizon_deg: float) -> Callable[[FloatArray], FloatArray]:
    return lambda azimuth: np.maximum(mask.elevation_deg(azimuth), horizon_deg)
