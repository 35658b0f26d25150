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
_CHUNK_SATELLITES = 1024
# Above this decay rate SGP4's own velocities would cost the interpolant more than a couple of metres.
_DECAY_RATE_LIMIT_KM_S = 1e-5
_DIFFERENCE_STEP_S = 0.5
ROOT_TOLERANCE_S = 1e-3
_MAX_ITERATIONS = 60
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
            for first in range(0, members.size, _CHUNK_SATELLITES):
                chunk = members[first : first + _CHUNK_SATELLITES]
                grid = _Grid.build(propagator, chunk, window, float(step))
                errors.extend(
                    errors_from_codes([propagator.elements[i] for i in chunk], grid.times_s, grid.codes)
                )
                found.append(_passes_in_grid(grid, sites, window, chunk))
    table = _Found.concatenate(found).table(propagator.elements, names, min_elevation_deg)
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

    def visibility_cone_cos(self, site: int, apogee_km: FloatArray) -> FloatArray:
        """cos of the largest angle between a satellite's position and the location's up vector at
        which it can reach the threshold (a necessary condition, valid on the ellipsoid)."""
        sin_e = self.sin_threshold[site]
        reach = self.up_offset_km[site] - self.radius_km[site] * abs(sin_e)
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
    nodes: FloatArray  # (n * T, 6): position and velocity x step, the interpolation data

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
        nodes = np.concatenate((position, velocity * step_s), axis=-1).reshape(-1, 6)
        return cls(times_s, step_s, position, velocity, states.valid, states.error_code, apogee, nodes)

    def inertial_velocity(self, sat: IntArray, k: IntArray) -> FloatArray:
        """TEME velocity expressed in Earth-fixed axes (adds back Earth's rotation)."""
        position = self.position_km[sat, k]
        spin = np.stack((-position[:, 1], position[:, 0], np.zeros(sat.size)), axis=1)
        return np.asarray(self.velocity_km_s[sat, k] + _EARTH_ROTATION_RAD_S * spin)


def _hermite_inverse() -> FloatArray:
    """Maps values and slopes at nodes -1, 0, 1, 2 to the power coefficients of the degree-7 Hermite."""
    nodes = np.array([-1.0, 0.0, 1.0, 2.0])
    powers = np.arange(8)
    values = nodes[:, None] ** powers[None, :]
    slopes = powers[None, :] * nodes[:, None] ** np.maximum(powers - 1, 0)[None, :]
    return np.asarray(np.linalg.inv(np.vstack((values, slopes))))


_HERMITE_INVERSE = _hermite_inverse()


# Polynomials are arrays (degree + 1, rows): coefficient of s**m in row m, one column per problem.
def _poly_eval(coefficients: FloatArray, s: FloatArray) -> tuple[FloatArray, FloatArray]:
    value = coefficients[-1].copy()
    slope = np.zeros_like(value)
    for m in range(coefficients.shape[0] - 2, -1, -1):
        slope = slope * s + value
        value = value * s + coefficients[m]
    return value, slope


def _poly_mul(a: FloatArray, b: FloatArray) -> FloatArray:
    out = np.zeros((a.shape[0] + b.shape[0] - 1, a.shape[1]))
    for i in range(a.shape[0]):
        out[i : i + b.shape[0]] += a[i] * b
    return out


def _poly_derivative(coefficients: FloatArray) -> FloatArray:
    return np.asarray(coefficients[1:] * np.arange(1, coefficients.shape[0])[:, None])


@dataclass(frozen=True, eq=False)
class _Rows:
    """Problems inside one grid interval [t_j, t_j + step] of one satellite, seen from one site."""

    sat: IntArray
    site: IntArray
    interval: IntArray

    @classmethod
    def concatenate(cls, parts: Sequence[_Rows]) -> _Rows:
        if not parts:
            empty = np.zeros(0, dtype=np.intp)
            return cls(empty, empty.copy(), empty.copy())
        return cls(
            np.concatenate([p.sat for p in parts]),
            np.concatenate([p.site for p in parts]),
            np.concatenate([p.interval for p in parts]),
        )


class _Interpolant:
    """East, north, up of the satellite from the site over each row's interval, as polynomials in
    s = (t - t_j) / step, s in [0, 1]."""

    def __init__(self, grid: _Grid, sites: _Sites, rows: _Rows) -> None:
        count = rows.sat.size
        nodes = (rows.sat * grid.times_s.size + rows.interval)[:, None] + np.arange(-1, 3)[None, :]
        gathered = np.take(grid.nodes, nodes, axis=0)  # (r, 4, 6): position, velocity x step
        gathered[:, :, :3] -= sites.position_km[rows.site][:, None, :]
        data = gathered.reshape(count, 4, 2, 3).transpose(0, 2, 1, 3).reshape(count, 8, 3)
        enu = np.matmul(data, sites.basis[rows.site].transpose(0, 2, 1))  # (r, 8, 3)
        coefficients = (_HERMITE_INVERSE @ enu.transpose(1, 0, 2).reshape(8, 3 * count)).reshape(8, count, 3)
        self.east, self.north, self.up = np.ascontiguousarray(coefficients.transpose(2, 0, 1))
        self.valid = np.all(np.take(grid.valid.ravel(), nodes), axis=1)
        self.step_s = grid.step_s
        self.start_s = grid.times_s[rows.interval]
        self.sin_threshold = sites.sin_threshold[rows.site]

    def range_squared(self, rows: IntArray) -> FloatArray:
        e, n, u = self.east[:, rows], self.north[:, rows], self.up[:, rows]
        return _poly_mul(e, e) + _poly_mul(n, n) + _poly_mul(u, u)

    def look(self, s: FloatArray, rows: IntArray) -> tuple[FloatArray, FloatArray]:
        """Azimuth and elevation (deg) at fraction s of each row's interval."""
        e, _ = _poly_eval(self.east[:, rows], s)
        n, _ = _poly_eval(self.north[:, rows], s)
        u, _ = _poly_eval(self.up[:, rows], s)
        azimuth = np.degrees(np.arctan2(e, n)) % 360.0
        elevation = np.degrees(np.arctan2(u, np.hypot(e, n)))
        return azimuth, elevation

    def sine_elevation(self, s: FloatArray, rows: IntArray) -> FloatArray:
        u, _ = _poly_eval(self.up[:, rows], s)
        q, _ = _poly_eval(self.range_squared(rows), s)
        return np.asarray(u / np.sqrt(q))


class _Function:
    """f and df/ds over rows of an interpolant: f = 0 at a threshold crossing or at a maximum."""

    def __init__(self, evaluate: Callable[[FloatArray, IntArray], tuple[FloatArray, FloatArray]]) -> None:
        self.evaluate = evaluate

    @classmethod
    def crossing(cls, interpolant: _Interpolant, rows: IntArray) -> _Function:
        """up - range * sin(threshold): zero where elevation equals the threshold."""
        up = interpolant.up[:, rows]
        sin_e = interpolant.sin_threshold[rows]
        if not np.any(sin_e):
            return cls(lambda s, active: _poly_eval(up[:, active], s))
        range2 = interpolant.range_squared(rows)

        def evaluate(s: FloatArray, active: IntArray) -> tuple[FloatArray, FloatArray]:
            u, du = _poly_eval(up[:, active], s)
            q, dq = _poly_eval(range2[:, active], s)
            root = np.sqrt(q)
            return u - sin_e[active] * root, du - sin_e[active] * dq / (2.0 * root)

        return cls(evaluate)

    @classmethod
    def maximum(cls, interpolant: _Interpolant, rows: IntArray) -> _Function:
        """2 up' |r|² - up (|r|²)': the sign of d(sin elevation)/dt, zero at a maximum."""
        up = interpolant.up[:, rows]
        range2 = interpolant.range_squared(rows)
        numerator = 2.0 * _poly_mul(_poly_derivative(up), range2) - _poly_mul(up, _poly_derivative(range2))
        return cls(lambda s, active: _poly_eval(numerator[:, active], s))


def _solve(
    function: _Function,
    low: FloatArray,
    high: FloatArray,
    f_low: FloatArray,
    f_high: FloatArray,
    step_s: float,
) -> FloatArray:
    """Roots in [low, high] (fractions of an interval) where f changes sign, to ROOT_TOLERANCE_S.

    Newton's step when it stays inside the shrinking bracket, bisection otherwise.
    """
    low, high = low.copy(), high.copy()
    sign_low = np.sign(f_low)
    with np.errstate(divide="ignore", invalid="ignore"):
        x = np.where(
            np.isfinite(f_low) & np.isfinite(f_high) & (f_low != f_high),
            low + (high - low) * f_low / (f_low - f_high),
            0.5 * (low + high),
        )
    x = np.clip(x, low, high)
    active = np.flatnonzero(np.isfinite(x))
    tolerance = ROOT_TOLERANCE_S / step_s
    for _ in range(_MAX_ITERATIONS):
        if active.size == 0:
            break
        xa = x[active]
        value, slope = function.evaluate(xa, active)
        lo, hi = low[active], high[active]
        same = np.sign(value) == sign_low[active]
        lo = np.where(same, xa, lo)
        hi = np.where(same, hi, xa)
        with np.errstate(divide="ignore", invalid="ignore"):
            newton = xa - value / slope
        inside = np.isfinite(newton) & (newton > lo) & (newton < hi)
        nxt = np.where(inside, newton, 0.5 * (lo + hi))
        exact = value == 0.0
        done = exact | (inside & (np.abs(nxt - xa) < tolerance)) | (hi - lo < tolerance) | ~np.isfinite(value)
        low[active], high[active] = lo, hi
        x[active] = np.where(exact, xa, nxt)
        active = active[~done]
    return x


@dataclass(frozen=True, eq=False)
class _Events:
    """Points found in one chunk: satellite (chunk-local), site, time, azimuth and elevation."""

    sat: IntArray
    site: IntArray
    time_s: FloatArray
    azimuth_deg: FloatArray
    elevation_deg: FloatArray

    def select(self, index: IntArray | BoolArray) -> _Events:
        return _Events(
            self.sat[index],
            self.site[index],
            self.time_s[index],
            self.azimuth_deg[index],
            self.elevation_deg[index],
        )

    @classmethod
    def concatenate(cls, parts: Sequence[_Events]) -> _Events:
        return cls(
            *(
                np.concatenate([getattr(p, f) for p in parts])
                for f in ("sat", "site", "time_s", "azimuth_deg", "elevation_deg")
            )
        )


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
        order = keep[np.lexsort((self.sat[keep], self.site[keep], self.aos_s[keep]))]
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


def _passes_in_grid(grid: _Grid, sites: _Sites, window: _Window, chunk: IntArray) -> _Found:
    """All passes of one chunk's satellites over all sites."""
    count = grid.times_s.size
    crossings: list[_Rows] = []
    rising_parts: list[BoolArray] = []
    peaks: list[_Rows] = []
    hidden_parts: list[BoolArray] = []
    initially_visible = np.zeros((chunk.size, len(sites)), dtype=bool)
    radius2 = np.einsum("ntk,ntk->nt", grid.position_km, grid.position_km)
    for site in range(len(sites)):
        # sin(elevation) - sin(threshold) at every sample; |r - s|^2 = |r|^2 - 2 r.s + |s|^2.
        range_km = np.sqrt(
            radius2 - 2.0 * (grid.position_km @ sites.position_km[site]) + sites.radius_km[site] ** 2
        )
        level = (
            grid.position_km @ sites.up[site] - sites.up_offset_km[site]
        ) / range_km - sites.sin_threshold[site]
        level[~grid.valid] = -np.inf
        visible = level >= 0.0
        initially_visible[:, site] = visible[:, 1]
        # Crossings: intervals [j, j+1] for j = 1 .. count-3 (each has nodes j-1 .. j+2).
        sat_c, j_c = np.nonzero(visible[:, 1 : count - 2] != visible[:, 2 : count - 1])
        j_c = j_c + 1
        crossings.append(_Rows(sat_c, np.full(sat_c.size, site, dtype=np.intp), j_c))
        rising_parts.append(visible[sat_c, j_c + 1])
        # Discrete maxima at samples k = 2 .. count-3; the true one lies within a step of them.
        middle = level[:, 2 : count - 2]
        is_peak = (
            (middle >= level[:, 1 : count - 3]) & (middle > level[:, 3 : count - 1]) & np.isfinite(middle)
        )
        sat_p, k_p = np.nonzero(is_peak)
        k_p = k_p + 2
        hidden = level[sat_p, k_p] < 0.0
        candidate = ~hidden
        candidate[hidden] = _may_hide_pass(grid, sites, site, sat_p[hidden], k_p[hidden])
        peaks.append(
            _Rows(sat_p[candidate], np.full(int(candidate.sum()), site, dtype=np.intp), k_p[candidate])
        )
        hidden_parts.append(hidden[candidate])

    crossing_rows = _Rows.concatenate(crossings)
    rising = np.concatenate(rising_parts)
    peak_rows, peak_ok = _peak_intervals(grid, sites, _Rows.concatenate(peaks))
    hidden = np.concatenate(hidden_parts)
    n_cross = crossing_rows.sat.size
    rows = _Rows.concatenate([crossing_rows, peak_rows])
    interpolant = _Interpolant(grid, sites, rows)

    cross_events = _refine_crossings(interpolant, rows, np.arange(n_cross), rising)
    peak_index = n_cross + np.arange(peak_rows.sat.size)
    peak_events, peak_s = _refine_maxima(interpolant, rows, peak_index, peak_ok)
    # A hidden maximum above the threshold is a pass shorter than a step: two more crossings.
    short = hidden & (peak_events.elevation_deg >= np.degrees(np.arcsin(sites.sin_threshold[peak_rows.site])))
    short_rises, short_sets = _refine_short_passes(interpolant, rows, peak_index[short], peak_s[short])

    events = _Events.concatenate([cross_events, short_rises, short_sets])
    event_rising = np.r_[
        rising, np.ones(short_rises.sat.size, dtype=bool), np.zeros(short_sets.sat.size, dtype=bool)
    ]
    maxima = peak_events.select(~hidden | short)
    found = _assemble(grid, sites, window, initially_visible, events, event_rising, maxima)
    found = _apply_masks(grid, sites, window, found)
    return _Found(
        sat=chunk[found.sat],
        site=found.site,
        aos_s=found.aos_s,
        tca_s=found.tca_s,
        los_s=found.los_s,
        max_elevation_deg=found.max_elevation_deg,
        aos_azimuth_deg=found.aos_azimuth_deg,
        tca_azimuth_deg=found.tca_azimuth_deg,
        los_azimuth_deg=found.los_azimuth_deg,
        starts_before=found.starts_before,
        ends_after=found.ends_after,
    )


def _may_hide_pass(grid: _Grid, sites: _Sites, site: int, sat: IntArray, k: IntArray) -> BoolArray:
    """Necessary condition for a pass within a step of sample k: the location's up vector lies near
    enough to the orbit plane (the angle to the plane bounds the angle to any point of the orbit)."""
    if sat.size == 0:
        return np.zeros(0, dtype=bool)
    normal = np.cross(grid.position_km[sat, k], grid.inertial_velocity(sat, k))
    normal /= np.linalg.norm(normal, axis=1, keepdims=True)
    plane_angle = np.arcsin(np.clip(np.abs(normal @ sites.up[site]), 0.0, 1.0))
    cone = np.arccos(sites.visibility_cone_cos(site, grid.apogee_km[sat]))
    margin = _EARTH_ROTATION_RAD_S * grid.step_s + _PLANE_MARGIN_RAD
    return np.asarray(plane_angle - margin <= cone)


def _elevation_slope(grid: _Grid, sites: _Sites, sat: IntArray, site: IntArray, k: IntArray) -> FloatArray:
    """Sign-carrying d(sin elevation)/dt at grid samples, from the exact SGP4 states."""
    rho = grid.position_km[sat, k] - sites.position_km[site]
    velocity = grid.velocity_km_s[sat, k]
    up = sites.up[site]
    range2 = np.einsum("ij,ij->i", rho, rho)
    return np.asarray(
        np.einsum("ij,ij->i", velocity, up) * range2
        - np.einsum("ij,ij->i", rho, up) * np.einsum("ij,ij->i", rho, velocity)
    )


def _peak_intervals(grid: _Grid, sites: _Sites, peaks: _Rows) -> tuple[_Rows, BoolArray]:
    """The half of [t_k-1, t_k+1] where elevation turns down, and whether it does (else keep t_k)."""
    k = peaks.interval
    before = _elevation_slope(grid, sites, peaks.sat, peaks.site, k - 1)
    at = _elevation_slope(grid, sites, peaks.sat, peaks.site, k)
    after = _elevation_slope(grid, sites, peaks.sat, peaks.site, k + 1)
    rising = at >= 0.0
    interval = np.where(rising, k, k - 1)
    ok = np.where(rising, after <= 0.0, before > 0.0) & np.isfinite(at)
    return _Rows(peaks.sat, peaks.site, interval), ok


def _refine_crossings(interpolant: _Interpolant, rows: _Rows, index: IntArray, rising: BoolArray) -> _Events:
    n = index.size
    function = _Function.crossing(interpolant, index)
    every = np.arange(n)
    f_low, _ = function.evaluate(np.zeros(n), every)
    f_high, _ = function.evaluate(np.ones(n), every)
    s = _solve(function, np.zeros(n), np.ones(n), f_low, f_high, interpolant.step_s)
    # Where SGP4 failed near the crossing the interpolant is NaN: keep the visible sample.
    s = np.where(interpolant.valid[index], s, np.where(rising, 1.0, 0.0))
    return _events_at(interpolant, rows, index, s)


def _refine_maxima(
    interpolant: _Interpolant, rows: _Rows, index: IntArray, ok: BoolArray
) -> tuple[_Events, FloatArray]:
    n = index.size
    function = _Function.maximum(interpolant, index)
    every = np.arange(n)
    f_low, _ = function.evaluate(np.zeros(n), every)
    f_high, _ = function.evaluate(np.ones(n), every)
    bracketed = ok & (f_low > 0.0) & (f_high <= 0.0)
    s = _solve(function, np.zeros(n), np.ones(n), f_low, f_high, interpolant.step_s)
    # Irregular elevation curves (no turn inside) keep the higher end of the interval.
    s = np.where(bracketed, s, np.where(f_low > 0.0, 1.0, 0.0))
    return _events_at(interpolant, rows, index, s), s


def _refine_short_passes(
    interpolant: _Interpolant, rows: _Rows, index: IntArray, peak_s: FloatArray
) -> tuple[_Events, _Events]:
    n = index.size
    both = np.r_[index, index]
    function = _Function.crossing(interpolant, both)
    low = np.r_[np.zeros(n), peak_s]
    high = np.r_[peak_s, np.ones(n)]
    every = np.arange(2 * n)
    f_low, _ = function.evaluate(low, every)
    f_high, _ = function.evaluate(high, every)
    s = _solve(function, low, high, f_low, f_high, interpolant.step_s)
    events = _events_at(interpolant, rows, both, s)
    return events.select(np.arange(n)), events.select(n + np.arange(n))


def _events_at(interpolant: _Interpolant, rows: _Rows, index: IntArray, s: FloatArray) -> _Events:
    azimuth, elevation = interpolant.look(s, index)
    return _Events(
        rows.sat[index],
        rows.site[index],
        interpolant.start_s[index] + s * interpolant.step_s,
        azimuth,
        elevation,
    )


def _run_starts(values: IntArray) -> BoolArray:
    """True where a run of equal values begins."""
    starts = np.ones(values.size, dtype=bool)
    starts[1:] = values[1:] != values[:-1]
    return starts


def _assemble(
    grid: _Grid,
    sites: _Sites,
    window: _Window,
    initially_visible: BoolArray,
    events: _Events,
    rising: BoolArray,
    maxima: _Events,
) -> _Found:
    """Pair crossings into passes per (satellite, site), clip them to the window, pick TCA."""
    n_sites = len(sites)
    open_pairs = np.flatnonzero(initially_visible.ravel())
    nan = np.full(open_pairs.size, np.nan)
    pair = np.r_[open_pairs, events.sat * n_sites + events.site]
    time_s = np.r_[np.full(open_pairs.size, -np.inf), events.time_s]
    azimuth = np.r_[nan, events.azimuth_deg]
    elevation = np.r_[nan, events.elevation_deg]
    up = np.r_[np.ones(open_pairs.size, dtype=bool), rising]
    order = np.lexsort((time_s, pair))
    pair, time_s, azimuth, elevation, up = (
        pair[order],
        time_s[order],
        azimuth[order],
        elevation[order],
        up[order],
    )
    # Keep the first of any run of equal directions (a crossing found twice), so rises and sets
    # alternate; a pair's first event must be a rise (one visible at the start opened at -inf).
    first = _run_starts(pair)
    previous_up = np.zeros(up.size, dtype=bool)
    previous_up[1:] = up[:-1]
    keep = np.where(first, up, up != previous_up)
    pair, time_s, azimuth, elevation, up = pair[keep], time_s[keep], azimuth[keep], elevation[keep], up[keep]
    # Close passes still open after the last event.
    last = _run_starts(pair[::-1])[::-1]
    still_open = np.flatnonzero(last & up)
    closing = np.full(still_open.size, np.nan)
    pair = np.r_[pair, pair[still_open]]
    time_s = np.r_[time_s, np.full(still_open.size, np.inf)]
    azimuth, elevation = np.r_[azimuth, closing], np.r_[elevation, closing]
    up = np.r_[up, np.zeros(still_open.size, dtype=bool)]
    order = np.lexsort((time_s, pair))
    pair, time_s, azimuth, elevation, up = (
        pair[order],
        time_s[order],
        azimuth[order],
        elevation[order],
        up[order],
    )

    pass_pair = pair[up]
    aos_s, aos_az, aos_el = time_s[up], azimuth[up], elevation[up]
    los_s, los_az, los_el = time_s[~up], azimuth[~up], elevation[~up]
    inside = (los_s > window.start_s) & (aos_s < window.end_s)
    pass_pair, aos_s, aos_az, aos_el = pass_pair[inside], aos_s[inside], aos_az[inside], aos_el[inside]
    los_s, los_az, los_el = los_s[inside], los_az[inside], los_el[inside]
    starts_before = aos_s <= window.start_s
    ends_after = los_s >= window.end_s
    aos_s = np.maximum(aos_s, window.start_s)
    los_s = np.minimum(los_s, window.end_s)
    for clipped, times, az, el in (
        (starts_before, aos_s, aos_az, aos_el),
        (ends_after, los_s, los_az, los_el),
    ):
        index = np.flatnonzero(clipped)
        az[index], el[index] = _look_at(
            grid, sites, pass_pair[index] // n_sites, pass_pair[index] % n_sites, times[index]
        )

    if pass_pair.size == 0:
        return _Found.concatenate([])
    # TCA: the highest maximum inside the pass, else the higher end (passes cut by the window).
    candidate_pair = np.r_[maxima.sat * n_sites + maxima.site, pass_pair, pass_pair]
    candidate_time = np.r_[maxima.time_s, aos_s, los_s]
    candidate_az = np.r_[maxima.azimuth_deg, aos_az, los_az]
    candidate_el = np.r_[maxima.elevation_deg, aos_el, los_el]
    # One float key orders by (pair, time): times relative to the grid start are far below `span`.
    base = grid.times_s[0]
    span = grid.times_s[-1] - base + 1.0
    aos_key = pass_pair * span + (aos_s - base)  # pass_pair is sorted, and passes of a pair are disjoint
    los_key = pass_pair * span + (los_s - base)
    candidate_key = candidate_pair * span + (candidate_time - base)
    owner = np.searchsorted(aos_key, candidate_key, side="right") - 1
    owned = np.flatnonzero(
        (owner >= 0) & (candidate_key <= los_key[np.maximum(owner, 0)]) & np.isfinite(candidate_el)
    )
    owner = owner[owned]
    ranked = np.lexsort((-candidate_el[owned], owner))
    leaders = _run_starts(owner[ranked])
    best = np.full(pass_pair.size, -1, dtype=np.intp)
    best[owner[ranked][leaders]] = owned[ranked][leaders]
    keep_pass = np.flatnonzero((best >= 0) & np.isfinite(aos_az) & np.isfinite(los_az))  # SGP4 failures
    best = best[keep_pass]
    return _Found(
        sat=pass_pair[keep_pass] // n_sites,
        site=pass_pair[keep_pass] % n_sites,
        aos_s=aos_s[keep_pass],
        tca_s=candidate_time[best],
        los_s=los_s[keep_pass],
        max_elevation_deg=candidate_el[best],
        aos_azimuth_deg=aos_az[keep_pass],
        tca_azimuth_deg=candidate_az[best],
        los_azimuth_deg=los_az[keep_pass],
        starts_before=starts_before[keep_pass],
        ends_after=ends_after[keep_pass],
    )


def _look_at(
    grid: _Grid, sites: _Sites, sat: IntArray, site: IntArray, time_s: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """Azimuth and elevation at arbitrary times within the searched span (chunk-local satellites)."""
    if sat.size == 0:
        return np.zeros(0), np.zeros(0)
    interval = np.clip(
        np.floor((time_s - grid.times_s[0]) / grid.step_s).astype(np.intp), 1, grid.times_s.size - 3
    )
    interpolant = _Interpolant(grid, sites, _Rows(sat, site, interval))
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
