"""The tracking loop on real passes in simulated time: a simulated rotator and rig on the same
injected clock, run as fast as the machine allows."""

from __future__ import annotations

import logging

import numpy as np
import pytest

from groundstation.clock import SimulatedClock
from groundstation.station.doppler import (
    DopplerController,
    DopplerSettings,
    FrequencyPlan,
    LinearTransponder,
    RadioSink,
    RigSink,
    satellite_downlink_hz,
    station_frequencies,
)
from groundstation.station.pointing import PointingMode, PointingPlan, plan_pointing
from groundstation.station.sky import utc_from_posix
from groundstation.station.tracker import PassTracker, Phase, TrackerEvent, TrackerSettings
from radios.loopback import LoopbackRadio
from radios.rotator import RotatorLimits
from radios.sdr import RadioSettings
from radios.simulated import SimulatedRig, SimulatedRotator
from tests.groundstation.station.real_passes import north_crossing_pass, zenith_pass

OVERLAP_FLIP = RotatorLimits(0.0, 450.0, 0.0, 180.0)
WIDE = RotatorLimits(-180.0, 540.0, 0.0, 90.0)
TOLERANCE_DEG = 2.0
# With the lead, the antenna swings about half a tolerance either side of the satellite.
LED_ERROR_FRACTION = 0.6
ROUNDING_HZ = 1.0  # CAT takes whole hertz
SPEED_OF_LIGHT_M_S = 299_792_458.0
ONE_SECOND_OF_DRIFT_HZ = 60.0  # Doppler drift in 1 s at 146 MHz on this pass is below this
AO7_B = LinearTransponder(432_125_000.0, 432_175_000.0, 145_925_000.0, 145_975_000.0, inverting=True)


class Run:
    """One pass through a `PassTracker` on a manual simulated clock."""

    def __init__(
        self,
        plan: PointingPlan,
        *,
        start_before_aos_s: float = 180.0,
        settings: TrackerSettings | None = None,
        frequencies: FrequencyPlan | None = None,
        doppler: DopplerSettings | None = None,
    ) -> None:
        self.clock = SimulatedClock(utc_from_posix(plan.start_s - start_before_aos_s), speed=0)
        self.rotator = SimulatedRotator(plan.limits, monotonic=self.now_s)
        self.rig = SimulatedRig()
        self.events: list[TrackerEvent] = []
        self.tunes: list[tuple[float, str, float]] = []  # (time, "RX"/"TX", Hz) as the rig got them
        self.controller = DopplerController(frequencies, doppler) if frequencies else None
        self.tracker = PassTracker(
            plan,
            clock=self.clock,
            rotator=self.rotator,
            sink=RigSink(self.rig) if frequencies else None,
            doppler=self.controller,
            settings=settings or TrackerSettings(tolerance_deg=TOLERANCE_DEG),
            on_event=self.record,
        )

    def now_s(self) -> float:
        return self.clock.now().timestamp()

    def record(self, event: TrackerEvent) -> None:
        self.events.append(event)
        if event.kind == "tune":
            what = "RX" if " RX " in event.message else "TX"
            hz = self.rig.frequency() if what == "RX" else self.rig.tx_frequency()
            self.tunes.append((self.now_s(), what, hz))

    def kinds(self) -> list[str]:
        return [event.kind for event in self.events]

    def run(self, **kwargs):
        return self.tracker.run(self.clock.step, **kwargs)

    def advance(self, until_s: float) -> None:
        """Step the loop up to `until_s` without stopping it (no park)."""
        while self.now_s() < until_s:
            self.clock.step(min(self.tracker.step(), until_s - self.now_s()))


def test_a_pass_is_prepositioned_followed_with_lead_and_parked():
    _, _, track = north_crossing_pass()
    plan = plan_pointing(track, WIDE)
    run = Run(plan)
    stats = run.run()
    kinds = run.kinds()
    assert kinds[0] == "preposition"
    assert kinds.index("preposition") < kinds.index("aos") < kinds.index("move") < kinds.index("los")
    assert kinds[-2:] == ["los", "park"]
    preposition_at = run.events[0].time.timestamp()
    # Early enough to get there (slew from park plus the margin), not needlessly early.
    needed_s = WIDE.slew_time_s(WIDE.park, plan.preposition)
    assert plan.start_s - preposition_at == pytest.approx(needed_s + 30.0, abs=0.01)
    # Already on target at AOS, within the tolerance all along, about half of it with the lead.
    errors = np.array(stats.pointing_errors_deg)
    assert errors[0] < TOLERANCE_DEG / 2
    assert errors.max() < TOLERANCE_DEG * LED_ERROR_FRACTION
    # One move per tolerance step, not one per poll.
    assert stats.rotator_polls == pytest.approx((plan.end_s - plan.start_s) / 0.5, abs=2)
    assert stats.rotator_moves < stats.rotator_polls / 10
    assert run.tracker.phase is Phase.DONE
    run.clock.step(60.0)
    assert run.rotator.position() == WIDE.park


def test_the_lead_halves_the_pointing_error():
    _, _, track = north_crossing_pass()
    plan = plan_pointing(track, WIDE)
    led = Run(plan).run()
    trailing = Run(plan, settings=TrackerSettings(tolerance_deg=TOLERANCE_DEG, max_lead_s=1e-6)).run()
    assert np.mean(led.pointing_errors_deg) < 0.6 * np.mean(trailing.pointing_errors_deg)
    assert max(trailing.pointing_errors_deg) > TOLERANCE_DEG  # trailing by a whole tolerance
    assert max(led.pointing_errors_deg) < TOLERANCE_DEG * LED_ERROR_FRACTION


def test_a_wider_tolerance_sends_fewer_moves():
    _, _, track = north_crossing_pass()
    plan = plan_pointing(track, WIDE)
    fine = Run(plan, settings=TrackerSettings(tolerance_deg=1.0)).run()
    coarse = Run(plan, settings=TrackerSettings(tolerance_deg=4.0)).run()
    assert coarse.rotator_moves < fine.rotator_moves / 3
    assert max(coarse.pointing_errors_deg) < 4.0 * LED_ERROR_FRACTION
    assert max(fine.pointing_errors_deg) < 1.0 * LED_ERROR_FRACTION + 0.2  # + interpolation and polling


def test_zenith_pass_over_the_top_in_simulated_time():
    _, _, track = zenith_pass()
    plan = plan_pointing(track, OVERLAP_FLIP, tolerance_deg=TOLERANCE_DEG)
    assert plan.mode is PointingMode.OVER_THE_TOP
    stats = Run(plan).run()
    # The plan's own error (the pass's distance from the vertical plane) plus half a tolerance.
    assert max(stats.pointing_errors_deg) < plan.peak_predicted_error_deg + TOLERANCE_DEG / 2
    assert max(stats.pointing_errors_deg) < TOLERANCE_DEG


def test_doppler_retunes_past_the_threshold_only():
    _, _, track = north_crossing_pass()
    plan = plan_pointing(track, WIDE)
    frequencies = FrequencyPlan(downlink_hz=437_800_000.0, uplink_hz=145_990_000.0)
    settings = DopplerSettings(interval_s=1.0, threshold_hz=20.0)
    run = Run(plan, frequencies=frequencies, doppler=settings)
    stats = run.run()
    assert run.rig.split()  # the uplink goes out on the split VFO
    seconds = plan.end_s - plan.start_s
    assert stats.doppler_checks == pytest.approx(seconds + 1, abs=2)  # once a second, plus before AOS
    # This pass (437.8 MHz, 34° high) drifts more than 20 Hz/s around TCA only: 386 retunes of 637.
    assert stats.rx_tunes < 0.7 * stats.doppler_checks
    assert stats.tx_tunes < stats.rx_tunes  # a third of the Doppler at 146 MHz
    # What the receiver held never strayed more than the threshold plus half a second of drift.
    drift_hz_s = np.max(np.abs(np.diff(track.range_rate_m_s))) / SPEED_OF_LIGHT_M_S * 437_800_000.0
    assert max(stats.frequency_errors_hz) < settings.threshold_hz + drift_hz_s * 0.5 + ROUNDING_HZ
    # Every frequency the rig got is the Doppler-corrected one for half an interval later.
    for time_s, what, hz in run.tunes:
        if time_s < plan.start_s:
            continue
        exact = station_frequencies(frequencies, track.range_rate_at(time_s + 0.5))
        assert hz == pytest.approx(exact.rx_hz if what == "RX" else exact.tx_hz, abs=ROUNDING_HZ)


def test_linear_transponder_keeps_the_passband_position_and_follows_the_dial():
    _, _, track = north_crossing_pass()
    plan = plan_pointing(track, WIDE)
    frequencies = FrequencyPlan.on_transponder(AO7_B, 145_950_000.0)
    settings = DopplerSettings(threshold_hz=5.0, follow_dial=True)
    run = Run(plan, frequencies=frequencies, doppler=settings)
    middle_s = (plan.start_s + plan.end_s) / 2
    run.advance(middle_s)
    # At the satellite the pair still maps through the transponder: each end within its threshold,
    # the two set up to one interval apart (drift of the 432 MHz uplink in that time).
    rr = track.range_rate_at(run.now_s() + settings.interval_s / 2)
    satellite_rx = satellite_downlink_hz(frequencies, run.rig.frequency(), rr)
    satellite_tx = run.rig.tx_frequency() * (1 - rr / SPEED_OF_LIGHT_M_S)
    uplink_drift_hz_s = (
        np.max(np.abs(np.diff(track.range_rate_m_s))) / SPEED_OF_LIGHT_M_S * AO7_B.uplink_high_hz
    )
    mapping_slack_hz = 2 * settings.threshold_hz + uplink_drift_hz_s * settings.interval_s
    assert AO7_B.downlink_for(satellite_tx) == pytest.approx(satellite_rx, abs=mapping_slack_hz)
    # The operator turns the receiver 2 kHz up: the position moves, the uplink goes 2 kHz down.
    before_uplink = run.controller.plan.uplink_hz
    run.rig.set_frequency(run.rig.frequency() + 2_000.0)
    run.advance(middle_s + 2.0)
    assert "dial" in run.kinds()
    assert run.controller.plan.uplink_hz == pytest.approx(before_uplink - 2_000.0, abs=ONE_SECOND_OF_DRIFT_HZ)
    assert run.rig.tx_frequency() == pytest.approx(
        station_frequencies(run.controller.plan, track.range_rate_at(run.now_s())).tx_hz,
        abs=settings.threshold_hz + ONE_SECOND_OF_DRIFT_HZ,
    )


def test_stopping_mid_pass_parks():
    _, _, track = north_crossing_pass()
    plan = plan_pointing(track, WIDE)
    run = Run(plan)
    stats = run.run(until=utc_from_posix(plan.start_s + 60.0))
    assert run.kinds()[-1] == "park"
    assert "los" not in run.kinds()
    assert stats.rotator_polls == pytest.approx(120, abs=2)


def test_starting_mid_pass_skips_the_preposition():
    _, _, track = north_crossing_pass()
    plan = plan_pointing(track, WIDE)
    run = Run(plan, start_before_aos_s=-120.0)  # two minutes after AOS
    run.run(until=utc_from_posix(plan.start_s + 125.0))
    assert run.kinds()[:2] == ["aos", "move"]


def test_plan_and_frequencies_need_both_sink_and_controller():
    _, _, track = north_crossing_pass()
    plan = plan_pointing(track, WIDE)
    clock = SimulatedClock(utc_from_posix(plan.start_s), speed=0)
    with pytest.raises(ValueError, match="go together"):
        PassTracker(plan, clock=clock, sink=RigSink(SimulatedRig()))


def test_every_command_is_logged(caplog):
    _, _, track = north_crossing_pass()
    plan = plan_pointing(track, WIDE)
    frequencies = FrequencyPlan(downlink_hz=437_800_000.0, uplink_hz=145_990_000.0)
    with caplog.at_level(logging.INFO, logger="groundstation.station"):
        stats = Run(plan, frequencies=frequencies).run()
    sent = [record.getMessage() for record in caplog.records if " <- " in record.getMessage()]
    assert len([m for m in sent if " <- az " in m]) == stats.rotator_moves  # preposition, moves, park
    assert len([m for m in sent if " <- RX " in m]) == stats.rx_tunes
    assert len([m for m in sent if " <- TX " in m]) == stats.tx_tunes


def test_an_sdr_is_retuned_through_the_radio_protocol():
    _, _, track = north_crossing_pass()
    plan = plan_pointing(track, WIDE)
    frequencies = FrequencyPlan(downlink_hz=437_800_000.0, uplink_hz=145_990_000.0)
    radio = LoopbackRadio(RadioSettings(sample_rate_hz=48_000.0, frequency_hz=437_800_000.0))
    radio.open()
    clock = SimulatedClock(utc_from_posix(plan.start_s - 60.0), speed=0)
    controller = DopplerController(frequencies, DopplerSettings(threshold_hz=10.0))
    tracker = PassTracker(plan, clock=clock, sink=RadioSink(radio), doppler=controller)
    middle_s = (plan.start_s + plan.end_s) / 2
    while clock.now().timestamp() < middle_s:
        clock.step(min(tracker.step(), middle_s - clock.now().timestamp()))
    # `tune` moves both directions on an SDR: the uplink must have been set again after it.
    # (An SDR takes fractional hertz; the controller keeps what it sent rounded.)
    assert radio.settings.frequency_hz == pytest.approx(controller.sent.rx_hz, abs=ROUNDING_HZ / 2)
    assert radio.tx_frequency_hz == pytest.approx(controller.sent.tx_hz, abs=ROUNDING_HZ / 2)
    assert tracker.stats.rx_tunes > 10
    radio.close()
