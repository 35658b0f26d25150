"""Real passes from the tracking engine, planned, and compared with Skyfield (an independent SGP4 +
topocentric implementation) for the same elements and station."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from skyfield.api import EarthSatellite, load, wgs84

from groundstation.station.doppler import FrequencyPlan, station_frequencies
from groundstation.station.passtrack import sky_track
from groundstation.station.pointing import PointingMode, PointingPlan, plan_pointing
from groundstation.station.sky import separation_deg, unit_vectors
from radios.rotator import RotatorLimits
from tests.groundstation.station.real_passes import (
    iss,
    longer_than_overlap_pass,
    north_crossing_pass,
    zenith_pass,
)
from tracking.geometry import GroundLocation

# Our engine and Skyfield agree to ~1e-6° on these passes; the plan is interpolated from 1 s samples.
SAMPLE_AGREEMENT_DEG = 1e-3
BETWEEN_SAMPLES_DEG = 0.02  # linear interpolation between 1 s samples of a LEO pass below 70°
RANGE_RATE_AGREEMENT_M_S = 0.01
DOPPLER_AGREEMENT_HZ = 0.05  # at 437.8 MHz, from the range-rate agreement

OVERLAP = RotatorLimits(0.0, 450.0, 0.0, 90.0)
OVERLAP_FLIP = RotatorLimits(0.0, 450.0, 0.0, 180.0)
PLAIN = RotatorLimits(0.0, 360.0, 0.0, 90.0)
FLIP = RotatorLimits(0.0, 360.0, 0.0, 180.0)


def skyfield_view(station: GroundLocation, times_s: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Skyfield's azimuth, elevation and range rate (m/s) of the ISS from `station`."""
    timescale = load.timescale(builtin=True)
    line1, line2 = iss().to_tle_lines()
    satellite = EarthSatellite(line1, line2, "ISS", timescale)
    place = wgs84.latlon(station.latitude_deg, station.longitude_deg, elevation_m=station.altitude_m)
    when = timescale.from_datetimes([datetime.fromtimestamp(float(t), UTC) for t in times_s])
    elevation, azimuth, _, _, _, range_rate = (satellite - place).at(when).frame_latlon_and_rates(place)
    return azimuth.degrees, elevation.degrees, range_rate.km_per_s * 1000.0


def plan_error_against_skyfield(
    plan: PointingPlan, station: GroundLocation, times_s: np.ndarray
) -> np.ndarray:
    azimuth, elevation, _ = skyfield_view(station, times_s)
    pointing = [plan.pointing_at(float(t)) for t in times_s]
    rotator = unit_vectors([p.azimuth_deg for p in pointing], [p.elevation_deg for p in pointing])
    return separation_deg(rotator, unit_vectors(azimuth, elevation))


def test_engine_track_matches_skyfield_at_its_samples():
    station, found, track = north_crossing_pass()
    azimuth, elevation, range_rate = skyfield_view(station, track.times_s)
    assert (
        float(np.max(separation_deg(track.vectors, unit_vectors(azimuth, elevation)))) < SAMPLE_AGREEMENT_DEG
    )
    assert float(np.max(np.abs(track.range_rate_m_s - range_rate))) < RANGE_RATE_AGREEMENT_M_S
    assert track.start_s == pytest.approx(found.aos.timestamp())
    assert track.end_s == pytest.approx(found.los.timestamp())


def test_north_crossing_pass_points_at_skyfields_satellite_through_the_overlap():
    station, _, track = north_crossing_pass()
    plan = plan_pointing(track, OVERLAP)
    assert plan.feasible
    assert plan.mode is PointingMode.NORMAL
    assert plan.azimuth_deg[0] == pytest.approx(281.1, abs=0.2)
    assert plan.azimuth_deg[-1] == pytest.approx(435.8, abs=0.2)  # past 360: in the overlap
    halves = plan.track.times_s[:-1] + 0.5
    assert float(np.max(plan_error_against_skyfield(plan, station, halves))) < BETWEEN_SAMPLES_DEG
    assert (
        float(np.max(plan_error_against_skyfield(plan, station, plan.track.times_s))) < SAMPLE_AGREEMENT_DEG
    )


def test_north_crossing_pass_on_a_plain_rotator_is_flagged_and_flip_fixes_it():
    _, _, track = north_crossing_pass()
    assert not plan_pointing(track, PLAIN).feasible
    flipped = plan_pointing(track, FLIP)
    assert flipped.feasible
    assert flipped.mode is PointingMode.FLIPPED


def test_pass_longer_than_the_overlap():
    station, _, track = longer_than_overlap_pass()
    flagged = plan_pointing(track, OVERLAP)
    assert not flagged.feasible
    assert "0..450°" in flagged.problems[0]
    assert "174° of azimuth" in flagged.problems[0]
    flipped = plan_pointing(track, OVERLAP_FLIP)
    assert flipped.feasible
    assert flipped.mode is PointingMode.FLIPPED
    assert (
        float(np.max(plan_error_against_skyfield(flipped, station, flipped.track.times_s)))
        < SAMPLE_AGREEMENT_DEG
    )


def test_zenith_pass_over_the_top_against_skyfield():
    station, found, track = zenith_pass()
    assert found.max_elevation_deg > 89.9
    plan = plan_pointing(track, FLIP, tolerance_deg=2.0)
    assert plan.feasible
    assert plan.mode is PointingMode.OVER_THE_TOP
    error = plan_error_against_skyfield(plan, station, plan.track.times_s)
    # Its error is the pass's distance from the antenna's vertical plane, as the plan predicted.
    assert float(np.max(error)) <= plan.peak_predicted_error_deg + SAMPLE_AGREEMENT_DEG
    assert float(np.max(error)) < plan.tolerance_deg
    without_flip = plan_pointing(track, OVERLAP, tolerance_deg=2.0)
    assert not without_flip.feasible
    assert "°/s of azimuth" in without_flip.problems[0]


def test_doppler_along_the_pass_matches_skyfields_range_rate():
    station, _, track = north_crossing_pass()
    _, _, range_rate = skyfield_view(station, track.times_s)
    plan = FrequencyPlan(downlink_hz=437_800_000.0, uplink_hz=145_990_000.0)
    ours = [station_frequencies(plan, float(v)) for v in track.range_rate_m_s]
    theirs = [station_frequencies(plan, float(v)) for v in range_rate]
    assert max(abs(a.rx_hz - b.rx_hz) for a, b in zip(ours, theirs, strict=True)) < DOPPLER_AGREEMENT_HZ
    assert max(abs(a.tx_hz - b.tx_hz) for a, b in zip(ours, theirs, strict=True)) < DOPPLER_AGREEMENT_HZ
    # An overhead-ish LEO pass sweeps kilohertz at 435 MHz: the correction is not a no-op.
    assert ours[0].rx_hz - ours[-1].rx_hz > 10_000.0


def test_sky_track_refuses_an_empty_window():
    station, found, _ = north_crossing_pass()
    with pytest.raises(ValueError, match="must be after start"):
        sky_track(iss(), station, found.aos, found.aos - timedelta(seconds=1))
