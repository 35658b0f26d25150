"""Test packets for the demo health dictionary, packed with `struct` (independent of numpy)."""

from __future__ import annotations

import struct
from dataclasses import dataclass

from hypothesis import strategies as st

# The layout written out by hand from the documentation of demo_node.toml, not read from it.
HEALTH_FORMAT_BE = ">IHBBhhHhIIHHIQBBh"  # bytes 0..43
HEALTH_LENGTH_BYTES = 48


@dataclass(frozen=True)
class HealthValues:
    uptime_s: int = 3600
    battery_mv: int = 3900
    soc_half_pct: int = 160  # 80 %
    mode: int = 1  # nominal
    obc_centi_c: int = 2000
    battery_centi_c: int = 1500
    radio_adc: int = 2048  # 25 °C on the thermistor table
    panel_centi_c: int = 3000
    storage_used_kib: int = 1000
    storage_free_kib: int = 900_000
    commands_accepted: int = 3
    commands_rejected: int = 1
    roster_epoch: int = 7
    last_sequence: int = 42
    rejection_reason: int = 2
    flags: int = 0b1001  # payload on, heater off, adcs sun_pointing (2)
    rssi_deci_dbm: int = -1050
    solar_current_a: float = 0.75


def pack_health(v: HealthValues) -> bytes:
    head = struct.pack(
        HEALTH_FORMAT_BE,
        v.uptime_s,
        v.battery_mv,
        v.soc_half_pct,
        v.mode,
        v.obc_centi_c,
        v.battery_centi_c,
        v.radio_adc,
        v.panel_centi_c,
        v.storage_used_kib,
        v.storage_free_kib,
        v.commands_accepted,
        v.commands_rejected,
        v.roster_epoch,
        v.last_sequence,
        v.rejection_reason,
        v.flags,
        v.rssi_deci_dbm,
    )
    data = head + struct.pack("<f", v.solar_current_a)
    assert len(data) == HEALTH_LENGTH_BYTES
    return data


def _ints(bits: int, signed: bool) -> st.SearchStrategy[int]:
    return st.integers(-(2 ** (bits - 1)), 2 ** (bits - 1) - 1) if signed else st.integers(0, 2**bits - 1)


health_values = st.builds(
    HealthValues,
    uptime_s=_ints(32, False),
    battery_mv=_ints(16, False),
    soc_half_pct=_ints(8, False),
    mode=st.integers(0, 4),
    obc_centi_c=_ints(16, True),
    battery_centi_c=_ints(16, True),
    radio_adc=_ints(16, False),
    panel_centi_c=_ints(16, True),
    storage_used_kib=_ints(32, False),
    storage_free_kib=_ints(32, False),
    commands_accepted=_ints(16, False),
    commands_rejected=_ints(16, False),
    roster_epoch=_ints(32, False),
    last_sequence=_ints(52, False),
    rejection_reason=st.integers(0, 9),
    flags=_ints(8, False),
    rssi_deci_dbm=_ints(16, True),
    solar_current_a=st.floats(-1e6, 1e6, width=32),
)
