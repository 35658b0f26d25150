"""The node's electrical power: solar array (only in sunlight), loads by mode, a 1S Li-ion battery.

Energy balance over a step: the array delivers `solar_power_w` (less when the node is not sun
pointing) only while tracking's `sunlit` flag is true; the loads draw their mode's power plus the
heater and the transmitter's duty cycle. Surplus charges the battery (at `charge_efficiency`), a
deficit discharges it; a full battery sheds the surplus. Terminal voltage is the open-circuit
voltage at the state of charge plus the IR drop of the battery current.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

MODE_LOAD_W: dict[str, float] = {
    "safe": 2.0,
    "nominal": 3.0,
    "payload": 6.5,
    "low_power": 1.5,
    "detumble": 2.5,
}
# Open-circuit voltage of a Li-ion cell against state of charge (typical NMC curve).
_OCV_SOC = (0.0, 0.05, 0.10, 0.20, 0.40, 0.60, 0.80, 1.00)
_OCV_V = (3.00, 3.30, 3.45, 3.60, 3.70, 3.80, 3.95, 4.15)
MAX_CHARGE_VOLTAGE_V = 4.2


@dataclass(frozen=True)
class PowerParams:
    capacity_wh: float = 37.0  # one 10 Ah cell
    solar_power_w: float = 6.5  # array output in full sun, sun pointing (about 1.7 A)
    off_pointing_factor: float = 0.6  # tumbling or detumbling
    heater_w: float = 2.0
    transmit_w: float = 4.0  # extra draw while the transmitter keys
    charge_efficiency: float = 0.95
    internal_resistance_ohm: float = 0.05


@dataclass(frozen=True)
class PowerState:
    soc: float  # state of charge, 0..1
    battery_voltage_v: float
    solar_current_a: float
    net_power_w: float  # into the battery (+) or out of it (−)


def open_circuit_voltage_v(soc: float) -> float:
    return float(np.interp(soc, _OCV_SOC, _OCV_V))


def step_power(
    state: PowerState,
    params: PowerParams,
    dt_s: float,
    *,
    sunlit: bool,
    mode: str,
    sun_pointing: bool,
    heater_on: bool,
    transmit_s: float = 0.0,
) -> PowerState:
    """The power state `dt_s` later (constant inputs over the step)."""
    if dt_s <= 0:
        return state
    solar_w = params.solar_power_w * (1.0 if sun_pointing else params.off_pointing_factor) if sunlit else 0.0
    load_w = MODE_LOAD_W[mode] + (params.heater_w if heater_on else 0.0)
    load_w += params.transmit_w * min(transmit_s, dt_s) / dt_s
    net_w = solar_w - load_w
    stored_wh = net_w * dt_s / 3600.0 * (params.charge_efficiency if net_w > 0 else 1.0)
    soc = min(1.0, max(0.0, state.soc + stored_wh / params.capacity_wh))
    if soc >= 1.0 and net_w > 0:
        net_w = 0.0  # full: the array is shunted down to the load
        solar_w = load_w
    ocv = open_circuit_voltage_v(soc)
    current_a = net_w / ocv
    voltage = min(MAX_CHARGE_VOLTAGE_V, ocv + current_a * params.internal_resistance_ohm)
    solar_current_a = solar_w / voltage if math.isfinite(voltage) and voltage > 0 else 0.0
    return PowerState(soc, voltage, solar_current_a, net_w)


def initial_power(soc: float) -> PowerState:
    return PowerState(soc, open_circuit_voltage_v(soc), 0.0, 0.0)
