"""The node's temperatures: first-order lumped nodes relaxing towards sunlit/eclipse equilibria.

Each temperature T moves towards its equilibrium T_eq with time constant tau:
T(t + dt) = T_eq + (T − T_eq) exp(−dt/tau). The panels swing hardest (+55 °C in sun, −45 °C in
eclipse, tau 10 min); the battery sits deep inside (tau 1 h) and warms with the loads and its
heater; the computer runs warmer than the battery; the radio's PA heats while it transmits.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

PANEL_SUN_C = 55.0
PANEL_ECLIPSE_C = -45.0
PANEL_TAU_S = 600.0
BATTERY_SUN_C = 8.0
BATTERY_ECLIPSE_C = -4.0
BATTERY_TAU_S = 3600.0
BATTERY_PER_LOAD_W_C = 0.8
HEATER_C = 12.0
OBC_ABOVE_BATTERY_C = 8.0
OBC_PER_LOAD_W_C = 1.5
OBC_TAU_S = 1200.0
RADIO_TRANSMIT_C = 30.0  # above the computer at a 100 % transmit duty cycle
RADIO_TAU_S = 300.0
HEATER_ON_BELOW_C = 2.0
HEATER_OFF_ABOVE_C = 6.0


@dataclass(frozen=True)
class Temperatures:
    panel_c: float
    battery_c: float
    obc_c: float
    radio_c: float


def _relax(value: float, target: float, dt_s: float, tau_s: float) -> float:
    return target + (value - target) * math.exp(-dt_s / tau_s)


def step_thermal(
    t: Temperatures, dt_s: float, *, sunlit: bool, load_w: float, heater_on: bool, transmit_s: float = 0.0
) -> Temperatures:
    if dt_s <= 0:
        return t
    battery_eq = (BATTERY_SUN_C if sunlit else BATTERY_ECLIPSE_C) + BATTERY_PER_LOAD_W_C * load_w
    battery_eq += HEATER_C if heater_on else 0.0
    obc_eq = battery_eq + OBC_ABOVE_BATTERY_C + OBC_PER_LOAD_W_C * load_w
    radio_eq = obc_eq + RADIO_TRANSMIT_C * min(transmit_s, dt_s) / dt_s
    return Temperatures(
        panel_c=_relax(t.panel_c, PANEL_SUN_C if sunlit else PANEL_ECLIPSE_C, dt_s, PANEL_TAU_S),
        battery_c=_relax(t.battery_c, battery_eq, dt_s, BATTERY_TAU_S),
        obc_c=_relax(t.obc_c, obc_eq, dt_s, OBC_TAU_S),
        radio_c=_relax(t.radio_c, radio_eq, dt_s, RADIO_TAU_S),
    )


def heater_wanted(battery_c: float, heater_on: bool) -> bool:
    """The battery heater's thermostat (with hysteresis)."""
    if battery_c < HEATER_ON_BELOW_C:
        return True
    if battery_c > HEATER_OFF_ABOVE_C:
        return False
    return heater_on
