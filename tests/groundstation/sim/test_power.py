"""The node's power and thermal models on a real orbit: the battery charges only while tracking's
`sunlit` flag (checked against Skyfield in tests/tracking) says the node sees the Sun."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from groundstation.demo import demo_constellation, demo_epoch
from groundstation.sim.orbits import SUNLIT_STEP_S, SunlitTable
from groundstation.sim.power import (
    MAX_CHARGE_VOLTAGE_V,
    MODE_LOAD_W,
    PowerParams,
    initial_power,
    open_circuit_voltage_v,
    step_power,
)
from groundstation.sim.thermal import (
    PANEL_ECLIPSE_C,
    PANEL_SUN_C,
    Temperatures,
    heater_wanted,
    step_thermal,
)
from tracking.propagation import Propagator

START = datetime(2026, 1, 1, tzinfo=UTC)
ORBITS_S = 3 * 96 * 60.0
# A 550 km orbit spends at most ~36 min of its ~96 min in Earth's shadow.
MAX_ECLIPSE_FRACTION = 0.40
SOC_TOLERANCE = 1e-12


@pytest.fixture(scope="module")
def sunlight() -> tuple[np.ndarray, np.ndarray]:
    elements = demo_constellation(demo_epoch(START))[:1]
    table = SunlitTable(Propagator(elements), START.timestamp())
    times_s = START.timestamp() + np.arange(0.0, ORBITS_S, SUNLIT_STEP_S)
    flags = np.array([table.sunlit_at(0, t) for t in times_s])
    return times_s, flags


def test_the_orbit_has_both_sun_and_shadow(sunlight):
    _, flags = sunlight
    eclipse = 1.0 - flags.mean()
    assert 0.0 < eclipse < MAX_ECLIPSE_FRACTION


@pytest.mark.parametrize("mode", ["nominal", "payload", "safe"])
def test_the_battery_charges_only_in_sunlight(sunlight, mode):
    _, flags = sunlight
    params = PowerParams()
    state = initial_power(0.5)
    for sunlit in flags:
        after = step_power(
            state, params, SUNLIT_STEP_S, sunlit=bool(sunlit), mode=mode, sun_pointing=True, heater_on=False
        )
        charged = after.soc - state.soc
        if sunlit:
            assert charged == pytest.approx(
                (params.solar_power_w - MODE_LOAD_W[mode])
                * SUNLIT_STEP_S
                / 3600
                / params.capacity_wh
                * (params.charge_efficiency if params.solar_power_w > MODE_LOAD_W[mode] else 1.0),
                abs=SOC_TOLERANCE,
            )
        else:
            assert charged < 0
            assert after.solar_current_a == 0.0
        state = after


def test_a_full_battery_sheds_the_surplus():
    full = initial_power(1.0)
    after = step_power(
        full, PowerParams(), 60.0, sunlit=True, mode="safe", sun_pointing=True, heater_on=False
    )
    assert after.soc == 1.0
    assert after.net_power_w == 0.0
    assert after.battery_voltage_v <= MAX_CHARGE_VOLTAGE_V


def test_voltage_follows_the_state_of_charge_and_the_current():
    empty, full = open_circuit_voltage_v(0.0), open_circuit_voltage_v(1.0)
    assert empty < open_circuit_voltage_v(0.5) < full
    state = initial_power(0.5)
    charging = step_power(
        state, PowerParams(), 1.0, sunlit=True, mode="safe", sun_pointing=True, heater_on=False
    )
    draining = step_power(
        state, PowerParams(), 1.0, sunlit=False, mode="payload", sun_pointing=True, heater_on=False
    )
    assert draining.battery_voltage_v < open_circuit_voltage_v(0.5) < charging.battery_voltage_v


def test_transmitting_and_the_heater_cost_energy():
    state = initial_power(0.5)
    quiet = step_power(
        state, PowerParams(), 60.0, sunlit=False, mode="nominal", sun_pointing=True, heater_on=False
    )
    busy = step_power(
        state,
        PowerParams(),
        60.0,
        sunlit=False,
        mode="nominal",
        sun_pointing=True,
        heater_on=True,
        transmit_s=30.0,
    )
    assert busy.soc < quiet.soc


def test_panels_warm_in_the_sun_and_cool_in_shadow(sunlight):
    _, flags = sunlight
    temps = Temperatures(0.0, 10.0, 20.0, 20.0)
    seen = []
    for sunlit in flags:
        temps = step_thermal(temps, SUNLIT_STEP_S, sunlit=bool(sunlit), load_w=3.0, heater_on=False)
        seen.append((bool(sunlit), temps.panel_c))
    sun = [t for s, t in seen[len(seen) // 3 :] if s]
    shade = [t for s, t in seen[len(seen) // 3 :] if not s]
    assert max(sun) > 30.0 > 0.0 > min(shade)
    assert min(shade) > PANEL_ECLIPSE_C
    assert max(sun) < PANEL_SUN_C


def test_the_heater_thermostat_has_hysteresis():
    assert heater_wanted(1.0, False)
    assert heater_wanted(4.0, True)
    assert not heater_wanted(4.0, False)
    assert not heater_wanted(7.0, True)


def test_the_sunlit_table_extends_itself():
    elements = demo_constellation(demo_epoch(START))[:2]
    table = SunlitTable(Propagator(elements), START.timestamp())
    far = (START + timedelta(days=2)).timestamp()
    assert table.sunlit_at(1, far) in (True, False)
    assert table.end_s > far
