"""Pass after pass in simulated time, and the limits the station assumes or asks for."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from groundstation.clock import SimulatedClock
from groundstation.station.devices import SERIAL_LIMITS, limits_from_ranges, rotator_limits
from groundstation.station.doppler import DisplaySink, FrequencyPlan
from groundstation.station.passtrack import upcoming_passes
from groundstation.station.session import TrackingSession
from radios.errors import DeviceConfigError, DeviceUnavailableError
from radios.rotator import Pointing, RotatorLimits
from radios.simulated import SimulatedRotator
from tests.conftest import free_tcp_port
from tests.groundstation.station.real_passes import SEARCH_FROM, iss, station_near_apex
from tests.radios.hamlib_daemons import HamlibDaemon

WINDOW = timedelta(hours=6)


def test_session_tracks_every_pass_in_the_window_and_parks_after_each():
    station = station_near_apex("apex-3", -3.0, 0.0)
    expected = upcoming_passes(iss(), station, SEARCH_FROM, SEARCH_FROM + WINDOW)
    assert len(expected) >= 3
    clock = SimulatedClock(SEARCH_FROM, speed=0)
    limits = RotatorLimits(0.0, 450.0, 0.0, 180.0)
    rotator = SimulatedRotator(limits, monotonic=lambda: clock.now().timestamp())
    lines: list[str] = []
    session = TrackingSession(
        iss(),
        station,
        clock=clock,
        sleep=clock.step,
        out=lines.append,
        limits=limits,
        rotator=rotator,
        sink=DisplaySink(),
        frequencies=FrequencyPlan(downlink_hz=437_800_000.0),
    )
    summary = session.run(SEARCH_FROM + WINDOW)
    assert summary.passes == len(expected)
    assert [line for line in lines if line.startswith("pass: ")] == [
        line for line in lines if line.startswith("pass: AOS")
    ]
    assert sum(" park " in line for line in lines) == len(expected)
    assert sum(line.startswith("done: ") for line in lines) == len(expected)
    assert all(stats.rotator_moves > 0 and stats.rx_tunes > 0 for stats in summary.stats)
    assert clock.now() >= SEARCH_FROM + WINDOW


def test_rotctld_reports_its_ranges():
    daemon = HamlibDaemon("rotctld", "-m", "1").start()
    try:
        limits = rotator_limits(daemon.uri)
    finally:
        daemon.kill()
    assert (limits.azimuth_min_deg, limits.azimuth_max_deg) == (-180.0, 450.0)
    assert (limits.elevation_min_deg, limits.elevation_max_deg) == (0.0, 90.0)
    assert limits.park == Pointing(0.0, 90.0)


def test_unreachable_rotctld_is_a_device_error():
    with pytest.raises(DeviceUnavailableError, match="cannot connect"):
        rotator_limits(f"rotctld://127.0.0.1:{free_tcp_port()}", timeout_s=0.5)


def test_serial_rotators_get_the_safe_default_and_odd_ranges_are_refused():
    assert rotator_limits("gs232:/dev/ttyUSB0") == SERIAL_LIMITS
    assert rotator_limits("easycomm:/dev/ttyUSB0@19200") == SERIAL_LIMITS
    assert limits_from_ranges(90.0, 540.0, 0.0, 180.0).park_azimuth_deg == 90.0
    with pytest.raises(DeviceConfigError, match=r"span 360\.\.720"):
        limits_from_ranges(0.0, 180.0, 0.0, 90.0)


def test_elements_sgp4_cannot_use_are_a_value_error():
    decaying = replace(iss(), bstar_per_earth_radius=0.5)  # drag that brings it down within months
    later = SEARCH_FROM + timedelta(days=200)
    with pytest.raises(ValueError, match="SGP4 error"):
        upcoming_passes(decaying, station_near_apex("x", 0.0, 0.0), later, later + timedelta(days=1))
