"""Radio link budgets: free-space path loss and the Eb/N0 a receiver sees at a given range.

    Pr  = Pt + Gt + Gr − FSPL(d, f) − L                 (dBW)
    C/N0 = Pr − 10 log10(k T_sys)                        (dBHz)
    Eb/N0 = C/N0 − 10 log10(Rb)                          (dB)

with FSPL = 20 log10(4π d f / c) (ITU-R P.525), k Boltzmann's constant, T_sys the receiving
system's noise temperature, L the other losses (pointing, polarisation, cables, atmosphere).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

SPEED_OF_LIGHT_M_S = 299_792_458.0
BOLTZMANN_J_K = 1.380649e-23  # exact since the 2019 SI


def free_space_path_loss_db(range_m: float, frequency_hz: float) -> float:
    """Loss between isotropic antennas `range_m` apart, at `frequency_hz`."""
    if not (range_m > 0 and frequency_hz > 0):
        raise ValueError(f"range and frequency must be > 0, got {range_m} m, {frequency_hz} Hz")
    return 20.0 * math.log10(4.0 * math.pi * range_m * frequency_hz / SPEED_OF_LIGHT_M_S)


@dataclass(frozen=True)
class LinkBudget:
    """One direction of a link (transmitter to receiver); `ebn0_db(range_m)` is what matters."""

    frequency_hz: float
    tx_power_w: float
    tx_antenna_gain_dbi: float
    rx_antenna_gain_dbi: float
    system_noise_temperature_k: float
    losses_db: float
    bit_rate_bps: float

    def __post_init__(self) -> None:
        for name in ("frequency_hz", "tx_power_w", "system_noise_temperature_k", "bit_rate_bps"):
            value = getattr(self, name)
            if not (math.isfinite(value) and value > 0):
                raise ValueError(f"link budget: {name} must be > 0, got {value!r}")
        if not (math.isfinite(self.losses_db) and self.losses_db >= 0):
            raise ValueError(f"link budget: losses_db must be >= 0, got {self.losses_db!r}")

    @property
    def eirp_dbw(self) -> float:
        return 10.0 * math.log10(self.tx_power_w) + self.tx_antenna_gain_dbi

    @property
    def g_over_t_db_k(self) -> float:
        return self.rx_antenna_gain_dbi - 10.0 * math.log10(self.system_noise_temperature_k)

    def received_power_dbw(self, range_m: float) -> float:
        return (
            self.eirp_dbw
            + self.rx_antenna_gain_dbi
            - free_space_path_loss_db(range_m, self.frequency_hz)
            - self.losses_db
        )

    def received_power_dbm(self, range_m: float) -> float:
        return self.received_power_dbw(range_m) + 30.0

    def c_over_n0_dbhz(self, range_m: float) -> float:
        noise_density_dbw_hz = 10.0 * math.log10(BOLTZMANN_J_K * self.system_noise_temperature_k)
        return self.received_power_dbw(range_m) - noise_density_dbw_hz

    def ebn0_db(self, range_m: float) -> float:
        return self.c_over_n0_dbhz(range_m) - 10.0 * math.log10(self.bit_rate_bps)


# UHF 9600 bd links of a small spacecraft and an amateur-class station (435 MHz):
# node 1 W into a 0 dBi monopole; station 50 W into a 12 dBi crossed Yagi, 800 K system
# temperature; 7.5 dB of pointing, polarisation, cable and scintillation losses. Downlink Eb/N0 is
# about 10 dB at the horizon of a 550 km orbit, 14 dB at 10° and 24 dB overhead: against the
# modem's ~11 dB, frames are lost low in the sky, as on a real pass. The uplink has 16 dB more.
UHF_DOWNLINK = LinkBudget(
    frequency_hz=435.5e6,
    tx_power_w=1.0,
    tx_antenna_gain_dbi=0.0,
    rx_antenna_gain_dbi=12.0,
    system_noise_temperature_k=800.0,
    losses_db=7.5,
    bit_rate_bps=9600.0,
)
UHF_UPLINK = LinkBudget(
    frequency_hz=435.5e6,
    tx_power_w=50.0,
    tx_antenna_gain_dbi=12.0,
    rx_antenna_gain_dbi=0.0,
    system_noise_temperature_k=1000.0,
    losses_db=7.5,
    bit_rate_bps=9600.0,
)
