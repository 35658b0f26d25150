"""Walker-delta constellations: geometry checked by propagating the generated elements with SGP4."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from sgp4.api import SatrecArray, jday

from tracking.element_io import format_elements, parse_elements
from tracking.walker import EARTH_RADIUS_KM, mean_motion_for_altitude, walker_delta

EPOCH = datetime(2026, 11, 22, tzinfo=UTC)
# SGP4's mean semi-major axis is what the generator solves for: metre level.
MEAN_ALTITUDE_KM = 0.001
# Osculating states carry J2 short-period terms (the same for every satellite, but phase dependent):
# measured at 550 km, 53°: RAAN ±0.025°, inclination ±0.02°, argument of latitude ±0.16°.
OSCULATING_RAAN_DEG = 0.05
OSCULATING_INCLINATION_DEG = 0.05
OSCULATING_LATITUDE_ARGUMENT_DEG = 0.25
# Radius averaged over one orbit against R + h: mean and averaged osculating radius differ by terms of
# order J2·R²/a (≈ 6 km in LEO; measured 0.4 km at 53°, 4.3 km at 88°). Catches unit or radius slips.
ORBIT_AVERAGE_ALTITUDE_KM = 6.0


def _states(elements, hours: float):
    sats = SatrecArray([e.to_satrec() for e in elements])
    moment = EPOCH + timedelta(hours=hours)
    jd, fr = jday(moment.year, moment.month, moment.day, moment.hour, moment.minute, moment.second)
    errors, r, v = sats.sgp4(np.array([jd]), np.array([fr]))
    assert not errors.any()
    return r[:, 0], v[:, 0]


def _orbit_angles_deg(r, v):
    h = np.cross(r, v)
    inclination = np.arccos(h[:, 2] / np.linalg.norm(h, axis=1))
    raan = np.arctan2(h[:, 0], -h[:, 1])
    latitude_argument = np.arctan2(
        r[:, 2] / np.sin(inclination), r[:, 0] * np.cos(raan) + r[:, 1] * np.sin(raan)
    )
    return np.degrees(inclination), np.degrees(raan) % 360.0, np.degrees(latitude_argument) % 360.0


def _angle_error(measured, expected):
    return np.abs((np.asarray(measured) - expected + 180.0) % 360.0 - 180.0)


@pytest.mark.parametrize(
    ("total", "planes", "phasing", "altitude_km", "inclination_deg"),
    [(24, 6, 2, 550.0, 53.0), (15, 3, 1, 800.0, 98.6), (12, 4, 0, 1200.0, 45.0)],
)
@pytest.mark.parametrize("hours", [0.0, 7.3, 48.0])
def test_walker_geometry_after_propagation(total, planes, phasing, altitude_km, inclination_deg, hours):
    elements = walker_delta(total, planes, phasing, altitude_km, inclination_deg, EPOCH)
    per_plane = total // planes
    assert len(elements) == total
    r, v = _states(elements, hours)
    inclination, raan, u = _orbit_angles_deg(r, v)
    assert np.max(np.abs(inclination - inclination_deg)) <= OSCULATING_INCLINATION_DEG
    raan = raan.reshape(planes, per_plane)
    u = u.reshape(planes, per_plane)
    # Planes evenly spaced in RAAN (all precess together).
    assert np.max(_angle_error(np.diff(raan[:, 0]), 360.0 / planes)) <= OSCULATING_RAAN_DEG
    assert np.max(_angle_error(raan - raan[:, :1], 0.0)) <= OSCULATING_RAAN_DEG
    # Satellites evenly spaced within each plane.
    assert np.max(_angle_error(np.diff(u, axis=1), 360.0 / per_plane)) <= OSCULATING_LATITUDE_ARGUMENT_DEG
    # Adjacent planes offset by F·360/T.
    offset = np.diff(u[:, 0])
    assert np.max(_angle_error(offset, phasing * 360.0 / total)) <= OSCULATING_LATITUDE_ARGUMENT_DEG


@pytest.mark.parametrize(("altitude_km", "inclination_deg"), [(400.0, 51.6), (550.0, 53.0), (1200.0, 87.9)])
def test_altitude_is_sgp4s_mean_altitude(altitude_km, inclination_deg):
    (first,) = walker_delta(1, 1, 0, altitude_km, inclination_deg, EPOCH)
    sat = first.to_satrec()
    assert abs(sat.a * EARTH_RADIUS_KM - EARTH_RADIUS_KM - altitude_km) <= MEAN_ALTITUDE_KM
    # And the geocentric radius averaged over one revolution.
    period_min = 1440.0 / first.mean_motion_rev_per_day
    minutes = np.linspace(0.0, period_min, 721)[:-1]
    jd = np.full(minutes.size, sat.jdsatepoch)
    errors, r, _ = sat.sgp4_array(jd, sat.jdsatepochF + minutes / 1440.0)
    assert not errors.any()
    mean_radius_km = np.linalg.norm(r, axis=1).mean()
    assert abs(mean_radius_km - EARTH_RADIUS_KM - altitude_km) <= ORBIT_AVERAGE_ALTITUDE_KM


def test_mean_motion_is_close_to_keplerian_but_not_equal():
    # J2 makes the Kozai mean motion differ from sqrt(mu/a^3) by ~1e-3 relative: both directions checked.
    mu_km3_s2 = 398600.8  # WGS72
    a_km = EARTH_RADIUS_KM + 550.0
    keplerian_rev_day = np.sqrt(mu_km3_s2 / a_km**3) * 86400.0 / (2 * np.pi)
    ours = mean_motion_for_altitude(550.0, 53.0)
    assert ours != keplerian_rev_day
    assert abs(ours / keplerian_rev_day - 1.0) < 2e-3


def test_names_catalog_numbers_and_layout():
    elements = walker_delta(6, 3, 1, 500.0, 60.0, EPOCH, first_norad_id=99998, name_prefix="DRONE")
    assert [e.norad_id for e in elements] == list(range(99998, 100004))
    assert [e.name for e in elements[:3]] == ["DRONE-01-01", "DRONE-01-02", "DRONE-02-01"]
    assert [e.raan_deg for e in elements] == [0.0, 0.0, 120.0, 120.0, 240.0, 240.0]
    assert [e.mean_anomaly_deg for e in elements] == pytest.approx([0.0, 180.0, 60.0, 240.0, 120.0, 300.0])
    assert all(e.eccentricity == 0.0 and e.epoch == EPOCH for e in elements)


@pytest.mark.parametrize("fmt", ["3le", "omm-csv", "omm-json", "omm-xml"])
def test_walker_exports_and_reads_back(fmt):
    elements = walker_delta(8, 2, 1, 600.0, 70.0, EPOCH, first_norad_id=99999)
    again = parse_elements(format_elements(elements, fmt), f"walker.{fmt}")
    assert again.rejected == ()
    if fmt == "3le":
        assert again.elements[1].to_tle_lines()[0].startswith("1 A0000U")
        assert [e.norad_id for e in again.elements] == [e.norad_id for e in elements]
        for ours, read in zip(elements, again.elements, strict=True):
            assert read.mean_motion_rev_per_day == pytest.approx(ours.mean_motion_rev_per_day, abs=5e-9)
            assert read.mean_anomaly_deg == pytest.approx(ours.mean_anomaly_deg, abs=5e-5)
    else:
        assert again.elements == elements


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((10, 3, 0), "not divisible"),
        ((12, 4, 4), r"phasing F=4 must be in \[0, P-1\]"),
        ((12, 4, -1), "phasing"),
        ((0, 1, 0), "positive"),
    ],
)
def test_invalid_walker_parameters_are_refused(args, message):
    with pytest.raises(ValueError, match=message):
        walker_delta(*args, 550.0, 53.0, EPOCH)


def test_invalid_altitude_inclination_and_epoch_are_refused():
    with pytest.raises(ValueError, match="altitude"):
        walker_delta(4, 2, 0, -5.0, 53.0, EPOCH)
    with pytest.raises(ValueError, match="inclination"):
        walker_delta(4, 2, 0, 550.0, 190.0, EPOCH)
    with pytest.raises(ValueError, match="timezone"):
        walker_delta(4, 2, 0, 550.0, 53.0, datetime(2026, 1, 1))
