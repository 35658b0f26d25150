"""Engaged sessions: pass after pass on the injected clock, until disengaged (which parks).

In simulated time against the simulated rotator (stepped as fast as possible, and in a worker thread
with a sped-up clock that jumps), and in real time against Hamlib's `rotctld -m 1` / `rigctld -m 1`,
read back with Hamlib's own `rotctl` / `rigctl` clients.
"""

from __future__ import annotations

import subprocess
import threading
from datetime import timedelta

import pytest

from groundstation.clock import SimulatedClock
from groundstation.station.doppler import FrequencyPlan
from groundstation.station.engage import (
    ClockSeconds,
    EngagedSession,
    EngageTarget,
    clock_rate,
    open_station_rotator,
)
from groundstation.station.passtrack import upcoming_passes
from groundstation.station.sky import pointing_error_deg
from groundstation.station.tracker import DEFAULT_POINTING_TOLERANCE_DEG, TrackerEvent
from radios.registry import open_rig
from radios.rotator import Pointing, RotatorLimits
from radios.simulated import SimulatedRotator
from tests.conftest import require_tool
from tests.groundstation.station.real_passes import SEARCH_FROM, iss, real_pass, station_near_apex
from tests.radios.hamlib_daemons import HamlibDaemon
from tracking.look import look_angles
from tracking.propagation import Propagator

TOLERANCE_DEG = DEFAULT_POINTING_TOLERANCE_DEG
WAIT_S = 30.0  # for a worker thread to report (generous for a loaded machine; normally far less)
SPEED = 60.0
SPEED_OF_LIGHT_M_S = 299_792_458.0
DOWNLINK_HZ = 437_800_000.0
DOPPLER_THRESHOLD_HZ = 10.0  # DopplerSettings' default: a retune is sent past this drift


def satellite_at(location, moment) -> tuple[float, float, float]:
    look = look_angles(Propagator([iss()]).propagate(moment), location)
    return float(look.azimuth_deg[0, 0]), float(look.elevation_deg[0, 0]), float(look.range_rate_m_s[0, 0])


def error_deg(position: Pointing, azimuth_deg: float, elevation_deg: float) -> float:
    return pointing_error_deg(position.azimuth_deg, position.elevation_deg, azimuth_deg, elevation_deg)


class Events:
    """Events from the worker thread, waited for with a condition (no sleeping)."""

    def __init__(self) -> None:
        self.items: list[TrackerEvent] = []
        self._changed = threading.Condition()

    def __call__(self, event: TrackerEvent) -> None:
        with self._changed:
            self.items.append(event)
            self._changed.notify_all()

    def kinds(self) -> list[str]:
        with self._changed:
            return [e.kind for e in self.items]

    def wait_for(self, kind: str, count: int = 1) -> None:
        with self._changed:
            ok = self._changed.wait_for(lambda: sum(e.kind == kind for e in self.items) >= count, WAIT_S)
        assert ok, f"no {count}x {kind!r} within {WAIT_S} s: {[str(e) for e in self.items]}"


def test_passes_are_worked_one_after_another_in_simulated_time_and_disengaging_parks():
    station = station_near_apex("apex-3", -3.0, 0.0)
    expected = upcoming_passes(iss(), station, SEARCH_FROM, SEARCH_FROM + timedelta(hours=6))
    assert len(expected) >= 3
    clock = SimulatedClock(SEARCH_FROM, speed=0)
    limits = RotatorLimits(0.0, 450.0, 0.0, 180.0)
    rotator = SimulatedRotator(limits, monotonic=ClockSeconds(clock))
    events = Events()
    session: EngagedSession

    def step(seconds: float) -> None:  # as fast as possible; disengage in the gap after two passes
        clock.step(seconds)
        if session.summary.passes == 2:
            session.disengage()

    session = EngagedSession(
        EngageTarget(iss(), station), clock=clock, rotator=rotator, on_event=events, sleep=step
    )
    summary = session.run()
    kinds = events.kinds()
    assert summary.passes == 2
    assert kinds[0] == "engage"
    assert kinds[-1] == "disengage"
    assert kinds.count("plan") == 3  # the third pass was planned, then disengaged before AOS
    assert kinds.count("aos") == kinds.count("los") == 2
    for found, stats in zip(expected, summary.stats, strict=False):
        assert stats.rotator_moves > 0
        assert max(stats.pointing_errors_deg) < TOLERANCE_DEG
        assert stats.pointing_error_times_s[0] == pytest.approx(found.aos.timestamp(), abs=1.0)
    assert kinds[-2] == "park"
    assert session.commanded == limits.park
    assert not session.engaged
    clock.step(limits.slew_time_s(Pointing(limits.azimuth_max_deg, 0.0), limits.park))
    assert rotator.position() == limits.park


def test_a_worker_on_a_sped_up_clock_follows_jumps_and_parks_on_disengage():
    location, found, _track = real_pass(-2.0, 0.0)
    clock = SimulatedClock(found.aos - timedelta(minutes=3), speed=SPEED)
    opened = open_station_rotator("sim:", clock)
    rotator = opened.rotator
    assert opened.note == ""
    events = Events()
    session = EngagedSession(EngageTarget(iss(), location), clock=clock, rotator=rotator, on_event=events)
    assert clock_rate(clock) == SPEED
    worker = threading.Thread(target=session.run)
    worker.start()
    try:
        events.wait_for("aos")
        events.wait_for("move", 3)
        clock.pause()  # the worker and the simulated rotator both hold still now
        session.wake()
        moment = clock.now()
        azimuth, elevation, _ = satellite_at(location, moment)
        assert elevation > 0
        assert error_deg(rotator.position(), azimuth, elevation) < TOLERANCE_DEG

        # Back an hour: the pass in hand is dropped and the same pass planned again.
        clock.jump(found.aos - timedelta(hours=1))
        clock.resume()
        session.wake()
        events.wait_for("replan")
        events.wait_for("plan", 2)
        # Forward past LOS: the pass ends (parked) and the next one is planned.
        clock.jump(found.los + timedelta(minutes=1))
        session.wake()
        events.wait_for("plan", 3)
        assert "park" in events.kinds()
    finally:
        session.disengage()
        worker.join(WAIT_S)
    assert not worker.is_alive()
    assert events.kinds()[-2:] == ["park", "disengage"]
    limits = rotator.limits
    assert session.commanded == limits.park
    clock.pause()
    clock.step(limits.slew_time_s(Pointing(limits.azimuth_max_deg, 0.0), limits.park))
    assert rotator.position() == limits.park


def _hamlib_reading(tool: str, port: int, command: str) -> list[str]:
    path = require_tool(tool)
    result = subprocess.run(
        [path, "-m", "2", "-r", f"127.0.0.1:{port}", command],
        capture_output=True,
        text=True,
        timeout=10,
        check=True,
    )
    return result.stdout.split()


@pytest.mark.slow
def test_engaged_on_rotctld_and_rigctld_in_real_time():
    rotctld = HamlibDaemon("rotctld", "-m", "1").start()
    rigctld = HamlibDaemon("rigctld", "-m", "1").start()
    try:
        location, found, _track = real_pass(-2.0, 0.0)  # culminates at 60° near azimuth 358°
        # Engaged mid-pass: the dummy (at az 0 el 0) needs about 10 s at 6°/s to climb to the track.
        clock = SimulatedClock(found.tca - timedelta(seconds=12), speed=1.0)
        opened = open_station_rotator(rotctld.uri, clock, timeout_s=1.0)
        limits = opened.rotator.limits
        assert (limits.azimuth_min_deg, limits.azimuth_max_deg) == (-180.0, 450.0)  # asked of rotctld
        rig = open_rig(rigctld.uri, timeout_s=1.0)
        events = Events()
        target = EngageTarget(iss(), location, frequencies=FrequencyPlan(downlink_hz=DOWNLINK_HZ))
        session = EngagedSession(target, clock=clock, rotator=opened.rotator, rig=rig, on_event=events)
        worker = threading.Thread(target=session.run)
        worker.start()
        try:
            events.wait_for("aos")
            events.wait_for("tune")
            on_track = threading.Event()

            def pointing_error() -> float:
                azimuth, elevation, _ = satellite_at(location, clock.now())
                reading = _hamlib_reading("rotctl", rotctld.port, "p")
                return error_deg(Pointing(float(reading[0]), float(reading[1])), azimuth, elevation)

            # Hamlib's own client sees the dummy climb onto the track within the tolerance.
            for _ in range(int(WAIT_S / 0.25)):
                if pointing_error() < TOLERANCE_DEG:
                    on_track.set()
                    break
                on_track.wait(0.25)
            assert on_track.is_set()
            _, _, range_rate = satellite_at(location, clock.now())
            rx_hz = float(_hamlib_reading("rigctl", rigctld.port, "f")[0])
            expected_hz = DOWNLINK_HZ * (1 - range_rate / SPEED_OF_LIGHT_M_S)
            drift_hz = 300.0  # the Doppler change over one 1 s retune interval near culmination
            assert rx_hz == pytest.approx(expected_hz, abs=DOPPLER_THRESHOLD_HZ + drift_hz)
        finally:
            session.disengage()
            worker.join(WAIT_S)
        assert not worker.is_alive()
        assert events.kinds()[-2:] == ["park", "disengage"]
        assert session.commanded == limits.park
        # rotctld got the park command: the dummy turns up towards the zenith.
        start_el = float(_hamlib_reading("rotctl", rotctld.port, "p")[1])
        parked = threading.Event()
        for _ in range(int(WAIT_S / 0.25)):
            if float(_hamlib_reading("rotctl", rotctld.port, "p")[1]) > start_el + TOLERANCE_DEG:
                parked.set()
                break
            parked.wait(0.25)
        assert parked.is_set()
        opened.rotator.close()
        rig.close()
    finally:
        rotctld.kill()
        rigctld.kill()
