"""The node's telemetry, packed as flight software would, decodes through the ground's dictionary
(demo_node.toml) to the values the node meant."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from groundstation.governance.reasons import Reason
from groundstation.sim.node_telemetry import (
    EXECUTIONS,
    HEALTH_APID,
    MODES,
    REASON_CODES,
    REPORT_APID,
    GovernanceReport,
    HealthSample,
    pack_health,
    pack_report,
)
from groundstation.telemetry.decoder import TelemetryDecoder
from groundstation.telemetry.dictionary import demo_dictionary
from groundstation.telemetry.frames import Reception, TelemetryFrame
from radios.spacepacket import CcsdsPacket

T0 = datetime(2026, 1, 1, tzinfo=UTC)
RAW_STEP_V = 0.001  # millivolts
RAW_STEP_C = 0.01  # centidegrees
RAW_STEP_PCT = 0.5
RAW_STEP_DBM = 0.1
# Linear inversion of the thermistor table against the dictionary's spline: within a degree.
THERMISTOR_TOLERANCE_C = 1.0
F32_RELATIVE = 1e-6


def decode(apid: int, data: bytes) -> dict[str, object]:
    packet = CcsdsPacket(apid, 7, data, telecommand=False).pack()
    frame = TelemetryFrame.from_space_packet(
        "NODE-01-01", packet, Reception("Delft", T0, 435.5e6, 12.0, "test")
    )
    result = TelemetryDecoder(demo_dictionary()).decode([frame])
    assert result.rejected == ()
    return {s.parameter: s for s in result.samples()}


HEALTH = HealthSample(
    uptime_s=123_456.7,
    battery_voltage_v=3.812,
    battery_soc_pct=71.5,
    mode="payload",
    obc_temperature_c=23.45,
    battery_temperature_c=-4.2,
    radio_temperature_c=31.0,
    panel_temperature_c=-38.77,
    storage_used_kib=345_678.0,
    storage_free_kib=654_322.0,
    commands_accepted=3,
    commands_rejected=2,
    roster_epoch=2,
    last_accepted_sequence=2**40 + 5,
    last_rejection_reason=Reason.REPLAY,
    payload_on=True,
    heater_on=True,
    adcs_state="fine_pointing",
    uplink_rssi_dbm=-101.3,
    solar_current_a=1.6625,
)


def test_health_decodes_to_what_the_node_measured():
    got = decode(HEALTH_APID, pack_health(HEALTH))
    assert got["uptime"].raw_value == 123_457
    assert got["battery_voltage"].eng_value == pytest.approx(3.812, abs=RAW_STEP_V)
    assert got["battery_soc"].eng_value == pytest.approx(71.5, abs=RAW_STEP_PCT)
    assert got["mode"].text == "payload"
    assert got["obc_temperature"].eng_value == pytest.approx(23.45, abs=RAW_STEP_C)
    assert got["battery_temperature"].eng_value == pytest.approx(-4.2, abs=RAW_STEP_C)
    assert got["radio_temperature"].eng_value == pytest.approx(31.0, abs=THERMISTOR_TOLERANCE_C)
    assert got["panel_temperature"].eng_value == pytest.approx(-38.77, abs=RAW_STEP_C)
    assert (got["storage_used"].raw_value, got["storage_free"].raw_value) == (345_678, 654_322)
    assert (got["commands_accepted"].raw_value, got["commands_rejected"].raw_value) == (3, 2)
    assert got["roster_epoch"].raw_value == 2
    assert got["last_accepted_sequence"].raw_value == 2**40 + 5
    assert got["last_rejection_reason"].text == "replay"
    assert (got["payload_on"].text, got["heater_on"].text, got["adcs_state"].text) == (
        "true",
        "true",
        "fine_pointing",
    )
    assert got["uplink_rssi"].eng_value == pytest.approx(-101.3, abs=RAW_STEP_DBM)
    assert got["solar_current"].eng_value == pytest.approx(1.6625, rel=F32_RELATIVE)


@pytest.mark.parametrize("temperature_c", [-30.0, -5.0, 12.0, 40.0, 80.0])
def test_the_radio_thermistor_round_trips(temperature_c):
    sample = HealthSample(**{**HEALTH.__dict__, "radio_temperature_c": temperature_c})
    got = decode(HEALTH_APID, pack_health(sample))
    assert got["radio_temperature"].eng_value == pytest.approx(temperature_c, abs=THERMISTOR_TOLERANCE_C)


@pytest.mark.parametrize("reason", [None, *Reason])
def test_every_verdict_decodes_with_its_reason(reason):
    report = GovernanceReport(
        uptime_s=99,
        sequence=42,
        epoch=1,
        packet_id=0xDEADBEEF,
        accepted=reason is None,
        reason=reason,
        execution="executed" if reason is None else "none",
        number=7,
    )
    got = decode(REPORT_APID, pack_report(report))
    assert got["gov_verdict"].text == ("accepted" if reason is None else "rejected")
    assert got["gov_reason"].text == ("none" if reason is None else reason.value)
    assert got["gov_execution"].text == report.execution
    assert got["gov_packet_id"].raw_value == 0xDEADBEEF
    assert (got["gov_sequence"].raw_value, got["gov_epoch"].raw_value) == (42, 1)
    assert (got["gov_report_number"].raw_value, got["gov_uptime"].raw_value) == (7, 99)


def test_the_codes_are_the_dictionarys():
    d = demo_dictionary()
    assert dict(d.parameter("gov_reason").enumeration) == {
        0: "none",
        **{c: r.value for r, c in REASON_CODES.items()},
    }
    assert dict(d.parameter("gov_execution").enumeration) == dict(enumerate(EXECUTIONS))
    assert dict(d.parameter("mode").enumeration) == dict(enumerate(MODES))
