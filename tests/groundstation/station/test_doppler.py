"""Doppler arithmetic, linear transponders and the update decision, without devices."""

from __future__ import annotations

import pytest

from groundstation.station.doppler import (
    DopplerController,
    DopplerSettings,
    FrequencyPlan,
    LinearTransponder,
    TunedFrequencies,
    satellite_downlink_hz,
    station_frequencies,
)

SPEED_OF_LIGHT_M_S = 299_792_458.0  # exact, by definition of the metre
ONE_HZ = 1.0
MILLIHERTZ = 1e-3

# AO-7 mode B: 432.125-432.175 MHz in, 145.975-145.925 MHz out (inverting).
AO7_B = LinearTransponder(432_125_000.0, 432_175_000.0, 145_925_000.0, 145_975_000.0, inverting=True)
# FO-29 style mode V/U but non-inverting, for the other kind.
PLAIN_XPDR = LinearTransponder(145_900_000.0, 146_000_000.0, 435_800_000.0, 435_900_000.0, inverting=False)


def test_downlink_and_uplink_follow_the_textbook_formulas():
    # Approaching at 7 km/s: heard higher, sent lower.
    plan = FrequencyPlan(downlink_hz=437_800_000.0, uplink_hz=145_990_000.0)
    tuned = station_frequencies(plan, -7_000.0)
    assert tuned.rx_hz == pytest.approx(437_800_000.0 * (1 + 7_000.0 / SPEED_OF_LIGHT_M_S), abs=MILLIHERTZ)
    assert tuned.tx_hz == pytest.approx(145_990_000.0 / (1 + 7_000.0 / SPEED_OF_LIGHT_M_S), abs=MILLIHERTZ)
    assert tuned.rx_hz - 437_800_000.0 == pytest.approx(10_222.0, abs=1.0)  # the field-notes figure
    receding = station_frequencies(plan, 7_000.0)
    assert receding.rx_hz < 437_800_000.0 < tuned.rx_hz
    assert receding.tx_hz > 145_990_000.0 > tuned.tx_hz


def test_calibration_offsets_move_what_the_satellite_sends_and_hears():
    base = FrequencyPlan(downlink_hz=437_800_000.0, uplink_hz=145_990_000.0)
    calibrated = FrequencyPlan(
        downlink_hz=437_800_000.0,
        uplink_hz=145_990_000.0,
        downlink_offset_hz=1_200.0,
        uplink_offset_hz=-300.0,
    )
    factor = 1 - 5_000.0 / SPEED_OF_LIGHT_M_S
    a, b = station_frequencies(base, 5_000.0), station_frequencies(calibrated, 5_000.0)
    assert b.rx_hz - a.rx_hz == pytest.approx(1_200.0 * factor, abs=MILLIHERTZ)
    assert b.tx_hz - a.tx_hz == pytest.approx(-300.0 / factor, abs=MILLIHERTZ)
    # The inverse recovers the satellite frame, offset removed.
    assert satellite_downlink_hz(calibrated, b.rx_hz, 5_000.0) == pytest.approx(437_800_000.0, abs=MILLIHERTZ)


def test_inverting_transponder_mirrors_the_passband():
    assert AO7_B.downlink_for(432_125_000.0) == 145_975_000.0
    assert AO7_B.downlink_for(432_175_000.0) == 145_925_000.0
    assert AO7_B.uplink_for(145_950_000.0) == 432_150_000.0
    plan = FrequencyPlan.on_transponder(AO7_B, 145_960_000.0)
    assert plan.uplink_hz == 432_140_000.0
    moved = plan.moved_to(145_961_000.0)  # the operator tunes 1 kHz up ...
    assert moved.uplink_hz == 432_139_000.0  # ... the uplink goes 1 kHz down


def test_non_inverting_transponder_shifts_the_passband():
    plan = FrequencyPlan.on_transponder(PLAIN_XPDR, 435_850_000.0)
    assert plan.uplink_hz == 145_950_000.0
    assert plan.moved_to(435_851_000.0).uplink_hz == 145_951_000.0
    # Moving past the passband edge stops at the edge.
    assert plan.moved_to(436_500_000.0).downlink_hz == 435_900_000.0


def test_plan_rejects_inconsistent_or_missing_frequencies():
    with pytest.raises(ValueError, match="downlink or an uplink"):
        FrequencyPlan()
    with pytest.raises(ValueError, match="downlink_hz must be a positive"):
        FrequencyPlan(downlink_hz=-1.0)
    with pytest.raises(ValueError, match="comes out of the transponder at 145950000 Hz"):
        FrequencyPlan(145_960_000.0, 432_150_000.0, AO7_B)
    with pytest.raises(ValueError, match="outside the transponder's passband"):
        FrequencyPlan(146_000_000.0, 432_100_000.0, AO7_B)
    with pytest.raises(ValueError, match="low < high"):
        LinearTransponder(2.0, 1.0, 3.0, 4.0, inverting=False)
    with pytest.raises(ValueError, match="interval_s"):
        DopplerSettings(interval_s=0.0)


def test_controller_resends_only_past_the_threshold():
    controller = DopplerController(
        FrequencyPlan(downlink_hz=437_800_000.0, uplink_hz=145_990_000.0), DopplerSettings(threshold_hz=50.0)
    )
    first = controller.due(TunedFrequencies(437_801_000.0, 145_989_000.0))
    assert first == TunedFrequencies(437_801_000.0, 145_989_000.0)  # nothing sent yet: both go
    controller.record_rx(first.rx_hz)
    controller.record_tx(first.tx_hz)
    assert controller.due(TunedFrequencies(437_801_049.0, 145_989_020.0)) == TunedFrequencies(None, None)
    assert controller.due(TunedFrequencies(437_801_050.0, 145_989_020.0)) == TunedFrequencies(
        437_801_050.0, None
    )
    controller.forget()
    assert controller.due(TunedFrequencies(437_801_000.0, 145_989_000.0)).tx_hz == 145_989_000.0


def test_controller_aims_at_the_middle_of_the_coming_interval():
    controller = DopplerController(FrequencyPlan(downlink_hz=437_800_000.0), DopplerSettings(interval_s=2.0))
    asked = []

    def range_rate(time_s: float) -> float:
        asked.append(time_s)
        return 0.0

    controller.wanted(100.0, range_rate)
    assert asked == [101.0]


def test_dial_moved_keeps_the_operators_passband_position():
    controller = DopplerController(FrequencyPlan.on_transponder(AO7_B, 145_950_000.0))
    assert not controller.dial_moved(145_950_000.0, 0.0)  # nothing sent yet: nothing to compare
    controller.record_rx(145_950_000.0)
    assert not controller.dial_moved(145_950_001.0, 0.0)  # our own rounding
    assert controller.dial_moved(145_950_500.0, 0.0)
    assert controller.plan.downlink_hz == pytest.approx(145_950_500.0, abs=ONE_HZ)
    assert controller.plan.uplink_hz == pytest.approx(432_149_500.0, abs=ONE_HZ)
