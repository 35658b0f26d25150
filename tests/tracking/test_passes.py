"""Pass prediction against Skyfield's find_events and against a brute-force exact-SGP4 reference."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from skyfield.api import EarthSatellite, load, wgs84

from tests.conftest import DATA
from tracking.element_io import read_elements
from tracking.elements import Elements
from tracking.geometry import GroundLocation, HorizonMask
from tracking.look import look_angles
from tracking.passes import Pass, find_passes
from tracking.propagation import Propagator, StateVectors

# The accuracy goals, checked against the exact reference below.
AOS_LOS_TOLERANCE_S = 0.1
TCA_TOLERANCE_S = 1.0
MAX_ELEVATION_TOLERANCE_DEG = 0.01
AZIMUTH_TOLERANCE_DEG = 0.05  # at AOS/LOS, 0.1 s of motion is well below this
# Skyfield finds its rises and sets to about half a second.
SKYFIELD_EVENT_TOLERANCE_S = 1.0
SKYFIELD_CULMINATION_TOLERANCE_S = 10.0
# The reference samples every REFERENCE_STEP_S, so it cannot see a pass shorter than that: such a
# pass peaks this low (LEO elevation curves by < 0.001 deg/s^2 near the horizon).
REFERENCE_STEP_S = 5.0
GRAZING_PASS_DEG = 0.01
MATCH_WINDOW_S = 60.0
FLAT_CULMINATION_DEG = 1e-6

FIXTURE = DATA / "passes-fixture-2026-08-22.csv"
START = datetime(2026, 8, 22, 18, tzinfo=UTC)
END = START + timedelta(days=1)
STATIONS = (
    GroundLocation("Delft", 52.0, 4.37, 12.0),
    GroundLocation("Svalbard", 78.23, 15.39, 450.0),
    GroundLocation("Singapore", 1.35, 103.82, 20.0),
    GroundLocation("Hobart", -42.88, 147.33, 0.0),
)


@pytest.fixture(scope="module")
def catalog() -> tuple[Elements, ...]:
    result = read_elements(FIXTURE)
    assert result.rejected == ()
    return result.elements


@dataclass(frozen=True)
class RefPass:
    norad_id: int
    station: str
    aos_s: float
    tca_s: float
    los_s: float
    max_elevation_deg: float
    aos_azimuth_deg: float
    los_azimuth_deg: float
    starts_before: bool
    ends_after: bool
    sharpness_deg: float  # how much lower elevation is TCA_TOLERANCE_S either side of TCA


Threshold = Callable[[np.ndarray], np.ndarray]


def _flat_threshold(elevation_deg: float) -> Threshold:
    return lambda azimuth: np.full(np.shape(azimuth), elevation_deg)


def _view(propagator: Propagator, location: GroundLocation, sat: np.ndarray, times: np.ndarray):
    """Exact SGP4 azimuth and elevation of satellite sat[k] at times[k]."""
    position, velocity, codes = propagator.propagate_pairs(sat, times)
    states = StateVectors(propagator.elements, times, position[None], velocity[None], codes[None])
    view = look_angles(states, location)
    return view.azimuth_deg[0], view.elevation_deg[0]


def reference_passes(
    elements: tuple[Elements, ...],
    location: GroundLocation,
    start: datetime,
    end: datetime,
    threshold: Threshold,
    step_s: float = REFERENCE_STEP_S,
) -> list[RefPass]:
    """Dense exact sampling, bisection of every sign change, golden-section search of every maximum."""
    propagator = Propagator(elements)
    start_s, end_s = start.timestamp(), end.timestamp()
    times = np.r_[np.arange(start_s, end_s, step_s), end_s]
    view = look_angles(propagator.propagate(times), location)
    result = []
    for index, element in enumerate(elements):
        el, az = view.elevation_deg[index], view.azimuth_deg[index]
        clear = np.isfinite(el) & (el - threshold(az) >= 0.0)
        change = np.flatnonzero(clear[1:] != clear[:-1])
        low, high = times[change], times[change + 1]
        sat = np.full(change.size, index)
        for _ in range(40):  # 5 s / 2**40: far below a microsecond
            mid = 0.5 * (low + high)
            a, e = _view(propagator, location, sat, mid)
            same = (np.isfinite(e) & (e - threshold(a) >= 0.0)) == clear[change]
            low, high = np.where(same, mid, low), np.where(same, high, mid)
        crossing = 0.5 * (low + high)
        rises = list(crossing[~clear[change]])
        sets = list(crossing[clear[change]])
        if clear[0]:
            rises.insert(0, start_s)
        if clear[-1]:
            sets.append(end_s)
        if not rises:
            continue
        aos, los = np.array(rises), np.array(sets)
        # Highest sample in each pass, then golden-section search within a step of it (clipped to the pass).
        peak = np.array(
            [
                times[(times >= a) & (times <= b)][np.argmax(el[(times >= a) & (times <= b)])]
                if np.any((times >= a) & (times <= b))
                else a
                for a, b in zip(aos, los, strict=True)
            ]
        )
        a_s, b_s = np.maximum(aos, peak - REFERENCE_STEP_S), np.minimum(los, peak + REFERENCE_STEP_S)
        ratio = (np.sqrt(5.0) - 1.0) / 2.0
        sat = np.full(aos.size, index)
        for _ in range(60):
            c, d = b_s - ratio * (b_s - a_s), a_s + ratio * (b_s - a_s)
            _, e = _view(propagator, location, np.r_[sat, sat], np.r_[c, d])
            left_higher = e[: aos.size] >= e[aos.size :]
            b_s, a_s = np.where(left_higher, d, b_s), np.where(left_higher, a_s, c)
        tca = 0.5 * (a_s + b_s)
        ends = np.stack((aos, tca, los), axis=1)
        a, e = _view(propagator, location, np.repeat(sat, 3), ends.ravel())
        a, e = a.reshape(-1, 3), e.reshape(-1, 3)
        best = np.argmax(e, axis=1)
        best_time = ends[np.arange(aos.size), best]
        _, around = _view(
            propagator,
            location,
            np.repeat(sat, 2),
            (best_time[:, None] + np.array([-1.0, 1.0]) * TCA_TOLERANCE_S).ravel(),
        )
        around = around.reshape(-1, 2).max(axis=1)
        for k in range(aos.size):
            top = float(e[k, best[k]])
            result.append(
                RefPass(
                    element.norad_id,
                    location.name,
                    float(aos[k]),
                    float(best_time[k]),
                    float(los[k]),
                    top,
                    float(a[k, 0]),
                    float(a[k, 2]),
                    bool(aos[k] == start_s),
                    bool(los[k] == end_s),
                    top - float(around[k]),
                )
            )
    return result


def _match(
    mine: list[Pass], reference: list[RefPass]
) -> tuple[list[tuple[Pass, RefPass]], list[Pass], list[RefPass]]:
    pairs, unmatched_ref = [], []
    free = list(mine)
    for ref in reference:
        near = [
            p
            for p in free
            if p.norad_id == ref.norad_id
            and p.station == ref.station
            and abs(p.aos.timestamp() - ref.aos_s) < MATCH_WINDOW_S
        ]
        if near:
            best = min(near, key=lambda p: abs(p.aos.timestamp() - ref.aos_s))
            free.remove(best)
            pairs.append((best, ref))
        else:
            unmatched_ref.append(ref)
    return pairs, free, unmatched_ref


def _angle_difference(a: float, b: float) -> float:
    return abs((a - b + 180.0) % 360.0 - 180.0)


def _check_against_reference(mine: list[Pass], reference: list[RefPass], shortest_s: float = 0.0) -> int:
    """Every pass matched within the tolerances; unmatched only if grazing (or, behind a mask, shorter
    than `shortest_s`: a clearance between samples that neither sampler is bound to see)."""
    pairs, invented, missed = _match(mine, reference)
    assert [
        p for p in invented if p.max_elevation_deg >= GRAZING_PASS_DEG and p.duration_s >= shortest_s
    ] == []
    assert [
        r for r in missed if r.max_elevation_deg >= GRAZING_PASS_DEG and r.los_s - r.aos_s >= shortest_s
    ] == []
    for p, r in pairs:
        where = f"{p.norad_id} {p.name} over {p.station} at {p.aos.isoformat()}"
        assert abs(p.aos.timestamp() - r.aos_s) < AOS_LOS_TOLERANCE_S, where
        assert abs(p.los.timestamp() - r.los_s) < AOS_LOS_TOLERANCE_S, where
        assert abs(p.max_elevation_deg - r.max_elevation_deg) < MAX_ELEVATION_TOLERANCE_DEG, where
        # A flat culmination (GEO) has no TCA to a second, and a pass cut by the window culminates at
        # the cut: there the elevation, checked above, is what counts.
        if r.sharpness_deg > FLAT_CULMINATION_DEG:
            assert abs(p.tca.timestamp() - r.tca_s) < TCA_TOLERANCE_S, where
        assert (p.starts_before_window, p.ends_after_window) == (r.starts_before, r.ends_after), where
        if not p.starts_before_window:
            assert _angle_difference(p.aos_azimuth_deg, r.aos_azimuth_deg) < AZIMUTH_TOLERANCE_DEG, where
        if not p.ends_after_window:
            assert _angle_difference(p.los_azimuth_deg, r.los_azimuth_deg) < AZIMUTH_TOLERANCE_DEG, where
    return len(pairs)


def test_passes_match_exact_reference(catalog):
    result = find_passes(catalog, STATIONS, START, END)
    checked = 0
    for station in STATIONS:
        reference = reference_passes(catalog, station, START, END, _flat_threshold(0.0))
        checked += _check_against_reference(
            [p for p in result.passes if p.station == station.name], reference
        )
    assert checked > 300
    assert [p.aos for p in result.passes] == sorted(p.aos for p in result.passes)
    # The fixture holds one object that decays during the day: reported, and no crash.
    assert [error.error_code for error in result.errors] != []


def test_passes_match_skyfield_find_events(catalog):
    timescale = load.timescale(builtin=True)
    t0, t1 = timescale.from_datetime(START), timescale.from_datetime(END)
    result = find_passes(catalog, STATIONS, START, END)
    compared = 0
    for station in STATIONS:
        observer = wgs84.latlon(station.latitude_deg, station.longitude_deg, elevation_m=station.altitude_m)
        mine = [p for p in result.passes if p.station == station.name]
        for element in catalog:
            satellite = EarthSatellite.from_satrec(element.to_satrec(), timescale)
            times, kinds = satellite.find_events(observer, t0, t1, altitude_degrees=0.0)
            seconds = np.array([t.timestamp() for t in times.utc_datetime()]) if len(times) else np.zeros(0)
            ours = [p for p in mine if p.norad_id == element.norad_id]
            aos = np.array([p.aos.timestamp() for p in ours if not p.starts_before_window])
            los = np.array([p.los.timestamp() for p in ours if not p.ends_after_window])
            tca = np.array(
                [p.tca.timestamp() for p in ours if not (p.starts_before_window or p.ends_after_window)]
            )
            for kind, found in ((0, aos), (2, los)):
                theirs = seconds[kinds == kind]
                if np.isnan(element.to_satrec().sgp4(*_jd(END))[1][0]):
                    theirs = theirs[:0]  # Skyfield's events after a decay are NaN-driven: not comparable
                # Nothing Skyfield finds is missing here...
                for t in theirs:
                    assert found.size > 0, (station.name, element.name)
                    assert np.min(np.abs(found - t)) < SKYFIELD_EVENT_TOLERANCE_S, (
                        station.name,
                        element.name,
                    )
                # ...and whatever we find beyond it is a grazing pass Skyfield's sampling stepped over.
                extra = [
                    p
                    for p in ours
                    if not any(
                        abs((p.aos if kind == 0 else p.los).timestamp() - t) < SKYFIELD_EVENT_TOLERANCE_S
                        for t in theirs
                    )
                    and not (p.starts_before_window if kind == 0 else p.ends_after_window)
                ]
                if not np.isnan(element.to_satrec().sgp4(*_jd(END))[1][0]):
                    assert all(p.max_elevation_deg < 0.1 for p in extra), (station.name, element.name, extra)
                compared += theirs.size
            for t in seconds[kinds == 1]:
                if tca.size and np.min(np.abs(tca - t)) < 600:
                    assert np.min(np.abs(tca - t)) < SKYFIELD_CULMINATION_TOLERANCE_S
    assert compared > 600


def _jd(moment: datetime) -> tuple[float, float]:
    from tracking.frames import julian_date_split

    whole, fraction = julian_date_split(np.array([moment.timestamp()]))
    return float(whole[0]), float(fraction[0])


def test_horizon_and_minimum_culmination(catalog):
    station = STATIONS[0]
    raised = find_passes(catalog, [station], START, END, horizon_deg=10.0)
    _check_against_reference(
        list(raised.passes), reference_passes(catalog, station, START, END, _flat_threshold(10.0))
    )
    base = find_passes(catalog, [station], START, END)
    culminating = find_passes(catalog, [station], START, END, min_elevation_deg=30.0)
    expected = [(p.norad_id, p.aos) for p in base.passes if p.max_elevation_deg >= 30.0]
    assert [(p.norad_id, p.aos) for p in culminating.passes] == expected
    assert 0 < len(expected) < len(base.passes)
    assert all(p.aos_azimuth_deg >= 0.0 for p in raised.passes)


def test_horizon_mask(catalog):
    station = STATIONS[0]
    mask = HorizonMask.from_points([(0.0, 5.0), (90.0, 25.0), (150.0, 2.0), (200.0, 15.0), (300.0, 8.0)])
    masked = find_passes(catalog, [station], START, END, horizon_deg=3.0, horizon_mask=mask)
    reference = reference_passes(
        catalog, station, START, END, lambda azimuth: np.maximum(mask.elevation_deg(azimuth), 3.0)
    )
    assert _check_against_reference(list(masked.passes), reference) > 40
    by_name = find_passes(catalog, STATIONS[:2], START, END, horizon_mask={station.name: mask})
    assert [p.aos for p in by_name.passes if p.station == station.name] == [
        p.aos for p in find_passes(catalog, [station], START, END, horizon_mask=mask).passes
    ]


# Masks in every shape: a 720-point skyline, and walls rising 39° within 0.1° of azimuth.
SKYLINE = HorizonMask.from_points(
    [(float(az), 4.0 + 9.0 * np.sin(np.radians(3.0 * az)) ** 2) for az in np.arange(0.0, 360.0, 0.5)]
)
WALLS = HorizonMask.from_points(
    [(0.0, 1.0), (59.9, 1.0), (60.0, 40.0), (80.0, 40.0), (80.1, 1.0), (200.0, 1.0), (200.1, 20.0),
     (240.0, 20.0), (240.1, 1.0)]
)  # fmt: skip
MASK_HORIZON_DEG = 2.0
# Both this engine and the reference sample masked passes every second: a clearance shorter than
# two samples may be seen by one and not the other.
MASK_REFERENCE_STEP_S = 1.0
SHORT_CLEARANCE_S = 2.0


def test_masks_per_station_match_reference_with_cut_passes(catalog):
    """All masked passes are sampled and bisected together: checked pass by pass against the dense
    exact reference with the same mask, in a window whose ends fall inside passes."""
    start, end = START + timedelta(minutes=7), END - timedelta(minutes=11)
    masks = {STATIONS[0].name: SKYLINE, STATIONS[2].name: WALLS}
    result = find_passes(
        catalog, STATIONS[:3], start, end, horizon_deg=MASK_HORIZON_DEG, horizon_mask=masks
    )
    flagged = 0
    for station in STATIONS[:3]:
        mask = masks.get(station.name)
        threshold = (
            _flat_threshold(MASK_HORIZON_DEG)
            if mask is None
            else lambda azimuth, mask=mask: np.maximum(mask.elevation_deg(azimuth), MASK_HORIZON_DEG)
        )
        reference = reference_passes(catalog, station, start, end, threshold, MASK_REFERENCE_STEP_S)
        mine = [p for p in result.passes if p.station == station.name]
        assert _check_against_reference(mine, reference, SHORT_CLEARANCE_S) > 20
        flagged += sum(p.starts_before_window or p.ends_after_window for p in mine)
    assert flagged > 0
    # The walls split passes: some satellite has two passes over Singapore less than 10 minutes apart.
    split = [
        (a, b)
        for a, b in itertools.pairwise(sorted(result.passes, key=lambda p: (p.station, p.norad_id, p.aos)))
        if a.station == b.station == STATIONS[2].name
        and a.norad_id == b.norad_id
        and (b.aos - a.los).total_seconds() < 600.0
    ]
    assert split


def test_flat_mask_is_a_horizon_and_a_mask_above_all_finds_nothing(catalog):
    level = HorizonMask.from_points([(0.0, 7.0), (180.0, 7.0)])
    masked = find_passes(catalog, STATIONS[:2], START, END, horizon_mask=level).passes
    flat = find_passes(catalog, STATIONS[:2], START, END, horizon_deg=7.0).passes
    assert len(masked) == len(flat) > 50
    for m, f in zip(masked, flat, strict=True):
        assert (m.norad_id, m.station) == (f.norad_id, f.station)
        assert abs((m.aos - f.aos).total_seconds()) < AOS_LOS_TOLERANCE_S
        assert abs((m.los - f.los).total_seconds()) < AOS_LOS_TOLERANCE_S
        assert abs(m.max_elevation_deg - f.max_elevation_deg) < MAX_ELEVATION_TOLERANCE_DEG
        assert (m.starts_before_window, m.ends_after_window) == (f.starts_before_window, f.ends_after_window)
    wall = HorizonMask.from_points([(0.0, 89.9), (120.0, 89.9), (240.0, 89.9)])
    assert find_passes(catalog, STATIONS, START, END, horizon_mask=wall).passes == ()


def test_pass_in_progress_at_either_end_is_flagged_and_cut(catalog):
    station = STATIONS[0]
    iss = [element for element in catalog if element.norad_id == 25544]
    whole = next(p for p in find_passes(iss, [station], START, END).passes if p.max_elevation_deg > 20.0)
    start, end = whole.tca, whole.tca + timedelta(hours=6)
    cut = find_passes(iss, [station], start, end).passes[0]
    assert cut.starts_before_window
    assert not cut.ends_after_window
    assert cut.aos == start
    assert abs((cut.los - whole.los).total_seconds()) < AOS_LOS_TOLERANCE_S
    assert cut.tca == start
    assert abs(cut.max_elevation_deg - whole.max_elevation_deg) < MAX_ELEVATION_TOLERANCE_DEG
    cut = find_passes(iss, [station], whole.aos - timedelta(hours=6), whole.tca).passes[-1]
    assert cut.ends_after_window
    assert not cut.starts_before_window
    assert cut.los == whole.tca
    assert abs((cut.aos - whole.aos).total_seconds()) < AOS_LOS_TOLERANCE_S


def test_geostationary_never_sets_nor_rises(catalog):
    geo = [element for element in catalog if element.norad_id == 25924]  # ABS-6, near 159 E
    seen = find_passes(geo, [STATIONS[3]], START, END).passes  # Hobart
    assert len(seen) == 1
    assert seen[0].starts_before_window
    assert seen[0].ends_after_window
    assert (seen[0].aos, seen[0].los) == (START, END)
    assert find_passes(geo, [STATIONS[0]], START, END).passes == ()  # Delft: below the horizon all day


def test_short_window_and_bad_arguments(catalog):
    short = find_passes(catalog, STATIONS, START, START + timedelta(minutes=3))
    assert all(START <= p.aos <= p.los <= START + timedelta(minutes=3) for p in short.passes)
    with pytest.raises(ValueError, match="after start"):
        find_passes(catalog, STATIONS, START, START)
    with pytest.raises(ValueError, match="unique"):
        find_passes(catalog, [STATIONS[0], STATIONS[0]], START, END)
    with pytest.raises(ValueError, match="horizon_deg"):
        find_passes(catalog, STATIONS, START, END, horizon_deg=95.0)
    with pytest.raises(ValueError, match="unknown locations"):
        find_passes(
            catalog, STATIONS, START, END, horizon_mask={"Nowhere": HorizonMask.from_points([(0.0, 1.0)])}
        )
    assert find_passes([], STATIONS, START, END).passes == ()
