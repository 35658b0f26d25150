"""What a simulated node transmits, packed as its flight software would (struct, fixed layouts),
independently of the ground's dictionary; a test decodes these bytes through demo_node.toml.

    node_health (APID 0x101, 48 bytes) and governance_report (APID 0x102, 24 bytes): the layouts
    are documented in groundstation/telemetry/demo_node.toml.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

import numpy as np

from groundstation.governance.reasons import Reason

HEALTH_APID = 0x101
REPORT_APID = 0x102
_HEALTH_HEAD = struct.Struct(">IHBBhhHhIIHHIQBBh")  # bytes 0..43, then a little-endian f32
_SOLAR = struct.Struct("<f")
_REPORT = struct.Struct(">IQIIBBBB")

MODES = ("safe", "nominal", "payload", "low_power", "detumble")
ADCS_STATES = ("off", "detumbling", "sun_pointing", "fine_pointing")
EXECUTIONS = ("none", "executed", "unknown_opcode", "bad_argument", "unsupported")
# The verifier's reasons as one-byte codes (0: none). Codes 1-9 keep the numbers the health
# packet's reason field always had; the rest follow in Reason's order.
REASON_CODES: dict[Reason, int] = {
    Reason.BAD_SIGNATURE: 1,
    Reason.REPLAY: 2,
    Reason.UNKNOWN_SIGNER: 3,
    Reason.REVOKED_SIGNER: 4,
    Reason.WRONG_EPOCH: 5,
    Reason.MALFORMED: 6,
    Reason.EXPIRED: 7,
    Reason.WRONG_TARGET: 8,
    Reason.BELOW_QUORUM: 9,
    Reason.OVERSIZED: 10,
    Reason.UNSUPPORTED_VERSION: 11,
    Reason.ALGORITHM_MISMATCH: 12,
    Reason.DUPLICATE_SIGNER: 13,
    Reason.UNSUPPORTED_PAYLOAD: 14,
    Reason.BAD_ROTATION: 15,
    Reason.NOT_YET_VALID: 16,
    Reason.STATE_ERROR: 17,
    Reason.INTERNAL_ERROR: 18,
}
# The radio's PA thermistor (ADC counts, °C), as in the dictionary's calibration table.
_THERMISTOR = (
    (400, 95.0),
    (800, 68.0),
    (1400, 44.0),
    (2048, 25.0),
    (2700, 7.0),
    (3300, -12.0),
    (3800, -35.0),
)


@dataclass(frozen=True)
class HealthSample:
    """The node's housekeeping at one instant, in engineering units."""

    uptime_s: float
    battery_voltage_v: float
    battery_soc_pct: float
    mode: str
    obc_temperature_c: float
    battery_temperature_c: float
    radio_temperature_c: float
    panel_temperature_c: float
    storage_used_kib: float
    storage_free_kib: float
    commands_accepted: int
    commands_rejected: int
    roster_epoch: int
    last_accepted_sequence: int
    last_rejection_reason: Reason | None
    payload_on: bool
    heater_on: bool
    adcs_state: str
    uplink_rssi_dbm: float
    solar_current_a: float


@dataclass(frozen=True)
class GovernanceReport:
    uptime_s: int
    sequence: int
    epoch: int
    packet_id: int
    accepted: bool
    reason: Reason | None
    execution: str
    number: int


def _clamp(value: float, low: int, high: int) -> int:
    return int(min(max(round(value), low), high))


def thermistor_counts(temperature_c: float) -> int:
    """ADC counts the PA thermistor reads at `temperature_c` (linear between the table's points)."""
    counts = [c for c, _ in reversed(_THERMISTOR)]
    temps = [t for _, t in reversed(_THERMISTOR)]
    return round(float(np.interp(temperature_c, temps, counts)))


def pack_health(h: HealthSample) -> bytes:
    flags = int(h.payload_on) | int(h.heater_on) << 1 | ADCS_STATES.index(h.adcs_state) << 2
    head = _HEALTH_HEAD.pack(
        _clamp(h.uptime_s, 0, 2**32 - 1),
        _clamp(h.battery_voltage_v * 1000.0, 0, 2**16 - 1),
        _clamp(h.battery_soc_pct * 2.0, 0, 255),
        MODES.index(h.mode),
        _clamp(h.obc_temperature_c * 100.0, -(2**15), 2**15 - 1),
        _clamp(h.battery_temperature_c * 100.0, -(2**15), 2**15 - 1),
        thermistor_counts(h.radio_temperature_c),
        _clamp(h.panel_temperature_c * 100.0, -(2**15), 2**15 - 1),
        _clamp(h.storage_used_kib, 0, 2**32 - 1),
        _clamp(h.storage_free_kib, 0, 2**32 - 1),
        h.commands_accepted & 0xFFFF,
        h.commands_rejected & 0xFFFF,
        h.roster_epoch,
        h.last_accepted_sequence,
        0 if h.last_rejection_reason is None else REASON_CODES[h.last_rejection_reason],
        flags,
        _clamp(h.uplink_rssi_dbm * 10.0, -(2**15), 2**15 - 1),
    )
    return head + _SOLAR.pack(h.solar_current_a)


def pack_report(r: GovernanceReport) -> bytes:
    return _REPORT.pack(
        r.uptime_s & 0xFFFFFFFF,
        r.sequence,
        r.epoch,
        r.packet_id,
        0 if r.accepted else 1,
        0 if r.reason is None else REASON_CODES[r.reason],
        EXECUTIONS.index(r.execution),
        r.number & 0xFF,
    )
