"""Link budgets against the textbook forms: ITU-R P.525's path loss in MHz and km, and the
ground-station engineer's Eb/N0 = EIRP + G/T − FSPL − L + 228.6 − 10 log Rb."""

from __future__ import annotations

import math

import pytest
import scipy.constants

from groundstation.link_budget import (
    BOLTZMANN_J_K,
    UHF_DOWNLINK,
    UHF_UPLINK,
    LinkBudget,
    free_space_path_loss_db,
)

# P.525 rounds 20 log10(4π/c) (MHz, km) to 32.45 dB (the exact value is 32.4478).
P525_ROUNDING_DB = 0.005
# 228.6 is 10 log10(k) rounded to a tenth (the exact value is 228.599).
BOLTZMANN_ROUNDING_DB = 0.002


@pytest.mark.parametrize(("range_km", "frequency_mhz"), [(550.0, 435.5), (2700.0, 145.8), (36_000.0, 2200.0)])
def test_path_loss_is_p525(range_km, frequency_mhz):
    p525 = 32.45 + 20 * math.log10(frequency_mhz) + 20 * math.log10(range_km)
    assert free_space_path_loss_db(range_km * 1e3, frequency_mhz * 1e6) == pytest.approx(
        p525, abs=P525_ROUNDING_DB
    )


def test_boltzmann_is_scipys():
    assert scipy.constants.k == BOLTZMANN_J_K


@pytest.mark.parametrize("budget", [UHF_DOWNLINK, UHF_UPLINK])
@pytest.mark.parametrize("range_km", [550.0, 1200.0, 2700.0])
def test_ebn0_is_the_textbook_sum(budget, range_km):
    fspl = 32.45 + 20 * math.log10(budget.frequency_hz / 1e6) + 20 * math.log10(range_km)
    eirp = 10 * math.log10(budget.tx_power_w) + budget.tx_antenna_gain_dbi
    g_over_t = budget.rx_antenna_gain_dbi - 10 * math.log10(budget.system_noise_temperature_k)
    textbook = eirp + g_over_t - fspl - budget.losses_db + 228.6 - 10 * math.log10(budget.bit_rate_bps)
    assert budget.ebn0_db(range_km * 1e3) == pytest.approx(
        textbook, abs=P525_ROUNDING_DB + BOLTZMANN_ROUNDING_DB
    )


def test_doubling_the_range_costs_six_db():
    assert UHF_DOWNLINK.ebn0_db(600e3) - UHF_DOWNLINK.ebn0_db(1200e3) == pytest.approx(
        20 * math.log10(2), abs=1e-9
    )


def test_demo_downlink_closes_overhead_and_fails_at_the_horizon():
    # The G3RUH IQ modem needs about 11 dB (radios tests); a 550 km orbit's horizon is ~2,700 km away.
    assert UHF_DOWNLINK.ebn0_db(550e3) > 18.0
    assert UHF_DOWNLINK.ebn0_db(2700e3) < 11.0
    assert UHF_UPLINK.ebn0_db(2700e3) > 20.0


@pytest.mark.parametrize(
    ("field", "value"),
    [("frequency_hz", 0.0), ("tx_power_w", -1.0), ("bit_rate_bps", math.nan), ("losses_db", -0.5)],
)
def test_bad_budgets_are_refused(field, value):
    fields = {**UHF_DOWNLINK.__dict__, field: value}
    with pytest.raises(ValueError, match=field):
        LinkBudget(**fields)
