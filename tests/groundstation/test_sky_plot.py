"""The sky plot's passes and tracks against Skyfield (find_events, altaz), and its horizon."""

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from skyfield.api import EarthSatellite, load, wgs84

from groundstation.app_settings import StationSettings
from groundstation.sky_plot import LOOK_AHEAD, LOOK_BACK, REFRESH_MARGIN, horizon_line, plan_sky, polar_xy
from tracking.frames import skyfield_time
from tracking.geometry import HorizonMask
from tracking.walker import walker_delta

ANGLE_TOLERANCE_DEG = 1e-5  # same rotations as Skyfield; rounding only
EVENT_TOLERANCE_S = 1.0  # Skyfield's own find_events is good to about half a second
MASK_TOLERANCE_DEG = 0.05  # the pass engine resolves masked AOS/LOS by 1 s sampling

T0 = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
NODE = walker_delta(24, 4, 1, 550.0, 53.0, T0)[5]
STATION = StationSettings("Darmstadt", 49.8728, 8.6512, 144.0, 5.0)
MASKED = StationSettings(
    "Masked", 49.8728, 8.6512, 144.0, 5.0, horizon_mask=((0.0, 5.0), (90.0, 25.0), (180.0, 5.0), (270.0, 5.0))
)


@pytest.fixture(scope="module")
def timescale():
    return load.timescale(builtin=True)


@pytest.fixture(scope="module")
def plan():
    return plan_sky(STATION, NODE, T0)


def test_passes_match_skyfield_find_events(plan, timescale):
    satellite = EarthSatellite.from_satrec(NODE.to_satrec(), timescale)
    observer = wgs84.latlon(STATION.latitude_deg, STATION.longitude_deg, elevation_m=STATION.altitude_m)
    t0 = timescale.from_datetime(plan.start)
    t1 = timescale.from_datetime(plan.end)
    times, events = satellite.find_events(observer, t0, t1, altitude_degrees=STATION.min_elevation_deg)
    rises = [t.utc_datetime() for t, e in zip(times, events, strict=True) if e == 0]
    sets = [t.utc_datetime() for t, e in zip(times, events, strict=True) if e == 2]
    assert len(plan.tracks) == len(rises) == len(sets) > 3
    for track, rise, set_ in zip(plan.tracks, rises, sets, strict=True):
        assert abs((track.pass_.aos - rise).total_seconds()) < EVENT_TOLERANCE_S
        assert abs((track.pass_.los - set_).total_seconds()) < EVENT_TOLERANCE_S


def test_tracks_are_the_skyfield_look_angles_at_their_times(plan, timescale):
    satellite = EarthSatellite.from_satrec(NODE.to_satrec(), timescale)
    observer = wgs84.latlon(STATION.latitude_deg, STATION.longitude_deg, elevation_m=STATION.altitude_m)
    for track in plan.tracks:
        altitude, azimuth, _ = (satellite - observer).at(skyfield_time(track.times_s)).altaz()
        np.testing.assert_allclose(track.elevation_deg, altitude.degrees, atol=ANGLE_TOLERANCE_DEG)
        daz = (track.azimuth_deg - azimuth.degrees + 180.0) % 360.0 - 180.0
        assert np.max(np.abs(daz) * np.cos(altitude.radians)) < ANGLE_TOLERANCE_DEG
        assert track.elevation_deg.max() == pytest.approx(track.pass_.max_elevation_deg, abs=0.5)
        assert abs(track.elevation_deg[0] - STATION.min_elevation_deg) < MASK_TOLERANCE_DEG


def test_current_and_next_pass_follow_the_clock(plan):
    first, second = plan.tracks[0], plan.tracks[1]
    before = plan.at(first.pass_.aos - timedelta(minutes=1))
    assert before.current is None
    assert before.next is first
    assert before.elevation_deg < STATION.min_elevation_deg
    during = plan.at(first.pass_.tca)
    assert during.current is first
    assert during.next is second
    assert during.elevation_deg == pytest.approx(first.pass_.max_elevation_deg, abs=1e-3)
    assert abs(during.range_rate_m_s) < 50.0  # closest approach: range stops shrinking


def test_a_plan_covers_its_window_less_the_refresh_margin(plan):
    assert plan.start == T0 - LOOK_BACK
    assert plan.covers(T0)
    assert plan.covers(T0 + LOOK_AHEAD - REFRESH_MARGIN)
    assert not plan.covers(T0 + LOOK_AHEAD - REFRESH_MARGIN + timedelta(seconds=1))
    assert not plan.covers(T0 - LOOK_BACK)


def test_the_horizon_mask_raises_aos_and_los_where_it_is_high():
    masked = plan_sky(MASKED, NODE, T0)
    mask = HorizonMask.from_points(MASKED.horizon_mask)
    for track in masked.tracks:
        for index in (0, -1):
            floor = max(MASKED.min_elevation_deg, float(mask.elevation_deg(track.azimuth_deg[index])))
            assert abs(track.elevation_deg[index] - floor) < MASK_TOLERANCE_DEG
    east = [t for t in masked.tracks if 60 < t.azimuth_deg[-1] < 120]
    assert len(east) >= 3  # passes that set in the east, behind the mask's 25° peak, end high
    assert min(t.elevation_deg[-1] for t in east) > 15.0
    assert len(masked.tracks) < len(plan_sky(STATION, NODE, T0).tracks)  # low eastern passes are gone
    azimuth, elevation = horizon_line(MASKED)
    assert elevation[azimuth == 90.0][0] == 25.0
    assert elevation[azimuth == 0.0][0] == MASKED.min_elevation_deg
    assert (horizon_line(STATION)[1] == STATION.min_elevation_deg).all()


def test_polar_coordinates_put_north_up_east_right_and_the_zenith_in_the_middle():
    x, y = polar_xy(np.array([0.0, 90.0, 180.0, 270.0, 45.0]), np.array([0.0, 0.0, 30.0, 60.0, 90.0]))
    np.testing.assert_allclose(x, [0.0, 90.0, 0.0, -30.0, 0.0], atol=1e-12)
    np.testing.assert_allclose(y, [90.0, 0.0, -60.0, 0.0, 0.0], atol=1e-12)
