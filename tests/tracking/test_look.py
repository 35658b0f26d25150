"""Frames, look angles, sub-satellite points, sunlight and Doppler against Skyfield."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from skyfield.api import EarthSatellite, load, wgs84

from tests.conftest import DATA
from tracking.element_io import read_elements
from tracking.elements import Elements
from tracking.frames import skyfield_time
from tracking.geometry import (
    GroundLocation,
    HorizonMask,
    ecef_to_geodetic,
    elevation_from_ground_deg,
    enu_basis,
    footprint_circle,
    geodetic_to_ecef_km,
)
from tracking.look import (
    SPEED_OF_LIGHT_M_S,
    downlink_frequency_hz,
    ground_track,
    look_angles,
    subsatellite_points,
    sunlit,
    uplink_frequency_hz,
)
from tracking.propagation import Propagator

ANGLE_TOLERANCE_DEG = 1e-6  # Skyfield and we apply the same rotations; only rounding differs
RANGE_TOLERANCE_KM = 1e-5
RANGE_RATE_TOLERANCE_M_S = 1e-3
HEIGHT_TOLERANCE_KM = 1e-6
FOOTPRINT_ELEVATION_TOLERANCE_DEG = 1e-6

FIXTURE = DATA / "passes-fixture-2026-08-22.csv"
START = datetime(2026, 8, 22, 18, tzinfo=UTC)


@pytest.fixture(scope="module")
def catalog() -> tuple[Elements, ...]:
    return read_elements(FIXTURE).elements


@pytest.fixture(scope="module")
def timescale():
    return load.timescale(builtin=True)


def _times() -> np.ndarray:
    return START.timestamp() + np.arange(0.0, 86400.0, 37.0)


def test_look_angles_and_range_rate_match_skyfield(catalog, timescale):
    location = GroundLocation("Delft", 52.0, 4.37, 12.0)
    times = _times()
    states = Propagator(catalog).propagate(times)
    mine = look_angles(states, location)
    observer = wgs84.latlon(52.0, 4.37, elevation_m=12.0)
    t = skyfield_time(times)
    for index, element in enumerate(catalog):
        satellite = EarthSatellite.from_satrec(element.to_satrec(), timescale)
        topocentric = (satellite - observer).at(t)
        altitude, azimuth, distance, _, _, range_rate = topocentric.frame_latlon_and_rates(observer)
        # One fixture object decays during the day: both sides must go NaN at the same samples.
        np.testing.assert_array_equal(np.isnan(mine.elevation_deg[index]), np.isnan(altitude.degrees))
        assert np.nanmax(np.abs(mine.elevation_deg[index] - altitude.degrees)) < ANGLE_TOLERANCE_DEG
        # Azimuth is ill-defined at the zenith; compare where the satellite is below 89.9 deg.
        usable = np.nan_to_num(altitude.degrees, nan=90.0) < 89.9
        daz = (mine.azimuth_deg[index] - azimuth.degrees + 180.0) % 360.0 - 180.0
        assert (
            np.max(np.abs(daz[usable]) * np.cos(np.radians(altitude.degrees[usable]))) < ANGLE_TOLERANCE_DEG
        )
        assert np.nanmax(np.abs(mine.range_km[index] - distance.km)) < RANGE_TOLERANCE_KM
        assert (
            np.nanmax(np.abs(mine.range_rate_m_s[index] - range_rate.km_per_s * 1000.0))
            < RANGE_RATE_TOLERANCE_M_S
        )


def test_subsatellite_points_and_sunlight_match_skyfield(catalog, timescale):
    from tracking.look import _ephemeris

    times = _times()
    states = Propagator(catalog).propagate(times)
    points = subsatellite_points(states)
    lit = sunlit(states)
    t = skyfield_time(times)
    changes = 0
    for index, element in enumerate(catalog):
        position = EarthSatellite.from_satrec(element.to_satrec(), timescale).at(t)
        where = wgs84.geographic_position_of(position)
        np.testing.assert_array_equal(np.isnan(points.latitude_deg[index]), np.isnan(where.latitude.degrees))
        assert np.nanmax(np.abs(points.latitude_deg[index] - where.latitude.degrees)) < ANGLE_TOLERANCE_DEG
        dlon = (points.longitude_deg[index] - where.longitude.degrees + 180.0) % 360.0 - 180.0
        assert np.nanmax(np.abs(dlon)) < ANGLE_TOLERANCE_DEG
        assert np.nanmax(np.abs(points.altitude_km[index] - where.elevation.km)) < HEIGHT_TOLERANCE_KM
        # Where SGP4 failed we say "not sunlit" (and report the error); Skyfield says NaN -> sunlit.
        expected = position.is_sunlit(_ephemeris()) & ~np.isnan(where.latitude.degrees)
        np.testing.assert_array_equal(lit[index], expected)
        changes += int(np.count_nonzero(expected[1:] != expected[:-1]))
    assert changes > 100  # LEO objects go through many eclipses in a day: the test sees both states


def test_ground_track_is_the_subsatellite_points_of_one_satellite(catalog):
    iss = next(element for element in catalog if element.norad_id == 25544)
    track = ground_track(iss, START, START + timedelta(minutes=95), step_s=60.0)
    assert track.latitude_deg.shape == (96,)  # 0, 60, ..., 5640 s and the end itself
    times = START.timestamp() + np.r_[np.arange(0.0, 5700.0, 60.0), 5700.0]
    points = subsatellite_points(Propagator([iss]).propagate(times))
    np.testing.assert_array_equal(track.longitude_deg, points.longitude_deg[0])
    assert np.max(np.abs(track.latitude_deg)) == pytest.approx(iss.inclination_deg, abs=0.5)
    assert np.all((track.altitude_km > 370.0) & (track.altitude_km < 460.0))


def test_doppler_directions_and_round_trip():
    carrier = 435e6
    approaching, receding = -7000.0, 7000.0
    assert downlink_frequency_hz(carrier, approaching) > carrier > downlink_frequency_hz(carrier, receding)
    # Uplink pre-compensation opposes the shift, so the satellite hears the carrier exactly.
    for rate in (approaching, 0.0, receding):
        sent = uplink_frequency_hz(carrier, rate)
        heard = sent * (1.0 - rate / SPEED_OF_LIGHT_M_S)
        assert heard == pytest.approx(carrier, rel=1e-15)
    assert downlink_frequency_hz(carrier, receding) - carrier == pytest.approx(
        -carrier * 7000.0 / SPEED_OF_LIGHT_M_S
    )


def test_decayed_satellite_is_reported_not_silent():
    decaying = Elements(
        norad_id=99001,
        name="FALLING",
        epoch=START,
        mean_motion_rev_per_day=16.4,
        eccentricity=0.0005,
        inclination_deg=51.6,
        raan_deg=0.0,
        arg_perigee_deg=0.0,
        mean_anomaly_deg=0.0,
        bstar_per_earth_radius=0.5,
    )
    states = Propagator([decaying]).propagate(START.timestamp() + np.arange(0.0, 30 * 86400.0, 3600.0))
    (error,) = states.errors()
    assert error.norad_id == 99001
    assert error.error_code in (1, 3, 4, 6)
    failed = states.error_code[0] != 0
    assert np.all(np.isnan(states.position_km[0][failed]))
    assert not np.any(np.isnan(states.position_km[0][~failed]))
    assert error.first_failure == datetime.fromtimestamp(states.times_s[np.argmax(failed)], UTC)
    assert "SGP4 error" in str(error)
    assert "FALLING" in str(error)


def test_geodetic_round_trip_and_enu():
    lat = np.array([-89.9, -45.0, 0.0, 30.0, 60.0, 90.0])
    lon = np.array([-179.0, -30.0, 0.0, 45.0, 170.0, 10.0])
    alt = np.array([0.0, 1.0, 400.0, 35786.0, -0.4, 10.0])
    back_lat, back_lon, back_alt = ecef_to_geodetic(geodetic_to_ecef_km(lat, lon, alt))
    np.testing.assert_allclose(back_lat, lat, atol=1e-9)
    np.testing.assert_allclose(back_alt, alt, atol=1e-9)
    np.testing.assert_allclose(back_lon[:-1], lon[:-1], atol=1e-9)  # longitude is arbitrary at the pole
    basis = enu_basis(lat, lon)
    np.testing.assert_allclose(
        basis @ basis.transpose(0, 2, 1), np.broadcast_to(np.eye(3), (6, 3, 3)), atol=1e-12
    )
    # Skyfield agrees on where a geodetic point is.
    for a, b, c in zip(lat, lon, alt, strict=True):
        np.testing.assert_allclose(
            geodetic_to_ecef_km(a, b, c), wgs84.latlon(a, b, c * 1000.0).itrs_xyz.km, atol=1e-9
        )


def test_ground_location_validation():
    GroundLocation("ok", -90.0, 359.0, -400.0)
    for bad in (
        dict(latitude_deg=91.0),
        dict(longitude_deg=400.0),
        dict(latitude_deg=float("nan")),
        dict(altitude_m=1e7),
    ):
        kwargs = {"name": "x", "latitude_deg": 0.0, "longitude_deg": 0.0, **bad}
        with pytest.raises(ValueError, match="x: "):
            GroundLocation(**kwargs)
    with pytest.raises(ValueError, match="name"):
        GroundLocation(" ", 0.0, 0.0)


def test_horizon_mask_interpolates_around_north():
    mask = HorizonMask.from_points([(350.0, 10.0), (10.0, 20.0), (180.0, 0.0)])
    assert mask.azimuths_deg == (10.0, 180.0, 350.0)
    np.testing.assert_allclose(
        mask.elevation_deg([0.0, 360.0, 10.0, 95.0, 355.0, -10.0]), [15.0, 15.0, 20.0, 10.0, 12.5, 10.0]
    )
    assert mask.lowest_deg == 0.0
    with pytest.raises(ValueError, match="two points at azimuth 10"):
        HorizonMask.from_points([(10.0, 1.0), (370.0, 2.0)])
    with pytest.raises(ValueError, match="elevation"):
        HorizonMask.from_points([(0.0, 95.0)])


@pytest.mark.parametrize("min_elevation_deg", [0.0, 10.0])
def test_footprint_circle_is_where_the_satellite_sits_at_the_given_elevation(min_elevation_deg):
    lat, lon = footprint_circle(48.0, 170.0, 550.0, min_elevation_deg=min_elevation_deg, points=36)
    assert lat.shape == lon.shape == (36,)
    satellite = geodetic_to_ecef_km(48.0, 170.0, 550.0)
    ground = geodetic_to_ecef_km(lat, lon, 0.0)
    elevation = elevation_from_ground_deg(ground, enu_basis(lat, lon), satellite)
    assert np.max(np.abs(elevation - min_elevation_deg)) < FOOTPRINT_ELEVATION_TOLERANCE_DEG
    assert np.all((lon >= -180.0) & (lon < 180.0))
    # It crosses the antimeridian, wrapped into [-180, 180).
    assert np.any(lon < 0.0)
    assert np.any(lon > 0.0)
    # Sanity against a sphere: a 550 km satellite covers roughly 22.7 deg of arc to the 0 deg horizon.
    arc = np.degrees(
        np.arccos(
            np.clip(
                np.sum(ground * satellite, axis=1)
                / np.linalg.norm(ground, axis=1)
                / np.linalg.norm(satellite),
                -1,
                1,
            )
        )
    )
    if min_elevation_deg == 0.0:
        assert 21.5 < arc.min() <= arc.max() < 24.0


def test_times_are_aware(catalog):
    with pytest.raises(ValueError, match="timezone-aware"):
        Propagator(catalog).propagate(datetime(2026, 8, 22))
    states = Propagator(catalog[:1]).propagate([START, START + timedelta(seconds=1)])
    assert states.position_km.shape == (1, 2, 3)
