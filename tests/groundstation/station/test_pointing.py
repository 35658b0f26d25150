"""The pointing planner on passes with exactly known geometry: through the zenith, across the north
wrap point, and longer than the overlap range, against rotators with and without overlap and flip."""

from __future__ import annotations

import numpy as np
import pytest

from groundstation.station.pointing import PointingMode, PointingPlan, follow_errors_deg, plan_pointing
from groundstation.station.sky import separation_deg, unit_vectors
from radios.rotator import Pointing, RotatorLimits
from tests.groundstation.station.sky_tracks import circle_track, zenith_pass

PLAIN = RotatorLimits(0.0, 360.0, 0.0, 90.0)  # no overlap, no flip
OVERLAP = RotatorLimits(0.0, 450.0, 0.0, 90.0)  # Yaesu-style 90° overlap
FLIP = RotatorLimits(0.0, 360.0, 0.0, 180.0)  # no overlap, elevation to 180°
OVERLAP_FLIP = RotatorLimits(0.0, 450.0, 0.0, 180.0)
WIDE = RotatorLimits(-180.0, 540.0, 0.0, 90.0)  # a full turn of overlap

EXACT_DEG = 1e-6  # a path that follows the satellite's own directions
SLEW_SLACK = 1.15  # optimised paths join the exact path with at most one grid cell (1°) of kink
TIGHT_TOLERANCE_DEG = 2.0

# A low pass in the north crossing azimuth 0: 345° → 55° (70° of azimuth, max elevation 15°).
NORTH_SHORT = circle_track(20.0, -30.0, 45.0)
# A high pass crossing north with 160° of azimuth: 325° → 125°, more than a 90° overlap can hold.
NORTH_LONG = circle_track(45.0, -10.0, 80.0)


def rotator_directions(plan: PointingPlan) -> np.ndarray:
    return unit_vectors(plan.azimuth_deg, plan.elevation_deg)


def sky_directions(plan: PointingPlan) -> np.ndarray:
    return plan.track.vectors


def assert_inside_limits(plan: PointingPlan) -> None:
    limits = plan.limits
    assert np.all(plan.azimuth_deg >= limits.azimuth_min_deg)
    assert np.all(plan.azimuth_deg <= limits.azimuth_max_deg)
    assert np.all(plan.elevation_deg >= limits.elevation_min_deg)
    assert np.all(plan.elevation_deg <= limits.elevation_max_deg)


def assert_exact(plan: PointingPlan) -> None:
    """The rotator path points exactly at the satellite all along (no end stop, no lag)."""
    assert float(np.max(separation_deg(rotator_directions(plan), sky_directions(plan)))) < EXACT_DEG


def max_azimuth_rate(plan: PointingPlan) -> float:
    return float(np.max(np.abs(np.diff(plan.azimuth_deg) / np.diff(plan.track.times_s))))


def test_the_fixtures_have_the_geometry_they_claim():
    assert NORTH_SHORT.azimuth_deg[0] == pytest.approx(344.7, abs=0.5)
    assert NORTH_SHORT.azimuth_deg[-1] == pytest.approx(55.3, abs=0.5)
    assert NORTH_LONG.azimuth_deg[0] == pytest.approx(325.2, abs=0.5)
    assert NORTH_LONG.azimuth_deg[-1] == pytest.approx(124.8, abs=0.5)
    assert np.max(zenith_pass(0.5).elevation_deg) == pytest.approx(89.5, abs=0.2)  # 1 s samples


# -- across the north wrap point ----------------------------------------------------------------


def test_north_crossing_uses_the_overlap_range():
    plan = plan_pointing(NORTH_SHORT, OVERLAP)
    assert plan.feasible
    assert plan.mode is PointingMode.NORMAL
    # 345° → 415°: through the overlap instead of across the 0/360 end stop.
    assert plan.azimuth_deg[0] == pytest.approx(344.7, abs=0.5)
    assert plan.azimuth_deg[-1] == pytest.approx(415.3, abs=0.5)
    assert np.all(np.diff(plan.azimuth_deg) > 0)
    assert_inside_limits(plan)
    assert_exact(plan)


def test_north_crossing_without_overlap_or_flip_is_flagged_before_it_starts():
    plan = plan_pointing(NORTH_SHORT, PLAIN)
    assert not plan.feasible
    (problem,) = plan.problems
    assert "azimuth range 0..360°" in problem
    assert "cannot flip" in problem
    assert "pointing error up to" in problem
    # The best it can do still stays inside the end stops (waits at the stop, never crosses it).
    assert_inside_limits(plan)
    assert plan.peak_predicted_error_deg > plan.tolerance_deg


def test_north_crossing_flips_on_a_rotator_without_overlap():
    plan = plan_pointing(NORTH_SHORT, FLIP)
    assert plan.feasible
    assert plan.mode is PointingMode.FLIPPED
    # The same directions looking back over the top: azimuth 165° → 235°, elevation 180° → 165°.
    assert plan.azimuth_deg[0] == pytest.approx(164.7, abs=0.5)
    assert plan.azimuth_deg[-1] == pytest.approx(235.3, abs=0.5)
    assert np.min(plan.elevation_deg) == pytest.approx(165.0, abs=0.1)
    assert_inside_limits(plan)
    assert_exact(plan)


def test_wide_rotator_picks_the_turn_nearest_where_it_starts():
    from_park = plan_pointing(NORTH_SHORT, WIDE)  # parked at azimuth 0
    assert from_park.azimuth_deg[0] == pytest.approx(344.7 - 360.0, abs=0.5)
    from_west = plan_pointing(NORTH_SHORT, WIDE, start=Pointing(300.0, 0.0))
    assert from_west.azimuth_deg[0] == pytest.approx(344.7, abs=0.5)
    for plan in (from_park, from_west):
        assert plan.feasible
        assert plan.mode is PointingMode.NORMAL
        assert_exact(plan)
    assert from_west.preposition == Pointing(from_west.azimuth_deg[0], from_west.elevation_deg[0])


# -- longer than the overlap range --------------------------------------------------------------


def test_pass_longer_than_the_overlap_is_flagged_without_flip():
    plan = plan_pointing(NORTH_LONG, OVERLAP)
    assert not plan.feasible
    assert "azimuth range 0..450°" in plan.problems[0]
    assert "160° of azimuth" in plan.problems[0]
    assert_inside_limits(plan)


def test_pass_longer_than_the_overlap_flips_when_the_rotator_can():
    plan = plan_pointing(NORTH_LONG, OVERLAP_FLIP)
    assert plan.feasible
    assert plan.mode is PointingMode.FLIPPED
    assert_inside_limits(plan)
    assert_exact(plan)


def test_pass_longer_than_the_overlap_fits_a_full_turn_of_overlap():
    plan = plan_pointing(NORTH_LONG, WIDE)
    assert plan.feasible
    assert plan.mode is PointingMode.NORMAL
    assert float(np.ptp(plan.azimuth_deg)) == pytest.approx(160.0, abs=1.0)
    assert_inside_limits(plan)
    assert_exact(plan)


# -- through the zenith -------------------------------------------------------------------------


@pytest.mark.parametrize("limits", [OVERLAP, WIDE, PLAIN], ids=["overlap", "wide", "plain"])
def test_zenith_pass_needs_more_azimuth_rate_than_a_rotator_without_flip_has(limits):
    track = zenith_pass(0.5)
    plan = plan_pointing(track, limits, tolerance_deg=TIGHT_TOLERANCE_DEG)
    assert plan.mode is PointingMode.NORMAL
    assert not plan.feasible
    assert "°/s of azimuth" in plan.problems[0]
    assert "cannot flip" in plan.problems[0]
    assert_inside_limits(plan)
    # The optimised path starts the swing early and never asks more than the rotator's rate.
    assert max_azimuth_rate(plan) <= limits.azimuth_slew_deg_s * SLEW_SLACK
    # ... and beats chasing the satellite's own azimuth (77°/s at the zenith) at 6°/s.
    exact = np.degrees(np.unwrap(np.radians(plan.track.azimuth_deg)))
    exact += 360.0 * np.round((plan.azimuth_deg[0] - exact[0]) / 360.0)
    chasing = follow_errors_deg(plan.track.times_s, exact, plan.track.elevation_deg, plan.track, WIDE)
    assert plan.peak_predicted_error_deg < float(np.max(chasing))


@pytest.mark.parametrize("limits", [FLIP, OVERLAP_FLIP], ids=["flip", "overlap+flip"])
@pytest.mark.parametrize("offset_deg", [0.2, 0.5, 1.0])
def test_zenith_pass_goes_over_the_top_on_a_flip_rotator(limits, offset_deg):
    plan = plan_pointing(zenith_pass(offset_deg), limits, tolerance_deg=TIGHT_TOLERANCE_DEG)
    assert plan.feasible
    assert plan.mode is PointingMode.OVER_THE_TOP
    assert np.ptp(plan.azimuth_deg) == 0.0  # no azimuth swing at all
    assert np.max(plan.elevation_deg) > 90.0 + 45.0  # past the zenith to the far horizon
    # Its only error is the pass's distance from the antenna's vertical plane.
    assert plan.peak_predicted_error_deg == pytest.approx(offset_deg, abs=0.05)
    assert_inside_limits(plan)


def test_high_pass_a_rotator_can_follow_stays_normal_even_with_flip():
    plan = plan_pointing(zenith_pass(15.0), OVERLAP_FLIP)
    assert plan.feasible
    assert plan.mode is PointingMode.NORMAL
    assert_exact(plan)


def test_low_pass_away_from_the_end_stops_is_plain():
    for limits in (PLAIN, OVERLAP, FLIP, WIDE):
        plan = plan_pointing(circle_track(180.0, -30.0, 45.0), limits)
        assert plan.feasible
        assert plan.mode is PointingMode.NORMAL
        assert plan.azimuth_deg[0] == pytest.approx(144.7, abs=0.5)
        assert_exact(plan)


def test_slow_rotator_is_flagged_for_the_rate_it_lacks():
    slow = RotatorLimits(0.0, 450.0, 0.0, 90.0, azimuth_slew_deg_s=1.0, elevation_slew_deg_s=1.0)
    plan = plan_pointing(zenith_pass(8.0), slow)
    assert not plan.feasible
    assert "(rotator slews 1°/s)" in plan.problems[0]


def test_pointing_at_interpolates_the_path_and_clamps_to_the_pass():
    plan = plan_pointing(NORTH_SHORT, OVERLAP)
    middle_s = (plan.start_s + plan.end_s) / 2
    here = plan.pointing_at(middle_s)
    assert float(np.min(plan.azimuth_deg)) <= here.azimuth_deg <= float(np.max(plan.azimuth_deg))
    assert plan.pointing_at(plan.start_s - 100.0) == plan.preposition
    assert plan.pointing_at(plan.end_s + 100.0).azimuth_deg == pytest.approx(plan.azimuth_deg[-1])


def test_tolerance_must_be_positive():
    with pytest.raises(ValueError, match="tolerance_deg"):
        plan_pointing(NORTH_SHORT, PLAIN, tolerance_deg=0.0)
