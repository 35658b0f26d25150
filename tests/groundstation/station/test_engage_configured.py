"""Engage set up from the app's settings as `groundstation track` is: the satellite's frequency plan
(offset, mode) reaches Hamlib's `rigctld -m 1` (read back with Hamlib's `rigctl`), the rotator's
configured limits, park and tolerance lie over what rotctld reports, and a station's horizon mask
moves AOS to where the tracking engine's masked pass search puts it. In simulated time, stepped as
fast as possible."""

from __future__ import annotations

import subprocess
from datetime import timedelta

import pytest

from groundstation.app_settings import (
    AppSettings,
    RadioSettings,
    RotatorSettings,
    SatelliteSettings,
    StationSettings,
)
from groundstation.clock import SimulatedClock
from groundstation.sky_plot import plan_sky, station_mask
from groundstation.station.configured import (
    configured_limits,
    configured_tracker,
    engage_target,
    rig_uri,
    station_radio,
    station_rotator,
)
from groundstation.station.doppler import DopplerSettings, RadioSlot, station_frequencies
from groundstation.station.engage import EngagedSession, open_station_rotator
from groundstation.station.tracker import TrackerEvent
from radios.registry import open_rig
from radios.rotator import Pointing
from radios.sdr import RadioSettings as SdrSettings
from radios.sdr_registry import open_radio
from tests.conftest import require_tool
from tests.groundstation.station.real_passes import ISS_CATALOG_NUMBER, iss, real_pass
from tests.radios.hamlib_daemons import HamlibDaemon
from tracking.look import look_angles
from tracking.passes import find_passes
from tracking.propagation import Propagator

DOWNLINK_HZ = 437_800_000.0
OFFSET_HZ = 4_000.0  # far beyond the threshold: a plan without it is caught
THRESHOLD_HZ = DopplerSettings().threshold_hz
ONE_SECOND = 1.0  # AOS times: the pass search bisects to well under this
ONE_DEGREE = 1.0
# West of the station (where this pass rises) roofs hide the sky up to 20°; elsewhere 3°.
MASK = ((0.0, 3.0), (200.0, 3.0), (240.0, 20.0), (300.0, 20.0), (330.0, 3.0))
MASK_DELAY_S = 60.0  # the mask must move AOS by at least this for the test to mean anything


def settings_for(station: StationSettings, **extra: object) -> AppSettings:
    return AppSettings(stations=(station,), **extra)  # type: ignore[arg-type]


def range_rate_m_s(location, time_s: float) -> float:
    look = look_angles(Propagator([iss()]).propagate(time_s), location)
    return float(look.range_rate_m_s[0, 0])


def direction(location, time_s: float) -> tuple[float, float]:
    look = look_angles(Propagator([iss()]).propagate(time_s), location)
    return float(look.azimuth_deg[0, 0]), float(look.elevation_deg[0, 0])


def sent_pointing(event: TrackerEvent) -> Pointing:
    """The position in a move event's "NAME <- az A° el E°"."""
    _, _, where = event.message.partition(" <- az ")
    azimuth, _, elevation = where.partition("° el ")
    return Pointing(float(azimuth), float(elevation.rstrip("°")))


class Stepper:
    """As fast as possible: each wait steps the simulated clock; `stop_when` disengages."""

    def __init__(self, clock: SimulatedClock) -> None:
        self.clock = clock
        self.events: list[TrackerEvent] = []
        self.session: EngagedSession | None = None
        self.stop_when = lambda events: False

    def on_event(self, event: TrackerEvent) -> None:
        self.events.append(event)

    def sleep(self, seconds: float) -> None:
        self.clock.step(seconds)
        if self.session is not None and self.stop_when(self.events):
            self.session.disengage()

    def kinds(self) -> list[str]:
        return [e.kind for e in self.events]


def _rigctl(port: int, command: str) -> list[str]:
    path = require_tool("rigctl")
    result = subprocess.run(
        [path, "-m", "2", "-r", f"127.0.0.1:{port}", command],
        capture_output=True,
        text=True,
        timeout=10,
        check=True,
    )
    return result.stdout.split()


def test_the_satellites_offset_and_mode_from_the_settings_reach_rigctld():
    location, found, _track = real_pass(-2.0, 0.0)
    rigctld = HamlibDaemon("rigctld", "-m", "1").start()
    try:
        station = StationSettings(
            location.name, location.latitude_deg, location.longitude_deg, location.altitude_m, radio="ft991"
        )
        settings = settings_for(
            station,
            radios=(RadioSettings("ft991", "hamlib", f"127.0.0.1:{rigctld.port}", downlink_hz=145.8e6),),
            satellites=(
                SatelliteSettings(
                    ISS_CATALOG_NUMBER, downlink_hz=DOWNLINK_HZ, downlink_offset_hz=OFFSET_HZ, mode="USB"
                ),
            ),
        )
        target = engage_target(settings, station, iss())
        assert target.frequencies is not None
        assert target.frequencies.downlink_offset_hz == OFFSET_HZ  # the satellite's, not the radio's 145.8
        uri = rig_uri(station_radio(settings, station))
        assert uri == rigctld.uri
        rig = open_rig(uri, timeout_s=2.0)
        clock = SimulatedClock(found.tca - timedelta(seconds=30), speed=0)
        stepper = Stepper(clock)
        # Disengage once the rig was retuned in the pass (after the retune at pre-positioning).
        stepper.stop_when = lambda events: [e.kind for e in events].count("tune") >= 2
        session = EngagedSession(
            target, clock=clock, rig=rig, on_event=stepper.on_event, sleep=stepper.sleep
        )
        stepper.session = session
        session.run()
        rig.close()
        tunes = [e for e in stepper.events if e.kind == "tune"]
        assert "mode" in stepper.kinds()
        last = tunes[-1]
        # The loop aims at the middle of the coming retune interval.
        aim_s = last.time.timestamp() + DopplerSettings().interval_s / 2
        expected = station_frequencies(target.frequencies, range_rate_m_s(location, aim_s)).rx_hz
        assert expected is not None
        reported_hz = float(_rigctl(rigctld.port, "f")[0])
        assert reported_hz == pytest.approx(expected, abs=THRESHOLD_HZ)
        assert _rigctl(rigctld.port, "m")[0] == "USB"
    finally:
        rigctld.kill()


def test_a_masked_stations_engaged_pass_starts_at_the_masked_aos_with_the_configured_rotator():
    location, found, _track = real_pass(-2.0, 0.0)
    assert 240.0 < found.aos_azimuth_deg < 300.0  # rises behind the 20° roofs
    rotator = RotatorSettings(
        "az-el",
        "simulated",
        azimuth_min_deg=-90.0,
        azimuth_max_deg=450.0,
        azimuth_slew_deg_s=3.0,
        elevation_slew_deg_s=3.0,
        park_azimuth_deg=90.0,
        park_elevation_deg=10.0,
        tolerance_deg=2.0,
    )
    station = StationSettings(
        location.name,
        location.latitude_deg,
        location.longitude_deg,
        location.altitude_m,
        min_elevation_deg=1.0,
        rotator="az-el",
        horizon_mask=MASK,
    )
    settings = settings_for(station, rotators=(rotator,))
    search_from = found.aos - timedelta(minutes=20)
    (masked,) = find_passes(
        [iss()],
        [location],
        search_from,
        found.los + timedelta(minutes=1),
        horizon_deg=station.min_elevation_deg,
        horizon_mask=station_mask(station),
    ).passes
    assert (masked.aos - found.aos).total_seconds() > MASK_DELAY_S
    # The sky plot draws the same pass.
    drawn = plan_sky(station, iss(), search_from).tracks[0].pass_
    assert abs((drawn.aos - masked.aos).total_seconds()) < ONE_SECOND

    clock = SimulatedClock(search_from, speed=0)
    config = station_rotator(settings, station)
    opened = open_station_rotator(
        config.uri, clock, configured=lambda asked: configured_limits(asked, config)
    )
    limits = opened.rotator.limits
    assert (limits.azimuth_min_deg, limits.azimuth_max_deg) == (-90.0, 450.0)
    assert limits.park == Pointing(90.0, 10.0)
    stepper = Stepper(clock)
    stepper.stop_when = lambda events: "los" in [e.kind for e in events]
    session = EngagedSession(
        engage_target(settings, station, iss()),
        clock=clock,
        rotator=opened.rotator,
        on_event=stepper.on_event,
        sleep=stepper.sleep,
        tracker_settings=configured_tracker(config),
    )
    assert session.tolerance_deg == 2.0
    stepper.session = session
    summary = session.run()

    (stats,) = summary.stats
    assert abs(stats.pointing_error_times_s[0] - masked.aos.timestamp()) < ONE_SECOND
    assert max(stats.pointing_errors_deg) < session.tolerance_deg
    aos_event = next(e for e in stepper.events if e.kind == "aos")
    assert abs((aos_event.time - masked.aos).total_seconds()) < ONE_SECOND
    # Pre-positioned where the node clears the roofs, not where it rises over the real horizon.
    preposition = next(e for e in stepper.events if e.kind == "preposition")
    assert preposition.time < masked.aos
    sent = sent_pointing(preposition)
    aos_azimuth, aos_elevation = direction(location, masked.aos.timestamp())
    assert aos_elevation > MASK[2][1] - ONE_DEGREE  # over the roofs
    assert abs(sent.azimuth_deg % 360.0 - aos_azimuth) < session.tolerance_deg
    assert abs(sent.elevation_deg - aos_elevation) < session.tolerance_deg
    assert session.commanded == Pointing(90.0, 10.0)  # parked where configured


CONFIGURED_LIMITS = {
    "azimuth_min_deg": 0.0,
    "azimuth_max_deg": 450.0,
    "park_azimuth_deg": 180.0,
    "park_elevation_deg": 5.0,
}


@pytest.mark.parametrize("configured", [True, False])
def test_configured_limits_lie_over_what_rotctld_reports(configured):
    rotctld = HamlibDaemon("rotctld", "-m", "1").start()  # reports az -180..450, el 0..90
    try:
        config = RotatorSettings(
            "dummy",
            "rotctld",
            f"127.0.0.1:{rotctld.port}",
            **(CONFIGURED_LIMITS if configured else {"tolerance_deg": 3.0}),
        )
        clock = SimulatedClock(real_pass(-2.0, 0.0)[1].aos, speed=0)
        opened = open_station_rotator(
            config.uri, clock, timeout_s=2.0, configured=lambda asked: configured_limits(asked, config)
        )
        limits = opened.rotator.limits
        opened.rotator.close()
        assert opened.note == ""
        if configured:
            assert (limits.azimuth_min_deg, limits.azimuth_max_deg) == (0.0, 450.0)
            assert limits.park == Pointing(180.0, 5.0)
        else:  # rotctld's dump_caps
            assert (limits.azimuth_min_deg, limits.azimuth_max_deg) == (-180.0, 450.0)
            assert configured_tracker(config).tolerance_deg == 3.0
        assert (limits.elevation_min_deg, limits.elevation_max_deg) == (0.0, 90.0)
    finally:
        rotctld.kill()


def test_a_radio_slot_tunes_the_radio_attached_now_and_one_attached_later():
    slot = RadioSlot()
    slot.set_rx_hz(435_801_234.0)  # no radio yet: remembered
    assert slot.rx_hz() == 435_801_234.0
    radio = open_radio("loopback:", SdrSettings(96_000.0, 435_800_000.0))
    radio.open()
    try:
        slot.attach(radio)
        assert radio.settings.frequency_hz == 435_801_234.0
        slot.set_tx_hz(145_900_100.0)
        slot.set_rx_hz(435_801_000.0)
        assert radio.settings.frequency_hz == 435_801_000.0
        assert radio.tx_frequency_hz == 145_900_100.0  # kept after `tune` moved both
        slot.attach(None)
        slot.set_rx_hz(435_800_500.0)
        assert radio.settings.frequency_hz == 435_801_000.0  # detached: left alone
        slot.release()
        assert slot.asked_rx_hz is None
        assert slot.driver == ""
    finally:
        radio.close()
