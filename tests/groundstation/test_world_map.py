"""The world map's geometry against Skyfield (its own TEME->ITRS rotation, WGS84 and DE421 Sun)."""

from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
import skyfield_data
from skyfield.api import EarthSatellite, Loader, wgs84

from groundstation.world_map import (
    ANCHOR_STEP_S,
    CatalogPositions,
    RasterView,
    circle_on_map,
    coverage_radius_deg,
    rasterize_dots,
    subsolar_point,
    sun_elevation_deg,
)
from tracking.elements import Elements

# GMST model differences (IAU 1982 here, Skyfield's IAU 2000 rotation) move a longitude by ~0.005 deg.
SUBPOINT_TOLERANCE_DEG = 0.01
# Cubic Hermite between anchors ANCHOR_STEP_S apart: metres in LEO, a pixel of the map is ~30 km.
INTERPOLATION_TOLERANCE_KM = 0.05
ALTITUDE_TOLERANCE_KM = 0.05
SUN_TOLERANCE_DEG = 0.02  # the low-precision solar formula is good to about 0.01 degrees
SPHERICAL_EARTH_TOLERANCE_DEG = 0.5  # the circles assume a spherical Earth

EPOCH = datetime(2026, 8, 20, 12, 0, tzinfo=UTC)


def catalog():
    """A LEO station-like orbit, a sun-synchronous one, a Molniya and a GEO: every regime the map shows."""
    common = {"epoch": EPOCH, "bstar_per_earth_radius": 1e-4, "arg_perigee_deg": 90.0}
    return [
        Elements(
            25544,
            "LEO",
            mean_motion_rev_per_day=15.5,
            eccentricity=0.0005,
            inclination_deg=51.64,
            raan_deg=120.0,
            mean_anomaly_deg=10.0,
            **common,
        ),
        Elements(
            40001,
            "SSO",
            mean_motion_rev_per_day=14.8,
            eccentricity=0.001,
            inclination_deg=97.5,
            raan_deg=300.0,
            mean_anomaly_deg=200.0,
            **common,
        ),
        Elements(
            40002,
            "MOLNIYA",
            mean_motion_rev_per_day=2.006,
            eccentricity=0.72,
            inclination_deg=63.4,
            raan_deg=45.0,
            mean_anomaly_deg=30.0,
            **{**common, "arg_perigee_deg": 270.0},
        ),
        Elements(
            40003,
            "GEO",
            mean_motion_rev_per_day=1.0027,
            eccentricity=0.0002,
            inclination_deg=0.05,
            raan_deg=80.0,
            mean_anomaly_deg=150.0,
            **{**common, "bstar_per_earth_radius": 0.0},
        ),
    ]


# Offline: skyfield-data ships DE421. Its get_skyfield_data_path() warns that its Earth orientation
# table expired (a warning is an error here), so name the folder directly and take Skyfield's
# built-in timescale.
LOAD = Loader(str(Path(skyfield_data.__file__).parent / "data"))


@pytest.fixture(scope="module")
def planets():
    ephemeris = LOAD("de421.bsp")
    yield ephemeris
    ephemeris.close()


@pytest.fixture(scope="module")
def ts():
    return LOAD.timescale(builtin=True)


def skyfield_subpoints(elements, moment, ts):
    t = ts.from_datetime(moment)
    out = []
    for e in elements:
        position = wgs84.geographic_position_of(EarthSatellite.from_satrec(e.to_satrec(), ts).at(t))
        out.append((position.latitude.degrees, position.longitude.degrees, position.elevation.km))
    return np.array(out)


def lon_difference(a, b):
    return (np.asarray(a) - np.asarray(b) + 180.0) % 360.0 - 180.0


@pytest.mark.parametrize("hours", [0.0, 7.3, 30.0])
def test_catalog_subpoints_match_skyfield(ts, hours):
    elements = catalog()
    moment = EPOCH + timedelta(hours=hours)
    ours = CatalogPositions(elements).at(moment)
    reference = skyfield_subpoints(elements, moment, ts)
    np.testing.assert_allclose(ours.latitude_deg, reference[:, 0], atol=SUBPOINT_TOLERANCE_DEG)
    np.testing.assert_allclose(
        lon_difference(ours.longitude_deg, reference[:, 1]), 0.0, atol=SUBPOINT_TOLERANCE_DEG
    )
    np.testing.assert_allclose(ours.altitude_km, reference[:, 2], atol=ALTITUDE_TOLERANCE_KM)


def test_track_matches_the_catalog_at_each_time(ts):
    elements = catalog()
    positions = CatalogPositions(elements)
    times = [EPOCH + timedelta(minutes=m) for m in range(0, 100, 7)]
    track = positions.track(0, times)
    reference = np.array([skyfield_subpoints(elements[:1], t, ts)[0] for t in times])
    np.testing.assert_allclose(track.latitude_deg, reference[:, 0], atol=SUBPOINT_TOLERANCE_DEG)
    np.testing.assert_allclose(
        lon_difference(track.longitude_deg, reference[:, 1]), 0.0, atol=SUBPOINT_TOLERANCE_DEG
    )


def ground_distance_km(a, b):
    """Straight-line distance between two sets of geodetic points (km), for interpolation errors."""
    from tracking.geometry import geodetic_to_ecef_km

    return np.linalg.norm(
        geodetic_to_ecef_km(a.latitude_deg, a.longitude_deg, a.altitude_km)
        - geodetic_to_ecef_km(b.latitude_deg, b.longitude_deg, b.altitude_km),
        axis=-1,
    )


@pytest.mark.parametrize(
    "seconds", [0.0, 0.4, 17.0, ANCHOR_STEP_S / 2, ANCHOR_STEP_S - 0.01, 3600 * 5 + 41.5]
)
def test_interpolated_positions_match_propagated_ones(ts, seconds):
    elements = catalog()
    positions = CatalogPositions(elements)
    moment = EPOCH + timedelta(seconds=seconds)
    interpolated = positions.interpolated_at(moment)
    exact = positions.at(moment)
    assert ground_distance_km(interpolated, exact).max() < INTERPOLATION_TOLERANCE_KM
    reference = skyfield_subpoints(elements, moment, ts)  # and both against Skyfield
    np.testing.assert_allclose(interpolated.latitude_deg, reference[:, 0], atol=SUBPOINT_TOLERANCE_DEG)


def test_interpolation_through_a_day_of_frames_stays_within_tolerance():
    positions = CatalogPositions(catalog())
    worst = 0.0
    for step in range(0, 86400, 377):  # steps that fall anywhere between anchors
        moment = EPOCH + timedelta(seconds=step + 0.25)
        worst = max(worst, ground_distance_km(positions.interpolated_at(moment), positions.at(moment)).max())
    assert worst < INTERPOLATION_TOLERANCE_KM


def test_a_decayed_object_is_nan_not_garbage():
    decaying = Elements(49999, "DECAY", EPOCH, 16.4, 0.001, 51.6, 0.0, 0.0, 0.0, 0.05)
    positions = CatalogPositions([*catalog(), decaying])
    for points in (
        positions.at(EPOCH + timedelta(days=60)),
        positions.interpolated_at(EPOCH + timedelta(days=60)),
    ):
        assert np.isnan(points.latitude_deg[-1])
        assert np.isfinite(points.latitude_deg[:-1]).all()


def test_empty_catalog():
    assert len(CatalogPositions([]).at(EPOCH)) == 0
    assert len(CatalogPositions([]).interpolated_at(EPOCH)) == 0


SOLSTICE_AND_EQUINOX = [datetime(2026, 12, 21, 6, 30, tzinfo=UTC), datetime(2027, 3, 20, 23, 0, tzinfo=UTC)]


@pytest.mark.parametrize("moment", [EPOCH, *SOLSTICE_AND_EQUINOX])
def test_subsolar_point_matches_skyfield_de421(ts, planets, moment):
    t = ts.from_datetime(moment)
    sun = (planets["earth"].at(t).observe(planets["sun"])).apparent()
    # The subsolar point is where the Sun's geocentric direction meets the ground.
    reference = wgs84.latlon_of(sun)
    lat, lon = subsolar_point(moment)
    assert abs(lat - reference[0].degrees) < SUN_TOLERANCE_DEG
    assert abs(lon_difference(lon, reference[1].degrees)) < SUN_TOLERANCE_DEG


def test_sun_elevation_is_90_under_the_sun_and_negative_opposite():
    sub = subsolar_point(EPOCH)
    elevations = sun_elevation_deg(sub, np.array([sub[0], -sub[0]]), np.array([sub[1], sub[1] + 180.0]))
    np.testing.assert_allclose(elevations, [90.0, -90.0], atol=1e-6)


def test_footprint_edge_sees_the_object_at_the_minimum_elevation(ts):
    elements = catalog()[0]
    t = ts.from_datetime(EPOCH)
    satellite = EarthSatellite.from_satrec(elements.to_satrec(), ts)
    sub = wgs84.geographic_position_of(satellite.at(t))
    for min_elevation in (0.0, 10.0):
        radius = coverage_radius_deg(sub.elevation.km, min_elevation)
        lat, lon = circle_on_map(sub.latitude.degrees, sub.longitude.degrees, radius, points=12)
        for la, lo in zip(lat, lon, strict=True):
            if np.isnan(la):
                continue
            altitude = (satellite - wgs84.latlon(la, lo)).at(t).altaz()[0].degrees
            assert abs(altitude - min_elevation) < SPHERICAL_EARTH_TOLERANCE_DEG


def test_circle_crossing_the_antimeridian_is_broken_with_nan():
    _lat, lon = circle_on_map(0.0, 179.0, 20.0)
    assert np.isnan(lon).sum() >= 1
    finite = lon[np.isfinite(lon)]
    assert np.abs(np.diff(finite[: np.argmax(np.isnan(lon))])).max() < 10.0
    assert coverage_radius_deg(0.0) == 0.0


def test_raster_puts_a_dot_per_point_at_its_pixel_and_culls_the_rest():
    view = RasterView(-10.0, 10.0, 0.0, 10.0, width_px=200, height_px=100)  # 0.1 degree per pixel
    lon = np.array([-9.95, 0.05, 9.95, 30.0, np.nan])
    lat = np.array([9.95, 5.05, 0.05, 5.0, 5.0])
    colour = 0xFF336699
    image = rasterize_dots(lon, lat, view, 3, colour)
    assert image.shape == (100, 200)
    # Row 0 is the north edge; a dot is 3x3 pixels centred on its point, clipped at the border.
    assert (image[48:51, 99:102] == colour).all()  # the point is in pixel (row 49, column 100)
    assert (image[0:2, 0:2] == colour).all()
    assert (image[98:100, 198:200] == colour).all()
    assert np.count_nonzero(image) == 9 + 4 + 4  # the point outside and the NaN are culled
    assert not rasterize_dots(lon, lat, RasterView(0, 1, 0, 1, 0, 0), 3, colour).size
